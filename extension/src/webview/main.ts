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
// The scorer column the label keys act on (ArrowLeft/ArrowRight move it), by its key: a save
// that adds or removes a scorer before it must not move the labels to another scorer.
let activeKey: string | undefined;
// The open trace's results, by the Feedback name their labels belong to.
let openScores = new Map<string, ScorerResult>();
// The label button pressed in the trace view, focused again when the trace is redrawn.
let refocusLabelButton: { scorer: string; action: string } | undefined;

// The user's last ask: rows asked before a trace was opened must not replace that trace.
let lastAsked: "query" | "trace" | undefined;

function send(next: Query): void {
  lastAsked = "query";
  vscode.postMessage({ type: "query", query: next });
}

function label(traceId: string, scorer: string, action: LabelAction, inTrace: boolean): void {
  vscode.postMessage({ type: "label", traceId, scorer, action, inTrace });
}

function activeColumn(): number {
  const keys = (result?.columns ?? []).map(columnKey);
  return Math.max(0, activeKey === undefined ? 0 : keys.indexOf(activeKey));
}

function moveActiveColumn(step: number): void {
  const columns = result?.columns ?? [];
  if (columns.length > 0) {
    const index = Math.min(Math.max(activeColumn() + step, 0), columns.length - 1);
    activeKey = columnKey(columns[index]);
  }
  markActiveColumn();
}

function markActiveColumn(): void {
  const index = String(activeColumn());
  for (const cell of Array.from(root.querySelectorAll<HTMLElement>("[data-col]"))) {
    cell.classList.toggle("active-col", cell.dataset.col === index);
  }
}

// p/f/u/=/n/Delete on a row label its trace for the active column's scorer, then move on.
function labelRow(row: HTMLElement, key: string): boolean {
  const column = result?.columns[activeColumn()];
  const traceId = row.dataset.trace;
  if (column === undefined || traceId === undefined || result === undefined) {
    return false;
  }
  const cell = result.rows.find((r) => r.traceId === traceId)?.cells[columnKey(column)];
  const action = labelKeyAction(key, column, cell);
  if (action === undefined) {
    return false;
  }
  // A label belongs to the Feedback the cell shows (the scorer's own name, unless it names it).
  label(traceId, cell?.feedbackName ?? column.name, action, false);
  if (action.kind !== "askValue" && action.kind !== "askNote") {
    (row.nextElementSibling as HTMLElement | null)?.focus();
  }
  return true;
}

function openTrace(traceId: string | undefined): void {
  if (traceId !== undefined) {
    openedTraceId = traceId;
    lastAsked = "trace";
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
    refocusLabelButton = { scorer, action };
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
    moveActiveColumn(event.key === "ArrowRight" ? 1 : -1);
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
    // Rows that come while a trace is open, or on its way, are kept for Back; not drawn.
    if (
      !drawsRows(showingTrace || lastAsked === "trace", message.followed || lastAsked === "trace")
    ) {
      return;
    }
    if (message.result.rows.length === 0 && message.query.offset > 0) {
      // Labels took the last rows of this page out of the filter: show the page before.
      send(previousPage(message.query));
      return;
    }
    // New rows (after a label, a run) keep the focus where the keyboard left it: on the same
    // trace, or, when it left the filter, on the row that took its place.
    const rows = () => Array.from(root.querySelectorAll<HTMLElement>("tr.row"));
    const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>("tr.row");
    const focusedAt = focused ? rows().indexOf(focused) : -1;
    const refocus = openedTraceId ?? (showingTrace ? undefined : focused?.dataset.trace);
    showingTrace = false;
    openTraceId = undefined;
    root.innerHTML = renderTable(message.result, message.query);
    markActiveColumn();
    if (refocus !== undefined) {
      const drawn = rows();
      const row =
        drawn.find((r) => r.dataset.trace === refocus) ??
        (focusedAt >= 0 ? drawn[Math.min(focusedAt, drawn.length - 1)] : undefined);
      openedTraceId = undefined;
      row?.focus();
    }
  } else if (message.type === "trace") {
    const again = showingTrace && openTraceId === message.trace.info.trace_id;
    if (message.reload && !again) {
      return; // the user went back to the table (or to another trace) meanwhile
    }
    showingTrace = true;
    openTraceId = message.trace.info.trace_id;
    const results = message.scores.ok ? message.scores.results : [];
    openScores = new Map(results.map((r) => [r.feedbackName, r]));
    const byKey = new Map(results.map((r) => [columnKey(r), r]));
    root.innerHTML = renderTrace(message.trace, message.scores, {
      labelControl: (key) => {
        const shown = byKey.get(key);
        return shown === undefined ? "" : renderLabelControl(shown);
      },
    });
    const button = refocusLabelButton;
    refocusLabelButton = undefined;
    if (again && button !== undefined) {
      // Back on the button that was pressed, so labelling goes on from the keyboard.
      const control = Array.from(root.querySelectorAll<HTMLElement>("[data-scorer]")).find(
        (c) => c.dataset.scorer === button.scorer,
      );
      control?.querySelector<HTMLElement>(`[data-label-action="${button.action}"]`)?.focus();
    } else if (!again) {
      document.getElementById("back")?.focus();
    }
  } else {
    showingTrace = false;
    lastAsked = undefined; // the trace did not come: the next rows are drawn
    root.innerHTML = `<p class="error-text">${escapeHtml(message.message)}</p>`;
  }
});

wireTraceView(root);
vscode.postMessage({ type: "ready" });
