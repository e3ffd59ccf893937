// Runs real interpreters: the repository's .venv (which has scorelens; scripts/test.sh and CI
// make it first) and a bare python3 call of a missing one.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { checkScorelens, compareVersions } from "../../src/common/scorelensCheck";

const repoPython = join(__dirname, "..", "..", "..", "..", ".venv", "bin", "python");

test("versions compare numerically", () => {
  assert.ok(compareVersions("0.10.0", "0.9.1") > 0);
  assert.equal(compareVersions("1.2", "1.2.0"), 0);
  assert.ok(compareVersions("0.0.9", "0.1.0") < 0);
});

test("an interpreter with scorelens passes", async () => {
  assert.ok(
    existsSync(repoPython),
    `${repoPython} is missing: run scripts/setup-python.sh dev from the repository first`,
  );
  const check = await checkScorelens(repoPython);
  assert.equal(check.ok, true, check.problem);
  assert.match(check.version ?? "", /^\d+\.\d+\.\d+/);
});

test("an interpreter without scorelens says why", async () => {
  const check = await checkScorelens("python3", ["-I", "-S"]);
  assert.equal(check.ok, false);
  assert.match(check.problem ?? "", /No module named 'scorelens'/);
});

test("a missing interpreter says why", async () => {
  const check = await checkScorelens("/nonexistent/python");
  assert.equal(check.ok, false);
  assert.match(check.problem ?? "", /ENOENT/);
});
