// What the status bar item says for each server status. Pure, so it is unit-tested.
import type { StatusParams, TraceSet } from "./protocol";

export interface StatusView {
  text: string;
  tooltip: string;
  warning: boolean;
}

export function traceSetView(traceSet: TraceSet): StatusView {
  return {
    text: `$(beaker) ${traceSetText(traceSet)}`,
    tooltip: "ScoreLens: the traces scorers run on. Click to choose another set.",
    warning: false,
  };
}

/** Running keeps the trace set's words in place, so the item neither jumps nor hides them. */
export function statusView(status: StatusParams): StatusView {
  switch (status.state) {
    case "error":
      return problemView(status.message);
    case "running":
      return {
        text: `$(sync~spin) ${traceSetText(status.traceSet)}`,
        tooltip: `ScoreLens: ${status.message}. Click to choose another trace set.`,
        warning: false,
      };
    case "ready":
      return traceSetView(status.traceSet);
  }
}

export function problemView(message: string): StatusView {
  return { text: "$(warning) ScoreLens", tooltip: message, warning: true };
}

function traceSetText(traceSet: TraceSet): string {
  const which = traceSet.runId === null ? "all traces" : `run ${traceSet.runId.slice(0, 8)}`;
  return `${which} · ${String(traceSet.traceCount)} traces`;
}
