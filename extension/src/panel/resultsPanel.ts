// The results panel's host side: one webview beside the editor, fed from the server.
import * as crypto from "node:crypto";
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import {
  requests,
  type ResultRowsParams,
  type ScoresChangedParams,
  type StatusParams,
} from "../protocol";
import { logError } from "../common/logging";
import { endedByRestartOrCancel } from "../common/requestErrors";
import { rowsAfterScores, rowsAfterStatus } from "./follow";
import { labelParams } from "./labelRequest";
import {
  type FromWebview,
  isFromWebview,
  type Query,
  type ToWebview,
  type TraceScores,
} from "./messages";
import { initialQuery, restoredQuery } from "./state";

const VIEW_TYPE = "scorelens.results";

export class ResultsPanel {
  private static current: ResultsPanel | undefined;
  // Kept while no panel is open too: a run that starts before the panel opens ends after.
  private static lastStatus: StatusParams | undefined;
  private listening = false; // the webview said it is ready for rows
  private requestsOut = 0;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly client: () => LanguageClient | undefined,
    private query: Query,
  ) {
    panel.onDidDispose(() => {
      ResultsPanel.current = undefined;
    });
    panel.webview.onDidReceiveMessage((message: unknown) => {
      if (isFromWebview(message)) {
        void this.handle(message);
      }
    });
  }

  static show(
    extensionUri: vscode.Uri,
    client: () => LanguageClient | undefined,
    sortBy: string | null = null,
  ): ResultsPanel {
    const existing = ResultsPanel.current;
    if (existing) {
      existing.panel.reveal(vscode.ViewColumn.Beside, true);
      if (sortBy !== null) {
        existing.query = initialQuery(sortBy);
      }
      void existing.refresh();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      "ScoreLens Results",
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { ...webviewOptions(extensionUri), retainContextWhenHidden: true },
    );
    return ResultsPanel.adopt(panel, extensionUri, client, initialQuery(sortBy));
  }

  /** Brings the panel back after a window reload, with the filter, sort and page it had. */
  static registerSerializer(
    extensionUri: vscode.Uri,
    client: () => LanguageClient | undefined,
  ): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      deserializeWebviewPanel: (panel: vscode.WebviewPanel, state: unknown) => {
        panel.webview.options = webviewOptions(extensionUri);
        ResultsPanel.adopt(panel, extensionUri, client, restoredQuery(state));
        return Promise.resolve();
      },
    });
  }

  private static adopt(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    client: () => LanguageClient | undefined,
    query: Query,
  ): ResultsPanel {
    ResultsPanel.current?.panel.dispose();
    panel.webview.html = html(panel.webview, extensionUri);
    ResultsPanel.current = new ResultsPanel(panel, client, query);
    return ResultsPanel.current;
  }

  /** A server status; new rows only when it may have changed them (see follow.ts). */
  static followStatus(status: StatusParams): void {
    const previous = ResultsPanel.lastStatus;
    ResultsPanel.lastStatus = status;
    const panel = ResultsPanel.current;
    if (panel && rowsAfterStatus(panel.waiting, previous, status)) {
      void panel.refresh(true);
    }
  }

  /** A scoring run's changes; new rows only when some figure changed (see follow.ts). */
  static followScores(change: ScoresChangedParams): void {
    const panel = ResultsPanel.current;
    if (panel && rowsAfterScores(panel.waiting, change.changed)) {
      void panel.refresh(true);
    }
  }

  private get waiting(): boolean {
    return !this.listening || this.requestsOut > 0;
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case "ready":
        this.listening = true;
        await this.refresh();
        break;
      case "query":
        this.query = message.query;
        await this.refresh();
        break;
      case "openTrace":
        await this.openTrace(message.traceId);
        break;
      case "label":
        await this.label(message);
        break;
    }
  }

  private async label(message: Extract<FromWebview, { type: "label" }>): Promise<void> {
    const client = this.client();
    if (!client) {
      return;
    }
    const params = await labelParams(message.traceId, message.scorer, message.action);
    if (params === undefined) {
      return;
    }
    try {
      await client.sendRequest(requests.setLabel, params);
    } catch (error) {
      if (endedByRestartOrCancel(error)) {
        return;
      }
      logError(`setLabel failed: ${String(error)}`);
      void vscode.window.showErrorMessage(
        `Could not label trace ${message.traceId}: ${String(error)}`,
      );
      return;
    }
    // The scoresChanged that follows brings new rows; the trace view is asked for again.
    if (message.inTrace) {
      await this.openTrace(message.traceId, true);
    }
  }

  private post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private async refresh(followed = false): Promise<void> {
    const client = this.client();
    if (!client) {
      this.post({ type: "error", message: "The ScoreLens server is not running." });
      return;
    }
    const params: ResultRowsParams = { ...this.query };
    this.requestsOut += 1;
    try {
      const result = await client.sendRequest(requests.resultRows, params);
      this.post({ type: "rows", query: this.query, result, followed });
    } catch (error) {
      if (endedByRestartOrCancel(error)) {
        return; // the restarted server's first status notification refreshes the panel
      }
      logError(`resultRows failed: ${String(error)}`);
      this.post({ type: "error", message: `Could not load results: ${String(error)}` });
    } finally {
      this.requestsOut -= 1;
    }
  }

  private async openTrace(traceId: string, reload = false): Promise<void> {
    const client = this.client();
    if (!client) {
      return;
    }
    // Asked together; without the scorers' results the trace itself is still worth showing.
    const [trace, results] = await Promise.allSettled([
      client.sendRequest(requests.getTrace, { traceId }),
      client.sendRequest(requests.traceResults, { traceId }),
    ]);
    if (trace.status === "rejected") {
      const message = `Could not load trace ${traceId}: ${String(trace.reason)}`;
      this.post({ type: "error", message });
      return;
    }
    let scores: TraceScores;
    if (results.status === "fulfilled") {
      scores = { ok: true, results: results.value.results };
    } else {
      logError(`traceResults failed: ${String(results.reason)}`);
      scores = { ok: false, error: String(results.reason) };
    }
    this.post({ type: "trace", trace: trace.value.trace, scores, reload });
  }
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [
      vscode.Uri.joinPath(extensionUri, "media"),
      vscode.Uri.joinPath(extensionUri, "dist"),
    ],
  };
}

function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const media = vscode.Uri.joinPath(extensionUri, "media");
  const dist = vscode.Uri.joinPath(extensionUri, "dist");
  const nonce = crypto.randomBytes(16).toString("base64");
  const css = webview.asWebviewUri(vscode.Uri.joinPath(media, "panel.css")).toString();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, "webview.js")).toString();
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css}">
<title>ScoreLens Results</title>
</head>
<body>
<main id="root" aria-live="polite"><p>Loading results…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
