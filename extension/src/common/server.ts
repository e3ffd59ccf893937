// Starting and stopping the ScoreLens language server for this window.
import * as vscode from "vscode";
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import { clientOutputChannel } from "./clientOutput";
import { outputChannel } from "./logging";
import { readSettings } from "./settings";

/** `cwd`: a folder of our own (see processFolder.ts); the workspace comes as the root URI. */
export function createClient(
  python: string,
  workspace: vscode.WorkspaceFolder,
  cwd: string,
): LanguageClient {
  const settings = readSettings(workspace.uri);
  const serverOptions: ServerOptions = {
    command: python,
    args: ["-m", "scorelens.lsp"],
    transport: TransportKind.stdio,
    options: { cwd },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "python" }],
    workspaceFolder: workspace,
    outputChannel: clientOutputChannel(outputChannel()),
    initializationOptions: {
      trackingUri: settings.trackingUri,
      scorerTimeoutSeconds: settings.scorerTimeoutSeconds,
      rescoreOnSave: settings.rescoreOnSave,
      trusted: vscode.workspace.isTrusted,
      python,
    },
    synchronize: {
      fileEvents: [
        vscode.workspace.createFileSystemWatcher("**/*.py"),
        vscode.workspace.createFileSystemWatcher("**/.scorelens/index.json"),
        // People's labels written elsewhere (the CLI, a notebook): the agreement changes.
        vscode.workspace.createFileSystemWatcher("**/.scorelens/assessments/*.json"),
      ],
    },
  };
  return new LanguageClient("scorelens", "ScoreLens", serverOptions, clientOptions);
}
