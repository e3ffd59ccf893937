// Messages between the results panel's host (extension) and its webview, both directions.
import type { ResultRowsResult, RowFilter, TraceData } from "../protocol";

export interface Query {
  filter: RowFilter;
  offset: number;
  limit: number;
  sortBy: string | null;
  descending: boolean;
}

/** Host -> webview. */
export type ToWebview =
  | { type: "rows"; query: Query; result: ResultRowsResult }
  | { type: "trace"; trace: TraceData }
  | { type: "error"; message: string };

/** Webview -> host. */
export type FromWebview =
  { type: "ready" } | { type: "query"; query: Query } | { type: "openTrace"; traceId: string };

export function isFromWebview(value: unknown): value is FromWebview {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const type = (value as { type?: unknown }).type;
  return type === "ready" || type === "query" || type === "openTrace";
}
