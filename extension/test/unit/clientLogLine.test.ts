import assert from "node:assert/strict";
import { test } from "node:test";
import { classifyClientLine } from "../../src/common/clientLogLine";

test("the language client's lines keep the level they name", () => {
  assert.deepEqual(classifyClientLine("[Error - 2:02:11 AM] Request scorelens/x failed."), {
    level: "error",
    message: "Request scorelens/x failed.",
  });
  assert.deepEqual(classifyClientLine("[Warn  - 10:00:00 PM] slow"), {
    level: "warn",
    message: "slow",
  });
  assert.deepEqual(classifyClientLine("plain text"), { level: "info", message: "plain text" });
});

test("an orderly server exit is not an error, a crash is", () => {
  assert.equal(
    classifyClientLine("[Error - 2:02:11 AM] Server process exited with code 0.").level,
    "info",
  );
  assert.equal(
    classifyClientLine("[Error - 2:02:11 AM] Server process exited with code 1.").level,
    "error",
  );
  assert.equal(
    classifyClientLine("[Error - 2:02:11 AM] Server process exited with signal SIGSEGV.").level,
    "error",
  );
});
