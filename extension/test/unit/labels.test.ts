import assert from "node:assert/strict";
import { test } from "node:test";
import { agreementText, labelKeyAction, labelText, parseLabelValue } from "../../src/panel/labels";
import { initialQuery, restoredQuery } from "../../src/panel/state";
import type { Cell, ResultRowsResult, ScorerResult, ScorerSummary } from "../../src/protocol";
import { renderTable } from "../../src/webview/render";
import { renderLabelControl } from "../../src/webview/labelControl";

const HOSTILE = `<script>alert(1)</script>"'&`;

function column(name: string, verdicts: boolean): ScorerSummary {
  return {
    uri: "file:///w/scorers.py",
    name,
    line: 3,
    hash: "abc",
    state: "scored",
    scored: 3,
    total: 3,
    errors: 0,
    passed: verdicts ? 2 : null,
    failed: verdicts ? 1 : null,
    aggregates: verdicts ? [] : [{ name: "mean", value: 4, previous: null }],
    message: null,
    stale: false,
    judge: null,
    agreement: null,
  };
}

function cell(value: unknown, extra: Partial<Cell> = {}): Cell {
  return {
    feedbackName: "is_polite",
    value,
    rationale: null,
    error: null,
    previous: null,
    previousError: null,
    changed: false,
    label: null,
    agrees: null,
    flipped: false,
    ...extra,
  };
}

test("p and f label a pass/fail scorer; on a scorer of values they ask for the value", () => {
  const polite = column("is_polite", true);
  assert.deepEqual(labelKeyAction("p", polite, cell(false)), { kind: "set", value: true });
  assert.deepEqual(labelKeyAction("f", polite, cell(true)), { kind: "set", value: false });
  const length = column("length", false);
  assert.deepEqual(labelKeyAction("p", length, cell(12)), { kind: "askValue", current: 12 });
  const labelled = cell(12, { label: { value: 10, unsure: false, note: null, user: "ana" } });
  assert.deepEqual(labelKeyAction("=", length, labelled), { kind: "askValue", current: 10 });
});

test("u abstains, Delete and Backspace clear, n asks for a note, other keys do nothing", () => {
  const polite = column("is_polite", true);
  const label = { value: true, unsure: false, note: "kind", user: "ana" };
  assert.deepEqual(labelKeyAction("u", polite, cell(true)), { kind: "unsure" });
  assert.deepEqual(labelKeyAction("Delete", polite, cell(true)), { kind: "clear" });
  assert.deepEqual(labelKeyAction("Backspace", polite, undefined), { kind: "clear" });
  assert.deepEqual(labelKeyAction("n", polite, cell(true, { label })), { kind: "askNote", label });
  assert.deepEqual(labelKeyAction("n", polite, cell(true)), { kind: "askNote", label: null });
  assert.equal(labelKeyAction("x", polite, cell(true)), undefined);
  assert.equal(labelKeyAction("P", polite, cell(true)), undefined);
});

test("typed values: pass/fail words, numbers, else text", () => {
  assert.equal(parseLabelValue(" pass "), true);
  assert.equal(parseLabelValue("FAIL"), false);
  assert.equal(parseLabelValue("12.5"), 12.5);
  assert.equal(parseLabelValue("-3"), -3);
  assert.equal(parseLabelValue("Paris"), "Paris");
  assert.equal(parseLabelValue("1e400"), "1e400"); // not a finite number
});

test("agreement reads as the lens says it, with the change since the previous version", () => {
  const base = { agree: 18, total: 20, abstained: 1, disagreeing: ["t1", "t2"] };
  assert.equal(agreementText({ ...base, previousAgree: null }), "labels 18/20 agree");
  assert.equal(agreementText({ ...base, previousAgree: 15 }), "labels 18/20 agree (▲3)");
  assert.equal(agreementText({ ...base, previousAgree: 19 }), "labels 18/20 agree (▼1)");
  assert.equal(agreementText({ ...base, previousAgree: 18 }), "labels 18/20 agree (=)");
  assert.equal(labelText({ value: false, unsure: false, note: null, user: "a" }), "fail");
  assert.equal(labelText({ value: null, unsure: true, note: null, user: "a" }), "unsure");
  assert.equal(labelText({ value: 3, unsure: false, note: null, user: "a" }), "3");
});

test("the table shows labels, agreement, the label filters, and marks the active column", () => {
  const polite = { ...column("is_polite", true) };
  polite.agreement = {
    agree: 1,
    total: 2,
    abstained: 0,
    previousAgree: 0,
    disagreeing: ["tr-2"],
  };
  const key = "file:///w/scorers.py#is_polite";
  const label = (value: boolean, note: string | null = null) => ({
    value,
    unsure: false,
    note,
    user: HOSTILE,
  });
  const result: ResultRowsResult = {
    total: 3,
    offset: 0,
    columns: [polite],
    distributions: {},
    rows: [
      { traceId: "tr-1", inputPreview: "", outputPreview: "", state: "OK", cells: {} },
      { traceId: "tr-2", inputPreview: "", outputPreview: "", state: "OK", cells: {} },
      { traceId: "tr-3", inputPreview: "", outputPreview: "", state: "OK", cells: {} },
    ],
  };
  result.rows[0].cells[key] = cell(true, { label: label(true), agrees: true, flipped: true });
  result.rows[1].cells[key] = cell(true, { label: label(false, HOSTILE), agrees: false });
  result.rows[2].cells[key] = cell(false);
  const html = renderTable(result, initialQuery());
  assert.match(html, /<div class="aggregate agreement">labels 1\/2 agree \(▲1\)<\/div>/);
  assert.match(html, /<span class="label agrees flipped" title="[^"]*">✓ label: pass<\/span>/);
  assert.match(html, /<span class="label disagrees" title="[^"]*">✗ label: fail<\/span>/);
  assert.ok(!html.includes("<script>"), "every text is escaped, in titles too");
  assert.match(html, /data-filter="disagrees"[^>]*>disagrees with label</);
  assert.match(html, /data-filter="unlabelled"[^>]*>unlabelled</);
  assert.equal((html.match(/data-col="0"/g) ?? []).length, 4); // the header and three cells
  // A reloaded panel keeps the label filters.
  const saved = { query: { ...initialQuery(), filter: "disagrees" } };
  assert.equal(restoredQuery(saved).filter, "disagrees");
});

test("the trace view's label control shows the label and the buttons that fit the scorer", () => {
  const result: ScorerResult = {
    uri: "file:///w/scorers.py",
    name: "is_polite",
    feedbackName: "politeness",
    value: "yes",
    rationale: null,
    error: null,
    durationMs: 1,
    judge: [],
    label: { value: false, unsure: false, note: HOSTILE, user: "ana" },
  };
  const html = renderLabelControl(result);
  assert.match(html, /data-scorer="politeness"/, "labels belong to the Feedback's own name");
  assert.match(html, /label: fail <span class="label-user">\(ana\)<\/span>/);
  for (const action of ["pass", "fail", "value", "unsure", "note", "clear"]) {
    assert.match(html, new RegExp(`data-label-action="${action}"`));
  }
  assert.ok(!html.includes("<script>"));
  const numeric = renderLabelControl({ ...result, value: 12, label: null });
  assert.ok(!numeric.includes('data-label-action="pass"'), "no pass/fail for a number");
  assert.ok(!numeric.includes('data-label-action="clear"'), "nothing to clear");
  assert.match(numeric, /not labelled/);
});
