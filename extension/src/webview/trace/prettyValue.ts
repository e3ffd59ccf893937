// Any JSON value as something to read: keys and values laid out, strings as text, long ones
// collapsed. Bounded: a value with thousands of entries or megabytes of text draws a few
// hundred nodes, and says what it left out (the raw JSON, on request, has it all).
import { grouped } from "../../panel/pyFormat";
import { escapeHtml } from "../render";
import { jsonText } from "./attributes";
import { renderLongText } from "./longText";
import type { PathKey, TextRef } from "./textRefs";

export const MAX_NODES = 300;
export const MAX_ENTRIES = 50;
export const MAX_DEPTH = 8;
// Shorter strings without a newline sit on their key's line.
const INLINE_CHARS = 120;

interface Walk {
  nodes: number; // left to draw
  ref: (path: PathKey[]) => TextRef;
}

function leftOut(count: number, what: string): string {
  return `<div class="left-out">… ${grouped(count)} more ${what}</div>`;
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) {
    return `<span class="v-lit">null</span>`;
  }
  if (typeof value === "number" || typeof value === "boolean") {
    return `<span class="v-lit">${escapeHtml(String(value))}</span>`;
  }
  return `<span class="v-lit">${escapeHtml(jsonText(value))}</span>`;
}

function node(value: unknown, path: PathKey[], depth: number, walk: Walk): string {
  walk.nodes -= 1;
  if (typeof value === "string") {
    if (value.length <= INLINE_CHARS && !value.includes("\n")) {
      return `<span class="v-str">${escapeHtml(value)}</span>`;
    }
    return renderLongText(value, walk.ref(path));
  }
  if (typeof value !== "object" || value === null) {
    return scalar(value);
  }
  const list = Array.isArray(value) ? (value as unknown[]) : undefined;
  const record = value as Record<string, unknown>;
  const keys = list === undefined ? Object.keys(record) : [];
  const count = list?.length ?? keys.length;
  if (count === 0) {
    return `<span class="v-lit">${list ? "[]" : "{}"}</span>`;
  }
  if (depth >= MAX_DEPTH) {
    return `<span class="v-lit">${list ? "[…]" : "{…}"}</span>`;
  }
  const rows: string[] = [];
  let shown = 0;
  while (shown < count && shown < MAX_ENTRIES && walk.nodes > 0) {
    const key: PathKey = list ? shown : keys[shown];
    const child = list ? list[shown] : record[key];
    shown += 1;
    rows.push(
      `<div class="kv-row"><dt>${escapeHtml(String(key))}</dt>` +
        `<dd>${node(child, [...path, key], depth + 1, walk)}</dd></div>`,
    );
  }
  const more = shown < count ? leftOut(count - shown, list ? "items" : "keys") : "";
  return `<dl class="kv${list ? " kv-list" : ""}">${rows.join("")}</dl>${more}`;
}

/**
 * `path` is where the value is, as the show-more reference names it: each long string gets
 * `ref(path to the string)`.
 */
export function renderValue(
  value: unknown,
  ref: (path: PathKey[]) => TextRef,
  path: PathKey[] = [],
): string {
  return `<div class="value">${node(value, path, 0, { nodes: MAX_NODES, ref })}</div>`;
}
