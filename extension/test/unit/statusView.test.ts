import assert from "node:assert/strict";
import { test } from "node:test";
import { problemView, statusView } from "../../src/statusView";

const traceSet = { runId: "a808f3f6e1b24c", traceCount: 1000 };

test("ready shows the active trace set and its size", () => {
  const view = statusView({ state: "ready", message: "ready", traceSet });
  assert.equal(view.text, "$(beaker) run a808f3f6 · 1000 traces");
  assert.equal(view.warning, false);
  const all = statusView({
    state: "ready",
    message: "ready",
    traceSet: { ...traceSet, runId: null },
  });
  assert.equal(all.text, "$(beaker) all traces · 1000 traces");
});

test("running spins in place of the beaker and says what runs in the tooltip", () => {
  const view = statusView({ state: "running", message: "scoring scorers.py", traceSet });
  assert.equal(view.text, "$(sync~spin) run a808f3f6 · 1000 traces");
  assert.match(view.tooltip, /scoring scorers\.py/);
  assert.equal(view.warning, false);
});

test("an error warns, with the server's message as the tooltip", () => {
  const view = statusView({ state: "error", message: "the worker could not start", traceSet });
  assert.deepEqual(view, problemView("the worker could not start"));
  assert.equal(view.text, "$(warning) ScoreLens");
  assert.equal(view.tooltip, "the worker could not start");
  assert.equal(view.warning, true);
});
