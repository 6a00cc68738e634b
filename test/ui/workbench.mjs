// Driving the browser workbench as a person does, shared by the UI tests: the command palette
// and the topology webview's frame.

/** F1, the command's title, and a click on the row that is exactly that command. */
export async function runCommand(page, title) {
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
  for (let attempt = 0; ; attempt++) {
    try {
      // The palette of the command before may still be closing: F1 pressed then is lost with it.
      await input.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
      // F1 pressed while the webview has the focus may not reach the workbench: take the focus
      // back to the workbench's own document before trying again.
      if (attempt > 0) await page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined));
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      // The title goes into the palette's input itself: keys typed while the widget is still
      // taking the focus can be lost, and the unfiltered list (hundreds of rows) hides the
      // command. The palette can also close again at once (a webview that takes the focus back
      // closes it): then the fill or the row times out and the whole step is tried again.
      await input.fill(`>${title}`, { timeout: 5_000 });
      await row.waitFor({ state: 'visible', timeout: 15_000 });
      await row.click({ timeout: 5_000 });
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
      await page.keyboard.press('Escape').catch(() => {});
    }
  }
}


/** The frame of the topology webview (webviews are nested iframes): the one whose document has the graph. */
export async function topologyFrame(page, timeout = 60_000) {
  const until = Date.now() + timeout;
  for (;;) {
    for (const frame of page.frames()) {
      const found = await frame.evaluate(() => !!document.querySelector('#canvas svg.ilbh')).catch(() => false);
      if (found) return frame;
    }
    if (Date.now() > until) throw new Error('the topology webview did not draw a graph');
    await page.waitForTimeout(250);
  }
}
