// The results panel's script, inside the webview: draws what the host sends, reports clicks.
import { columnKey } from "../panel/columns";
import { type LabelAction, labelKeyAction } from "../panel/labels";
import type { FromWebview, Query, ToWebview } from "../panel/messages";
import { drawsRows } from "../panel/follow";
import { nextPage, previousPage, toggleSort, withFilter } from "../panel/state";
import type { ResultRowsResult, RowFilter, ScorerResult } from "../protocol";
import { renderLabelControl } from "./labelControl";
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
let openTraceId: string | undefined; // the trace shown in the trace view
// The scorer column the label keys act on (ArrowLeft/ArrowRight move it).
let activeColumn = 0;
let openScores = new Map<string, ScorerResult>(); // the open trace's results, by scorer name

function send(next: Query): void {
  vscode.postMessage({ type: "query", query: next });
}

function label(traceId: string, scorer: string, action: LabelAction, inTrace: boolean): void {
  vscode.postMessage({ type: "label", traceId, scorer, action, inTrace });
}

function markActiveColumn(): void {
  const count = result?.columns.length ?? 0;
  activeColumn = count === 0 ? 0 : Math.min(Math.max(activeColumn, 0), count - 1);
  for (const cell of Array.from(root.querySelectorAll<HTMLElement>("[data-col]"))) {
    cell.classList.toggle("active-col", cell.dataset.col === String(activeColumn));
  }
}

// p/f/u/=/n/Delete on a row label its trace for the active column's scorer, then move on.
function labelRow(row: HTMLElement, key: string): boolean {
  const column = result?.columns[activeColumn];
  const traceId = row.dataset.trace;
  if (column === undefined || traceId === undefined || result === undefined) {
    return false;
  }
  const shown = result.rows.find((r) => r.traceId === traceId);
  const action = labelKeyAction(key, column, shown?.cells[columnKey(column)]);
  if (action === undefined) {
    return false;
  }
  label(traceId, column.name, action, false);
  if (action.kind !== "askValue" && action.kind !== "askNote") {
    (row.nextElementSibling as HTMLElement | null)?.focus();
  }
  return true;
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
  const labelled = button?.closest<HTMLElement>("[data-scorer]");
  const action = button?.dataset.labelAction;
  if (labelled && action !== undefined && openTraceId !== undefined) {
    const scorer = labelled.dataset.scorer ?? "";
    const current = openScores.get(scorer);
    const asked: LabelAction =
      action === "pass" || action === "fail"
        ? { kind: "set", value: action === "pass" }
        : action === "unsure"
          ? { kind: "unsure" }
          : action === "clear"
            ? { kind: "clear" }
            : action === "note"
              ? { kind: "askNote", label: current?.label ?? null }
              : { kind: "askValue", current: current?.label?.value ?? current?.value ?? null };
    label(openTraceId, scorer, asked, true);
    return;
  }
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
  if (event.ctrlKey || event.metaKey || event.altKey) {
    return;
  }
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    openTrace(row.dataset.trace);
  } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
    event.preventDefault();
    activeColumn += event.key === "ArrowRight" ? 1 : -1;
    markActiveColumn();
  } else if (labelRow(row, event.key)) {
    event.preventDefault();
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
    // New rows (after a label, a run) keep the focus where the keyboard left it.
    const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>("tr.row");
    const refocus = openedTraceId ?? (showingTrace ? undefined : focused?.dataset.trace);
    showingTrace = false;
    openTraceId = undefined;
    root.innerHTML = renderTable(message.result, message.query);
    markActiveColumn();
    if (refocus !== undefined) {
      const row = Array.from(root.querySelectorAll<HTMLElement>("tr.row")).find(
        (r) => r.dataset.trace === refocus,
      );
      openedTraceId = undefined;
      row?.focus();
    }
  } else if (message.type === "trace") {
    const again = showingTrace && openTraceId === message.trace.info.trace_id;
    showingTrace = true;
    openTraceId = message.trace.info.trace_id;
    const results = message.scores.ok ? message.scores.results : [];
    openScores = new Map(results.map((r) => [r.name, r]));
    const byKey = new Map(results.map((r) => [columnKey(r), r]));
    root.innerHTML = renderTrace(message.trace, message.scores, {
      labelControl: (key) => {
        const shown = byKey.get(key);
        return shown === undefined ? "" : renderLabelControl(shown);
      },
    });
    if (!again) {
      document.getElementById("back")?.focus();
    }
  } else {
    showingTrace = false;
    root.innerHTML = `<p class="error-text">${escapeHtml(message.message)}</p>`;
  }
});

wireTraceView(root);
vscode.postMessage({ type: "ready" });
