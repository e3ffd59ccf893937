// How a scorer's model usage reads in the panel: the words and rules of the server's lens
// (server/scorelens/lsp/lenses.py `judge_text`; scorelens/judging/usage.py `format_tokens`,
// `format_cost`), so a column
// header and its lens never disagree. Pure, so it is unit-tested; imported by the webview too.
import type { JudgeUsage } from "../protocol";
import { fixed, general, grouped } from "./pyFormat";

/** `3 judge calls (0 new) · 154 tokens · $0.000053`: the cost only when it is known. */
export function judgeText(usage: JudgeUsage): string {
  const calls = usage.calls;
  const parts = [
    `${grouped(calls)} judge call${calls !== 1 ? "s" : ""} (${grouped(usage.newCalls)} new)`,
    `${formatTokens(usage.tokens)} tokens`,
  ];
  if (usage.costUsd !== null) {
    parts.push(formatDollars(usage.costUsd));
  }
  return parts.join(" · ");
}

export function formatTokens(tokens: number): string {
  if (tokens < 1_000) {
    return String(tokens);
  }
  // The unit changes where three significant digits would round up to a thousand of it.
  if (tokens < 999_500) {
    return `${general(tokens / 1_000, 3)}k`;
  }
  if (tokens < 999_500_000) {
    return `${general(tokens / 1_000_000, 3)}M`;
  }
  return `${general(tokens / 1_000_000_000, 3)}B`;
}

export function formatDollars(amount: number): string {
  // Cents for most runs; a cheap run still shows what it cost rather than $0.00.
  if (amount === 0 || amount >= 0.01) {
    return `$${fixed(amount, 2, true)}`;
  }
  const digits = 1 - Math.floor(Math.log10(amount)); // two significant digits, never 5.3e-05
  return `$${fixed(amount, digits)}`.replace(/0+$/, "");
}
