// The TypeScript protocol must mirror server/scorelens/lsp/protocol.py, compared structurally:
// every method with its params and result types, every type's fields with their types and
// optionality. (tests/test_protocol_mirror.py checks the same from the Python side.) The
// TypeScript side is read by scripts/protocol-shape.mjs, the Python side by the repository's
// .venv running tests/protocol_shape.py; both print the same kind of description.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as protocol from "../../src/protocol";

const extensionRoot = join(__dirname, "..", "..", "..");
const repo = join(extensionRoot, "..");
const typescriptFile = join(extensionRoot, "src", "protocol.ts");
const repoPython = join(repo, ".venv", "bin", "python");

interface Field {
  type: string;
  optional: boolean;
}
interface Description {
  requests: Record<string, { params: string; result: string }>;
  notifications: Record<string, { params: string }>;
  types: Record<string, { fields?: Record<string, Field>; alias?: string }>;
}

function describeTypescript(...files: string[]): Description[] {
  const out = execFileSync("node", [
    join(extensionRoot, "scripts", "protocol-shape.mjs"),
    ...files,
  ]);
  return JSON.parse(out.toString()) as Description[];
}

function describePython(): Description {
  assert.ok(existsSync(repoPython), `${repoPython} is missing: run scripts/setup-python.sh dev`);
  const out = execFileSync(repoPython, [join(repo, "tests", "protocol_shape.py")]);
  return JSON.parse(out.toString()) as Description;
}

const python = describePython();

test("both sides declare the same methods and types, field for field", () => {
  const [typescript] = describeTypescript(typescriptFile);
  assert.deepEqual(typescript, python);
  assert.ok(Object.keys(python.types).length >= 35);
  for (const name of ["TraceData", "SpanData", "AssessmentData", "ScorerSummary"]) {
    assert.ok(name in python.types, name);
  }
});

test("the typed declarations are the ones callers use", () => {
  const methods = Object.values(protocol.requests).map((r) => r.method);
  assert.deepEqual(methods.sort(), Object.keys(python.requests).sort());
  const notified = Object.values(protocol.notifications).map((n) => n.method);
  assert.deepEqual(notified.sort(), Object.keys(python.notifications).sort());
});

test("a drifted field type, optionality or result type is caught", () => {
  const source = readFileSync(typescriptFile, "utf8");
  const drifts: [string, string, (d: Description) => unknown][] = [
    ["  traceCount: number;\n}", "  traceCount: string;\n}", (d) => d.types.TraceSet],
    ["  previous: number | null;\n}", "  previous: number;\n}", (d) => d.types.Aggregate],
    ["  uri?: string; // a scorer", "  uri: string; // a scorer", (d) => d.types.RescoreParams],
    ["  end_time_ns: number | null;", "  end_time_ns: number;", (d) => d.types.SpanData],
    [
      "RequestType<GetTraceParams, GetTraceResult, void>",
      "RequestType<GetTraceParams, TraceData, void>",
      (d) => d.requests["scorelens/getTrace"],
    ],
  ];
  const folder = mkdtempSync(join(tmpdir(), "scorelens-protocol-"));
  const files = drifts.map(([before, after], index) => {
    assert.ok(source.includes(before), before);
    const file = join(folder, `drift${String(index)}.ts`);
    writeFileSync(file, source.replace(before, after));
    return file;
  });
  describeTypescript(...files).forEach((drifted, index) => {
    const [, , part] = drifts[index];
    assert.notDeepEqual(part(drifted), part(python), drifts[index][1]);
  });
});

test("lens command ids match the server's", () => {
  const lenses = readFileSync(join(repo, "server", "scorelens", "lsp", "lenses.py"), "utf8");
  for (const name of [
    "LENS_SCORE_COMMAND",
    "LENS_SHOW_RESULTS_COMMAND",
    "LENS_GENERATE_COMMAND",
  ] as const) {
    assert.match(lenses, new RegExp(`^${name} = "${protocol[name]}"$`, "m"), name);
  }
});
