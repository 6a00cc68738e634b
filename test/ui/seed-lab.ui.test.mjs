// UI test in a real browser: code-server (VS Code 1.100.3) + Debian's Chromium, driven like a
// person would: open the seed lab from Quick Open, see the squiggle, hover it, open Problems.
// Screenshots are kept in test-results/ as artifacts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CHROMIUM_ARGS,
  ensureChromium,
  ensureCodeServer,
  remoteUri,
  startCodeServer,
  workbenchUrl,
  writeUserSettings,
} from '../../scripts/vscode-host.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(repo, 'test-results');
const workspace = path.join(repo, 'examples');

describe('the seed lab in the browser workbench', { timeout: 240_000 }, () => {
  let tmp;
  let server;
  let context;
  let page;

  before(async () => {
    const executablePath = ensureChromium();
    const entry = await ensureCodeServer();
    const { chromium } = await import('playwright-core');
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'ilb-hairpin-ui-'));
    const userDataDir = path.join(tmp, 'user');
    await writeUserSettings(userDataDir);
    server = await startCodeServer({ userDataDir, extensionsDir: path.join(tmp, 'extensions'), entry });
    context = await chromium.launchPersistentContext(path.join(tmp, 'browser'), {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    const payload = [
      ['extensionDevelopmentPath', remoteUri(server.port, repo)],
      ['skipWelcome', 'true'],
    ];
    await page.goto(workbenchUrl(server.port, { folder: workspace, payload }));
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await fsp.mkdir(artifacts, { recursive: true });
  });

  after(async () => {
    await context?.close().catch(() => {});
    await server?.stop().catch(() => {});
    if (tmp) await fsp.rm(tmp, { recursive: true, force: true }).catch(() => {});
  });

  it('shows a warning squiggle on enableFloatingIP and explains it on hover', async () => {
    // Quick Open the template, as a person would.
    await page.waitForTimeout(2000);
    await page.keyboard.press('Control+P');
    await page.waitForSelector('.quick-input-widget', { state: 'visible' });
    await page.keyboard.type('seed-lab/azuredeploy.json');
    await page.waitForSelector('.quick-input-list .monaco-list-row', { state: 'visible' });
    await page.keyboard.press('Enter');
    await page.waitForSelector('.monaco-editor .view-lines', { state: 'visible' });

    // The finding is on line 90 ("enableFloatingIP": false): bring it into view and wait for the squiggle.
    await page.keyboard.press('Control+G');
    await page.keyboard.type('90');
    await page.keyboard.press('Enter');
    const squiggle = await page.waitForSelector('.monaco-editor .squiggly-warning', { state: 'attached', timeout: 60_000 });
    assert.ok(squiggle, 'a warning squiggle is rendered');
    // The Show topology CodeLens above the load balancer moves and re-renders the lines below it
    // when it appears: hover the squiggle once it stays put for two frames (a locator finds it again).
    await page.waitForSelector('.monaco-editor .codelens-decoration', { state: 'attached', timeout: 15_000 });
    await page.waitForFunction(async () => {
      const at = () => document.querySelector('.monaco-editor .squiggly-warning')?.getBoundingClientRect();
      const before = at();
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const after = at();
      return !!before && !!after && before.top === after.top && before.left === after.left;
    });

    await page.locator('.monaco-editor .squiggly-warning').first().hover({ force: true });
    const hover = await page.waitForSelector('.monaco-hover:not(.hidden)', { state: 'visible', timeout: 15_000 });
    const text = await hover.innerText();
    assert.match(text, /Hairpin-prone/);
    assert.match(text, /ilb-we-02-web/);
    assert.match(text, /10\.2\.1\.100:80/);
    assert.match(text, /every connection fails/);
    assert.match(text, /hairpin-prone-rule/);
    await page.screenshot({ path: path.join(artifacts, 'ui-seed-lab-hover.png') });
  });

  it('shows the quick fixes on Control+.', async () => {
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
    const squiggle = await page.waitForSelector('.monaco-editor .squiggly-warning', { state: 'attached' });
    const box = await squiggle.boundingBox();
    assert.ok(box, 'the squiggle has a place on the screen');
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.keyboard.press('Control+.');
    const menu = await page.waitForSelector('.action-widget', { state: 'visible', timeout: 15_000 });
    const text = await menu.innerText();
    // The seed's three workarounds, by name.
    assert.match(text, /Enable floating IP on rule rule-http and configure the VIP on the backend VMs' loopback/);
    assert.match(text, /Enable floating IP only on rule rule-http \(incomplete/);
    assert.match(text, /Add a secondary NIC to each backend VM of rule rule-http/);
    assert.match(text, /Scaffold an NGINX NVA tier in front of the backends of rule rule-http/);
    assert.match(text, /Suppress hairpin-prone-rule for rule rule-http/);
    assert.match(text, /Learn more about hairpin-prone-rule/);
    await page.screenshot({ path: path.join(artifacts, 'ui-seed-lab-quick-fixes.png') });
    await page.keyboard.press('Escape');
  });

  it('lists the finding in the Problems panel', async () => {
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+M');
    const row = await page.waitForSelector('.markers-panel .monaco-list-row .marker-message-details, .markers-panel .monaco-list-row', { timeout: 15_000 });
    assert.ok(row);
    const panel = await page.waitForSelector('.markers-panel', { state: 'visible' });
    await page.waitForFunction(() => /Hairpin-prone/.test(document.querySelector('.markers-panel')?.textContent ?? ''), null, { timeout: 15_000 });
    const text = await panel.innerText();
    assert.match(text, /azuredeploy\.json/);
    assert.match(text, /Hairpin-prone: internal load balancer ilb-we-02-web, rule rule-http/);
    await page.screenshot({ path: path.join(artifacts, 'ui-seed-lab-problems.png') });
  });
});
