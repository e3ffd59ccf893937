// The results panel's script, inside the webview: draws what the host sends, reports clicks.
import type { FromWebview, Query, ToWebview } from "../panel/messages";
import { drawsRows } from "../panel/follow";
import { nextPage, previousPage, toggleSort, withFilter } from "../panel/state";
import type { ResultRowsResult, RowFilter } from "../protocol";
import { escapeHtml, renderTable } from "./render";
import { wireTraceView } from "./trace/interactions";
import { renderTrace } from "./trace/traceView";

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  // Kept by VS Code across a window reload and handed to the panel serializer.
  setState(state: { query: Query }): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById("root") as HTMLElement;
let query: Query | undefined;
let result: ResultRowsResult | undefined;
// The row whose trace is open, to put the focus back on it when returning to the table.
let openedTraceId: string | undefined;
let showingTrace = false;

function send(next: Query): void {
  vscode.postMessage({ type: "query", query: next });
}

function openTrace(traceId: string | undefined): void {
  if (traceId !== undefined) {
    openedTraceId = traceId;
    vscode.postMessage({ type: "openTrace", traceId });
  }
}

root.addEventListener("click", (event) => {
  const target = event.target as HTMLElement;
  const button = target.closest("button");
  if (button?.id === "back" && query) {
    send(query);
    return;
  }
  if (button && query && result) {
    const filter = button.dataset.filter as RowFilter | undefined;
    if (filter !== undefined) {
      send(withFilter(query, filter));
    } else if (button.dataset.sort !== undefined) {
      send(toggleSort(query, button.dataset.sort));
    } else if (button.dataset.page === "next") {
      send(nextPage(query, result.total));
    } else if (button.dataset.page === "prev") {
      send(previousPage(query));
    }
    return;
  }
  const row = target.closest<HTMLElement>("tr.row");
  openTrace(row?.dataset.trace);
});

root.addEventListener("keydown", (event) => {
  const row = (event.target as HTMLElement).closest<HTMLElement>("tr.row");
  if (row === null) {
    return;
  }
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    openTrace(row.dataset.trace);
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
    (next as HTMLElement | null)?.focus();
  }
});

window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  if (message.type === "rows") {
    query = message.query;
    result = message.result;
    vscode.setState({ query });
    if (!drawsRows(showingTrace, message.followed)) {
      return;
    }
    showingTrace = false;
    root.innerHTML = renderTable(message.result, message.query);
    if (openedTraceId !== undefined) {
      const row = Array.from(root.querySelectorAll<HTMLElement>("tr.row")).find(
        (r) => r.dataset.trace === openedTraceId,
      );
      openedTraceId = undefined;
      row?.focus();
    }
  } else if (message.type === "trace") {
    showingTrace = true;
    root.innerHTML = renderTrace(message.trace, message.scores);
    document.getElementById("back")?.focus();
  } else {
    showingTrace = false;
    root.innerHTML = `<p class="error-text">${escapeHtml(message.message)}</p>`;
  }
});

wireTraceView(root);
vscode.postMessage({ type: "ready" });
