// Telling an eval dataset from any other JSON or CSV file by its start. Pure, so it is unit-tested.

export type DatasetKind = "JSON list" | "JSONL" | "CSV";

/** What kind of eval dataset a file is, from its name and first bytes; undefined: not one. */
export function datasetKind(fileName: string, head: string): DatasetKind | undefined {
  const lower = fileName.toLowerCase();
  const text = head.replace(/^\uFEFF/, "").trimStart();
  if (lower.endsWith(".csv")) {
    // A header row naming the inputs: `inputs` (JSON) or `inputs.<name>` columns.
    const header = text.split(/\r?\n/, 1)[0] ?? "";
    return /(^|,)\s*"?inputs(\.|"?\s*(,|$))/.test(header) ? "CSV" : undefined;
  }
  if (lower.endsWith(".jsonl")) {
    return text.startsWith("{") ? "JSONL" : undefined;
  }
  if (lower.endsWith(".json")) {
    return text.startsWith("[") ? "JSON list" : undefined;
  }
  return undefined;
}

// Folders that hold tools' files, never eval data (and the store, which holds JSON of its own).
export const NOT_DATASET_FOLDERS = [
  ".scorelens",
  "node_modules",
  ".venv",
  "venv",
  ".git",
  ".vscode",
  "__pycache__",
  "dist",
  "build",
  "out",
];
