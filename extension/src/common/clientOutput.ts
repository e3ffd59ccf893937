// The output channel handed to the language client: its lines land in the ScoreLens log with
// the level they name, instead of all as info with "[Error - …]" in the text.
import * as vscode from "vscode";
import { classifyClientLine } from "./clientLogLine";

export function clientOutputChannel(target: vscode.LogOutputChannel): vscode.OutputChannel {
  return {
    name: target.name,
    // Raw server stderr arrives through append: it carries its own timestamps and levels.
    append: (value: string) => {
      target.append(value);
    },
    appendLine: (value: string) => {
      const { level, message } = classifyClientLine(value);
      target[level](message);
    },
    replace: (value: string) => {
      target.replace(value);
    },
    clear: () => {
      target.clear();
    },
    // The interface still declares the deprecated (column, preserveFocus) form; both are served.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    show: (columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean) => {
      target.show(
        typeof columnOrPreserveFocus === "boolean" ? columnOrPreserveFocus : preserveFocus,
      );
    },
    hide: () => {
      target.hide();
    },
    // Shared with the rest of the extension, which disposes of it; a client stop must not.
    dispose: () => undefined,
  };
}
