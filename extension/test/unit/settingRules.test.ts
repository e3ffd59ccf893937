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

test("the restricted settings are declared to VS Code as restricted too", () => {
  const manifest = JSON.parse(readFileSync(join(extensionRoot, "package.json"), "utf8")) as {
    capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
  };
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
