// UI test in a real browser (code-server + Debian's Chromium): every rule of the registry as a
// person sees it, on the host fixture that has a finding of each (test/fixtures/host-workspace/rules):
// the Problems panel with each rule's severity, and the topology preview with the other rules'
// findings as lines of their nodes. Screenshots are kept in test-results/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, ensureChromium, ensureCodeServer, remoteUri, startCodeServer, workbenchUrl, writeUserSettings } from '../../scripts/vscode-host.mjs';
import { runCommand, topologyFrame } from './workbench.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(repo, 'test-results');
const workspace = path.join(repo, 'test', 'fixtures', 'host-workspace', 'rules');

describe('every rule in the browser workbench', { timeout: 240_000 }, () => {
  let tmp;
  let server;
  let context;
  let page;

  before(async () => {
    const executablePath = ensureChromium();
    const entry = await ensureCodeServer();
    const { chromium } = await import('playwright-core');
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'ilb-hairpin-ui-rules-'));
    const userDataDir = path.join(tmp, 'user');
    await writeUserSettings(userDataDir);
    server = await startCodeServer({ userDataDir, extensionsDir: path.join(tmp, 'extensions'), entry });
    context = await chromium.launchPersistentContext(path.join(tmp, 'browser'), { executablePath, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 } });
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

  it('the Problems panel lists each rule with its severity', async () => {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill('azuredeploy.json');
    await page.waitForSelector('.quick-input-list .monaco-list-row', { state: 'visible' });
    await page.keyboard.press('Enter');
    await page.waitForSelector('.monaco-editor .view-lines', { state: 'visible' });
    await page.waitForSelector('.monaco-editor .squiggly-error', { state: 'attached', timeout: 60_000 });
    await page.keyboard.press('Control+Shift+M');
    await page.waitForSelector('.markers-panel', { state: 'visible', timeout: 15_000 });
    // Every row in view (the list draws only what fits): the panel maximized.
    await runCommand(page, 'View: Toggle Maximized Panel');
    // Each row: its severity icon and its code (the rule id); all five findings of the fixture.
    const rows = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('.markers-panel .monaco-list-row')]
          .map((r) => {
            const icon = r.querySelector('.codicon-error, .codicon-warning, .codicon-info');
            const severity = icon?.classList.contains('codicon-error') ? 'error' : icon?.classList.contains('codicon-warning') ? 'warning' : icon?.classList.contains('codicon-info') ? 'information' : undefined;
            const rule = /(hairpin-prone-nat-rule|hairpin-prone-rule|floating-ip-without-loopback|floating-ip-unsupported)/.exec(r.textContent ?? '')?.[1];
            return severity && rule ? `${rule} ${severity}` : undefined;
          })
          .filter(Boolean)
          .sort(),
      );
    await page.waitForFunction(() => document.querySelectorAll('.markers-panel .monaco-list-row .codicon-info').length > 0, null, { timeout: 15_000 });
    assert.deepEqual(await rows(), [
      'floating-ip-unsupported error',
      'floating-ip-without-loopback warning',
      'hairpin-prone-nat-rule information',
      'hairpin-prone-nat-rule warning',
      'hairpin-prone-rule error',
    ]);
    await page.screenshot({ path: path.join(artifacts, 'ui-rules-problems.png') });
  });

  it('the topology shows the other rules\' findings on their nodes, with their severities', async () => {
    await runCommand(page, 'View: Toggle Maximized Panel');
    await runCommand(page, 'ILB Hairpin: Show Topology');
    const frame = await topologyFrame(page);
    await frame.waitForFunction(() => /warning: floating-ip-without-loopback/.test(document.querySelector('#canvas svg.ilbh')?.textContent ?? ''), null, { timeout: 30_000 });
    const text = await frame.evaluate(() => document.querySelector('#canvas svg.ilbh')?.textContent ?? '');
    for (const line of ['error: floating-ip-unsupported', 'warning: floating-ip-without-loopback', 'warning: hairpin-prone-nat-rule', 'information: hairpin-prone-nat-rule']) assert.ok(text.includes(line), `the picture says "${line}"`);
    await page.screenshot({ path: path.join(artifacts, 'ui-rules-topology.png') });
  });
});
