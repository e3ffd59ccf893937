// What a user does in code-server's workbench, as Playwright steps: open a file, run a palette
// command, pick from a quick pick, read lenses and the status bar. Shared by the e2e steps.

export function workbench(page) {
  const lenses = () => page.locator(".codelens-decoration a");
  const quickInput = () => page.locator(".quick-input-widget input");

  async function quickOpen(name) {
    await page
      .locator(".monaco-workbench")
      .click({ position: { x: 900, y: 500 } })
      .catch(() => {});
    await page.keyboard.press("Control+P");
    await quickInput().waitFor({ state: "visible", timeout: 15000 });
    await quickInput().fill(name);
    await page.waitForSelector(".quick-input-list .monaco-list-row", { timeout: 15000 });
    await page.keyboard.press("Enter");
  }

  // The command palette, as a user types it.
  async function palette(title) {
    await page.keyboard.press("Control+Shift+P");
    await quickInput().waitFor({ state: "visible", timeout: 15000 });
    await quickInput().fill(`>${title}`);
    await page
      .locator(".quick-input-list .monaco-list-row", { hasText: title })
      .first()
      .waitFor({ timeout: 15000 });
    await page.keyboard.press("Enter");
  }

  // A quick pick the extension opened: wait for the row, then choose it.
  async function choose(rowText) {
    const row = page.locator(".quick-input-widget .quick-input-list .monaco-list-row", {
      hasText: rowText,
    });
    await row.first().waitFor({ timeout: 30000 });
    await row.first().click();
  }

  // Go to Line in the focused editor, the cursor at the line's end.
  async function endOfLine(line) {
    // Into the editor through a line number in the middle of the view: a click on the text
    // may land on a code lens being redrawn, and run (or lose) its command; the top lines may
    // lie under the sticky scroll.
    const numbers = page.locator(".monaco-editor .margin-view-overlays .line-numbers");
    await numbers.nth(Math.floor((await numbers.count()) / 2)).click();
    await page.keyboard.press("Control+G");
    // Go to Line's input starts with ":"; filling it must keep that prefix.
    await quickInput().fill(`:${line}`);
    await page.keyboard.press("Enter");
    await page.keyboard.press("End");
  }

  async function statusSays(traces) {
    const item = page.locator(".statusbar-item", { hasText: ` · ${traces} traces` }).first();
    await item.waitFor({ timeout: 60000 });
    return item.innerText();
  }

  // Counts the results panel's table redraws from now on; returns a reader of the count.
  async function countPanelRedraws() {
    const outer = await (await page.locator("iframe.webview.ready").elementHandle()).contentFrame();
    const frame = await (await outer.waitForSelector("#active-frame")).contentFrame();
    await frame.evaluate(() => {
      if (window.__scorelensRedraws === undefined) {
        new MutationObserver((records) => {
          const drawn = records.some((r) =>
            Array.from(r.addedNodes).some((n) => n.id === "results"),
          );
          window.__scorelensRedraws += drawn ? 1 : 0;
        }).observe(document.getElementById("root"), { childList: true });
      }
      window.__scorelensRedraws = 0;
    });
    return () => frame.evaluate(() => window.__scorelensRedraws);
  }

  return {
    lenses,
    lens: (text) => lenses().filter({ hasText: text }).first(),
    webview: () => page.frameLocator("iframe.webview.ready").frameLocator("#active-frame"),
    toast: (text) => page.locator(".notifications-toasts .notification-toast", { hasText: text }),
    traceSetItem: () => page.locator(".statusbar-item", { hasText: / · \d+ traces/ }).first(),
    quickOpen,
    palette,
    choose,
    endOfLine,
    statusSays,
    countPanelRedraws,
  };
}
