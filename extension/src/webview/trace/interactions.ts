// The trace view's behaviour in the webview: opening a span (click, Enter), moving through the
// waterfall with the keyboard, drawing a virtual waterfall's rows as it scrolls, "show more",
// raw JSON on request, and Escape back to the table. It keeps the trace the host last sent, to
// draw what the first render left out.
import type { ToWebview } from "../../panel/messages";
import type { TraceData } from "../../protocol";
import { rawSpanJson, renderSpanDetail } from "./spanDetail";
import { spanTimeline, type SpanTimeline } from "./spanTree";
import { decodeTextRef, resolveTextRef } from "./textRefs";
import { ROW_HEIGHT_PX, renderWaterfallRows, visibleRange, type RowRange } from "./waterfall";

interface Shown {
  trace: TraceData;
  timeline: SpanTimeline;
}

const EDITABLE = "input, textarea, select, [contenteditable]";

/** Wires the trace view inside `root`; call once; it serves every trace shown there after. */
export function wireTraceView(root: HTMLElement): void {
  let trace: TraceData | undefined;
  let cache: Shown | undefined;

  window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
    if (event.data.type === "trace") {
      trace = event.data.trace;
      cache = undefined;
    }
  });

  // The trace on screen, if the view is showing the one last sent.
  function shown(): Shown | undefined {
    const view = root.querySelector<HTMLElement>("#trace-view");
    if (trace === undefined || view?.dataset.trace !== trace.info.trace_id) {
      return undefined;
    }
    cache ??= { trace, timeline: spanTimeline(trace.spans) };
    return cache;
  }

  function parts(waterfall: HTMLElement) {
    return {
      viewport: waterfall.querySelector<HTMLElement>(".wf-viewport"),
      rows: waterfall.querySelector<HTMLElement>(".wf-rows"),
      detail: waterfall.parentElement?.querySelector<HTMLElement>(".span-detail") ?? null,
    };
  }

  function selectedSpanId(waterfall: HTMLElement): string | null {
    return parts(waterfall).detail?.querySelector<HTMLElement>(".sd")?.dataset.span ?? null;
  }

  function rowAt(waterfall: HTMLElement, index: number): HTMLElement | null {
    return waterfall.querySelector<HTMLElement>(`.wf-row[data-index="${String(index)}"]`);
  }

  // A virtual waterfall: draws the rows of the range, the spacers standing for the others.
  function draw(waterfall: HTMLElement, view: Shown, range: RowRange): void {
    if (
      String(range.from) === waterfall.dataset.from &&
      String(range.to) === waterfall.dataset.to
    ) {
      return;
    }
    const { rows } = parts(waterfall);
    if (rows === null) {
      return;
    }
    const focused = document.activeElement?.closest<HTMLElement>(".wf-row");
    const focusedIndex =
      focused && waterfall.contains(focused) ? Number(focused.dataset.index) : -1;
    rows.innerHTML = renderWaterfallRows(view.timeline, range, {
      selectedSpanId: selectedSpanId(waterfall),
      activeIndex: Number(waterfall.dataset.active ?? "0"),
    });
    const count = view.timeline.rows.length;
    waterfall
      .querySelector(".wf-spacer-top")
      ?.setAttribute("height", String(range.from * ROW_HEIGHT_PX));
    waterfall
      .querySelector(".wf-spacer-bottom")
      ?.setAttribute("height", String((count - range.to) * ROW_HEIGHT_PX));
    waterfall.dataset.from = String(range.from);
    waterfall.dataset.to = String(range.to);
    // Redrawing removed the focused row; the same row, drawn again, takes the focus back.
    if (focusedIndex >= range.from && focusedIndex < range.to) {
      rowAt(waterfall, focusedIndex)?.focus({ preventScroll: true });
    }
  }

  function drawInView(waterfall: HTMLElement, view: Shown): void {
    const { viewport } = parts(waterfall);
    if (viewport !== null && waterfall.classList.contains("virtual")) {
      const count = view.timeline.rows.length;
      const windowRows = Number(waterfall.dataset.window);
      draw(
        waterfall,
        view,
        visibleRange(viewport.scrollTop, viewport.clientHeight, count, windowRows),
      );
    }
  }

  function focusRow(waterfall: HTMLElement, view: Shown, wanted: number): void {
    const index = Math.max(0, Math.min(view.timeline.rows.length - 1, wanted));
    let row = rowAt(waterfall, index);
    const { viewport } = parts(waterfall);
    if (row === null && viewport !== null) {
      viewport.scrollTop = index * ROW_HEIGHT_PX - viewport.clientHeight / 2;
      drawInView(waterfall, view);
      row = rowAt(waterfall, index);
    }
    if (row === null) {
      return;
    }
    waterfall.querySelectorAll<HTMLElement>('.wf-row[tabindex="0"]').forEach((stop) => {
      stop.tabIndex = -1;
    });
    row.tabIndex = 0;
    waterfall.dataset.active = String(index);
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function markSelected(waterfall: HTMLElement, spanId: string | null): void {
    waterfall.querySelectorAll<HTMLElement>(".wf-row").forEach((row) => {
      const selected = row.dataset.span === spanId;
      row.classList.toggle("selected", selected);
      row.setAttribute("aria-selected", String(selected));
    });
  }

  function openSpan(waterfall: HTMLElement, view: Shown, index: number): void {
    const row = view.timeline.rows.at(index);
    const { detail } = parts(waterfall);
    if (row === undefined || detail === null) {
      return;
    }
    detail.innerHTML = renderSpanDetail(row);
    markSelected(waterfall, row.span.span_id);
  }

  function closeSpan(waterfall: HTMLElement, view: Shown): void {
    const { detail } = parts(waterfall);
    const spanId = selectedSpanId(waterfall);
    if (detail === null || spanId === null) {
      return;
    }
    detail.innerHTML = "";
    markSelected(waterfall, null);
    const index = view.timeline.byId.get(spanId)?.index;
    if (index !== undefined) {
      focusRow(waterfall, view, index);
    }
  }

  function back(): void {
    root.querySelector<HTMLButtonElement>("#back")?.click();
  }

  function showMore(button: HTMLElement, view: Shown): void {
    const ref = decodeTextRef(button.dataset.more);
    const text = ref === undefined ? undefined : resolveTextRef(view.trace, ref);
    const box = button.closest(".long-text")?.firstElementChild;
    if (text === undefined || !(box instanceof HTMLElement)) {
      return;
    }
    // As text, never markup: the whole message is as untrusted as its head.
    box.textContent = text;
    button.remove();
    box.focus();
  }

  root.addEventListener("click", (event) => {
    const view = shown();
    const target = event.target as HTMLElement;
    if (view === undefined) {
      return;
    }
    const button = target.closest<HTMLElement>("button");
    const waterfall = root.querySelector<HTMLElement>("#span-tree .waterfall");
    if (button?.classList.contains("show-more")) {
      showMore(button, view);
    } else if (button?.classList.contains("sd-close") && waterfall !== null) {
      closeSpan(waterfall, view);
    } else if (button?.dataset.spanLink !== undefined && waterfall !== null) {
      const index = view.timeline.byId.get(button.dataset.spanLink)?.index;
      if (index !== undefined) {
        openSpan(waterfall, view, index);
        focusRow(waterfall, view, index);
      }
    } else {
      const row = target.closest<HTMLElement>(".wf-row");
      const owner = row?.closest<HTMLElement>(".waterfall");
      if (row && owner) {
        openSpan(owner, view, Number(row.dataset.index));
        focusRow(owner, view, Number(row.dataset.index));
      }
    }
  });

  root.addEventListener("keydown", (event) => {
    const view = shown();
    const target = event.target as HTMLElement;
    if (view === undefined || event.defaultPrevented || target.closest(EDITABLE) !== null) {
      return;
    }
    const row = target.closest<HTMLElement>(".wf-row");
    const waterfall = row?.closest<HTMLElement>(".waterfall");
    if (row && waterfall) {
      const index = Number(row.dataset.index);
      const { viewport } = parts(waterfall);
      const page = Math.max(1, Math.floor((viewport?.clientHeight ?? 0) / ROW_HEIGHT_PX) - 1);
      const moves: Partial<Record<string, number>> = {
        ArrowDown: index + 1,
        ArrowUp: index - 1,
        PageDown: index + page,
        PageUp: index - page,
        Home: 0,
        End: view.timeline.rows.length - 1,
      };
      const to = moves[event.key];
      if (to !== undefined) {
        event.preventDefault();
        focusRow(waterfall, view, to);
        return;
      }
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        openSpan(waterfall, view, index);
        return;
      }
    }
    const detail = target.closest(".span-detail");
    if (event.key === "Escape" && detail !== null) {
      const owner = detail.parentElement?.querySelector<HTMLElement>(".waterfall");
      if (owner) {
        event.preventDefault();
        closeSpan(owner, view);
      }
    } else if (
      event.key === "Escape" ||
      event.key === "BrowserBack" ||
      (event.altKey && event.key === "ArrowLeft")
    ) {
      event.preventDefault();
      back();
    }
  });

  // Scroll and toggle events do not bubble: listened for on the way down.
  root.addEventListener(
    "scroll",
    (event) => {
      const view = shown();
      const viewport = event.target instanceof HTMLElement ? event.target : null;
      const waterfall = viewport?.closest<HTMLElement>(".waterfall.virtual");
      if (view !== undefined && viewport?.classList.contains("wf-viewport") && waterfall) {
        drawInView(waterfall, view);
      }
    },
    true,
  );

  root.addEventListener(
    "toggle",
    (event) => {
      const view = shown();
      const details = event.target instanceof HTMLElement ? event.target : null;
      if (view === undefined || !details?.classList.contains("raw-json")) {
        return;
      }
      const pre = details.querySelector<HTMLElement>("pre.raw");
      const spanId = details.closest<HTMLElement>(".sd")?.dataset.span;
      const span = view.timeline.byId.get(spanId ?? "")?.span;
      if (pre !== null && span !== undefined && pre.textContent === "") {
        pre.textContent = rawSpanJson(span);
      }
    },
    true,
  );
}
