// Naming the panel's scorer columns. Pure, so it is unit-tested; imported by the webview too.
import type { ScorerRef } from "../protocol";

/** A column: one scorer of one file, as the server keys cells, distributions and sorting. */
export function columnKey(column: ScorerRef): string {
  return `${column.uri}#${column.name}`;
}

/** Header text: the scorer's name, with its file's name where two files share the name. */
export function columnLabel(column: ScorerRef, all: readonly ScorerRef[]): string {
  const clash = all.some((other) => other.name === column.name && other.uri !== column.uri);
  if (!clash) {
    return column.name;
  }
  const file = decodeURIComponent(column.uri.slice(column.uri.lastIndexOf("/") + 1));
  return `${column.name} (${file})`;
}
