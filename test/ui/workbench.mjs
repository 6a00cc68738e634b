// Driving the browser workbench as a person does, shared by the UI tests: the command palette
// and the topology webview's frame.

/** F1, the command's title, and a click on the row that is exactly that command. */
export async function runCommand(page, title) {
  // F1 pressed while the webview has the focus may not reach the workbench: take the focus back
  // to the workbench's own document and try again until the command palette is there.
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 0; ; attempt++) {
    // The palette of the command before may still be closing: F1 pressed then is lost with it.
    await input.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
    if (attempt > 0) await page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined));
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
  // The title goes into the palette's input itself: keys typed while the widget is still taking
  // the focus can be lost, and the unfiltered list (hundreds of rows) hides the command.
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await row.click();
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
