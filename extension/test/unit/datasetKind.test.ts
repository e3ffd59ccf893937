import assert from "node:assert/strict";
import { test } from "node:test";
import { datasetKind } from "../../src/datasetKind";

test("eval datasets are told from other JSON and CSV files by how they start", () => {
  assert.equal(datasetKind("data/seed.json", '\n  [{"inputs": {}}]'), "JSON list");
  assert.equal(datasetKind("support.jsonl", '{"inputs": {"q": 1}}\n{"inputs": {}}'), "JSONL");
  assert.equal(datasetKind("rows.csv", 'inputs,expectations\n"{}","{}"'), "CSV");
  assert.equal(datasetKind("rows.CSV", "id,inputs.question,inputs.context\n1,a,b"), "CSV");
  assert.equal(datasetKind("bom.json", "\uFEFF[]"), "JSON list");
  // Configuration and other data that is not a list of rows with inputs.
  assert.equal(datasetKind("package.json", '{"name": "x"}'), undefined);
  assert.equal(datasetKind("tsconfig.json", "{}"), undefined);
  assert.equal(datasetKind("prices.csv", "item,price\nmicrowave,89"), undefined);
  assert.equal(datasetKind("notes.txt", "[]"), undefined);
});
