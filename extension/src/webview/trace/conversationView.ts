// The conversation drawn as turns: who spoke, what they said (long messages collapsed), the
// tools the model called with their arguments, and what each tool answered.
import { escapeHtml } from "../render";
import type { Conversation, ToolCall, Turn } from "./conversation";
import { prettyArguments } from "./conversation";
import { renderLongText } from "./longText";
import { renderValue } from "./prettyValue";
import type { PathKey } from "./textRefs";

const ROLE_CLASSES = new Set(["system", "developer", "user", "assistant", "tool", "reasoning"]);

function roleClass(role: string): string {
  if (role === "function") {
    return "role-tool";
  }
  return ROLE_CLASSES.has(role) ? `role-${role}` : "role-other";
}

function toolCall(call: ToolCall, turn: number, index: number): string {
  return (
    `<div class="tool-call"><div class="tool-call-head">calls <span class="tool-name">` +
    `${escapeHtml(call.name)}</span>` +
    (call.id !== null ? ` <span class="tool-call-id">${escapeHtml(call.id)}</span>` : "") +
    `</div>` +
    renderLongText(
      prettyArguments(call.arguments),
      { kind: "turn", turn, call: index },
      "tool-args",
    ) +
    `</div>`
  );
}

function turnHead(turn: Turn): string {
  const who =
    turn.toolName !== null
      ? `${turn.role} · ${turn.toolName}`
      : turn.reply
        ? `${turn.role} · reply`
        : turn.role;
  const callId =
    turn.toolCallId !== null
      ? ` <span class="tool-call-id">${escapeHtml(turn.toolCallId)}</span>`
      : "";
  return `<div class="turn-head"><span class="turn-role">${escapeHtml(who)}</span>${callId}</div>`;
}

function renderTurn(turn: Turn, index: number, count: number): string {
  const label = `${turn.reply ? "reply" : "message"} ${String(index + 1)} of ${String(count)}, ${turn.role}`;
  const text = turn.text !== "" ? renderLongText(turn.text, { kind: "turn", turn: index }) : "";
  const calls = turn.toolCalls.map((c, i) => toolCall(c, index, i)).join("");
  return (
    // Focusable so the conversation can be read turn by turn with Tab.
    `<article class="turn ${roleClass(turn.role)}${turn.reply ? " reply" : ""}" tabindex="0" ` +
    `aria-label="${escapeHtml(label)}">${turnHead(turn)}${text}${calls}</article>`
  );
}

function spanLink(conversation: Conversation): string {
  return (
    `<button class="span-link" data-span-link="${escapeHtml(conversation.spanId)}" ` +
    `title="Open this span in the waterfall">${escapeHtml(conversation.spanName)}</button>`
  );
}

function ioTurn(title: string, value: unknown, spanId: string, section: string): string {
  const ref = (path: PathKey[]) => ({ kind: "span" as const, spanId, path });
  return (
    `<article class="turn role-${title}" tabindex="0" aria-label="${title}">` +
    `<div class="turn-head"><span class="turn-role">${title}</span></div>` +
    `${renderValue(value, ref, [section])}</article>`
  );
}

export function renderConversation(conversation: Conversation | undefined): string {
  if (conversation === undefined) {
    return `<h3>Conversation</h3><p class="empty">This trace has no spans.</p>`;
  }
  if (conversation.kind === "io") {
    return (
      `<h3>Request and response</h3>` +
      `<p class="conversation-source">No chat in this trace: the inputs and outputs of ` +
      `${spanLink(conversation)}.</p>` +
      `<div class="turns">` +
      ioTurn("request", conversation.request, conversation.spanId, "inputs") +
      ioTurn("response", conversation.response, conversation.spanId, "outputs") +
      `</div>`
    );
  }
  const tools =
    conversation.tools.length > 0
      ? ` · tools: ` +
        conversation.tools
          .map(
            (t) =>
              `<span class="tool-name"${t.description !== null ? ` title="${escapeHtml(t.description)}"` : ""}>` +
              `${escapeHtml(t.name)}</span>`,
          )
          .join(", ")
      : "";
  const turns = conversation.turns
    .map((t, i) => renderTurn(t, i, conversation.turns.length))
    .join("");
  return (
    `<h3>Conversation</h3>` +
    `<p class="conversation-source">From ${spanLink(conversation)}${tools}</p>` +
    `<div class="turns">${turns}</div>`
  );
}
