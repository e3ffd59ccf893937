// The span waterfall: a row per span, indented by depth, its bar on the trace's time axis.
// Reusable for any list of spans (a scorer's judge calls too). Above VIRTUAL_ABOVE spans only a
// window of rows is drawn, between two spacers; interactions.ts redraws the window on scroll.
// Bars, ticks and spacers are SVG: the panel's CSP forbids inline styles, not SVG attributes.
import type { SpanData } from "../../protocol";
import { grouped } from "../../panel/pyFormat";
import { escapeHtml } from "../render";
import { tokenUsage, type TokenUsage } from "./attributes";
import {
  barGeometry,
  formatDuration,
  spanTimeline,
  type SpanRow,
  type SpanTimeline,
} from "./spanTree";

/** Must equal `.wf-row`'s height in media/panel.css: the virtual list places rows by it. */
export const ROW_HEIGHT_PX = 22;
export const VIRTUAL_ABOVE = 200;
/** Rows drawn at once in a virtual list: the viewport's worth and some above and below. */
export const WINDOW_ROWS = 60;
// Depth classes d0..d15 in panel.css; deeper spans indent no further.
const MAX_DEPTH_CLASS = 15;

export interface WaterfallOptions {
  id?: string; // the waterfall element's id
  label?: string; // its accessible name
  selectedSpanId?: string | null; // the span whose detail is open
  virtualAbove?: number;
  windowRows?: number;
}

/** Rows [from, to) of the reading order. */
export interface RowRange {
  from: number;
  to: number;
}

export interface RowState {
  selectedSpanId: string | null;
  activeIndex: number; // the row in the tab order (roving tabindex)
}

const TYPE_CLASSES: Record<string, string> = {
  CHAT_MODEL: "t-llm",
  LLM: "t-llm",
  TOOL: "t-tool",
  RETRIEVER: "t-retriever",
  EMBEDDING: "t-retriever",
  AGENT: "t-agent",
  CHAIN: "t-chain",
};

export function tokenText(usage: TokenUsage): string {
  const n = (v: number | null): string => (v === null ? "?" : grouped(v));
  return `${n(usage.input)} in · ${n(usage.output)} out · ${n(usage.total)} total`;
}

function isError(span: SpanData): boolean {
  return span.status.code === "ERROR";
}

function renderRow(
  row: SpanRow,
  timeline: SpanTimeline,
  state: RowState,
  tabStop: boolean,
): string {
  const span = row.span;
  const { left, width } = barGeometry(row, timeline);
  const selected = span.span_id === state.selectedSpanId;
  const error = isError(span);
  const usage = tokenUsage(span);
  const duration = row.durationNs === null ? "unfinished" : formatDuration(row.durationNs);
  const classes = [
    "wf-row",
    `d${String(Math.min(row.depth, MAX_DEPTH_CLASS))}`,
    error ? "error" : "",
    selected ? "selected" : "",
    row.durationNs === null ? "unfinished" : "",
  ].filter((c) => c !== "");
  return (
    `<div class="${classes.join(" ")}" role="treeitem" tabindex="${tabStop ? "0" : "-1"}" ` +
    `data-span="${escapeHtml(span.span_id)}" data-index="${String(row.index)}" ` +
    `aria-level="${String(row.depth + 1)}" aria-posinset="${String(row.sibling)}" ` +
    `aria-setsize="${String(row.siblings)}" aria-selected="${String(selected)}">` +
    `<span class="wf-name"><span class="span-type ${TYPE_CLASSES[span.span_type] ?? "t-other"}">` +
    `${escapeHtml(span.span_type)}</span> <span class="span-name">${escapeHtml(span.name)}</span>` +
    (error ? ` <span class="status-error">ERROR</span>` : "") +
    `</span>` +
    `<span class="wf-tokens"${usage ? ` title="${escapeHtml(tokenText(usage))} tokens"` : ""}>` +
    `${usage?.total != null ? `${grouped(usage.total)} tok` : ""}</span>` +
    `<svg class="wf-track" aria-hidden="true" focusable="false">` +
    `<rect class="wf-bar" x="${String(left)}%" y="25%" width="${String(width)}%" height="50%" rx="2"/>` +
    `</svg>` +
    `<span class="duration">${duration}</span></div>`
  );
}

/** The rows of a range, the tab stop on the active row, else on the range's first. */
export function renderWaterfallRows(
  timeline: SpanTimeline,
  range: RowRange,
  state: RowState,
): string {
  const active =
    state.activeIndex >= range.from && state.activeIndex < range.to
      ? state.activeIndex
      : range.from;
  const rows: string[] = [];
  for (let i = range.from; i < range.to; i += 1) {
    const row = timeline.rows.at(i);
    if (row !== undefined) {
      rows.push(renderRow(row, timeline, state, i === active));
    }
  }
  return rows.join("");
}

/** The rows to draw for a scroll position: those in view, half a window above and below. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  count: number,
  windowRows = WINDOW_ROWS,
): RowRange {
  const inView = Math.ceil(viewportHeight / ROW_HEIGHT_PX) + 1;
  const size = Math.min(count, Math.max(windowRows, inView));
  const first = Math.floor(Math.max(0, scrollTop) / ROW_HEIGHT_PX);
  const from = Math.max(0, Math.min(count - size, first - Math.floor((size - inView) / 2)));
  return { from, to: from + size };
}

/** An SVG box of a given height: a spacer standing for the rows not drawn. */
export function spacer(which: "top" | "bottom", rows: number): string {
  return (
    `<svg class="wf-spacer wf-spacer-${which}" width="1" height="${String(rows * ROW_HEIGHT_PX)}" ` +
    `aria-hidden="true" focusable="false"></svg>`
  );
}

function axis(timeline: SpanTimeline): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const anchor = f === 0 ? "start" : f === 1 ? "end" : "middle";
      // A narrow panel has room for the ends only.
      const mid = f === 0 || f === 1 ? "" : ` class="tick-mid"`;
      return (
        `<text x="${String(f * 100)}%" y="80%" text-anchor="${anchor}"${mid}>` +
        `${formatDuration(f * timeline.durationNs)}</text>`
      );
    })
    .join("");
  return (
    `<div class="wf-axis" aria-hidden="true"><span class="wf-name">span</span>` +
    `<span class="wf-tokens">tokens</span><svg class="wf-track">${ticks}</svg>` +
    `<span class="duration">duration</span></div>`
  );
}

/** A waterfall of the spans, with an optional id and the open span marked selected. */
export function renderWaterfall(spans: SpanData[], options: WaterfallOptions = {}): string {
  const timeline = spanTimeline(spans);
  const count = timeline.rows.length;
  const selectedSpanId = options.selectedSpanId ?? null;
  const selectedIndex =
    selectedSpanId === null ? -1 : (timeline.byId.get(selectedSpanId)?.index ?? -1);
  const state: RowState = { selectedSpanId, activeIndex: Math.max(0, selectedIndex) };
  const virtual = count > (options.virtualAbove ?? VIRTUAL_ABOVE);
  const windowRows = options.windowRows ?? WINDOW_ROWS;
  const range: RowRange = virtual
    ? { from: 0, to: Math.min(count, windowRows) }
    : { from: 0, to: count };
  const rows = renderWaterfallRows(timeline, range, state);
  const body = virtual
    ? `${spacer("top", 0)}<div class="wf-rows" role="presentation">${rows}</div>` +
      spacer("bottom", count - range.to)
    : `<div class="wf-rows" role="presentation">${rows}</div>`;
  return (
    `<div class="waterfall${virtual ? " virtual" : ""}"` +
    (options.id !== undefined ? ` id="${escapeHtml(options.id)}"` : "") +
    ` data-count="${String(count)}" data-window="${String(windowRows)}"` +
    ` data-active="${String(state.activeIndex)}"` +
    ` data-from="${String(range.from)}" data-to="${String(range.to)}">` +
    axis(timeline) +
    `<div class="wf-viewport" role="tree" aria-label="${escapeHtml(options.label ?? "Spans")}">` +
    `${body}</div></div>`
  );
}
