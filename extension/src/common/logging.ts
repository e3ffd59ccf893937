// One output channel for the client and the server (the language client writes server stderr
// and window/logMessage here too).
import * as vscode from "vscode";

let channel: vscode.LogOutputChannel | undefined;

export function outputChannel(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel("ScoreLens", { log: true });
  return channel;
}

export function log(message: string): void {
  outputChannel().info(message);
}

export function logError(message: string): void {
  outputChannel().error(message);
}
