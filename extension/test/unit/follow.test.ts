import assert from "node:assert/strict";
import { test } from "node:test";
import { drawsRows, rowsAfterScores, rowsAfterStatus } from "../../src/panel/follow";
import type { StatusParams } from "../../src/protocol";

const length = { uri: "file:///w/scorers.py", name: "response_length" };
const added = { uri: "file:///w/scorers.py", name: "tone" };

function status(state: StatusParams["state"], runId: string | null = "run1", traceCount = 1000) {
  return { state, message: state, traceSet: { runId, traceCount } };
}

test("a run that changed no figure asks for nothing", () => {
  assert.equal(rowsAfterScores(false, []), false);
});

test("a changed column, or a scorer the panel has no column for yet, asks for rows", () => {
  assert.equal(rowsAfterScores(false, [length]), true);
  assert.equal(rowsAfterScores(false, [added]), true);
});

test("rows already on their way hold the change: no second request", () => {
  assert.equal(rowsAfterScores(true, [length]), false);
  assert.equal(rowsAfterStatus(true, status("ready"), status("ready", "run2")), false);
});

test("a run starting or ending leaves the rows to its scoresChanged", () => {
  assert.equal(rowsAfterStatus(false, status("ready"), status("running")), false);
  assert.equal(rowsAfterStatus(false, status("running"), status("ready")), false);
});

test("another trace set, cleared results or a (re)started server ask for rows", () => {
  assert.equal(rowsAfterStatus(false, status("ready"), status("ready", "run2")), true);
  assert.equal(rowsAfterStatus(false, status("running"), status("ready", "run2")), true);
  assert.equal(rowsAfterStatus(false, status("running"), status("ready", "run1", 1056)), true);
  // Clear Results: the same set, ready again with no run in between.
  assert.equal(rowsAfterStatus(false, status("ready"), status("ready")), true);
  assert.equal(rowsAfterStatus(false, undefined, status("ready")), true);
  assert.equal(rowsAfterStatus(false, status("error"), status("ready")), true);
});

test("rows that follow the server leave an open trace; rows the user asked for replace it", () => {
  assert.equal(drawsRows(true, true), false);
  assert.equal(drawsRows(true, false), true);
  assert.equal(drawsRows(false, true), true);
  assert.equal(drawsRows(false, false), true);
});
