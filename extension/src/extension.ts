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
  session = new Session(context, {
    onStatus: (params) => {
      status.showStatus(params);
    },
    onScoresChanged: () => {
      ResultsPanel.refreshIfOpen();
    },
    onStopped: (reason) => {
      status.showProblem(reason);
    },
  });
  context.subscriptions.push(status, session);
  registerCommands(context, session, status);
  await session.start();
}

export async function deactivate(): Promise<void> {
  await session?.stop();
}
