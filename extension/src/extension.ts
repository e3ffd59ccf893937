// Entry point: wires the session, status bar, commands and panel together. Logic lives elsewhere.
import * as vscode from "vscode";
import { outputChannel } from "./common/logging";
import { registerCommands } from "./commands";
import { ResultsPanel } from "./panel/resultsPanel";
import { Session } from "./session";
import { TraceSetStatus } from "./status";

let session: Session | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(outputChannel());
  const status = new TraceSetStatus();
  const running = new Session(context, {
    onStatus: (params) => {
      status.showStatus(params);
      ResultsPanel.followStatus(params);
    },
    onScoresChanged: (change) => {
      ResultsPanel.followScores(change);
    },
    onStopped: (reason) => {
      status.showProblem(reason);
    },
  });
  session = running;
  context.subscriptions.push(status, running);
  registerCommands(context, running);
  context.subscriptions.push(
    ResultsPanel.registerSerializer(context.extensionUri, () => running.languageClient),
  );
  await running.start();
}

export async function deactivate(): Promise<void> {
  await session?.stop();
}
