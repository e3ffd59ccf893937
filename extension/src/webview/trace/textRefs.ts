// Where a collapsed text's whole comes from. The view renders only the head of a long text, so
// a trace with a megabyte message stays light; "show more" finds the rest in the trace data by
// this reference. Pure, so it is unit-tested.
import type { TraceData } from "../../protocol";
import { isRecord, spanSection, type SpanSection } from "./attributes";
import { extractConversation, prettyArguments } from "./conversation";

export type PathKey = string | number;

export type TextRef =
  // A turn of the conversation, or the arguments of one of its tool calls.
  | { kind: "turn"; turn: number; call?: number }
  // A value inside a span's inputs, outputs or attributes (the path starts with the section).
  | { kind: "span"; spanId: string; path: PathKey[] }
  | { kind: "expectations"; path: PathKey[] };

export function encodeTextRef(ref: TextRef): string {
  return JSON.stringify(ref);
}

export function decodeTextRef(text: string | undefined): TextRef | undefined {
  if (text === undefined) {
    return undefined;
  }
  try {
    const ref = JSON.parse(text) as unknown;
    return isRecord(ref) && typeof ref.kind === "string" ? (ref as unknown as TextRef) : undefined;
  } catch {
    return undefined;
  }
}

function at(value: unknown, path: readonly PathKey[]): unknown {
  let here = value;
  for (const key of path) {
    if (Array.isArray(here) && typeof key === "number") {
      here = here[key];
    } else if (isRecord(here) && typeof key === "string") {
      here = here[key];
    } else {
      return undefined;
    }
  }
  return here;
}

function asText(value: unknown): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

const SECTIONS: readonly PathKey[] = ["inputs", "outputs", "attributes"];

/** The whole text a reference points at, as the collapsed view showed its head. */
export function resolveTextRef(trace: TraceData, ref: TextRef): string | undefined {
  if (ref.kind === "expectations") {
    return asText(at(trace.info.expectations, ref.path));
  }
  if (ref.kind === "span") {
    const span = trace.spans.find((s) => s.span_id === ref.spanId);
    const section = ref.path.at(0);
    const rest = ref.path.slice(1);
    if (span === undefined || section === undefined || !SECTIONS.includes(section)) {
      return undefined;
    }
    return asText(at(spanSection(span, section as SpanSection), rest));
  }
  const conversation = extractConversation(trace.spans);
  const turn = conversation?.kind === "chat" ? conversation.turns.at(ref.turn) : undefined;
  if (turn === undefined) {
    return undefined;
  }
  if (ref.call === undefined) {
    return turn.text;
  }
  const call = turn.toolCalls.at(ref.call);
  return call === undefined ? undefined : prettyArguments(call.arguments);
}
