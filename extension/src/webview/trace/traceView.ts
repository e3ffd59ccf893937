// One trace, to read: the conversation, what the scorers said, and the span waterfall with the
// detail of one span. Composes the other modules of this folder; interactions.ts wires it.
import type { TraceData } from "../../protocol";
import type { TraceScores } from "../../panel/messages";
import { escapeHtml } from "../render";
import { traceTokenUsage } from "./attributes";
import { extractConversation } from "./conversation";
import { renderConversation } from "./conversationView";
import { renderValue } from "./prettyValue";
import { renderAssessments, renderScores, type LabelControl } from "./scores";
import { renderSpanDetail } from "./spanDetail";
import { formatDuration, spanTimeline } from "./spanTree";
import type { PathKey } from "./textRefs";
import { renderWaterfall, tokenText } from "./waterfall";

export type { LabelControl } from "./scores";

export interface TraceViewOptions {
  labelControl?: LabelControl;
}

function expectations(trace: TraceData): string {
  const value = trace.info.expectations;
  if (Object.keys(value).length === 0) {
    return "";
  }
  const ref = (path: PathKey[]) => ({ kind: "expectations" as const, path });
  return `<h3>Expectations</h3>${renderValue(value, ref)}`;
}

function facts(trace: TraceData, durationNs: number): string {
  const usage = traceTokenUsage(trace.info.trace_metadata);
  const parts = [
    trace.spans.length > 0 ? formatDuration(durationNs) : "",
    `${String(trace.spans.length)} span${trace.spans.length === 1 ? "" : "s"}`,
    usage !== undefined ? `${tokenText(usage)} tokens` : "",
  ].filter((p) => p !== "");
  return `<span class="trace-facts">${escapeHtml(parts.join(" · "))}</span>`;
}

export function renderTrace(
  trace: TraceData,
  scores: TraceScores,
  options: TraceViewOptions = {},
): string {
  const timeline = spanTimeline(trace.spans);
  const conversation = extractConversation(trace.spans);
  // Opened at first: the span the conversation comes from, where the model call's figures are.
  const opened = timeline.byId.get(conversation?.spanId ?? "") ?? timeline.rows.at(0);
  return (
    `<div class="toolbar"><button id="back">‹ Back to results</button>` +
    `<span class="trace-title">${escapeHtml(trace.info.trace_id)} · ${escapeHtml(trace.info.state)}</span>` +
    `${facts(trace, timeline.durationNs)}</div>` +
    `<div id="trace-view" data-trace="${escapeHtml(trace.info.trace_id)}">` +
    `<section class="trace-section conversation">${renderConversation(conversation)}</section>` +
    `<section class="trace-section scores">${renderScores(scores, options.labelControl)}` +
    `${expectations(trace)}${renderAssessments(trace.info.assessments)}</section>` +
    `<section class="trace-section spans" id="span-tree"><h3>Spans</h3>` +
    renderWaterfall(trace.spans, { label: "Spans", selectedSpanId: opened?.span.span_id ?? null }) +
    `<div class="span-detail">${opened !== undefined ? renderSpanDetail(opened) : ""}</div>` +
    `</section></div>`
  );
}
