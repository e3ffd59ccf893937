// Reading what MLflow puts on a span: its sections and the `mlflow.*` attributes the trace view
// shows (token usage, the tools a model could call). Pure, so it is unit-tested.
import type { SpanData } from "../../protocol";

export const CHAT_MESSAGES = "mlflow.chat.messages";
export const CHAT_TOOLS = "mlflow.chat.tools";
export const CHAT_USAGE = "mlflow.chat.tokenUsage";
export const TRACE_USAGE = "mlflow.trace.tokenUsage";

export type SpanSection = "inputs" | "outputs" | "attributes";

export interface TokenUsage {
  input: number | null;
  output: number | null;
  total: number | null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A value as data: MLflow itself stores attribute values (and some stores whole inputs) as JSON
 * text, ScoreLens stores them decoded, and the view must read both alike.
 */
export function decoded(value: unknown): unknown {
  if (typeof value !== "string") {
    return value;
  }
  const text = value.trim();
  const first = text.charAt(0);
  if (first !== "{" && first !== "[") {
    return value;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return value;
  }
}

/** JSON text of a value; empty for what JSON cannot hold (JSON.stringify gives undefined). */
export function jsonText(value: unknown): string {
  if (value === undefined || typeof value === "function" || typeof value === "symbol") {
    return "";
  }
  return JSON.stringify(value);
}

export function attribute(span: SpanData, key: string): unknown {
  return decoded(span.attributes[key]);
}

/** A section of the span as the detail shows it, attributes decoded one by one. */
export function spanSection(span: SpanData, section: SpanSection): unknown {
  if (section !== "attributes") {
    return decoded(span[section]);
  }
  return Object.fromEntries(Object.entries(span.attributes).map(([k, v]) => [k, decoded(v)]));
}

function count(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function usageFrom(value: unknown, inputKey: string, outputKey: string): TokenUsage | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  const usage = {
    input: count(value[inputKey]),
    output: count(value[outputKey]),
    total: count(value.total_tokens),
  };
  if (usage.input === null && usage.output === null && usage.total === null) {
    return undefined;
  }
  if (usage.total === null && usage.input !== null && usage.output !== null) {
    usage.total = usage.input + usage.output;
  }
  return usage;
}

/**
 * A model call's tokens: `mlflow.chat.tokenUsage` as autologging writes it, else the usage the
 * provider reported in the outputs (chat completions and Responses API name them differently).
 */
export function tokenUsage(span: SpanData): TokenUsage | undefined {
  const recorded = usageFrom(attribute(span, CHAT_USAGE), "input_tokens", "output_tokens");
  if (recorded !== undefined) {
    return recorded;
  }
  const outputs = decoded(span.outputs);
  const usage = isRecord(outputs) ? outputs.usage : undefined;
  const responsesApi = isRecord(usage) && ("input_tokens" in usage || "output_tokens" in usage);
  return responsesApi
    ? usageFrom(usage, "input_tokens", "output_tokens")
    : usageFrom(usage, "prompt_tokens", "completion_tokens");
}

/** The whole trace's tokens, which MLflow sums into the trace's metadata. */
export function traceTokenUsage(
  metadata: Record<string, string> | undefined,
): TokenUsage | undefined {
  return usageFrom(decoded(metadata?.[TRACE_USAGE]), "input_tokens", "output_tokens");
}

export interface ToolDefinition {
  name: string;
  description: string | null;
}

function toolDefinition(tool: unknown): ToolDefinition | undefined {
  if (!isRecord(tool)) {
    return undefined;
  }
  // Chat completions nest a function tool under "function"; the Responses API keeps it flat.
  const fn = isRecord(tool.function) ? tool.function : tool;
  const name =
    typeof fn.name === "string" ? fn.name : typeof tool.type === "string" ? tool.type : "";
  if (name === "") {
    return undefined;
  }
  return { name, description: typeof fn.description === "string" ? fn.description : null };
}

/** The tools the model could call: `mlflow.chat.tools`, else the request's own `tools`. */
export function chatTools(span: SpanData): ToolDefinition[] {
  let tools = attribute(span, CHAT_TOOLS);
  if (!Array.isArray(tools)) {
    const inputs = decoded(span.inputs);
    tools = isRecord(inputs) ? inputs.tools : undefined;
  }
  if (!Array.isArray(tools)) {
    return [];
  }
  return tools.map(toolDefinition).filter((t): t is ToolDefinition => t !== undefined);
}
