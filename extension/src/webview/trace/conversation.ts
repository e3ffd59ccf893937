// The trace's chat as a conversation: turns from the chat spans in the shapes our OpenAI
// autologging (and MLflow's) records them. Pure, so every shape is unit-tested.
import type { SpanData } from "../../protocol";
import {
  CHAT_MESSAGES,
  attribute,
  chatTools,
  decoded,
  isRecord,
  jsonText,
  type ToolDefinition,
} from "./attributes";
import { spanTimeline } from "./spanTree";

export interface ToolCall {
  id: string | null;
  name: string;
  arguments: string; // as the model wrote them: usually JSON text
}

export interface Turn {
  role: string; // system, developer, user, assistant, tool, reasoning, or what the data says
  text: string;
  toolCalls: ToolCall[];
  toolCallId: string | null; // a tool result: the call it answers
  toolName: string | null; // a tool result: the tool's name, found from its call when not given
  reply: boolean; // the model's answer in this exchange, not part of its history
}

export type Conversation =
  // A chat span's history and reply.
  | { kind: "chat"; spanId: string; spanName: string; turns: Turn[]; tools: ToolDefinition[] }
  // No chat span: the root span's inputs and outputs, as a request and its response.
  | { kind: "io"; spanId: string; spanName: string; request: unknown; response: unknown };

const CHAT_SPAN_TYPES = new Set(["CHAT_MODEL", "LLM"]);

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function json(value: unknown): string {
  return typeof value === "string" ? value : jsonText(value);
}

function partText(part: unknown): string {
  if (typeof part === "string") {
    return part;
  }
  if (!isRecord(part)) {
    return "";
  }
  // text, input_text, output_text; a refusal is what the model said instead.
  const text = str(part.text) ?? str(part.refusal);
  if (text !== null) {
    return text;
  }
  return typeof part.type === "string" ? `[${part.type}]` : "";
}

/** A message's content as text: a string, or content parts (text, images, files...). */
export function contentText(content: unknown): string {
  if (Array.isArray(content)) {
    return content
      .map(partText)
      .filter((t) => t !== "")
      .join("\n");
  }
  if (content === null || content === undefined) {
    return "";
  }
  return typeof content === "string" ? content : json(content);
}

function turn(role: string, text: string, reply: boolean): Turn {
  return { role, text, toolCalls: [], toolCallId: null, toolName: null, reply };
}

function chatToolCall(call: unknown): ToolCall | undefined {
  if (!isRecord(call)) {
    return undefined;
  }
  const fn = isRecord(call.function) ? call.function : call;
  return {
    id: str(call.id),
    name: str(fn.name) ?? str(call.type) ?? "tool",
    arguments: json(fn.arguments ?? ""),
  };
}

/** A chat completions message (also the shape of `mlflow.chat.messages`). */
function chatMessage(message: unknown, reply: boolean): Turn | undefined {
  if (!isRecord(message) || typeof message.role !== "string") {
    return undefined;
  }
  const t = turn(message.role, contentText(message.content), reply);
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  t.toolCalls = calls.map(chatToolCall).filter((c): c is ToolCall => c !== undefined);
  // The function calling that tool calls replaced, still in old traces.
  const legacy = chatToolCall(message.function_call);
  if (legacy !== undefined) {
    t.toolCalls.push(legacy);
  }
  t.toolCallId = str(message.tool_call_id);
  if (message.role === "tool" || message.role === "function") {
    t.toolName = str(message.name);
  }
  return t;
}

function chatMessages(messages: unknown[], reply: boolean): Turn[] {
  return messages.map((m) => chatMessage(m, reply)).filter((t): t is Turn => t !== undefined);
}

function withoutKeys(item: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !keys.includes(k)));
}

/** Responses API items: messages, function calls and their outputs, reasoning, built-in calls. */
function responseItems(items: unknown[], reply: boolean): Turn[] {
  const turns: Turn[] = [];
  const assistantTurn = (): Turn => {
    const last = turns.at(-1);
    // Calls the model made together are one assistant turn, as in chat completions.
    if (last?.role === "assistant") {
      return last;
    }
    const fresh = turn("assistant", "", reply);
    turns.push(fresh);
    return fresh;
  };
  for (const item of items) {
    if (typeof item === "string") {
      turns.push(turn("user", item, reply));
      continue;
    }
    if (!isRecord(item)) {
      continue;
    }
    const type = str(item.type) ?? "message";
    if (typeof item.role === "string") {
      turns.push(turn(item.role, contentText(item.content), reply));
    } else if (type === "reasoning") {
      const summary = Array.isArray(item.summary) ? contentText(item.summary) : "";
      if (summary !== "") {
        turns.push(turn("reasoning", summary, reply));
      }
    } else if (type.endsWith("_call_output")) {
      const result = turn("tool", contentText(item.output), reply);
      result.toolCallId = str(item.call_id);
      turns.push(result);
    } else if (type.endsWith("_call")) {
      const args =
        item.arguments ??
        item.input ??
        withoutKeys(item, ["id", "type", "status", "call_id", "name"]);
      assistantTurn().toolCalls.push({
        id: str(item.call_id) ?? str(item.id),
        name: str(item.name) ?? type,
        arguments: json(args),
      });
    }
  }
  return turns;
}

function requestTurns(inputs: unknown): Turn[] {
  if (!isRecord(inputs)) {
    return [];
  }
  const turns: Turn[] = [];
  const instructions = str(inputs.instructions);
  if (instructions !== null && instructions !== "") {
    turns.push(turn("system", instructions, false));
  }
  if (Array.isArray(inputs.messages)) {
    turns.push(...chatMessages(inputs.messages, false));
  } else if (typeof inputs.input === "string") {
    turns.push(turn("user", inputs.input, false));
  } else if (Array.isArray(inputs.input)) {
    turns.push(...responseItems(inputs.input, false));
  }
  return turns;
}

function replyTurns(outputs: unknown): Turn[] {
  if (typeof outputs === "string") {
    return [turn("assistant", outputs, true)];
  }
  if (!isRecord(outputs)) {
    return [];
  }
  if (Array.isArray(outputs.choices)) {
    const messages = outputs.choices.map((c) => (isRecord(c) ? c.message : undefined));
    return chatMessages(messages, true);
  }
  if (Array.isArray(outputs.output)) {
    return responseItems(outputs.output, true);
  }
  return [];
}

/**
 * `mlflow.chat.messages` is the whole exchange, reply included, so the trailing assistant
 * messages are taken as the reply.
 */
function recordedTurns(messages: unknown[]): Turn[] {
  const turns = chatMessages(messages, false);
  for (const t of [...turns].reverse()) {
    if (t.role !== "assistant") {
      break;
    }
    t.reply = true;
  }
  return turns;
}

function nameToolResults(turns: Turn[]): Turn[] {
  const names = new Map<string, string>();
  for (const t of turns) {
    for (const call of t.toolCalls) {
      if (call.id !== null) {
        names.set(call.id, call.name);
      }
    }
  }
  for (const t of turns) {
    if (t.toolName === null && t.toolCallId !== null) {
      t.toolName = names.get(t.toolCallId) ?? null;
    }
  }
  return turns;
}

/** A span's exchange as turns, or undefined when the span holds no chat. */
export function spanTurns(span: SpanData): Turn[] | undefined {
  const recorded = attribute(span, CHAT_MESSAGES);
  const turns = Array.isArray(recorded)
    ? recordedTurns(recorded)
    : [...requestTurns(decoded(span.inputs)), ...replyTurns(decoded(span.outputs))];
  // A plain-text output alone is no chat: a chat has a request.
  if (turns.length === 0 || turns.every((t) => t.reply)) {
    return undefined;
  }
  return nameToolResults(turns);
}

function isChatSpan(span: SpanData): boolean {
  return CHAT_SPAN_TYPES.has(span.span_type) || span.attributes[CHAT_MESSAGES] !== undefined;
}

/**
 * The conversation a reader wants: the root-most chat span's, and of several at that depth the
 * last one (in an agent loop each call carries the whole history so far, so the last has it all).
 */
export function extractConversation(spans: readonly SpanData[]): Conversation | undefined {
  const timeline = spanTimeline(spans);
  let best: { span: SpanData; depth: number; turns: Turn[] } | undefined;
  for (const row of timeline.rows) {
    if (!isChatSpan(row.span) || (best !== undefined && row.depth > best.depth)) {
      continue;
    }
    const later =
      best === undefined ||
      row.depth < best.depth ||
      row.span.start_time_ns >= best.span.start_time_ns;
    const turns = later ? spanTurns(row.span) : undefined;
    if (turns !== undefined) {
      best = { span: row.span, depth: row.depth, turns };
    }
  }
  if (best !== undefined) {
    return {
      kind: "chat",
      spanId: best.span.span_id,
      spanName: best.span.name,
      turns: best.turns,
      tools: chatTools(best.span),
    };
  }
  const root = timeline.rows.at(0)?.span;
  if (root === undefined) {
    return undefined;
  }
  return {
    kind: "io",
    spanId: root.span_id,
    spanName: root.name,
    request: decoded(root.inputs),
    response: decoded(root.outputs),
  };
}

/** Tool call arguments as they read best: JSON indented, anything else as written. */
export function prettyArguments(args: string): string {
  try {
    const parsed = JSON.parse(args) as unknown;
    return typeof parsed === "object" && parsed !== null ? JSON.stringify(parsed, null, 2) : args;
  } catch {
    return args;
  }
}
