// Finding the workspace's eval datasets for Generate Traces, and picking one.
import * as path from "node:path";
import * as vscode from "vscode";
import { type DatasetKind, datasetKind, NOT_DATASET_FOLDERS } from "./datasetKind";

const HEAD_BYTES = 2048;
const MAX_CANDIDATES = 500;

export interface Dataset {
  uri: vscode.Uri;
  kind: DatasetKind;
}

export async function findDatasets(folder: vscode.WorkspaceFolder): Promise<Dataset[]> {
  const exclude = `**/{${NOT_DATASET_FOLDERS.join(",")}}/**`;
  const candidates = await vscode.workspace.findFiles(
    new vscode.RelativePattern(folder, "**/*.{json,jsonl,csv}"),
    exclude,
    MAX_CANDIDATES,
  );
  const found: Dataset[] = [];
  for (const uri of candidates) {
    let head = "";
    try {
      const bytes = await vscode.workspace.fs.readFile(uri);
      head = new TextDecoder().decode(bytes.subarray(0, HEAD_BYTES));
    } catch {
      continue; // gone or unreadable: not offered
    }
    const kind = datasetKind(uri.path, head);
    if (kind !== undefined) {
      found.push({ uri, kind });
    }
  }
  return found.sort((a, b) => a.uri.path.localeCompare(b.uri.path));
}

/** A dataset from the workspace, or any file through Browse…; undefined when dismissed. */
export async function pickDataset(folder: vscode.WorkspaceFolder): Promise<vscode.Uri | undefined> {
  const datasets = await findDatasets(folder);
  type Pick = vscode.QuickPickItem & { uri?: vscode.Uri };
  const picks: Pick[] = [
    ...datasets.map((d) => ({
      label: path.relative(folder.uri.fsPath, d.uri.fsPath),
      description: d.kind,
      uri: d.uri,
    })),
    { label: "$(folder-opened) Browse…", description: "any JSON, JSONL or CSV file" },
  ];
  const choice = await vscode.window.showQuickPick(picks, {
    title: "ScoreLens: Generate Traces (1/2): which eval dataset?",
    placeHolder:
      datasets.length > 0
        ? "Each row's inputs are passed to your app once"
        : "No eval dataset found here (a JSON list, JSONL or CSV of rows with inputs): browse",
  });
  if (choice === undefined) {
    return undefined;
  }
  if (choice.uri !== undefined) {
    return choice.uri;
  }
  const files = await vscode.window.showOpenDialog({
    title: "ScoreLens: pick an eval dataset",
    defaultUri: folder.uri,
    canSelectMany: false,
    filters: { "Eval data": ["json", "jsonl", "csv"] },
  });
  return files?.[0];
}
