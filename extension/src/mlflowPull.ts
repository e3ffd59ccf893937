// ScoreLens: Pull Traces from MLflow…: a tracking URI, an experiment picked from the server's
// list, then the pull (in a process the server starts); the pulled run becomes the trace set.
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { ask } from "./common/requests";
import { requests } from "./protocol";

const LAST_URI = "scorelens.mlflowTrackingUri";

export async function pullFromMlflow(state: vscode.Memento, client: LanguageClient): Promise<void> {
  const uri = await vscode.window.showInputBox({
    title: "ScoreLens: Pull Traces from MLflow (1/2): where is MLflow?",
    prompt: "An MLflow tracking server (http://host:port) or store (sqlite:///path/mlflow.db)",
    value: state.get<string>(LAST_URI) ?? "http://127.0.0.1:5000",
    ignoreFocusOut: true,
    validateInput: (text) =>
      /^(https?|sqlite|databricks):/.test(text.trim())
        ? null
        : "An http(s)://, sqlite:/// or databricks URI",
  });
  if (uri === undefined) {
    return;
  }
  const trackingUri = uri.trim();
  await state.update(LAST_URI, trackingUri);
  const listed = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `ScoreLens: asking ${trackingUri}` },
    () => ask(client, requests.mlflowExperiments, { trackingUri }, "listing MLflow's experiments"),
  );
  if (listed === undefined) {
    return;
  }
  if (listed.experiments.length === 0) {
    void vscode.window.showWarningMessage(`ScoreLens: ${trackingUri} has no experiments.`);
    return;
  }
  const picked = await vscode.window.showQuickPick(
    listed.experiments.map((e) => ({ label: e.name, description: `id ${e.id}`, id: e.id })),
    { title: "ScoreLens: Pull Traces from MLflow (2/2): which experiment?", ignoreFocusOut: true },
  );
  if (!picked) {
    return;
  }
  const pulled = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `ScoreLens: pulling ${picked.label} from ${trackingUri}`,
      cancellable: true,
    },
    (_progress, token) =>
      ask(
        client,
        requests.pullFromMlflow,
        { trackingUri, experimentId: picked.id },
        "Pull Traces from MLflow",
        token,
      ),
  );
  if (pulled === undefined) {
    return;
  }
  void vscode.window.showInformationMessage(
    `ScoreLens: ${String(pulled.newTraces)} new traces pulled from ${pulled.source} ` +
      `(${String(pulled.totalTraces)} in all); they are the active trace set.`,
  );
}
