// Traces for the trace view's tests, in the shapes the server sends (Trace.to_dict()).
import type { SpanData, TraceData } from "../../src/protocol";

export const HOSTILE = `<img src=x onerror="alert('x')"><script>alert(1)</script> & done`;
// Closes an attribute value if it is put in one unescaped.
export const QUOTES = `q" onfocus="alert(2)" data-x='y`;

// A real trace's clock: nanoseconds past 2^53, as the store writes them.
export const T0 = Number(1_796_020_893_660_063_883n);
const MS = 1_000_000;

export interface SpanShape {
  type?: string;
  name?: string;
  start?: number; // ms after T0
  end?: number | null; // ms after T0; null: unfinished
  inputs?: unknown;
  outputs?: unknown;
  attributes?: Record<string, unknown>;
  error?: string; // status message of an ERROR span
  events?: SpanData["events"];
}

export function span(id: string, parent: string | null, shape: SpanShape = {}): SpanData {
  const start = shape.start ?? 0;
  const end = shape.end === undefined ? start + 1 : shape.end;
  return {
    trace_id: "tr-1",
    span_id: id,
    parent_id: parent,
    name: shape.name ?? id,
    span_type: shape.type ?? "UNKNOWN",
    start_time_ns: T0 + start * MS,
    end_time_ns: end === null ? null : T0 + end * MS,
    status:
      shape.error !== undefined
        ? { code: "ERROR", message: shape.error }
        : { code: "OK", message: "" },
    inputs: shape.inputs ?? null,
    outputs: shape.outputs ?? null,
    attributes: shape.attributes ?? {},
    events: shape.events ?? [],
  };
}

export function trace(spans: SpanData[], info: Partial<TraceData["info"]> = {}): TraceData {
  return {
    info: {
      trace_id: "tr-1",
      experiment_id: "0",
      run_id: null,
      request_time: 0,
      execution_duration: 1,
      state: "OK",
      expectations: {},
      tags: {},
      ...info,
    },
    spans,
  };
}

/** A chat.completions span as our autologging records it. */
export function completionSpan(
  id: string,
  parent: string | null,
  messages: unknown[],
  reply: Record<string, unknown>,
  shape: SpanShape = {},
): SpanData {
  return span(id, parent, {
    type: "CHAT_MODEL",
    name: "Completions",
    inputs: { model: "gpt-4o-mini", messages },
    outputs: {
      object: "chat.completion",
      choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", ...reply } }],
      usage: { prompt_tokens: 11, completion_tokens: 14, total_tokens: 25 },
    },
    attributes: {
      model: "gpt-4o-mini",
      "mlflow.message.format": "openai",
      "mlflow.chat.tokenUsage": { input_tokens: 11, output_tokens: 14, total_tokens: 25 },
    },
    ...shape,
  });
}
