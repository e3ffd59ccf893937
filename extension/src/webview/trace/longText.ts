// Long text, collapsed: its first lines are drawn and a "show more" button stands for the rest,
// which is never put in the page until asked for (interactions.ts fetches it by reference).
import { grouped } from "../../panel/pyFormat";
import { escapeHtml } from "../render";
import { encodeTextRef, type TextRef } from "./textRefs";

export const COLLAPSED_LINES = 40;
// A single line can be a megabyte (minified JSON, base64): the head is cut by length too.
export const COLLAPSED_CHARS = 4000;

export interface TextHead {
  head: string;
  hiddenLines: number;
  hiddenChars: number;
}

/** The part of a text shown while it is collapsed; nothing hidden when it is short. */
export function textHead(text: string): TextHead {
  let end = Math.min(text.length, COLLAPSED_CHARS);
  let newlines = 0;
  for (let i = 0; i < end; i += 1) {
    if (text.charCodeAt(i) === 10) {
      newlines += 1;
      if (newlines === COLLAPSED_LINES) {
        end = i;
        break;
      }
    }
  }
  if (end >= text.length) {
    return { head: text, hiddenLines: 0, hiddenChars: 0 };
  }
  const rest = text.slice(end);
  const restLines = rest.split("\n").length - (rest.startsWith("\n") ? 1 : 0);
  return { head: text.slice(0, end), hiddenLines: restLines, hiddenChars: rest.length };
}

function moreLabel(head: TextHead): string {
  return head.hiddenLines > 1
    ? `Show ${grouped(head.hiddenLines)} more lines`
    : `Show ${grouped(head.hiddenChars)} more characters`;
}

/** A block of text, wrapped and escaped, collapsed when long. */
export function renderLongText(text: string, ref: TextRef, className = "text"): string {
  const head = textHead(text);
  if (head.hiddenChars === 0) {
    return `<div class="${className}">${escapeHtml(text)}</div>`;
  }
  return (
    `<div class="long-text"><div class="${className}" tabindex="-1">${escapeHtml(head.head)}` +
    `<span class="ellipsis" aria-hidden="true">…</span></div>` +
    `<button class="show-more" data-more="${escapeHtml(encodeTextRef(ref))}">` +
    `${moreLabel(head)}</button></div>`
  );
}
