import assert from "node:assert/strict";
import { test } from "node:test";
import { columnKey, columnLabel } from "../../src/panel/columns";
import { initialQuery } from "../../src/panel/state";
import type { ResultRowsResult, ScorerSummary } from "../../src/protocol";
import { escapeHtml, formatValue, renderTable } from "../../src/webview/render";

// How the server keys a column: one scorer of one file.
const key = (name: string) => `file:///w/scorers.py#${name}`;

const HOSTILE = `<img src=x onerror="alert('x')"><script>alert(1)</script> & done`;

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
    agreement: null,
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
          feedbackName: "ok",
          value: true,
          rationale: HOSTILE,
          error: null,
          previous: false,
          previousError: null,
          changed: true,
          label: null,
          agrees: null,
          flipped: false,
        },
        [key("length")]: {
          feedbackName: "length",
          value: 12.5,
          rationale: null,
          error: null,
          previous: null,
          previousError: "ZeroDivisionError: division by zero",
          changed: true,
          label: null,
          agrees: null,
          flipped: false,
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
          feedbackName: "ok",
          value: false,
          rationale: null,
          error: null,
          previous: null,
          previousError: null,
          changed: false,
          label: null,
          agrees: null,
          flipped: false,
        },
        [key("length")]: {
          feedbackName: "length",
          value: null,
          rationale: null,
          error: "KeyError: '<x>'",
          previous: null,
          previousError: null,
          changed: false,
          label: null,
          agrees: null,
          flipped: false,
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
  assert.match(html, /<td class="pass" data-col="0"><span class="changed">fail → <\/span>pass/);
  assert.match(html, /<td class="fail" data-col="0">fail/);
  assert.match(html, /<td class="error" data-col="1">error/);
  assert.match(
    html,
    /aria-sort="descending" data-col="1"><button class="sort" data-sort="file:\/\/\/w\/scorers\.py#length">length ▼/,
  );
  assert.match(html, /1\/1 pass · 1 errors/);
  assert.match(html, /mean 12\.5/);
  assert.match(html, /data-page="prev" disabled/);
});

test("a value that was an error under the previous version says so", () => {
  const html = renderTable(result, initialQuery());
  assert.match(html, /<td class="" data-col="1"><span class="changed">error → <\/span>12\.5/);
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

test("values are formatted for reading", () => {
  assert.equal(formatValue(null), "–");
  assert.equal(formatValue(true), "pass");
  assert.equal(formatValue(3), "3");
  assert.equal(formatValue(0.125), "0.125");
  assert.equal(formatValue({ a: 1 }), '{"a":1}');
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
  assert.match(html, /<td class="pass" data-col="\d">Yes/);
  assert.match(html, /<td class="fail" data-col="\d">no/);
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
  assert.match(html, /<td class="" data-col="0">1<\/td><td class="" data-col="1">2<\/td>/);
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
