// The label control in the trace view: a scorer's current label and buttons to change it.
import type { ScorerResult } from "../protocol";
import { labelText } from "../panel/labels";
import { escapeHtml, verdictClass } from "./render";

function givesVerdicts(result: ScorerResult): boolean {
  return verdictClass(result.value, null) !== "" || typeof result.label?.value === "boolean";
}

/** HTML for one scorer's label control; every text escaped. */
export function renderLabelControl(result: ScorerResult): string {
  const label = result.label;
  const now =
    label === null
      ? `<span class="label-now none">not labelled</span>`
      : `<span class="label-now">label: ${escapeHtml(labelText(label))} ` +
        `<span class="label-user">(${escapeHtml(label.user)})</span>` +
        (label.note !== null ? ` <span class="label-note">${escapeHtml(label.note)}</span>` : "") +
        `</span>`;
  const button = (action: string, text: string) =>
    `<button class="label-button" data-label-action="${action}">${text}</button>`;
  const buttons = [
    ...(givesVerdicts(result) ? [button("pass", "Pass"), button("fail", "Fail")] : []),
    button("value", "Value…"),
    button("unsure", "Unsure"),
    button("note", "Note…"),
    ...(label !== null ? [button("clear", "Clear")] : []),
  ].join("");
  return (
    `<div class="label-control" role="group" data-scorer="${escapeHtml(result.feedbackName)}" ` +
    `aria-label="Label for ${escapeHtml(result.name)}">${now}${buttons}</div>`
  );
}
