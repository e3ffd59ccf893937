import assert from "node:assert/strict";
import { test } from "node:test";
import { columnKey } from "../../src/panel/columns";
import type { TraceScores } from "../../src/panel/messages";
import type { ScorerResult, SpanData, TraceData } from "../../src/protocol";
import { escapeHtml } from "../../src/webview/render";
import { renderTrace } from "../../src/webview/trace/traceView";
import { HOSTILE, span, trace } from "./traceFixtures";

const NO_SCORES: TraceScores = { ok: true, results: [] };

// A trace of one span, with the given info fields.
function oneSpanTrace(info: Partial<TraceData["info"]> = {}): TraceData {
  return trace([span("root", null, { type: "CHAIN", outputs: "a" })], info);
}

test("the trace view lists the trace's assessments, escaped", () => {
  const withAssessments = oneSpanTrace({
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
  const html = renderTrace(withAssessments, NO_SCORES);
  assert.ok(!html.includes("<script>") && !html.includes("<img"));
  assert.match(html, /<td>helpful<\/td><td>feedback<\/td><td>fail<\/td><td>HUMAN · ana<\/td>/);
  assert.match(html, /<td>error: ValueError: &lt;bad&gt;<\/td><td>CODE<\/td>/);
  assert.match(html, /<td>expectation<\/td><td>\[&quot;\$89&quot;\]<\/td>/);
  const without = renderTrace(
    { ...withAssessments, info: { ...withAssessments.info, assessments: [] } },
    NO_SCORES,
  );
  assert.ok(!without.includes("Assessments"));
});

// A judge span as the server's JudgeCall.to_span writes it.
function judgeCall(cached: boolean, prompt: string, reply: string): SpanData {
  const start = 1_700_000_000_000_000_000;
  return {
    trace_id: "tr-1",
    span_id: cached ? "a1" : "b2",
    parent_id: null,
    name: "Completions",
    span_type: "CHAT_MODEL",
    start_time_ns: start,
    end_time_ns: start + (cached ? 420_000 : 512_250_000),
    status: { code: "OK", message: "" },
    inputs: prompt,
    outputs: reply,
    attributes: {
      "mlflow.spanType": "CHAT_MODEL",
      "mlflow.llm.model": "gpt-4o-mini",
      "scorelens.judge.cached": cached,
      "mlflow.chat.tokenUsage": { input_tokens: cached ? 1234 : null, output_tokens: 3 },
    },
    events: [],
  };
}

const politeness: ScorerResult = {
  uri: "file:///w/judges.py",
  name: "is_polite",
  feedbackName: "is_polite",
  value: "yes",
  rationale: HOSTILE,
  error: null,
  durationMs: 513.5,
  judge: [
    judgeCall(true, `Is this polite? ${HOSTILE}`, "yes</pre><b>"),
    judgeCall(false, "second prompt", `no <script>alert(2)</script>`),
  ],
  label: null,
};

const broken: ScorerResult = {
  uri: "file:///w/judges.py",
  name: "parses_json",
  feedbackName: "parses_json",
  value: null,
  rationale: null,
  error: "JSONDecodeError: <unexpected> & more",
  durationMs: null,
  judge: [],
  label: null,
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
  assert.match(failed, /id="span-tree"/);
});

test("each scorer's block holds its label control, drawn from the scorer's column key", () => {
  // A scorer file whose path would break out of an attribute, were it not escaped.
  const odd: ScorerResult = { ...broken, uri: `file:///w/"><b>x</b>.py` };
  const asked: string[] = [];
  // The caller's contract: the control escapes what it interpolates.
  const labelControl = (scorerKey: string): string => {
    asked.push(scorerKey);
    return `<button class="label" data-scorer="${escapeHtml(scorerKey)}">label</button>`;
  };
  const html = renderTrace(
    oneSpanTrace(),
    { ok: true, results: [politeness, odd] },
    { labelControl },
  );
  assert.deepEqual(asked, [columnKey(politeness), columnKey(odd)]);
  assert.deepEqual(asked, ["file:///w/judges.py#is_polite", `file:///w/"><b>x</b>.py#parses_json`]);
  const blocks = html.split('<li class="scorer-result">').slice(1);
  assert.equal(blocks.length, 2);
  assert.match(
    blocks[0] ?? "",
    /<\/div><div class="label-slot"><button class="label" data-scorer="file:\/\/\/w\/judges\.py#is_polite">label<\/button><\/div>/,
  );
  assert.match(
    blocks[1] ?? "",
    /<div class="label-slot"><button class="label" data-scorer="file:\/\/\/w\/&quot;&gt;&lt;b&gt;x&lt;\/b&gt;\.py#parses_json">/,
  );
  assert.ok(!html.includes("<b>x"));
  // The control sits in its scorer's block, before the scorer's details.
  assert.ok((blocks[1] ?? "").indexOf("label-slot") < (blocks[1] ?? "").indexOf("error-text"));
  // Without a control, no slot.
  assert.ok(!traceWith({ ok: true, results: [politeness] }).includes("label-slot"));
});
