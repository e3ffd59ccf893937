// Which Python runs the server: the scorelens.python setting, else the Python extension's
// selected interpreter, else python3 (the rules are in settingRules.ts).
import * as vscode from "vscode";
import { chooseInterpreter } from "./settingRules";
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
  const configured = readSettings(resource).python;
  if (configured.trim() !== "") {
    return chooseInterpreter(configured, undefined, [], vscode.workspace.isTrusted);
  }
  const api = await pythonExtensionApi();
  const selected = api?.environments?.getActiveEnvironmentPath(resource).path;
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  return chooseInterpreter("", selected, folders, vscode.workspace.isTrusted);
}

/** Calls `listener` when the Python extension's selected interpreter changes. */
export async function onInterpreterChange(listener: () => void): Promise<vscode.Disposable> {
  const api = await pythonExtensionApi();
  const event = api?.environments?.onDidChangeActiveEnvironmentPath;
  return event ? event(listener) : new vscode.Disposable(() => undefined);
}
