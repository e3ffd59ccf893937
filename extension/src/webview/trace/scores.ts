// What was said about the trace: every scorer's value, rationale, error and model calls, each
// with a place for a label control, and the trace's stored assessments.
import type { AssessmentData, ScorerResult } from "../../protocol";
import { type JudgeCall, judgeCallOf } from "../judgeCall";
import { columnKey, columnLabel } from "../../panel/columns";
import type { TraceScores } from "../../panel/messages";
import { grouped } from "../../panel/pyFormat";
import { escapeHtml, formatValue, verdictClass } from "../render";

/**
 * Draws the label control of one scorer's result, given the scorer's column key
 * ("<file uri>#<name>"). Returns trusted HTML, placed as it is: the control escapes whatever
 * text it puts in (with `escapeHtml`).
 */
export type LabelControl = (scorerKey: string) => string;

function milliseconds(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

function tokenCount(tokens: number | null): string {
  return tokens === null ? "?" : grouped(tokens);
}

// Prompts and replies are long and full of markup: collapsed, escaped, wrapped.
function collapsedText(title: string, text: string): string {
  return (
    `<details class="judge-text"><summary>${title}</summary>` +
    `<pre>${escapeHtml(text)}</pre></details>`
  );
}

function renderJudgeCall(call: JudgeCall): string {
  const origin = call.cached
    ? `<span class="judge-cached" title="answered from the judge-call cache">cached</span>`
    : `<span class="judge-new" title="a request to the model">new</span>`;
  return (
    `<li class="judge-call"><div class="judge-figures">` +
    `<span class="judge-model">${escapeHtml(call.model)}</span> · ` +
    `${tokenCount(call.inputTokens)} in / ${tokenCount(call.outputTokens)} out tokens · ` +
    `${milliseconds(call.latencyMs)} · ${origin}</div>` +
    collapsedText("Prompt", call.prompt) +
    collapsedText("Reply", call.reply) +
    `</li>`
  );
}

function renderScorerResult(
  result: ScorerResult,
  all: readonly ScorerResult[],
  labelControl: LabelControl | undefined,
): string {
  const shown = result.error !== null ? "error" : formatValue(result.value);
  const duration =
    result.durationMs !== null
      ? ` <span class="duration">${milliseconds(result.durationMs)}</span>`
      : "";
  const calls = result.judge.map((span) => renderJudgeCall(judgeCallOf(span))).join("");
  return (
    `<li class="scorer-result"><div class="scorer-head">` +
    `<span class="scorer-name">${escapeHtml(columnLabel(result, all))}</span> ` +
    `<span class="${verdictClass(result.value, result.error)}">${escapeHtml(shown)}</span>` +
    `${duration}</div>` +
    (labelControl !== undefined
      ? `<div class="label-slot">${labelControl(columnKey(result))}</div>`
      : "") +
    (result.error !== null ? `<pre class="error-text">${escapeHtml(result.error)}</pre>` : "") +
    (result.rationale !== null
      ? `<div class="rationale">${escapeHtml(result.rationale)}</div>`
      : "") +
    (calls !== "" ? `<ul class="judge-calls">${calls}</ul>` : "") +
    `</li>`
  );
}

export function renderScores(scores: TraceScores, labelControl?: LabelControl): string {
  let body: string;
  if (!scores.ok) {
    body = `<p class="error-text">Could not load the scorers' results: ${escapeHtml(scores.error)}</p>`;
  } else if (scores.results.length === 0) {
    body = `<p class="empty">No scorer has a result for this trace yet.</p>`;
  } else {
    const items = scores.results
      .map((r) => renderScorerResult(r, scores.results, labelControl))
      .join("");
    body = `<ul id="scorer-results">${items}</ul>`;
  }
  return `<h3>Scorers</h3>${body}`;
}

function assessmentValue(assessment: AssessmentData): string {
  const error = assessment.feedback?.error;
  if (error !== undefined) {
    return `error: ${[error.error_code, error.error_message].filter(Boolean).join(": ")}`;
  }
  if (assessment.feedback !== undefined) {
    return formatValue(assessment.feedback.value);
  }
  const expected = assessment.expectation;
  if (expected?.serialized_value !== undefined) {
    return expected.serialized_value.value;
  }
  return formatValue(expected?.value);
}

export function renderAssessments(assessments: AssessmentData[] | undefined): string {
  if (assessments === undefined || assessments.length === 0) {
    return "";
  }
  const rows = assessments
    .map((a) => {
      const kind = a.expectation !== undefined ? "expectation" : "feedback";
      const source = [a.source.source_type, a.source.source_id].filter(Boolean).join(" · ");
      return (
        `<tr><td>${escapeHtml(a.assessment_name)}</td><td>${kind}</td>` +
        `<td>${escapeHtml(assessmentValue(a))}</td><td>${escapeHtml(source)}</td>` +
        `<td>${escapeHtml(a.rationale ?? "")}</td></tr>`
      );
    })
    .join("");
  return (
    `<h3>Assessments</h3><table id="assessments"><thead><tr><th>name</th><th>kind</th>` +
    `<th>value</th><th>source</th><th>rationale</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}
