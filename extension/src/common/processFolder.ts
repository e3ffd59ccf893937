// The folder our Python processes start in. Never the workspace: Python puts the starting
// folder first on sys.path for `-m` and `-c`, so a workspace `json.py` (or `scorelens.py`)
// would be imported in place of the real module, even in an untrusted workspace.
import * as fs from "node:fs";
import * as path from "node:path";
import type * as vscode from "vscode";

export async function processFolder(context: vscode.ExtensionContext): Promise<string> {
  const folder = path.join(context.globalStorageUri.fsPath, "processes");
  await fs.promises.mkdir(folder, { recursive: true });
  return folder;
}
