// People's labels in the panel: what a key does to a cell's label, and how labels and agreement
// read. Pure, so it is unit-tested; the lens says the same from the server (lsp/lenses.py).
import type { AgreementData, Cell, LabelData, ScorerSummary } from "../protocol";
import { grouped } from "./pyFormat";

/** What the user asked to do with one trace's label for one scorer. */
export type LabelAction =
  | { kind: "set"; value: unknown }
  | { kind: "unsure" }
  | { kind: "clear" }
  | { kind: "askValue"; current: unknown } // the host asks for a number or text
  | { kind: "askNote"; label: LabelData | null }; // the host asks for a note to the label

/** A scorer that says pass or fail (bools, "yes"/"no"): labelled with p and f. */
export function isVerdictColumn(column: ScorerSummary): boolean {
  return column.passed !== null && column.failed !== null;
}

/** The panel's keys: p pass, f fail, u unsure, = a value, n a note, Delete/Backspace clear. */
export function labelKeyAction(
  key: string,
  column: ScorerSummary,
  cell: Cell | undefined,
): LabelAction | undefined {
  const current = cell?.label ?? null;
  switch (key) {
    case "p":
    case "f":
      // A scorer of numbers or text is labelled with the value it should give.
      return isVerdictColumn(column)
        ? { kind: "set", value: key === "p" }
        : { kind: "askValue", current: current?.value ?? cell?.value ?? null };
    case "u":
      return { kind: "unsure" };
    case "=":
      return { kind: "askValue", current: current?.value ?? cell?.value ?? null };
    case "n":
      return { kind: "askNote", label: current };
    case "Delete":
    case "Backspace":
      return { kind: "clear" };
    default:
      return undefined;
  }
}

/** What the user typed for a value label: a number when it reads as one, else the text. */
export function parseLabelValue(text: string): unknown {
  const trimmed = text.trim();
  const lower = trimmed.toLowerCase();
  if (lower === "pass" || lower === "true") {
    return true;
  }
  if (lower === "fail" || lower === "false") {
    return false;
  }
  const number = Number(trimmed);
  return trimmed !== "" && Number.isFinite(number) ? number : trimmed;
}

export function labelText(label: LabelData): string {
  if (label.unsure) {
    return "unsure";
  }
  if (typeof label.value === "boolean") {
    return label.value ? "pass" : "fail";
  }
  return typeof label.value === "string" ? label.value : JSON.stringify(label.value);
}

/** `labels 18/20 agree (▲3)`, as the lens says it. */
export function agreementText(agreement: AgreementData): string {
  const { agree, total, previousAgree } = agreement;
  let delta = "";
  if (previousAgree !== null) {
    const change = agree - previousAgree;
    delta = change === 0 ? " (=)" : ` (${change > 0 ? "▲" : "▼"}${grouped(Math.abs(change))})`;
  }
  return `labels ${grouped(agree)}/${grouped(total)} agree${delta}`;
}
