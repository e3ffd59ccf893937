// Messages between the results panel's host (extension) and its webview, both directions.
import type { ResultRowsResult, RowFilter, ScorerResult, TraceData } from "../protocol";
import type { LabelAction } from "./labels";

export interface Query {
  filter: RowFilter;
  offset: number;
  limit: number;
  sortBy: string | null;
  descending: boolean;
}

/** What the scorers said about the open trace, or why that could not be read. */
export type TraceScores = { ok: true; results: ScorerResult[] } | { ok: false; error: string };

/** Host -> webview. */
export type ToWebview =
  // followed: asked by the host on a server notification, not for the user (see follow.ts).
  | { type: "rows"; query: Query; result: ResultRowsResult; followed: boolean }
  // reload: the open trace again, after a label; drawn only if it is still the one shown.
  | { type: "trace"; trace: TraceData; scores: TraceScores; reload: boolean }
  | { type: "error"; message: string };

/** Webview -> host. */
export type FromWebview =
  | { type: "ready" }
  | { type: "query"; query: Query }
  | { type: "openTrace"; traceId: string }
  // `inTrace`: asked from the trace view, which is then shown again with the new label.
  | { type: "label"; traceId: string; scorer: string; action: LabelAction; inTrace: boolean };

export function isFromWebview(value: unknown): value is FromWebview {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const type = (value as { type?: unknown }).type;
  return type === "ready" || type === "query" || type === "openTrace" || type === "label";
}
