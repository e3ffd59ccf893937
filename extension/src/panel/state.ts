// The results panel's view state and how user actions change it. Pure, so it is unit-tested.
import type { RowFilter } from "../protocol";
import type { Query } from "./messages";

export const PAGE_SIZE = 50;

export function initialQuery(sortBy: string | null = null): Query {
  return { filter: "all", offset: 0, limit: PAGE_SIZE, sortBy, descending: false };
}

const FILTERS: readonly RowFilter[] = [
  "all",
  "failing",
  "errors",
  "changed",
  "disagrees",
  "unlabelled",
];

/** The query a reloaded panel saved (webview state is untyped JSON); defaults where it is off. */
export function restoredQuery(state: unknown): Query {
  const saved = (typeof state === "object" && state !== null ? state : {}) as Record<
    string,
    unknown
  >;
  const query = (typeof saved.query === "object" && saved.query !== null ? saved.query : {}) as {
    [K in keyof Query]?: unknown;
  };
  const fallback = initialQuery();
  const count = (value: unknown, otherwise: number) =>
    typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : otherwise;
  return {
    filter: FILTERS.find((f) => f === query.filter) ?? fallback.filter,
    offset: count(query.offset, fallback.offset),
    limit: count(query.limit, 0) > 0 ? count(query.limit, PAGE_SIZE) : PAGE_SIZE,
    sortBy: typeof query.sortBy === "string" ? query.sortBy : null,
    descending: query.descending === true,
  };
}

export function withFilter(query: Query, filter: RowFilter): Query {
  return { ...query, filter, offset: 0 };
}

/** Clicking a column header: sort by it ascending, again for descending, a third time to clear. */
export function toggleSort(query: Query, column: string): Query {
  if (query.sortBy !== column) {
    return { ...query, sortBy: column, descending: false, offset: 0 };
  }
  if (!query.descending) {
    return { ...query, descending: true, offset: 0 };
  }
  return { ...query, sortBy: null, descending: false, offset: 0 };
}

export function nextPage(query: Query, total: number): Query {
  const offset = query.offset + query.limit;
  return offset >= total ? query : { ...query, offset };
}

export function previousPage(query: Query): Query {
  return { ...query, offset: Math.max(0, query.offset - query.limit) };
}

export function pageLabel(query: Query, total: number, shown: number): string {
  if (total === 0) {
    return "No rows";
  }
  return `${String(query.offset + 1)}–${String(query.offset + shown)} of ${String(total)}`;
}
