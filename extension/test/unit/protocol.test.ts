// The TypeScript protocol must mirror server/scorelens/lsp/protocol.py: same methods, same types,
// same fields. (tests/test_protocol_mirror.py checks the same from the Python side.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as protocol from "../../src/protocol";

const extensionRoot = join(__dirname, "..", "..", "..");
const pythonFile = join(extensionRoot, "..", "server", "scorelens", "lsp", "protocol.py");
const lensesFile = join(extensionRoot, "..", "server", "scorelens", "lsp", "lenses.py");
const typescriptFile = join(extensionRoot, "src", "protocol.ts");

// Interfaces that describe the trace JSON (documented in scorelens/entities/trace.py), which
// the Python protocol passes as a plain dict.
const TRACE_SCHEMA = new Set(["TraceData", "SpanData", "AssessmentData"]);

function pythonTypes(source: string): Map<string, string[]> {
  const types = new Map<string, string[]>();
  const blocks = source.split(/^class /m).slice(1);
  for (const block of blocks) {
    const name = /^(\w+)\(TypedDict/.exec(block)?.[1];
    if (name === undefined) {
      continue;
    }
    const fields = [...block.matchAll(/^ {4}(\w+): /gm)].map((m) => m[1]);
    types.set(name, fields);
  }
  return types;
}

function typescriptTypes(source: string): Map<string, string[]> {
  const types = new Map<string, string[]>();
  for (const match of source.matchAll(/^export interface (\w+) \{\n([\s\S]*?)^\}/gm)) {
    const fields = [...match[2].matchAll(/^ {2}(\w+)\??: /gm)].map((m) => m[1]);
    types.set(match[1], fields);
  }
  return types;
}

function constants(source: string, pattern: RegExp): Map<string, string> {
  return new Map([...source.matchAll(pattern)].map((m) => [m[1], m[2]]));
}

const python = readFileSync(pythonFile, "utf8");
const typescript = readFileSync(typescriptFile, "utf8");

test("every method name is declared on both sides with the same value", () => {
  const fromPython = constants(python, /^([A-Z_]+) = "(scorelens\/\w+)"$/gm);
  const fromTypescript = constants(typescript, /^export const ([A-Z_]+) = "(scorelens\/\w+)";$/gm);
  assert.ok(fromPython.size >= 11);
  assert.deepEqual(fromTypescript, fromPython);
});

test("the method lists match the declared constants", () => {
  const values = [...constants(python, /^([A-Z_]+) = "(scorelens\/\w+)"$/gm).values()];
  assert.deepEqual([...protocol.REQUESTS, ...protocol.NOTIFICATIONS].sort(), values.slice().sort());
});

test("every payload type has the same fields on both sides", () => {
  const fromPython = pythonTypes(python);
  const fromTypescript = typescriptTypes(typescript);
  assert.ok(fromPython.size >= 20);
  for (const [name, fields] of fromPython) {
    assert.deepEqual(fromTypescript.get(name), fields, `interface ${name}`);
  }
  const extra = [...fromTypescript.keys()].filter(
    (n) => !fromPython.has(n) && !TRACE_SCHEMA.has(n),
  );
  assert.deepEqual(extra, []);
});

test("lens command ids match the server's", () => {
  const lenses = readFileSync(lensesFile, "utf8");
  for (const name of [
    "LENS_SCORE_COMMAND",
    "LENS_SHOW_RESULTS_COMMAND",
    "LENS_GENERATE_COMMAND",
  ] as const) {
    assert.match(lenses, new RegExp(`^${name} = "${protocol[name]}"$`, "m"), name);
  }
});

test("every method has one typed declaration, and nothing else is declared", () => {
  const requestMethods = Object.values(protocol.requests).map((r) => r.method);
  assert.deepEqual(requestMethods.slice().sort(), [...protocol.REQUESTS].sort());
  const notificationMethods = Object.values(protocol.notifications).map((n) => n.method);
  assert.deepEqual(notificationMethods.slice().sort(), [...protocol.NOTIFICATIONS].sort());
});
