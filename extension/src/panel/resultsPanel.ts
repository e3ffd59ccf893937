// The results panel's host side: one webview beside the editor, fed from the server.
import * as crypto from "node:crypto";
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import {
  GET_TRACE,
  type GetTraceResult,
  RESULT_ROWS,
  type ResultRowsParams,
  type ResultRowsResult,
} from "../protocol";
import { logError } from "../common/logging";
import { type FromWebview, isFromWebview, type Query, type ToWebview } from "./messages";
import { initialQuery } from "./state";

export class ResultsPanel {
  private static current: ResultsPanel | undefined;
  private query: Query;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly client: () => LanguageClient | undefined,
    sortBy: string | null,
  ) {
    this.query = initialQuery(sortBy);
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
    const media = vscode.Uri.joinPath(extensionUri, "media");
    const dist = vscode.Uri.joinPath(extensionUri, "dist");
    const panel = vscode.window.createWebviewPanel(
      "scorelens.results",
      "ScoreLens Results",
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [media, dist] },
    );
    panel.webview.html = html(panel.webview, media, dist);
    ResultsPanel.current = new ResultsPanel(panel, client, sortBy);
    return ResultsPanel.current;
  }

  /** Redraw with fresh rows, if the panel is open. */
  static refreshIfOpen(): void {
    void ResultsPanel.current?.refresh();
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case "ready":
        await this.refresh();
        break;
      case "query":
        this.query = message.query;
        await this.refresh();
        break;
      case "openTrace":
        await this.openTrace(message.traceId);
        break;
    }
  }

  private post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  async refresh(): Promise<void> {
    const client = this.client();
    if (!client) {
      this.post({ type: "error", message: "The ScoreLens server is not running." });
      return;
    }
    const params: ResultRowsParams = { ...this.query };
    try {
      const result = await client.sendRequest<ResultRowsResult>(RESULT_ROWS, params);
      this.post({ type: "rows", query: this.query, result });
    } catch (error) {
      logError(`resultRows failed: ${String(error)}`);
      this.post({ type: "error", message: `Could not load results: ${String(error)}` });
    }
  }

  private async openTrace(traceId: string): Promise<void> {
    const client = this.client();
    if (!client) {
      return;
    }
    try {
      const result = await client.sendRequest<GetTraceResult>(GET_TRACE, { traceId });
      this.post({ type: "trace", trace: result.trace });
    } catch (error) {
      this.post({ type: "error", message: `Could not load trace ${traceId}: ${String(error)}` });
    }
  }
}

function html(webview: vscode.Webview, media: vscode.Uri, dist: vscode.Uri): string {
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
