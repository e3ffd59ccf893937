// Command palette actions and the (client-side) commands behind the server's code lenses.
import * as path from "node:path";
import * as vscode from "vscode";
import { outputChannel } from "./common/logging";
import { ResultsPanel } from "./panel/resultsPanel";
import {
  CLEAR_RESULTS,
  type ClearResultsResult,
  GENERATE_TRACES,
  type GenerateTracesResult,
  LENS_SCORE_COMMAND,
  LENS_SHOW_RESULTS_COMMAND,
  LIST_APPS,
  LIST_RUNS,
  type ListAppsResult,
  type ListRunsResult,
  RESCORE,
  type RescoreParams,
  type ScorerRef,
  SELECT_TRACE_SET,
  type TraceSet,
} from "./protocol";
import type { Session } from "./session";
import type { TraceSetStatus } from "./status";

export function registerCommands(
  context: vscode.ExtensionContext,
  session: Session,
  status: TraceSetStatus,
): void {
  const client = () => session.languageClient;
  const needClient = () => {
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
  const rescore = async (params: RescoreParams) => {
    const running = needClient();
    if (running && needTrust()) {
      await running.sendRequest(RESCORE, params);
      ResultsPanel.refreshIfOpen();
    }
  };
  const register = (id: string, handler: (...args: never[]) => unknown) => {
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  };

  register(LENS_SCORE_COMMAND, (ref: ScorerRef) => rescore({ uri: ref.uri, name: ref.name }));
  register(LENS_SHOW_RESULTS_COMMAND, (ref: ScorerRef) =>
    ResultsPanel.show(context.extensionUri, client, ref.name),
  );
  register("scorelens.showResults", () => ResultsPanel.show(context.extensionUri, client));
  register("scorelens.rescoreAll", () => rescore({}));
  register("scorelens.showLog", () => {
    outputChannel().show();
  });
  register("scorelens.restartServer", () => session.restart("asked by the user"));

  register("scorelens.selectTraceSet", async () => {
    const running = needClient();
    if (!running) {
      return;
    }
    const listed = await running.sendRequest<ListRunsResult>(LIST_RUNS);
    type Pick = vscode.QuickPickItem & { runId: string | null };
    const picks: Pick[] = [
      {
        label: "$(list-flat) All traces",
        description: listed.active.runId === null ? "active" : "",
        runId: null,
      },
      ...listed.runs.map((run) => ({
        label: `$(history) ${run.name}`,
        description: `${String(run.traceCount)} traces · ${new Date(run.startTime).toLocaleString()}`,
        detail: `run ${run.runId}${run.runId === listed.active.runId ? " · active" : ""}`,
        runId: run.runId,
      })),
    ];
    const choice = await vscode.window.showQuickPick(picks, {
      title: "ScoreLens: Select Trace Set",
      placeHolder: "Scorers run on the traces of this set",
    });
    if (choice) {
      const selected = await running.sendRequest<TraceSet>(SELECT_TRACE_SET, {
        runId: choice.runId,
      });
      status.showTraceSet(selected);
      ResultsPanel.refreshIfOpen();
    }
  });

  register("scorelens.clearResults", async () => {
    const running = needClient();
    if (!running) {
      return;
    }
    const confirm = await vscode.window.showWarningMessage(
      "Forget every stored scorer result? Traces are kept.",
      { modal: true },
      "Clear Results",
    );
    if (confirm) {
      const result = await running.sendRequest<ClearResultsResult>(CLEAR_RESULTS);
      void vscode.window.showInformationMessage(
        `ScoreLens: cleared results of ${String(result.cleared)} scorer versions.`,
      );
      ResultsPanel.refreshIfOpen();
    }
  });

  register("scorelens.generateTraces", async () => {
    const running = needClient();
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!running || !folder || !needTrust()) {
      return;
    }
    const files = await vscode.window.showOpenDialog({
      title: "ScoreLens: pick an eval dataset",
      defaultUri: folder.uri,
      canSelectMany: false,
      filters: { "Eval data": ["json", "jsonl", "csv"] },
    });
    const dataset = files?.[0];
    if (!dataset) {
      return;
    }
    const { apps } = await running.sendRequest<ListAppsResult>(LIST_APPS);
    if (apps.length === 0) {
      void vscode.window.showWarningMessage(
        "ScoreLens found no @trace-decorated function in this workspace to run.",
      );
      return;
    }
    const app = await vscode.window.showQuickPick(
      apps.map((a) => ({ label: a.name, description: a.reference, reference: a.reference })),
      { title: "ScoreLens: which app function should answer each row?" },
    );
    if (!app) {
      return;
    }
    const relative = path.relative(folder.uri.fsPath, dataset.fsPath);
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Generating traces from ${relative}`,
        cancellable: true,
      },
      (_progress, token) =>
        running.sendRequest<GenerateTracesResult>(
          GENERATE_TRACES,
          { dataset: relative, app: app.reference },
          token,
        ),
    );
    const failed = result.failed > 0 ? ` (${String(result.failed)} failed)` : "";
    void vscode.window.showInformationMessage(
      `ScoreLens: ${String(result.traceCount)} traces generated${failed}.`,
    );
    status.showTraceSet({ runId: result.runId, traceCount: result.traceCount });
  });
}
