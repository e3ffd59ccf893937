// When the results panel asks the server for rows again, decided from the server's
// notifications alone: one request when what it shows changed, none otherwise; and whether the
// webview draws rows that came that way. Pure, so it is unit-tested.
import type { ScorerRef, StatusParams, TraceSet } from "../protocol";

// `waiting`, in both: rows are already on their way (the webview is loading, or a request is
// out). The server wrote that answer after the notice, so it holds the change.

/**
 * After a scoring run (`scorelens/scoresChanged`): whether the panel asks for rows again.
 * Nothing changed: no request, no redraw. Any changed scorer calls for new rows: one that is a
 * column changed its cells, header and distribution, all in the one answer; one that is not is
 * new or renamed, a column the panel (which shows every scorer) lacks.
 */
export function rowsAfterScores(waiting: boolean, changed: readonly ScorerRef[]): boolean {
  return !waiting && changed.length > 0;
}

/**
 * After a `scorelens/status`: whether the panel asks for rows again. A run starting changes no
 * figure yet, and a run ending is followed by its own scoresChanged; anything else (another
 * trace set, cleared results, a server that started or recovered) may change every row.
 */
export function rowsAfterStatus(
  waiting: boolean,
  previous: StatusParams | undefined,
  next: StatusParams,
): boolean {
  if (waiting || next.state === "running") {
    return false;
  }
  const runEnded =
    previous?.state === "running" &&
    next.state === "ready" &&
    sameTraceSet(previous.traceSet, next.traceSet);
  return !runEnded;
}

function sameTraceSet(a: TraceSet, b: TraceSet): boolean {
  return a.runId === b.runId && a.traceCount === b.traceCount;
}

/**
 * Rows arrived in the webview: whether it draws the table. Rows the host asked for on its own,
 * following the server, leave an open trace in place: a long run sends figures every 0.5 s and
 * would otherwise take the trace away as it is read. Back asks for fresh rows anyway.
 */
export function drawsRows(showingTrace: boolean, followed: boolean): boolean {
  return !(showingTrace && followed);
}
