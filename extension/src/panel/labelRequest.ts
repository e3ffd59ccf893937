// From a label action in the panel to the server's setLabel params, asking the user for a
// value or a note where the action needs one.
import * as vscode from "vscode";
import type { SetLabelParams } from "../protocol";
import { type LabelAction, parseLabelValue } from "./labels";

/** The request to send; undefined when the user cancelled an input box. */
export async function labelParams(
  traceId: string,
  scorer: string,
  action: LabelAction,
): Promise<SetLabelParams | undefined> {
  const base = { traceId, scorer };
  switch (action.kind) {
    case "set":
      return { ...base, value: action.value };
    case "unsure":
      return { ...base, value: null, unsure: true };
    case "clear":
      return { ...base, value: null, clear: true };
    case "askValue": {
      const typed = await vscode.window.showInputBox({
        title: `Label ${scorer} on trace ${traceId}`,
        prompt: "The value this scorer should give: pass or fail, a number, or text",
        value: shownValue(action.current),
        validateInput: (text) => (text.trim() === "" ? "Type a value, or Escape to cancel" : null),
      });
      return typed === undefined ? undefined : { ...base, value: parseLabelValue(typed) };
    }
    case "askNote": {
      const label = action.label;
      if (label === null) {
        void vscode.window.showInformationMessage(
          "Label the trace first (p pass, f fail, u unsure, = a value), then add a note.",
        );
        return undefined;
      }
      const note = await vscode.window.showInputBox({
        title: `Note on the ${scorer} label of trace ${traceId}`,
        prompt: "Why this label (empty: no note)",
        value: label.note ?? "",
      });
      if (note === undefined) {
        return undefined;
      }
      return { ...base, value: label.value, unsure: label.unsure, note: note.trim() || null };
    }
  }
}

function shownValue(current: unknown): string {
  if (current === null || current === undefined) {
    return "";
  }
  if (typeof current === "boolean") {
    return current ? "pass" : "fail";
  }
  return typeof current === "string" ? current : JSON.stringify(current);
}
