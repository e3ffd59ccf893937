// Command palette actions and the (client-side) commands behind the server's code lenses.
// The status bar and lenses follow the server's notifications, not these commands' results.
import * as path from "node:path";
import * as vscode from "vscode";
import type { LanguageClient, RequestType } from "vscode-languageclient/node";
import { outputChannel } from "./common/logging";
import { ask } from "./common/requests";
import { pickDataset } from "./datasets";
import { pullFromMlflow } from "./mlflowPull";
import { columnKey } from "./panel/columns";
import { ResultsPanel } from "./panel/resultsPanel";
import {
  LENS_SCORE_COMMAND,
  LENS_SHOW_RESULTS_COMMAND,
  type NoParams,
  type RescoreParams,
  requests,
  type ScorerRef,
  type ScorerSummary,
} from "./protocol";
import type { Session } from "./session";

export function registerCommands(context: vscode.ExtensionContext, session: Session): void {
  const client = () => session.languageClient;
  const needClient = (): LanguageClient | undefined => {
    const running = client();
    if (!running) {
      void vscode.window.showWarningMessage(
        "The ScoreLens server is not running; see ScoreLens: Show Log.",
      );
    }
    return running;
  };
  const needTrust = () => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(
        "ScoreLens runs no code in an untrusted workspace. Trust it to score and generate.",
      );
    }
    return vscode.workspace.isTrusted;
  };
  const register = (id: string, handler: (...args: never[]) => unknown) => {
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  };

  register(LENS_SCORE_COMMAND, async (target: RescoreParams) => {
    const running = needClient();
    if (running && needTrust()) {
      await ask(running, requests.rescore, target, "scoring");
    }
  });
  register(LENS_SHOW_RESULTS_COMMAND, (ref: ScorerRef) =>
    ResultsPanel.show(context.extensionUri, client, columnKey(ref)),
  );
  register("scorelens.showResults", () => ResultsPanel.show(context.extensionUri, client));
  register("scorelens.rescoreAll", async () => {
    const running = needClient();
    if (!running || !needTrust()) {
      return;
    }
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: "ScoreLens: re-scoring every scorer",
        cancellable: true,
      },
      (_progress, token) => ask(running, requests.rescore, {}, "Re-score All", token),
    );
    if (result !== undefined) {
      void vscode.window.showInformationMessage(rescoredMessage(result.scorers));
    }
  });
  register("scorelens.showLog", () => {
    outputChannel().show();
  });
  register("scorelens.restartServer", () => session.restart("asked by the user"));

  register("scorelens.selectTraceSet", async () => {
    const running = needClient();
    if (!running) {
      return;
    }
    const listed = await ask(running, requests.listRuns, {}, "listing trace sets");
    if (listed === undefined) {
      return;
    }
    type Pick = vscode.QuickPickItem & { runId: string | null };
    const picks: Pick[] = [
      {
        label: "$(list-flat) All traces",
        description: listed.active.runId === null ? "active" : "",
        runId: null,
      },
      ...listed.runs.map((run) => ({
        label: `$(history) ${run.name}`,
        description:
          `${String(run.traceCount)} traces · ${new Date(run.startTime).toLocaleString()}` +
          // An unfinished run (FAILED, KILLED, still RUNNING) may hold only some of its rows.
          (run.status === "FINISHED" ? "" : ` · ${run.status}`),
        detail: `run ${run.runId}${run.runId === listed.active.runId ? " · active" : ""}`,
        runId: run.runId,
      })),
    ];
    const choice = await vscode.window.showQuickPick(picks, {
      title: "ScoreLens: Select Trace Set",
      placeHolder: "Scorers run on the traces of this set",
    });
    if (choice) {
      await ask(running, requests.selectTraceSet, { runId: choice.runId }, "selecting traces");
    }
  });

  // What a clear forgets cannot come back without running scorers (or models) again: ask first.
  const clearAfterConfirming = async (
    question: string,
    action: string,
    request: RequestType<NoParams, { cleared: number }, void>,
    done: (cleared: number) => string,
  ) => {
    const running = needClient();
    if (!running) {
      return;
    }
    const confirm = await vscode.window.showWarningMessage(question, { modal: true }, action);
    if (confirm) {
      const result = await ask(running, request, {}, action);
      if (result !== undefined) {
        void vscode.window.showInformationMessage(`ScoreLens: ${done(result.cleared)}`);
      }
    }
  };
  register("scorelens.clearResults", () =>
    clearAfterConfirming(
      "Forget every stored scorer result? Traces are kept.",
      "Clear Results",
      requests.clearResults,
      (cleared) => `cleared results of ${String(cleared)} scorer versions.`,
    ),
  );
  register("scorelens.clearJudgeCache", () =>
    clearAfterConfirming(
      "Forget every cached model answer? Scorers that call a model will call it again.",
      "Clear Judge Cache",
      requests.clearJudgeCache,
      (cleared) =>
        `forgot ${String(cleared)} cached model answer${cleared === 1 ? "" : "s"}; ` +
        "stored results are kept.",
    ),
  );

  register("scorelens.pullFromMlflow", async () => {
    const running = needClient();
    if (running) {
      await pullFromMlflow(context.workspaceState, running);
    }
  });
  register("scorelens.generateTraces", async () => {
    const running = needClient();
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!running || !folder || !needTrust()) {
      return;
    }
    const dataset = await pickDataset(folder);
    if (!dataset) {
      return;
    }
    const listed = await ask(running, requests.listApps, {}, "listing apps");
    if (listed === undefined) {
      return;
    }
    if (listed.apps.length === 0) {
      void vscode.window.showWarningMessage(
        "ScoreLens found no @trace function in this workspace to run. Decorate your app's " +
          "entry function with @scorelens.trace (or @mlflow.trace), save, and try again.",
      );
      return;
    }
    const app = await vscode.window.showQuickPick(
      listed.apps.map((a) => ({ label: a.name, description: a.reference, reference: a.reference })),
      { title: "ScoreLens: Generate Traces (2/2): which app function answers each row?" },
    );
    if (!app) {
      return;
    }
    const relative = path.relative(folder.uri.fsPath, dataset.fsPath);
    const shown = relative.startsWith("..") ? dataset.fsPath : relative;
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `ScoreLens: running ${app.label} on ${shown}`,
        cancellable: true,
      },
      (_progress, token) =>
        ask(
          running,
          requests.generateTraces,
          { dataset: dataset.fsPath, app: app.reference },
          "Generate Traces",
          token,
        ),
    );
    if (result === undefined) {
      return;
    }
    const failed = result.failed > 0 ? `, ${String(result.failed)} of them failed` : "";
    const message = `ScoreLens: ${String(result.traceCount)} traces generated from ${shown}${failed}.`;
    if (result.failed > 0) {
      void vscode.window.showWarningMessage(message);
    } else {
      void vscode.window.showInformationMessage(message);
    }
  });
}

function rescoredMessage(scorers: ScorerSummary[]): string {
  if (scorers.length === 0) {
    return "ScoreLens: no @scorer functions found to re-score.";
  }
  const files = new Set(scorers.map((s) => s.uri)).size;
  const traces = Math.max(...scorers.map((s) => s.total));
  const errors = scorers.filter((s) => s.errors > 0 || s.message !== null).length;
  const failing = errors > 0 ? `; ${String(errors)} with errors` : "";
  return (
    `ScoreLens: re-scored ${String(scorers.length)} scorers in ${String(files)} ` +
    `file${files === 1 ? "" : "s"} on ${String(traces)} traces${failing}.`
  );
}
