// A trace's spans in reading order (depth first, siblings by start time) with their depth and
// timing relative to the trace's start: the model behind the waterfall. Pure, so it is tested.
import type { SpanData } from "../../protocol";

export interface SpanRow {
  span: SpanData;
  index: number; // in reading order
  depth: number; // 0: a root
  sibling: number; // 1-based position among its parent's children, for assistive technology
  siblings: number;
  startNs: number; // since the trace's start
  durationNs: number | null; // null: the span never ended
}

export interface SpanTimeline {
  rows: SpanRow[];
  byId: Map<string, SpanRow>;
  durationNs: number; // first start to last end
}

/**
 * Built without recursion: an agent's trace can nest thousands of spans deep. A span whose
 * parent is not in the trace (a partial trace) is shown as a root rather than dropped; so is a
 * span in a cycle of parents.
 */
export function spanTimeline(spans: readonly SpanData[]): SpanTimeline {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string | null, SpanData[]>();
  for (const span of spans) {
    const parent = span.parent_id !== null && ids.has(span.parent_id) ? span.parent_id : null;
    const siblings = children.get(parent);
    if (siblings === undefined) {
      children.set(parent, [span]);
    } else {
      siblings.push(span);
    }
  }
  for (const siblings of children.values()) {
    siblings.sort((a, b) => a.start_time_ns - b.start_time_ns);
  }
  let traceStart = spans.length > 0 ? Infinity : 0;
  for (const span of spans) {
    traceStart = Math.min(traceStart, span.start_time_ns);
  }
  const rows: SpanRow[] = [];
  const byId = new Map<string, SpanRow>();
  let traceEnd = traceStart;
  const stack: { span: SpanData; depth: number; sibling: number; siblings: number }[] = [];
  const pushChildren = (parent: string | null, depth: number): void => {
    const kids = children.get(parent) ?? [];
    for (let i = kids.length - 1; i >= 0; i -= 1) {
      stack.push({ span: kids[i], depth, sibling: i + 1, siblings: kids.length });
    }
  };
  pushChildren(null, 0);
  // Spans whose parents form a cycle are reached from no root: each left over becomes one.
  let leftOver = 0;
  while (stack.length > 0 || leftOver < spans.length) {
    if (stack.length === 0) {
      const span = spans[leftOver];
      leftOver += 1;
      if (!byId.has(span.span_id)) {
        stack.push({ span, depth: 0, sibling: 1, siblings: 1 });
      }
      continue;
    }
    const { span, depth, sibling, siblings } = stack.pop() as (typeof stack)[number];
    if (byId.has(span.span_id)) {
      continue; // a repeated span id: shown once
    }
    const end = span.end_time_ns;
    traceEnd = Math.max(traceEnd, end ?? span.start_time_ns);
    const row: SpanRow = {
      span,
      index: rows.length,
      depth,
      sibling,
      siblings,
      startNs: span.start_time_ns - traceStart,
      durationNs: end === null ? null : Math.max(0, end - span.start_time_ns),
    };
    rows.push(row);
    byId.set(span.span_id, row);
    pushChildren(span.span_id, depth + 1);
  }
  return { rows, byId, durationNs: traceEnd - traceStart };
}

/** How deep each span is, by span id (0: a root). */
export function spanDepths(spans: readonly SpanData[]): Map<string, number> {
  return new Map([...spanTimeline(spans).byId].map(([id, row]) => [id, row.depth]));
}

/** Where a span's bar lies on the trace's time axis, in percent of the trace's duration. */
export interface BarGeometry {
  left: number;
  width: number;
}

// A span too short to see still gets a bar one can see.
const MIN_BAR_PERCENT = 0.3;

export function barGeometry(row: SpanRow, timeline: SpanTimeline): BarGeometry {
  const total = timeline.durationNs;
  if (total <= 0) {
    return { left: 0, width: 100 };
  }
  const left = Math.min(100, Math.max(0, (100 * row.startNs) / total));
  // An unfinished span runs to the end of the trace.
  const length = row.durationNs ?? total - row.startNs;
  const width = Math.max(MIN_BAR_PERCENT, Math.min(100 - left, (100 * length) / total));
  return { left: round(left), width: round(Math.min(width, 100)) };
}

// A hundredth of a percent is a tenth of a pixel on a 1,000 px track; finer is noise (times past
// 2^53 ns reach JavaScript rounded to 256 ns).
function round(percent: number): number {
  return Math.round(percent * 100) / 100;
}

export function formatDuration(ns: number): string {
  const ms = ns / 1e6;
  if (ms < 1000) {
    return `${ms.toFixed(1)} ms`;
  }
  const seconds = ms / 1000;
  if (seconds < 60) {
    return `${seconds.toFixed(2)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  return `${String(minutes)} min ${(seconds - minutes * 60).toFixed(0)} s`;
}
