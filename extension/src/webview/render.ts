// HTML for the results panel. Every piece of trace text goes through `escapeHtml`: LLM output
// often contains markup, and it must show as text.
import type {
  AssessmentData,
  Bucket,
  Cell,
  JudgeCallData,
  ResultRowsResult,
  ScorerResult,
  ScorerSummary,
  SpanData,
  TraceData,
} from "../protocol";
import { columnKey, columnLabel } from "../panel/columns";
import { judgeText } from "../panel/judgeUsage";
import type { Query, TraceScores } from "../panel/messages";
import { grouped } from "../panel/pyFormat";
import { pageLabel } from "../panel/state";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) {
    return "–";
  }
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/0+$/, "");
  }
  if (typeof value === "string") {
    return value;
  }
  if (typeof value === "boolean") {
    return value ? "pass" : "fail";
  }
  return JSON.stringify(value);
}

export function formatJson(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function aggregateText(column: ScorerSummary): string {
  if (column.passed !== null && column.failed !== null) {
    return `${String(column.passed)}/${String(column.passed + column.failed)} pass`;
  }
  return column.aggregates.map((a) => `${a.name} ${formatValue(a.value)}`).join(" · ");
}

function distribution(buckets: Bucket[]): string {
  const most = Math.max(1, ...buckets.map((b) => b.count));
  const bars = buckets
    .map(
      (b) =>
        // Height by class, not inline style: the panel's CSP allows no inline styles.
        `<span class="bar h${String(Math.max(1, Math.round((12 * b.count) / most)))}" ` +
        `title="${escapeHtml(b.label)}: ${String(b.count)}"></span>`,
    )
    .join("");
  return `<span class="dist" aria-hidden="true">${bars}</span>`;
}

// MLflow's verdicts: booleans, and "yes"/"no" in any case.
function verdict(value: unknown): boolean | undefined {
  if (typeof value === "boolean") {
    return value;
  }
  if (typeof value === "string") {
    const lower = value.toLowerCase();
    return lower === "yes" ? true : lower === "no" ? false : undefined;
  }
  return undefined;
}

function verdictClass(value: unknown, error: string | null): string {
  if (error !== null) {
    return "error";
  }
  const passed = verdict(value);
  return passed === undefined ? "" : passed ? "pass" : "fail";
}

function renderCell(cell: Cell | undefined): string {
  if (cell === undefined) {
    return `<td class="missing">–</td>`;
  }
  const shown = cell.error !== null ? "error" : formatValue(cell.value);
  const before = cell.previousError !== null ? "error" : formatValue(cell.previous);
  const change = cell.changed ? `<span class="changed">${escapeHtml(before)} → </span>` : "";
  const detail = [
    cell.error !== null ? `<div class="detail error-text">${escapeHtml(cell.error)}</div>` : "",
    cell.rationale !== null ? `<div class="detail">${escapeHtml(cell.rationale)}</div>` : "",
  ].join("");
  return `<td class="${verdictClass(cell.value, cell.error)}">${change}${escapeHtml(shown)}${detail}</td>`;
}

export function renderTable(result: ResultRowsResult, query: Query): string {
  const filters = (["all", "failing", "errors", "changed"] as const)
    .map(
      (f) =>
        `<button class="filter${query.filter === f ? " active" : ""}" data-filter="${f}" ` +
        `aria-pressed="${String(query.filter === f)}">${f}</button>`,
    )
    .join("");
  const headers = result.columns
    .map((column) => {
      const key = columnKey(column);
      const sorted = query.sortBy === key;
      const ariaSort = sorted ? (query.descending ? "descending" : "ascending") : "none";
      const arrow = sorted ? (query.descending ? " ▼" : " ▲") : "";
      return (
        `<th aria-sort="${ariaSort}"><button class="sort" data-sort="${escapeHtml(key)}">` +
        `${escapeHtml(columnLabel(column, result.columns))}${arrow}</button>` +
        `<div class="aggregate">${escapeHtml(aggregateText(column))}` +
        `${column.errors > 0 ? ` · ${String(column.errors)} errors` : ""}</div>` +
        (column.judge !== null
          ? `<div class="aggregate judge">${escapeHtml(judgeText(column.judge))}</div>`
          : "") +
        `${distribution(result.distributions[key] ?? [])}</th>`
      );
    })
    .join("");
  const rows = result.rows
    .map(
      (row) =>
        `<tr class="row" tabindex="0" data-trace="${escapeHtml(row.traceId)}">` +
        `<td class="trace-id" title="${escapeHtml(row.traceId)}">` +
        `<span class="id">${escapeHtml(row.traceId)}</span></td>` +
        // Scorer columns before the previews, so a narrow panel still shows them.
        result.columns.map((c) => renderCell(row.cells[columnKey(c)])).join("") +
        `<td class="preview-cell"><div class="preview">${escapeHtml(row.inputPreview)}</div></td>` +
        `<td class="preview-cell"><div class="preview">${escapeHtml(row.outputPreview)}</div></td>` +
        `</tr>`,
    )
    .join("");
  const atStart = query.offset === 0;
  const atEnd = query.offset + result.rows.length >= result.total;
  return (
    `<div class="toolbar" role="toolbar" aria-label="Filter rows">${filters}` +
    `<span class="pager"><button data-page="prev"${atStart ? " disabled" : ""}>‹ Prev</button>` +
    `<span id="page-label">${pageLabel(query, result.total, result.rows.length)}</span>` +
    `<button data-page="next"${atEnd ? " disabled" : ""}>Next ›</button></span></div>` +
    `<table id="results"><thead><tr><th>trace</th>${headers}` +
    `<th class="preview-cell">input</th><th class="preview-cell">output</th></tr></thead>` +
    `<tbody>${rows}</tbody></table>`
  );
}

function milliseconds(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

function durationMs(span: SpanData): string {
  if (span.end_time_ns === null) {
    return "unfinished";
  }
  return milliseconds((span.end_time_ns - span.start_time_ns) / 1e6);
}

function section(title: string, value: unknown): string {
  return `<h3>${escapeHtml(title)}</h3><pre>${escapeHtml(formatJson(value))}</pre>`;
}

function renderSpan(span: SpanData, children: Map<string | null, SpanData[]>): string {
  const status = span.status.code === "ERROR" ? ` <span class="error-text">ERROR</span>` : "";
  const kids = (children.get(span.span_id) ?? []).map((c) => renderSpan(c, children)).join("");
  return (
    `<li class="span"><details open><summary><span class="span-type">${escapeHtml(span.span_type)}</span> ` +
    `<span class="span-name">${escapeHtml(span.name)}</span> ` +
    `<span class="duration">${durationMs(span)}</span>${status}</summary>` +
    section("Inputs", span.inputs) +
    section("Outputs", span.outputs) +
    (Object.keys(span.attributes).length > 0 ? section("Attributes", span.attributes) : "") +
    (kids !== "" ? `<ul class="span-children">${kids}</ul>` : "") +
    `</details></li>`
  );
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

function renderAssessments(assessments: AssessmentData[] | undefined): string {
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

function renderJudgeCall(call: JudgeCallData): string {
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

function renderScorerResult(result: ScorerResult, all: readonly ScorerResult[]): string {
  const shown = result.error !== null ? "error" : formatValue(result.value);
  const duration =
    result.durationMs !== null
      ? ` <span class="duration">${milliseconds(result.durationMs)}</span>`
      : "";
  const calls = result.judge.map(renderJudgeCall).join("");
  return (
    `<li class="scorer-result"><div class="scorer-head">` +
    `<span class="scorer-name">${escapeHtml(columnLabel(result, all))}</span> ` +
    `<span class="${verdictClass(result.value, result.error)}">${escapeHtml(shown)}</span>` +
    `${duration}</div>` +
    (result.error !== null ? `<pre class="error-text">${escapeHtml(result.error)}</pre>` : "") +
    (result.rationale !== null
      ? `<div class="rationale">${escapeHtml(result.rationale)}</div>`
      : "") +
    (calls !== "" ? `<ul class="judge-calls">${calls}</ul>` : "") +
    `</li>`
  );
}

function renderScores(scores: TraceScores): string {
  let body: string;
  if (!scores.ok) {
    body = `<p class="error-text">Could not load the scorers' results: ${escapeHtml(scores.error)}</p>`;
  } else if (scores.results.length === 0) {
    body = `<p class="empty">No scorer has a result for this trace yet.</p>`;
  } else {
    const items = scores.results.map((r) => renderScorerResult(r, scores.results)).join("");
    body = `<ul id="scorer-results">${items}</ul>`;
  }
  return `<h3>Scorers</h3>${body}`;
}

export function renderTrace(trace: TraceData, scores: TraceScores): string {
  const children = new Map<string | null, SpanData[]>();
  for (const span of trace.spans) {
    const siblings = children.get(span.parent_id) ?? [];
    siblings.push(span);
    children.set(span.parent_id, siblings);
  }
  const root = children.get(null)?.[0];
  const tree = (children.get(null) ?? []).map((s) => renderSpan(s, children)).join("");
  return (
    `<div class="toolbar"><button id="back">‹ Back to results</button>` +
    `<span class="trace-title">${escapeHtml(trace.info.trace_id)} · ${escapeHtml(trace.info.state)}</span></div>` +
    `<div id="trace-view">` +
    section("Inputs", root?.inputs ?? null) +
    section("Outputs", root?.outputs ?? null) +
    section("Expectations", trace.info.expectations) +
    renderScores(scores) +
    renderAssessments(trace.info.assessments) +
    `<h3>Spans</h3><ul id="span-tree">${tree}</ul></div>`
  );
}
