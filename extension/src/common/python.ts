// Which Python runs the server: the scorelens.python setting, else the Python extension's
// selected interpreter, else python3.
import { execFile } from "node:child_process";
import * as vscode from "vscode";
import { readSettings } from "./settings";

interface PythonEnvironmentApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
}

async function pythonExtensionApi(): Promise<PythonEnvironmentApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonEnvironmentApi>("ms-python.python");
  if (extension === undefined) {
    return undefined;
  }
  try {
    return extension.isActive ? extension.exports : await extension.activate();
  } catch {
    return undefined;
  }
}

export async function findInterpreter(resource?: vscode.Uri): Promise<string> {
  const configured = readSettings(resource).python.trim();
  if (configured !== "") {
    return configured;
  }
  const api = await pythonExtensionApi();
  const selected = api?.environments?.getActiveEnvironmentPath(resource).path;
  return selected !== undefined && selected !== "" ? selected : "python3";
}

/** Calls `listener` when the Python extension's selected interpreter changes. */
export async function onInterpreterChange(listener: () => void): Promise<vscode.Disposable> {
  const api = await pythonExtensionApi();
  const event = api?.environments?.onDidChangeActiveEnvironmentPath;
  return event ? event(listener) : new vscode.Disposable(() => undefined);
}

export interface ScorelensCheck {
  ok: boolean;
  version?: string;
  problem?: string;
}

export const MINIMUM_SCORELENS = "0.1.0";

/** Does `python` have a recent enough scorelens package? */
export function checkScorelens(python: string): Promise<ScorelensCheck> {
  return new Promise((resolve) => {
    execFile(
      python,
      ["-c", "import scorelens, sys; print(scorelens.__version__)"],
      { timeout: 30000 },
      (error, stdout, stderr) => {
        if (error) {
          const reason = stderr.trim().split("\n").pop() ?? error.message;
          resolve({ ok: false, problem: reason !== "" ? reason : error.message });
          return;
        }
        const version = stdout.trim();
        if (compareVersions(version, MINIMUM_SCORELENS) < 0) {
          resolve({
            ok: false,
            version,
            problem: `scorelens ${version} is older than ${MINIMUM_SCORELENS}`,
          });
          return;
        }
        resolve({ ok: true, version });
      },
    );
  });
}

export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => v.split(".").map((part) => parseInt(part, 10) || 0);
  const [left, right] = [parse(a), parse(b)];
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) {
      return diff;
    }
  }
  return 0;
}
