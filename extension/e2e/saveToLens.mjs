// Save-to-lens time in the real editor with many stored traces: edit a scorer, Ctrl+S, and
// time until its lens shows the new figures. It prints the figures and, per save, what crossed
// the wire in between; it asserts nothing about time (the numbers are for people to read, and
// a slow machine must not fail the test).
import { spawnSync } from "node:child_process";

// Lens text changes, seen in the page: each text the scorer's lens shows from now (just before
// Ctrl+S is pressed: VS Code keeps the key event to itself) until it holds `marker`. Times are
// the page's clock, in ms since the epoch.
function watchLens({ scorer, marker, traces }) {
  const probe = { saved: Date.now(), done: undefined, seen: [] };
  window.__scorelensSaveProbe = probe;
  // VS Code may lay a lens title out with no-break spaces.
  const read = () =>
    Array.from(document.querySelectorAll(".codelens-decoration a"), (a) =>
      (a.textContent ?? "").replace(/\s+/g, " "),
    ).find((text) => text.startsWith(`${scorer} ·`)) ?? "";
  const look = () => {
    if (probe.done !== undefined) {
      return;
    }
    const text = read();
    if (probe.seen.at(-1)?.text !== text) {
      probe.seen.push({ at: Date.now(), text });
    }
    if (text.includes(marker) && text.includes(`${traces} traces`)) {
      probe.done = Date.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(look);
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  look();
}

const SHORT = {
  $acceptModelSaved: "saved",
  $onFileEvent: "file event",
  $emitCodeLensEvent: "lenses changed",
  $provideCodeLenses: "lenses asked",
  "$provideCodeLenses answered": "answered",
  $resolveCodeLens: "resolve asked",
  "$resolveCodeLens answered": "resolved",
  $changeMany: "diagnostics",
};

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Stores `traces` more traces with the CLI, makes them the active set, then times `samples`
 * saves of a one-scorer edit. The editor must be showing scorers.py.
 */
export async function timeSaveToLens({ page, ui, spy, log, check, env }) {
  const traces = Number(env.E2E_TIMING_TRACES);
  const samples = Number(env.E2E_TIMING_SAMPLES);
  // Recorded outside the editor, as a user's CLI run would be: the editor learns of them
  // through its watcher on the store's index.json.
  const generate = spawnSync(
    env.E2E_PYTHON,
    [
      "-m",
      "scorelens",
      "generate",
      "--dataset",
      env.E2E_TIMING_DATASET,
      "--app",
      "sample_app.py:sample_app",
    ],
    { cwd: env.E2E_WORKSPACE, encoding: "utf8", input: "" },
  );
  check(generate.status === 0, `the CLI stored ${traces} more traces ${generate.stderr}`);
  await ui.traceSetItem().click({ timeout: 30000 });
  await ui.choose(`${traces} traces ·`);
  await ui.statusSays(traces);
  // One run scores the file's three scorers; the timed one's lens shows when it ended (the
  // others' may be scrolled out of view, where the editor draws no lens).
  await page.waitForFunction(
    (wanted) =>
      Array.from(document.querySelectorAll(".codelens-decoration a")).some((a) => {
        const text = (a.textContent ?? "").replace(/\s+/g, " ");
        return text.startsWith("response_length ·") && text.includes(wanted);
      }),
    `${traces} traces · 0 errors`,
    { timeout: 300000 },
  );
  check(true, `with ${traces} traces selected the scorers are scored on them`);
  // With the results panel closed, then open: an open panel asks for rows after each run.
  const panelOpen = () => page.locator("iframe.webview.ready").count();
  const rounds = [];
  let sample = 0;
  for (const round of (await panelOpen()) > 0 ? ["open"] : ["closed", "open"]) {
    if (round === "open" && (await panelOpen()) === 0) {
      await ui.palette("ScoreLens: Show Results");
      await ui.webview().locator("#results").waitFor({ timeout: 60000 });
    }
    const times = [];
    for (let i = 0; i < samples; i += 1) {
      sample += 1;
      times.push(await timeOneSave({ page, ui, spy, log, env, traces, sample }));
    }
    rounds.push(
      `results panel ${round}: median ${median(times)} ms, max ${Math.max(...times)} ms ` +
        `(${times.join(", ")} ms)`,
    );
  }
  const summary = `save-to-lens in the real editor, ${traces} traces: ${rounds.join("; ")}`;
  log(summary);
  return summary;
}

// Each save adds a new constant, so every version is new to the store (no cached results) and
// its lens shows the change from the one before: "(▲<sample>)". Returns the ms it took.
async function timeOneSave({ page, ui, spy, log, env, traces, sample }) {
  await ui.endOfLine(env.E2E_LENGTH_LINE);
  await page.keyboard.type(` + ${sample}`);
  // The edit's own lens refresh has passed: the save is timed alone.
  await ui.lens("(saved version)").waitFor({ timeout: 30000 });
  await page.evaluate(watchLens, {
    scorer: "response_length",
    marker: `(▲${sample})`,
    traces,
  });
  await page.keyboard.press("Control+S");
  const probe = await page
    .waitForFunction(
      () => window.__scorelensSaveProbe.done !== undefined && window.__scorelensSaveProbe,
      null,
      { timeout: 120000 },
    )
    .then((handle) => handle.jsonValue())
    .catch(async (error) => {
      const seen = await page.evaluate(() => window.__scorelensSaveProbe);
      throw new Error(`${error.message}; the lens showed ${JSON.stringify(seen)}`);
    });
  const took = probe.done - probe.saved;
  const wire = spy
    .since(probe.saved, probe.done)
    .map((e) => ({ ms: e.ms, what: SHORT[e.what] ?? e.what }));
  const shown = probe.seen
    .slice(1)
    .map((s) => ({ ms: s.at - probe.saved, what: `lens "${s.text.slice(0, 44)}"` }));
  const timeline = [...wire, ...shown].sort((a, b) => a.ms - b.ms).map((e) => `${e.ms} ${e.what}`);
  log(`save ${sample}: the lens shows the new figures after ${took} ms`);
  log(`  ${timeline.join(" · ")}`);
  // Whatever the save set going after the lens changed settles before the next one.
  await page.waitForTimeout(1500);
  return took;
}
