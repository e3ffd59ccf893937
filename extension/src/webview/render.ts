// HTML for the results panel's table (the trace view is in ./trace). Every piece of trace text
// goes through `escapeHtml`: LLM output often contains markup, and it must show as text.
import type { Bucket, Cell, ResultRowsResult, RowFilter, ScorerSummary } from "../protocol";
import { columnKey, columnLabel } from "../panel/columns";
import { judgeText } from "../panel/judgeUsage";
import type { Query } from "../panel/messages";
import { agreementText, labelText } from "../panel/labels";
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

const FILTERS: readonly (readonly [RowFilter, string])[] = [
  ["all", "all"],
  ["failing", "failing"],
  ["errors", "errors"],
  ["changed", "changed"],
  ["disagrees", "disagrees with label"],
  ["unlabelled", "unlabelled"],
];

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

export function verdictClass(value: unknown, error: string | null): string {
  if (error !== null) {
    return "error";
  }
  const passed = verdict(value);
  return passed === undefined ? "" : passed ? "pass" : "fail";
}

function renderLabel(cell: Cell): string {
  const label = cell.label;
  if (label === null) {
    return "";
  }
  const state = label.unsure ? "unsure" : cell.agrees === true ? "agrees" : "disagrees";
  const mark = label.unsure ? "?" : cell.agrees === true ? "✓" : "✗";
  const flipped = cell.flipped ? " flipped" : "";
  const title =
    `labelled ${labelText(label)} by ${label.user}` +
    (label.note !== null ? `: ${label.note}` : "") +
    (cell.flipped ? " (agreement changed with this version)" : "");
  return (
    `<span class="label ${state}${flipped}" title="${escapeHtml(title)}">` +
    `${mark} label: ${escapeHtml(labelText(label))}</span>`
  );
}

function renderCell(cell: Cell | undefined, column: number): string {
  if (cell === undefined) {
    return `<td class="missing" data-col="${String(column)}">–</td>`;
  }
  const shown = cell.error !== null ? "error" : formatValue(cell.value);
  const before = cell.previousError !== null ? "error" : formatValue(cell.previous);
  const change = cell.changed ? `<span class="changed">${escapeHtml(before)} → </span>` : "";
  const detail = [
    cell.error !== null ? `<div class="detail error-text">${escapeHtml(cell.error)}</div>` : "",
    cell.rationale !== null ? `<div class="detail">${escapeHtml(cell.rationale)}</div>` : "",
  ].join("");
  return (
    `<td class="${verdictClass(cell.value, cell.error)}" data-col="${String(column)}">` +
    `${change}${escapeHtml(shown)}${renderLabel(cell)}${detail}</td>`
  );
}

export function renderTable(result: ResultRowsResult, query: Query): string {
  const filters = FILTERS.map(
    ([f, text]) =>
      `<button class="filter${query.filter === f ? " active" : ""}" data-filter="${f}" ` +
      `aria-pressed="${String(query.filter === f)}">${text}</button>`,
  ).join("");
  const headers = result.columns
    .map((column, index) => {
      const key = columnKey(column);
      const sorted = query.sortBy === key;
      const ariaSort = sorted ? (query.descending ? "descending" : "ascending") : "none";
      const arrow = sorted ? (query.descending ? " ▼" : " ▲") : "";
      return (
        `<th aria-sort="${ariaSort}" data-col="${String(index)}">` +
        `<button class="sort" data-sort="${escapeHtml(key)}">` +
        `${escapeHtml(columnLabel(column, result.columns))}${arrow}</button>` +
        `<div class="aggregate">${escapeHtml(aggregateText(column))}` +
        `${column.errors > 0 ? ` · ${String(column.errors)} errors` : ""}</div>` +
        (column.judge !== null
          ? `<div class="aggregate judge">${escapeHtml(judgeText(column.judge))}</div>`
          : "") +
        (column.agreement !== null
          ? `<div class="aggregate agreement">${escapeHtml(agreementText(column.agreement))}</div>`
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
        result.columns.map((c, index) => renderCell(row.cells[columnKey(c)], index)).join("") +
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
