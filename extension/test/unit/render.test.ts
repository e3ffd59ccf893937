import assert from "node:assert/strict";
import { test } from "node:test";
import { columnKey, columnLabel } from "../../src/panel/columns";
import { initialQuery } from "../../src/panel/state";
import type { TraceScores } from "../../src/panel/messages";
import type {
  JudgeCallData,
  ResultRowsResult,
  ScorerResult,
  ScorerSummary,
  TraceData,
} from "../../src/protocol";
import { escapeHtml, formatValue, renderTable, renderTrace } from "../../src/webview/render";

// How the server keys a column: one scorer of one file.
const key = (name: string) => `file:///w/scorers.py#${name}`;

const HOSTILE = `<img src=x onerror="alert('x')"><script>alert(1)</script> & done`;
const NO_SCORES: TraceScores = { ok: true, results: [] };

function column(name: string, passed: number | null): ScorerSummary {
  return {
    uri: "file:///w/scorers.py",
    name,
    line: 3,
    hash: "abc",
    state: "scored",
    scored: 2,
    total: 2,
    errors: 1,
    passed,
    failed: passed === null ? null : 0,
    aggregates: passed === null ? [{ name: "mean", value: 12.5, previous: 10 }] : [],
    message: null,
    stale: false,
    judge: null,
  };
}

const result: ResultRowsResult = {
  total: 2,
  offset: 0,
  columns: [column("ok", 1), column("length", null)],
  distributions: { [key("ok")]: [{ label: "pass", count: 1 }], [key("length")]: [] },
  rows: [
    {
      traceId: "tr-1",
      inputPreview: HOSTILE,
      outputPreview: "<b>bold</b>",
      state: "OK",
      cells: {
        [key("ok")]: {
          value: true,
          rationale: HOSTILE,
          error: null,
          previous: false,
          previousError: null,
          changed: true,
        },
        [key("length")]: {
          value: 12.5,
          rationale: null,
          error: null,
          previous: null,
          previousError: "ZeroDivisionError: division by zero",
          changed: true,
        },
      },
    },
    {
      traceId: "tr-2",
      inputPreview: "q",
      outputPreview: "a",
      state: "OK",
      cells: {
        [key("ok")]: {
          value: false,
          rationale: null,
          error: null,
          previous: null,
          previousError: null,
          changed: false,
        },
        [key("length")]: {
          value: null,
          rationale: null,
          error: "KeyError: '<x>'",
          previous: null,
          previousError: null,
          changed: false,
        },
      },
    },
  ],
};

test("escapeHtml neutralises every markup character", () => {
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
});

test("trace text in the table is shown as text, never as markup", () => {
  const html = renderTable(result, initialQuery());
  assert.ok(!html.includes("<script>"));
  assert.ok(!html.includes("<img"));
  assert.ok(!html.includes("<b>bold"));
  assert.ok(html.includes("&lt;b&gt;bold&lt;/b&gt;"));
  assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert.ok(html.includes("KeyError: &#39;&lt;x&gt;&#39;"));
});

test("booleans are coloured, changes show old and new, headers sort", () => {
  const html = renderTable(result, { ...initialQuery(key("length")), descending: true });
  assert.match(html, /<td class="pass"><span class="changed">fail → <\/span>pass/);
  assert.match(html, /<td class="fail">fail/);
  assert.match(html, /<td class="error">error/);
  assert.match(
    html,
    /aria-sort="descending"><button class="sort" data-sort="file:\/\/\/w\/scorers\.py#length">length ▼/,
  );
  assert.match(html, /1\/1 pass · 1 errors/);
  assert.match(html, /mean 12\.5/);
  assert.match(html, /data-page="prev" disabled/);
});

test("a value that was an error under the previous version says so", () => {
  const html = renderTable(result, initialQuery());
  assert.match(html, /<td class=""><span class="changed">error → <\/span>12\.5/);
});

test("scorer columns come before the input and output previews", () => {
  const html = renderTable(result, initialQuery());
  const header = html.slice(html.indexOf("<thead>"), html.indexOf("</thead>"));
  const order = [
    "trace",
    `data-sort="${key("ok")}"`,
    `data-sort="${key("length")}"`,
    ">input<",
    ">output<",
  ].map((s) => header.indexOf(s));
  assert.ok(
    order.every((at) => at >= 0),
    String(order),
  );
  assert.deepEqual(
    order,
    order.slice().sort((a, b) => a - b),
  );
  const firstRow = html.slice(
    html.indexOf('<tr class="row"'),
    html.indexOf("</tr>", html.indexOf('<tr class="row"')),
  );
  assert.ok(firstRow.indexOf('class="pass"') < firstRow.indexOf('class="preview"'));
});

test("the trace view shows the span tree with escaped inputs and outputs", () => {
  const trace: TraceData = {
    info: {
      trace_id: "tr-1",
      experiment_id: "0",
      run_id: "r",
      request_time: 0,
      execution_duration: 3,
      state: "OK",
      expectations: { expected_facts: ["$89"] },
      tags: {},
    },
    spans: [
      span("root", null, "CHAIN", { q: "hi" }, HOSTILE, {}),
      span("child", "root", "CHAT_MODEL", {}, "<ol><li>x</li></ol>", { total_tokens: 12 }),
    ],
  };
  const html = renderTrace(trace, NO_SCORES);
  assert.ok(!html.includes("<script>") && !html.includes("<ol>"));
  assert.match(html, /CHAIN<\/span> <span class="span-name">root/);
  assert.match(
    html,
    /<ul class="span-children"><li class="span"><details open><summary><span class="span-type">CHAT_MODEL/,
  );
  assert.match(html, /&quot;total_tokens&quot;: 12/);
  assert.match(html, /2\.0 ms/);
  assert.match(html, /\$89/);
});

test("values are formatted for reading", () => {
  assert.equal(formatValue(null), "–");
  assert.equal(formatValue(true), "pass");
  assert.equal(formatValue(3), "3");
  assert.equal(formatValue(0.125), "0.125");
  assert.equal(formatValue({ a: 1 }), '{"a":1}');
});

function span(
  id: string,
  parent: string | null,
  type: string,
  inputs: unknown,
  outputs: unknown,
  attributes: Record<string, unknown>,
): TraceData["spans"][number] {
  return {
    trace_id: "tr-1",
    span_id: id,
    parent_id: parent,
    name: id,
    span_type: type,
    start_time_ns: 1_000_000,
    end_time_ns: 3_000_000,
    status: { code: "OK", message: "" },
    inputs,
    outputs,
    attributes,
    events: [],
  };
}

// A trace of one span, with the given info fields.
function oneSpanTrace(info: Partial<TraceData["info"]> = {}): TraceData {
  return {
    info: {
      trace_id: "tr-1",
      experiment_id: "0",
      run_id: null,
      request_time: 0,
      execution_duration: 1,
      state: "OK",
      expectations: {},
      tags: {},
      ...info,
    },
    spans: [span("root", null, "CHAIN", {}, "a", {})],
  };
}

test("the trace view lists the trace's assessments, escaped", () => {
  const trace = oneSpanTrace({
    assessments: [
      {
        trace_id: "tr-1",
        create_time: "2026-01-01T00:00:00.000Z",
        last_update_time: "2026-01-01T00:00:00.000Z",
        assessment_name: "helpful",
        source: { source_type: "HUMAN", source_id: "ana" },
        feedback: { value: false },
        rationale: HOSTILE,
      },
      {
        trace_id: "tr-1",
        create_time: "2026-01-01T00:00:00.000Z",
        last_update_time: "2026-01-01T00:00:00.000Z",
        assessment_name: "length",
        source: { source_type: "CODE" },
        feedback: { value: null, error: { error_code: "ValueError", error_message: "<bad>" } },
      },
      {
        trace_id: "tr-1",
        create_time: "2026-01-01T00:00:00.000Z",
        last_update_time: "2026-01-01T00:00:00.000Z",
        assessment_name: "expected_facts",
        source: { source_type: "HUMAN" },
        expectation: { serialized_value: { serialization_format: "JSON", value: '["$89"]' } },
      },
    ],
  });
  const html = renderTrace(trace, NO_SCORES);
  assert.ok(!html.includes("<script>") && !html.includes("<img"));
  assert.match(html, /<td>helpful<\/td><td>feedback<\/td><td>fail<\/td><td>HUMAN · ana<\/td>/);
  assert.match(html, /<td>error: ValueError: &lt;bad&gt;<\/td><td>CODE<\/td>/);
  assert.match(html, /<td>expectation<\/td><td>\[&quot;\$89&quot;\]<\/td>/);
  const without = renderTrace({ ...trace, info: { ...trace.info, assessments: [] } }, NO_SCORES);
  assert.ok(!without.includes("Assessments"));
});

test("yes and no verdicts are coloured like booleans", () => {
  const yesNo: ResultRowsResult = {
    ...result,
    rows: [
      {
        ...result.rows[0],
        cells: {
          [key("ok")]: { ...result.rows[0].cells[key("ok")], value: "Yes", changed: false },
          [key("length")]: { ...result.rows[0].cells[key("length")], value: "no", changed: false },
        },
      },
    ],
  };
  const html = renderTable(yesNo, initialQuery());
  assert.match(html, /<td class="pass">Yes/);
  assert.match(html, /<td class="fail">no/);
});

test("two files' scorers of the same name are two columns, told apart by file", () => {
  const other = { ...column("length", null), uri: "file:///w/other%20scorers.py" };
  const twin: ResultRowsResult = {
    ...result,
    columns: [column("length", null), other],
    distributions: {},
    rows: [
      {
        ...result.rows[0],
        cells: {
          [key("length")]: { ...result.rows[0].cells[key("length")], value: 1, changed: false },
          [columnKey(other)]: { ...result.rows[0].cells[key("length")], value: 2, changed: false },
        },
      },
    ],
  };
  const html = renderTable(twin, initialQuery());
  assert.match(html, /length \(scorers\.py\)<\/button>/);
  assert.match(html, /length \(other scorers\.py\)<\/button>/);
  assert.match(html, /<td class="">1<\/td><td class="">2<\/td>/);
  assert.equal(columnLabel(column("ok", 1), [column("ok", 1), column("length", null)]), "ok");
});

test("a column header shows its scorer's model usage in the lens's words", () => {
  const judged: ResultRowsResult = {
    ...result,
    columns: [
      { ...column("ok", 1), judge: { calls: 3, newCalls: 0, tokens: 154, costUsd: 0.000053 } },
      { ...column("length", null), judge: { calls: 1, newCalls: 1, tokens: 18300, costUsd: null } },
    ],
  };
  const html = renderTable(judged, initialQuery());
  assert.match(
    html,
    /<div class="aggregate judge">3 judge calls \(0 new\) · 154 tokens · \$0\.000053<\/div>/,
  );
  assert.match(html, /<div class="aggregate judge">1 judge call \(1 new\) · 18\.3k tokens<\/div>/);
  // A scorer that called no model says nothing about models.
  assert.ok(!renderTable(result, initialQuery()).includes("judge"));
});

function judgeCall(cached: boolean, prompt: string, reply: string): JudgeCallData {
  return {
    model: "gpt-4o-mini",
    inputTokens: cached ? 1234 : null,
    outputTokens: 3,
    latencyMs: cached ? 0.42 : 512.25,
    cached,
    prompt,
    reply,
  };
}

const politeness: ScorerResult = {
  uri: "file:///w/judges.py",
  name: "is_polite",
  value: "yes",
  rationale: HOSTILE,
  error: null,
  durationMs: 513.5,
  judge: [
    judgeCall(true, `Is this polite? ${HOSTILE}`, "yes</pre><b>"),
    judgeCall(false, "second prompt", `no <script>alert(2)</script>`),
  ],
};

const broken: ScorerResult = {
  uri: "file:///w/judges.py",
  name: "parses_json",
  value: null,
  rationale: null,
  error: "JSONDecodeError: <unexpected> & more",
  durationMs: null,
  judge: [],
};

function traceWith(scores: TraceScores): string {
  return renderTrace(oneSpanTrace(), scores);
}

test("the trace view shows each scorer's value, rationale and error, escaped", () => {
  const html = traceWith({ ok: true, results: [politeness, broken] });
  assert.match(html, /<h3>Scorers<\/h3><ul id="scorer-results">/);
  assert.match(
    html,
    /<span class="scorer-name">is_polite<\/span> <span class="pass">yes<\/span> <span class="duration">513\.5 ms<\/span>/,
  );
  assert.match(
    html,
    /<div class="rationale">&lt;img src=x onerror=&quot;alert\(&#39;x&#39;\)&quot;&gt;/,
  );
  assert.match(
    html,
    /<span class="scorer-name">parses_json<\/span> <span class="error">error<\/span><\/div>/,
  );
  assert.match(
    html,
    /<pre class="error-text">JSONDecodeError: &lt;unexpected&gt; &amp; more<\/pre>/,
  );
  // Scorers come before the assessments and the spans.
  assert.ok(html.indexOf("Scorers") < html.indexOf("<h3>Spans"));
});

test("a scorer's model calls say cached or new, with collapsed, escaped prompt and reply", () => {
  const html = traceWith({ ok: true, results: [politeness] });
  const calls = html.split('<li class="judge-call">').slice(1);
  assert.equal(calls.length, 2);
  const [cached, fresh] = calls as [string, string];
  assert.match(
    cached,
    /gpt-4o-mini<\/span> · 1,234 in \/ 3 out tokens · 0\.4 ms · <span class="judge-cached"/,
  );
  assert.match(cached, />cached<\/span>/);
  assert.ok(!cached.includes("judge-new"));
  assert.match(fresh, /\? in \/ 3 out tokens · 512\.3 ms · <span class="judge-new"/);
  assert.match(fresh, />new<\/span>/);
  assert.match(
    cached,
    /<details class="judge-text"><summary>Prompt<\/summary><pre>Is this polite\? &lt;img src=x/,
  );
  assert.match(
    cached,
    /<details class="judge-text"><summary>Reply<\/summary><pre>yes&lt;\/pre&gt;&lt;b&gt;<\/pre><\/details>/,
  );
  assert.match(fresh, /<pre>no &lt;script&gt;alert\(2\)&lt;\/script&gt;<\/pre>/);
  // Collapsed: no <details> in the scorer results is open.
  const scorers = html.slice(html.indexOf("<h3>Scorers"), html.indexOf("<h3>Spans"));
  assert.ok(!scorers.includes("<details open"));
  for (const markup of ["<script>", "<img", "<b>"]) {
    assert.ok(!html.includes(markup), markup);
  }
});

test("the trace view says when no scorer has a result, or when results could not be read", () => {
  assert.match(traceWith(NO_SCORES), /No scorer has a result for this trace yet\./);
  const failed = traceWith({ ok: false, error: "Error: <server> stopped" });
  assert.match(failed, /Could not load the scorers' results: Error: &lt;server&gt; stopped/);
  // The trace itself is still shown.
  assert.match(failed, /<ul id="span-tree">/);
});
