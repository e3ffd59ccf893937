import assert from "node:assert/strict";
import { test } from "node:test";
import type { TraceScores } from "../../src/panel/messages";
import type { TraceData } from "../../src/protocol";
import { COLLAPSED_CHARS, COLLAPSED_LINES, textHead } from "../../src/webview/trace/longText";
import { MAX_ENTRIES, renderValue } from "../../src/webview/trace/prettyValue";
import { rawSpanJson, renderSpanDetail } from "../../src/webview/trace/spanDetail";
import { spanTimeline } from "../../src/webview/trace/spanTree";
import { decodeTextRef, resolveTextRef, type TextRef } from "../../src/webview/trace/textRefs";
import { renderTrace } from "../../src/webview/trace/traceView";
import { HOSTILE, QUOTES, completionSpan, span, trace } from "./traceFixtures";

const NO_SCORES: TraceScores = { ok: true, results: [] };
const MARKUP = ["<script", "<img", "<ol", "<b>", 'onfocus="', 'onerror="', "data-x='"];

function assertNoMarkup(html: string): void {
  for (const markup of MARKUP) {
    assert.ok(!html.includes(markup), `${markup} in the HTML`);
  }
}

// The sample app's trace: its root span and one chat completion, the reply full of HTML.
function sampleTrace(): TraceData {
  return trace(
    [
      span("root", null, {
        name: "sample_app",
        end: 9,
        inputs: { messages: [{ role: "user", content: "How do I return it? html" }] },
        outputs: "<ol><li>Print the label</li></ol>",
      }),
      completionSpan(
        "chat",
        "root",
        [
          { role: "system", content: "You are a helpful assistant." },
          { role: "user", content: "How do I return it? html" },
        ],
        { content: "<ol><li>Print the label</li></ol>" },
        { start: 0.5, end: 8.5 },
      ),
    ],
    {
      expectations: { expected_facts: ["$89"] },
      trace_metadata: {
        "mlflow.trace.tokenUsage": '{"input_tokens": 11, "output_tokens": 14, "total_tokens": 25}',
      },
    },
  );
}

function moreRefs(html: string): TextRef[] {
  return [...html.matchAll(/data-more="([^"]*)"/g)].map((m) => {
    const ref = decodeTextRef(
      m[1]
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&amp;/g, "&"),
    );
    assert.ok(ref);
    return ref;
  });
}

test("the trace view: the conversation, then the scorers, then the span waterfall", () => {
  const html = renderTrace(sampleTrace(), NO_SCORES);
  // What extension/e2e/test.mjs finds.
  assert.match(html, /^<div class="toolbar"><button id="back">‹ Back to results<\/button>/);
  assert.match(html, /<span class="trace-title">tr-1 · OK<\/span>/);
  assert.match(html, /<div id="trace-view" data-trace="tr-1">/);
  const order = [
    "<h3>Conversation",
    "<h3>Scorers",
    "<h3>Expectations",
    'id="span-tree"',
    "<h3>Spans",
  ].map((s) => html.indexOf(s));
  assert.ok(
    order.every((at) => at >= 0),
    String(order),
  );
  assert.deepEqual(
    order,
    [...order].sort((a, b) => a - b),
  );
  // The turns, the reply's HTML as text.
  const turns = html.split('<article class="turn').slice(1);
  assert.equal(turns.length, 3);
  assert.match(turns[0] ?? "", /^ role-system" tabindex="0" aria-label="message 1 of 3, system">/);
  assert.match(turns[2] ?? "", /^ role-assistant reply"/);
  assert.match(turns[2] ?? "", /assistant · reply/);
  assert.match(turns[2] ?? "", /&lt;ol&gt;&lt;li&gt;Print the label&lt;\/li&gt;&lt;\/ol&gt;/);
  assert.match(html, /From <button class="span-link" data-span-link="chat"/);
  // The waterfall, and the chat span opened: its figures (token usage included) in view.
  const spans = html.slice(html.indexOf('id="span-tree"'));
  assert.match(spans, /CHAT_MODEL<\/span> <span class="span-name">Completions/);
  assert.match(spans, /<div class="sd" data-span="chat">/);
  assert.match(spans, /<dt>tokens<\/dt><dd>11 in · 14 out · 25 total<\/dd>/);
  assert.match(spans, /<dt>total_tokens<\/dt><dd><span class="v-lit">25<\/span>/);
  assert.match(
    html,
    /<span class="trace-facts">9\.0 ms · 2 spans · 11 in · 14 out · 25 total tokens<\/span>/,
  );
  assert.match(html, /<span class="v-str">\$89<\/span>/);
  assertNoMarkup(html);
});

test("a trace without a chat span shows its root's inputs and outputs as request and response", () => {
  const html = renderTrace(
    trace([
      span("root", null, {
        type: "CHAIN",
        name: "rag",
        inputs: { question: "q?" },
        outputs: { answer: "a!" },
      }),
    ]),
    NO_SCORES,
  );
  assert.match(html, /<h3>Request and response<\/h3>/);
  assert.match(
    html,
    /<article class="turn role-request"[^>]*>.*<dt>question<\/dt><dd><span class="v-str">q\?<\/span>/,
  );
  assert.match(
    html,
    /<article class="turn role-response"[^>]*>.*<dt>answer<\/dt><dd><span class="v-str">a!<\/span>/,
  );
  // The root span is the one opened.
  assert.match(html, /<div class="sd" data-span="root">/);
  assert.match(renderTrace(trace([]), NO_SCORES), /This trace has no spans\./);
});

test("every text is escaped: messages, tool calls, span names, attribute keys and values", () => {
  const hostileChat = completionSpan(
    QUOTES,
    null,
    [
      { role: HOSTILE, content: HOSTILE },
      { role: "user", content: QUOTES },
      {
        role: "assistant",
        tool_calls: [{ id: QUOTES, function: { name: HOSTILE, arguments: `{"x": "<script>"}` } }],
      },
      { role: "tool", tool_call_id: QUOTES, content: HOSTILE },
    ],
    { content: HOSTILE },
    {
      name: HOSTILE,
      error: HOSTILE,
      attributes: {
        [HOSTILE]: QUOTES,
        [QUOTES]: { [HOSTILE]: HOSTILE },
        "mlflow.chat.tools": [
          { type: "function", function: { name: HOSTILE, description: QUOTES } },
        ],
      },
      events: [{ name: HOSTILE, timestamp_ns: 0, attributes: { "exception.message": HOSTILE } }],
    },
  );
  const hostile = trace([hostileChat], {
    trace_id: QUOTES,
    state: HOSTILE,
    expectations: { [HOSTILE]: QUOTES },
  });
  const html = renderTrace(hostile, NO_SCORES);
  assertNoMarkup(html);
  assert.match(html, /data-trace="q&quot; onfocus=&quot;alert\(2\)&quot; data-x=&#39;y"/);
  assert.match(
    html,
    /<dt>&lt;img src=x onerror=&quot;alert\(&#39;x&#39;\)&quot;&gt;&lt;script&gt;/,
  );
  // The span's detail, drawn on its own when a span is opened, is escaped alike.
  const detail = renderSpanDetail(spanTimeline([hostileChat]).rows[0] ?? assert.fail());
  assertNoMarkup(detail);
  assert.match(detail, /role="alert"><div class="error-text">&lt;img/);
});

test("span bodies are drawn for the opened span only; raw JSON only on request", () => {
  const spans = [
    span("root", null, { end: 5, inputs: { secret: "root-input" } }),
    span("child", "root", {
      start: 1,
      end: 2,
      inputs: { other: "child-input" },
      outputs: "child-output",
    }),
  ];
  const html = renderTrace(trace(spans), NO_SCORES);
  assert.match(html, /root-input/);
  assert.ok(!html.includes("child-input") && !html.includes("child-output"));
  // The raw JSON's box is empty until opened (interactions.ts fills it from rawSpanJson).
  assert.match(
    html,
    /<details class="raw-json"><summary>Raw JSON<\/summary><pre class="raw"><\/pre><\/details>/,
  );
  const child = renderSpanDetail(spanTimeline(spans).byId.get("child") ?? assert.fail());
  assert.match(child, /<h4>Inputs<\/h4>.*child-input/);
  assert.match(child, /<h4>Outputs<\/h4>.*child-output/);
  assert.match(child, /<dt>start<\/dt><dd>\+1\.0 ms<\/dd>.*<dt>duration<\/dt><dd>1\.0 ms<\/dd>/);
  assert.match(rawSpanJson(spans[1] ?? assert.fail()), /"span_id": "child"/);
});

test("an error span shows its status message, exception and stack trace; events are listed", () => {
  const failed = span("f", null, {
    end: 3,
    error: "",
    events: [
      ...Array.from({ length: 25 }, (_, i) => ({
        name: `mlflow.chunk.item.${String(i)}`,
        timestamp_ns: 0,
        attributes: {},
      })),
      {
        name: "exception",
        timestamp_ns: 0,
        attributes: {
          "exception.type": "RateLimitError",
          "exception.message": "429 <slow down>",
          "exception.stacktrace": "Traceback ...",
        },
      },
    ],
  });
  const detail = renderSpanDetail(spanTimeline([failed]).rows[0] ?? assert.fail());
  assert.match(detail, /<dl class="sd-facts error"><div class="fact"><dt>status<\/dt><dd>ERROR/);
  assert.match(detail, /<div class="error-text">RateLimitError: 429 &lt;slow down&gt;<\/div>/);
  assert.match(detail, /<summary>Stack trace<\/summary><pre>Traceback \.\.\.<\/pre>/);
  assert.equal(detail.split('<span class="event-name">').length - 1, 20);
  assert.match(detail, /… 6 more events/);
});

test("a 5,000-span trace draws a bounded page", () => {
  const spans = Array.from({ length: 5000 }, (_, i) =>
    i % 10 === 1
      ? completionSpan(
          `s${String(i)}`,
          "s0",
          [{ role: "user", content: `q${String(i)}` }],
          { content: "a" },
          { start: i / 10 },
        )
      : span(`s${String(i)}`, i === 0 ? null : "s0", {
          start: i / 10,
          end: i / 10 + 1,
          inputs: { i },
        }),
  );
  const html = renderTrace(trace(spans), NO_SCORES);
  assert.equal(html.split('<div class="wf-row ').length - 1, 60);
  assert.ok(html.length < 100_000, `${String(html.length)} characters`);
  assertNoMarkup(html);
});

test("a megabyte message draws its head; show more finds the whole of it by reference", () => {
  const line = "word ".repeat(20);
  const huge = Array.from({ length: 11000 }, (_, i) => `${String(i)} ${line}`).join("\n");
  assert.ok(huge.length > 1_000_000);
  const oneLine = "x".repeat(1_000_000);
  const chatSpan = completionSpan(
    "chat",
    null,
    [{ role: "user", content: huge }],
    {
      content: oneLine,
      tool_calls: [
        { id: "t", function: { name: "save", arguments: JSON.stringify({ body: huge }) } },
      ],
    },
    { attributes: { note: huge } },
  );
  const big = trace([chatSpan], { expectations: { long: huge } });
  const html = renderTrace(big, NO_SCORES);
  assert.ok(html.length < 150_000, `${String(html.length)} characters`);
  assert.match(html, /Show 10,962 more lines/);
  assert.match(html, /Show 996,000 more characters/);
  // Each collapsed text's reference leads back to the whole text.
  const refs = moreRefs(html);
  const kinds = new Set(refs.map((r) => r.kind));
  assert.deepEqual([...kinds].sort(), ["expectations", "span", "turn"]);
  const texts = refs.map((r) => resolveTextRef(big, r));
  assert.ok(texts.includes(huge));
  assert.ok(texts.includes(oneLine));
  assert.ok(texts.includes(JSON.stringify({ body: huge }, null, 2)));
  assert.deepEqual(
    refs.find((r) => r.kind === "turn" && r.call === 0),
    { kind: "turn", turn: 1, call: 0 },
  );
  assert.equal(
    resolveTextRef(big, { kind: "span", spanId: "chat", path: ["attributes", "note"] }),
    huge,
  );
  assert.equal(resolveTextRef(big, { kind: "span", spanId: "nope", path: ["inputs"] }), undefined);
  assert.equal(resolveTextRef(big, { kind: "turn", turn: 99 }), undefined);
  assert.equal(decodeTextRef("not json"), undefined);
});

test("a long text's head: its first 40 lines, or its first 4,000 characters", () => {
  const lines = Array.from({ length: 100 }, (_, i) => `line ${String(i)}`).join("\n");
  const head = textHead(lines);
  assert.equal(head.head.split("\n").length, COLLAPSED_LINES);
  assert.equal(head.hiddenLines, 60);
  assert.deepEqual(textHead("short\ntext"), {
    head: "short\ntext",
    hiddenLines: 0,
    hiddenChars: 0,
  });
  const wide = textHead("y".repeat(10_000));
  assert.equal(wide.head.length, COLLAPSED_CHARS);
  assert.equal(wide.hiddenChars, 6000);
});

test("a pretty value is bounded in entries, nodes and depth", () => {
  const ref = (path: (string | number)[]): TextRef => ({ kind: "expectations", path });
  const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${String(i)}`, i]));
  const html = renderValue(wide, ref);
  assert.equal(html.split('<div class="kv-row">').length - 1, MAX_ENTRIES);
  assert.match(html, /… 9,950 more keys/);
  const grid = Array.from({ length: 100 }, () => Array.from({ length: 100 }, (_, i) => i));
  assert.ok(renderValue(grid, ref).split('<div class="kv-row">').length - 1 <= 300);
  let deep: unknown = "bottom";
  for (let i = 0; i < 50; i += 1) {
    deep = { d: deep };
  }
  const nested = renderValue(deep, ref);
  assert.match(nested, /\{…\}/);
  assert.ok(!nested.includes("bottom"));
  assert.equal(renderValue([], ref), '<div class="value"><span class="v-lit">[]</span></div>');
});
