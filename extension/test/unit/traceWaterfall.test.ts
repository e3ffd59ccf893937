import assert from "node:assert/strict";
import { test } from "node:test";
import {
  barGeometry,
  formatDuration,
  spanTimeline,
  type SpanTimeline,
} from "../../src/webview/trace/spanTree";
import {
  ROW_HEIGHT_PX,
  WINDOW_ROWS,
  renderWaterfall,
  renderWaterfallRows,
  visibleRange,
} from "../../src/webview/trace/waterfall";
import { HOSTILE, QUOTES, completionSpan, span } from "./traceFixtures";

// root 0–10 ms; a (1–4) and b (5–9) under it, b before a in the list; c under a, unfinished.
const spans = [
  span("root", null, { type: "AGENT", end: 10 }),
  span("b", "root", { type: "TOOL", start: 5, end: 9, error: "boom" }),
  span("a", "root", { type: "CHAT_MODEL", start: 1, end: 4 }),
  span("c", "a", { start: 2, end: null }),
];

// Times past 2^53 ns, as real clocks give, reach JavaScript rounded to 256 ns.
function near(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) <= 256, `${String(actual)} is not ${String(expected)}`);
}

function row(timeline: SpanTimeline, id: string) {
  const found = timeline.byId.get(id);
  assert.ok(found, id);
  return found;
}

test("spans in reading order: depth first, siblings by start time, timed from the trace start", () => {
  const timeline = spanTimeline(spans);
  assert.deepEqual(
    timeline.rows.map((r) => `${r.span.span_id}@${String(r.depth)}`),
    ["root@0", "a@1", "c@2", "b@1"],
  );
  near(timeline.durationNs, 10e6);
  near(row(timeline, "a").startNs, 1e6);
  near(row(timeline, "a").durationNs ?? 0, 3e6);
  assert.equal(row(timeline, "c").durationNs, null);
  assert.deepEqual([row(timeline, "a").sibling, row(timeline, "b").sibling], [1, 2]);
  assert.equal(row(timeline, "b").siblings, 2);
});

test("a span whose parent is missing, or in a cycle of parents, is still shown", () => {
  const timeline = spanTimeline([
    span("orphan", "gone", { start: 1 }),
    span("x", "y"),
    span("y", "x"),
    span("root", null),
  ]);
  assert.deepEqual(timeline.rows.map((r) => r.span.span_id).sort(), ["orphan", "root", "x", "y"]);
  assert.equal(row(timeline, "orphan").depth, 0);
});

test("a deep chain of thousands of spans is laid out without recursion", () => {
  const chain = Array.from({ length: 20000 }, (_, i) =>
    span(`s${String(i)}`, i === 0 ? null : `s${String(i - 1)}`, { start: i / 1000 }),
  );
  const timeline = spanTimeline(chain);
  assert.equal(timeline.rows.length, 20000);
  assert.equal(timeline.rows.at(-1)?.depth, 19999);
});

test("bars lie on the time axis in percent; a short span still shows, an unfinished one runs on", () => {
  const timeline = spanTimeline(spans);
  assert.deepEqual(barGeometry(row(timeline, "root"), timeline), { left: 0, width: 100 });
  assert.deepEqual(barGeometry(row(timeline, "a"), timeline), { left: 10, width: 30 });
  assert.deepEqual(barGeometry(row(timeline, "b"), timeline), { left: 50, width: 40 });
  assert.deepEqual(barGeometry(row(timeline, "c"), timeline), { left: 20, width: 80 });
  const brief = spanTimeline([
    span("r", null, { end: 1000 }),
    span("t", "r", { start: 500, end: 500 }),
  ]);
  assert.deepEqual(barGeometry(row(brief, "t"), brief), { left: 50, width: 0.3 });
  const instant = spanTimeline([span("r", null, { end: 0 })]);
  assert.deepEqual(barGeometry(row(instant, "r"), instant), { left: 0, width: 100 });
});

test("durations read in ms, s or min", () => {
  assert.equal(formatDuration(2e6), "2.0 ms");
  assert.equal(formatDuration(1234.5e6), "1.23 s");
  assert.equal(formatDuration(125e9), "2 min 5 s");
});

test("the waterfall: a row per span with depth, type, bar, duration, error and tokens", () => {
  const html = renderWaterfall(
    [...spans, completionSpan("llm", "root", [], { content: "x" }, { start: 6, end: 7 })],
    { id: "w", selectedSpanId: "a" },
  );
  assert.match(html, /^<div class="waterfall" id="w" data-count="5"/);
  const rows = html.split('<div class="wf-row ').slice(1);
  assert.equal(rows.length, 5);
  const [root, a, c, b] = rows as [string, string, string, string];
  assert.match(
    root,
    /^d0" role="treeitem" tabindex="-1" data-span="root" data-index="0" aria-level="1"/,
  );
  assert.match(a, /^d1 selected" role="treeitem" tabindex="0" data-span="a"/);
  assert.match(a, /aria-selected="true"/);
  assert.match(a, /<rect class="wf-bar" x="10%" y="25%" width="30%"/);
  assert.match(a, /<span class="duration">3\.0 ms<\/span>/);
  assert.match(
    a,
    /<span class="span-type t-llm">CHAT_MODEL<\/span> <span class="span-name">a<\/span>/,
  );
  assert.match(c, /^d2 unfinished"/);
  assert.match(c, /<span class="duration">unfinished<\/span>/);
  assert.match(b, /^d1 error"/);
  assert.match(b, /<span class="status-error">ERROR<\/span>/);
  assert.match(b, /aria-posinset="2" aria-setsize="3"/);
  assert.match(html, /title="11 in · 14 out · 25 total tokens">25 tok<\/span>/);
  // One tab stop: the selected row.
  assert.equal(html.split('tabindex="0"').length - 1, 1);
  // The time axis.
  assert.match(html, /<text x="50%" y="80%" text-anchor="middle" class="tick-mid">5\.0 ms<\/text>/);
  assert.ok(!html.includes("virtual"));
});

test("every text in the waterfall is escaped, attribute values included", () => {
  const html = renderWaterfall(
    [span(QUOTES, null, { name: HOSTILE, type: `<b>"T"</b>`, end: 2, error: HOSTILE })],
    { id: QUOTES, label: QUOTES },
  );
  for (const markup of ["<script", "<img", "<b>", 'onfocus="', "data-x='"]) {
    assert.ok(!html.includes(markup), markup);
  }
  assert.match(html, /data-span="q&quot; onfocus=&quot;alert\(2\)&quot; data-x=&#39;y"/);
});

test("many spans: a virtual waterfall draws one window of rows between spacers", () => {
  const many = Array.from({ length: 5000 }, (_, i) =>
    span(`s${String(i)}`, i === 0 ? null : "s0", { start: i / 10, end: i / 10 + 1 }),
  );
  const html = renderWaterfall(many);
  assert.match(
    html,
    /^<div class="waterfall virtual" data-count="5000" data-window="60" data-active="0" data-from="0" data-to="60">/,
  );
  assert.equal(html.split('<div class="wf-row ').length - 1, WINDOW_ROWS);
  assert.match(html, /class="wf-spacer wf-spacer-top" width="1" height="0"/);
  assert.match(
    html,
    new RegExp(
      `class="wf-spacer wf-spacer-bottom" width="1" height="${String((5000 - 60) * ROW_HEIGHT_PX)}"`,
    ),
  );
  // At most 200 spans are drawn whole.
  const few = renderWaterfall(many.slice(0, 200));
  assert.equal(few.split('<div class="wf-row ').length - 1, 200);
  assert.ok(!few.includes("wf-spacer"));
});

test("the rows drawn for a scroll position cover the view, inside the list's bounds", () => {
  const view = 20 * ROW_HEIGHT_PX;
  assert.deepEqual(visibleRange(0, view, 5000), { from: 0, to: 60 });
  const middle = visibleRange(2500 * ROW_HEIGHT_PX, view, 5000);
  assert.equal(middle.to - middle.from, 60);
  assert.ok(middle.from <= 2500 && middle.to >= 2521, JSON.stringify(middle));
  assert.deepEqual(visibleRange(5000 * ROW_HEIGHT_PX, view, 5000), { from: 4940, to: 5000 });
  assert.deepEqual(visibleRange(-50, view, 10), { from: 0, to: 10 });
  // A view taller than the window gets every row in view.
  const tall = visibleRange(0, 100 * ROW_HEIGHT_PX, 5000);
  assert.ok(tall.to - tall.from >= 101);
});

test("a window's tab stop is the active row, else the window's first", () => {
  const timeline = spanTimeline(spans);
  const active = renderWaterfallRows(
    timeline,
    { from: 1, to: 3 },
    { selectedSpanId: null, activeIndex: 2 },
  );
  assert.match(active, /tabindex="-1" data-span="a"[^]*tabindex="0" data-span="c"/);
  const elsewhere = renderWaterfallRows(
    timeline,
    { from: 1, to: 3 },
    { selectedSpanId: null, activeIndex: 0 },
  );
  assert.match(elsewhere, /tabindex="0" data-span="a"/);
  assert.equal(elsewhere.split('tabindex="0"').length - 1, 1);
});
