// A scorer's model call as the trace view shows it, read from its judge span: the attributes
// the server's JudgeCall.to_span writes (MLflow's model and token usage, ScoreLens's cached).
import type { SpanData } from "../protocol";

export interface JudgeCall {
  model: string;
  inputTokens: number | null;
  outputTokens: number | null;
  latencyMs: number;
  cached: boolean; // answered from the judge-call cache: no request was made
  prompt: string;
  reply: string;
}

function count(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value ?? "", null, 1);
}

export function judgeCallOf(span: SpanData): JudgeCall {
  // Results stored by an earlier ScoreLens may hold other records: read them as empty.
  const attributes = (span.attributes as SpanData["attributes"] | undefined) ?? {};
  const usage = (attributes["mlflow.chat.tokenUsage"] ?? {}) as Record<string, unknown>;
  const model = attributes["mlflow.llm.model"];
  return {
    model: typeof model === "string" ? model : "?",
    inputTokens: count(usage.input_tokens),
    outputTokens: count(usage.output_tokens),
    latencyMs:
      typeof span.end_time_ns === "number" ? (span.end_time_ns - span.start_time_ns) / 1e6 : 0,
    cached: attributes["scorelens.judge.cached"] === true,
    prompt: text(span.inputs),
    reply: text(span.outputs),
  };
}
