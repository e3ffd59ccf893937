// One span opened: its timing, status, tokens, inputs, outputs, attributes and events, laid out
// to read. Drawn only when the span is opened; its raw JSON only when that is asked for.
import type { SpanData, SpanEventData } from "../../protocol";
import { escapeHtml } from "../render";
import { isRecord, spanSection, tokenUsage, type SpanSection } from "./attributes";
import { renderValue } from "./prettyValue";
import { formatDuration, type SpanRow } from "./spanTree";
import type { PathKey } from "./textRefs";
import { tokenText } from "./waterfall";

const MAX_EVENTS = 20;

function fact(name: string, value: string): string {
  return `<div class="fact"><dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd></div>`;
}

function sectionBody(span: SpanData, section: SpanSection): string {
  const value = spanSection(span, section);
  const empty =
    value === null ||
    value === undefined ||
    (isRecord(value) && Object.keys(value).length === 0) ||
    (Array.isArray(value) && value.length === 0);
  if (empty) {
    return "";
  }
  const ref = (path: PathKey[]) => ({ kind: "span" as const, spanId: span.span_id, path });
  const title = section.charAt(0).toUpperCase() + section.slice(1);
  return `<section class="sd-section"><h4>${title}</h4>${renderValue(value, ref, [section])}</section>`;
}

// OpenTelemetry's record of an exception: type, message and stack trace as event attributes.
function exceptionText(event: SpanEventData): string {
  const a = event.attributes;
  const head = [a["exception.type"], a["exception.message"]]
    .filter((v): v is string => typeof v === "string" && v !== "")
    .join(": ");
  return head;
}

function errorBlock(span: SpanData): string {
  if (span.status.code !== "ERROR") {
    return "";
  }
  const exceptions = span.events.filter((e) => e.name === "exception");
  const lines = exceptions.map(exceptionText).filter((t) => t !== "");
  const stack = exceptions
    .map((e) => e.attributes["exception.stacktrace"])
    .find((s): s is string => typeof s === "string" && s !== "");
  return (
    `<div class="sd-error" role="alert"><div class="error-text">` +
    `${escapeHtml(span.status.message || lines[0] || "The span ended with an error.")}</div>` +
    (stack !== undefined
      ? `<details class="sd-stack"><summary>Stack trace</summary><pre>${escapeHtml(stack)}</pre></details>`
      : "") +
    `</div>`
  );
}

function eventsBlock(span: SpanData): string {
  if (span.events.length === 0) {
    return "";
  }
  const items = span.events
    .slice(0, MAX_EVENTS)
    .map((e) => {
      const at = formatDuration(Math.max(0, e.timestamp_ns - span.start_time_ns));
      return `<li><span class="event-name">${escapeHtml(e.name)}</span> <span class="duration">+${at}</span></li>`;
    })
    .join("");
  const more =
    span.events.length > MAX_EVENTS
      ? `<div class="left-out">… ${String(span.events.length - MAX_EVENTS)} more events</div>`
      : "";
  return `<section class="sd-section"><h4>Events</h4><ul class="sd-events">${items}</ul>${more}</section>`;
}

/** The detail of an opened span; `row` places it on the trace's time axis. */
export function renderSpanDetail(row: SpanRow): string {
  const span = row.span;
  const usage = tokenUsage(span);
  const status = span.status.code === "ERROR" ? "error" : "ok";
  const facts = [
    fact("status", span.status.code || "UNSET"),
    fact("start", `+${formatDuration(row.startNs)}`),
    fact("duration", row.durationNs === null ? "unfinished" : formatDuration(row.durationNs)),
    usage !== undefined ? fact("tokens", tokenText(usage)) : "",
  ].join("");
  return (
    `<div class="sd" data-span="${escapeHtml(span.span_id)}">` +
    `<div class="sd-head"><span class="span-type">${escapeHtml(span.span_type)}</span> ` +
    `<span class="span-name">${escapeHtml(span.name)}</span>` +
    `<button class="sd-close" title="Close (Escape)" aria-label="Close the span's detail">×</button></div>` +
    `<dl class="sd-facts ${status}">${facts}</dl>` +
    errorBlock(span) +
    sectionBody(span, "inputs") +
    sectionBody(span, "outputs") +
    sectionBody(span, "attributes") +
    eventsBlock(span) +
    // Filled when opened: a span's JSON can be megabytes.
    `<details class="raw-json"><summary>Raw JSON</summary><pre class="raw"></pre></details>` +
    `</div>`
  );
}

/** What the raw JSON view shows. */
export function rawSpanJson(span: SpanData): string {
  return JSON.stringify(span, null, 2);
}
