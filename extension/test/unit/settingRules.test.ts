import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  chooseInterpreter,
  effectiveValue,
  RESTRICTED_IN_UNTRUSTED,
} from "../../src/common/settingRules";

const extensionRoot = join(__dirname, "..", "..", "..");

test("a trusted workspace's own values win, the most specific first", () => {
  const python = { defaultValue: "", globalValue: "/usr/bin/python3", workspaceValue: "./evil" };
  assert.equal(effectiveValue(python, "", true, true), "./evil");
  assert.equal(
    effectiveValue({ ...python, workspaceFolderValue: "./folder" }, "", true, true),
    "./folder",
  );
});

test("an untrusted workspace cannot choose a program or a path", () => {
  const python = { defaultValue: "", globalValue: "/usr/bin/python3", workspaceValue: "./evil" };
  assert.equal(effectiveValue(python, "", false, true), "/usr/bin/python3");
  const store = { defaultValue: "", workspaceFolderValue: "/home/me/.ssh" };
  assert.equal(effectiveValue(store, "", false, true), "");
  // Settings that name nothing that runs or is written keep the workspace's value.
  assert.equal(effectiveValue({ defaultValue: 30, workspaceValue: 5 }, 30, false, false), 5);
  assert.equal(effectiveValue(undefined, 30, false, true), 30);
});

interface Manifest {
  capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
  contributes: {
    configuration: { properties: Record<string, { default?: unknown } | undefined> };
  };
}
const manifest = JSON.parse(readFileSync(join(extensionRoot, "package.json"), "utf8")) as Manifest;

test("the restricted settings are declared to VS Code as restricted too", () => {
  assert.deepEqual(
    manifest.capabilities.untrustedWorkspaces.restrictedConfigurations,
    RESTRICTED_IN_UNTRUSTED.map((key) => `scorelens.${key}`),
  );
});

test("an untrusted workspace's own virtualenv is not run", () => {
  const folders = ["/work/project"];
  const shipped = "/work/project/.venv/bin/python";
  assert.equal(chooseInterpreter("", shipped, folders, true), shipped);
  assert.equal(chooseInterpreter("", shipped, folders, false), "python3");
  assert.equal(
    chooseInterpreter("", "/usr/local/bin/python3.12", folders, false),
    "/usr/local/bin/python3.12",
  );
  assert.equal(
    chooseInterpreter("", "/work/project-other/bin/python", folders, false),
    "/work/project-other/bin/python",
  );
  assert.equal(
    chooseInterpreter(" /opt/py/bin/python ", shipped, folders, false),
    "/opt/py/bin/python",
  );
  assert.equal(chooseInterpreter("", undefined, folders, false), "python3");
});

// The server pulls the "scorelens" section itself (workspace/configuration); a setting it reads
// that the manifest lacks can only be set by hand, and one the manifest offers that it ignores
// does nothing.
test("the settings the server reads are the ones the extension contributes", () => {
  const serverSettings = readFileSync(
    join(extensionRoot, "..", "server", "scorelens", "lsp", "settings.py"),
    "utf8",
  );
  const read = new Set(
    Array.from(serverSettings.matchAll(/values(?:\.get\(|\[)"(\w+)"/g), (m) => m[1]),
  );
  read.delete("trusted"); // the editor's trust, sent at start (initializationOptions)
  const contributed = Object.keys(manifest.contributes.configuration.properties).map((key) =>
    key.replace(/^scorelens\./, ""),
  );
  assert.deepEqual([...read].sort(), contributed.sort());
  // Unset must reach the server as null, its own default (SCORELENS_MAX_WORKERS, else 10): a
  // number here would always win over the environment.
  const { properties } = manifest.contributes.configuration;
  assert.equal(properties["scorelens.maxWorkers"]?.default, null);
});
