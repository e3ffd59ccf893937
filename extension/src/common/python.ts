// Which Python runs the server: the scorelens.python setting, else the Python extension's
// selected interpreter, else python3.
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
