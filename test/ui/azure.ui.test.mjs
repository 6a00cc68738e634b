// UI test of the Deployed Load Balancers view in a real browser: code-server (VS Code 1.100.3) +
// Debian's Chromium, against the fake Resource Manager of test/azure/fake-arm.ts on 127.0.0.1
// (its certificate trusted through NODE_EXTRA_CA_CERTS in code-server's environment, the token
// in ILB_HAIRPIN_ARM_TOKEN, the endpoint in ilbHairpin.azure.armEndpoint). Runs ILB Hairpin: Scan
// Azure Subscription from the palette, picks the subscriptions in its picker as a person would,
// and checks and screenshots the tree (test-results/ui-azure-tree.png). No request leaves the machine.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { CHROMIUM_ARGS, QUIET_SETTINGS, ensureChromium, ensureCodeServer, remoteUri, startCodeServer, workbenchUrl, writeUserSettings } from '../../scripts/vscode-host.mjs';
import { runCommand } from './workbench.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(repo, 'test-results');
const workspace = path.join(repo, 'test', 'fixtures', 'host-workspace');

/** The fake server and its scenarios (TypeScript), bundled for this process with esbuild. */
async function loadFake(tmp) {
  const outfile = path.join(tmp, 'fake-arm.cjs');
  await esbuild.build({ stdin: { contents: "export * from './test/azure/fake-arm'; export * from './test/azure/scenarios';", resolveDir: repo, loader: 'ts' }, bundle: true, platform: 'node', format: 'cjs', outfile, logLevel: 'error' });
  return createRequire(import.meta.url)(outfile);
}

/** The visible rows of the Deployed Load Balancers view, as their text. */
function rows(page) {
  return page.evaluate(() => {
    const pane = [...document.querySelectorAll('.pane')].find((p) => /Deployed Load Balancers/i.test(p.querySelector('.pane-header')?.textContent ?? ''));
    return [...(pane?.querySelectorAll('.monaco-list-row') ?? [])].map((r) => r.innerText.replace(/\s+/g, ' ').trim());
  });
}

/** code-server with the extension and the workspace open, in Chromium; `env` for code-server. */
async function openWorkbench(tmp, settings, env) {
  const executablePath = ensureChromium();
  const entry = await ensureCodeServer();
  const { chromium } = await import('playwright-core');
  const userDataDir = path.join(tmp, 'user');
  await writeUserSettings(userDataDir, { ...QUIET_SETTINGS, ...settings });
  const server = await startCodeServer({ userDataDir, extensionsDir: path.join(tmp, 'extensions'), entry, env });
  const context = await chromium.launchPersistentContext(path.join(tmp, 'browser'), { executablePath, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 } });
  const page = context.pages()[0] ?? (await context.newPage());
  const payload = [
    ['extensionDevelopmentPath', remoteUri(server.port, repo)],
    ['skipWelcome', 'true'],
  ];
  await page.goto(workbenchUrl(server.port, { folder: workspace, payload }));
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await fsp.mkdir(artifacts, { recursive: true });
  return { server, context, page };
}

describe('the Deployed Load Balancers view in the browser workbench', { timeout: 240_000 }, () => {
  let tmp;
  let fake;
  let server;
  let context;
  let page;

  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'ilb-hairpin-ui-azure-'));
    const f = await loadFake(tmp);
    const { certFile } = f.testCertificate();
    fake = await f.startFakeArm({
      token: f.TOKEN,
      resources: [...f.seedLabDeployed({ sub: f.SUB1 }).resources, ...f.seedLabDeployed({ sub: f.SUB2, rg: 'rg-two', vms: ['VM-WE-02-Web01', 'VM-WE-02-Web02'] }).resources, ...f.lab({ sub: f.SUB2, rg: 'rg-two', lbName: 'ilb-two', members: 2 })],
      subscriptions: [
        { id: f.SUB1, name: 'Lab' },
        { id: f.SUB2, name: 'Two members' },
        { id: f.SUB3, name: 'Forbidden' },
      ],
      faults: [{ match: new RegExp(`^GET /subscriptions/${f.SUB3}/`, 'i'), status: 403, code: 'AuthorizationFailed' }],
    });
    ({ server, context, page } = await openWorkbench(tmp, { 'ilbHairpin.azure.armEndpoint': fake.url }, { NODE_EXTRA_CA_CERTS: certFile, ILB_HAIRPIN_ARM_TOKEN: f.TOKEN }));
  });

  after(async () => {
    await context?.close().catch(() => {});
    await server?.stop().catch(() => {});
    await fake?.close().catch(() => {});
    if (tmp) await fsp.rm(tmp, { recursive: true, force: true }).catch(() => {});
  });

  it('Scan Azure Subscription: the subscription picker, then the tree with findings, a 403 and drift', async () => {
    await page.waitForTimeout(2000);
    await runCommand(page, 'ILB Hairpin: Scan Azure Subscription');
    // The picker lists the subscriptions from GET /subscriptions, after "All subscriptions".
    await page.waitForFunction(() => [...document.querySelectorAll('.quick-input-list .monaco-list-row')].some((r) => /Forbidden/.test(r.textContent ?? '')), null, { timeout: 30_000 });
    const offered = await page.evaluate(() => [...document.querySelectorAll('.quick-input-list .monaco-list-row .label-name')].map((e) => (e.textContent ?? '').trim()));
    assert.deepEqual(offered, ['All subscriptions', 'Lab', 'Two members', 'Forbidden']);
    for (const name of ['Lab', 'Two members', 'Forbidden']) {
      // A click on a row of a multi-select picker checks it.
      await page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: name }) }).first().click();
    }
    await page.waitForFunction(() => document.querySelectorAll('.quick-input-list .monaco-list-row .quick-input-list-checkbox:checked, .quick-input-list .monaco-list-row [aria-checked="true"]').length >= 3, null, { timeout: 10_000 }).catch(() => undefined);
    await page.screenshot({ path: path.join(artifacts, 'ui-azure-picker.png') });
    await page.keyboard.press('Enter');

    // The view shows the three subscriptions, expanded; the Explorer's other sections folded to give it room.
    await page.waitForFunction(() => [...document.querySelectorAll('.pane')].some((p) => /Deployed Load Balancers/i.test(p.querySelector('.pane-header')?.textContent ?? '') && /could not be read/.test(p.textContent ?? '')), null, { timeout: 60_000 });
    await page.evaluate(() => {
      for (const h of document.querySelectorAll('.sidebar .pane-header.expanded')) if (!/Deployed Load Balancers/i.test(h.textContent ?? '')) h.click();
    });
    // A wider side bar for the picture: drag the sash between it and the editor.
    const sidebar = await page.locator('.part.sidebar').boundingBox();
    const sashes = await page.locator('.monaco-sash.vertical').evaluateAll((list) => list.map((e) => e.getBoundingClientRect().toJSON()));
    const sash = sidebar ? sashes.find((r) => Math.abs(r.x + r.width / 2 - (sidebar.x + sidebar.width)) < 6 && r.height > 200) : undefined;
    if (sash) {
      await page.mouse.move(sash.x + sash.width / 2, 300);
      await page.mouse.down();
      await page.mouse.move(760, 300, { steps: 8 });
      await page.mouse.up();
    }
    await page.waitForTimeout(500);
    let text = await rows(page);
    assert.ok(text.some((r) => /^Lab\s*1 load balancer$/.test(r)), text.join('\n'));
    assert.ok(text.some((r) => /^Forbidden\s*could not be read$/.test(r)), text.join('\n'));
    assert.ok(text.some((r) => /access denied \(403 AuthorizationFailed\)/.test(r)), text.join('\n'));

    // Open the drifted load balancer of the second subscription.
    const lbs = page.locator('.pane .monaco-list-row', { hasText: /^ilb-we-02-web/ });
    assert.equal(await lbs.count(), 2);
    await lbs.nth(1).click();
    await page.waitForFunction(() => /Drift: pool be-web/.test(document.body.innerText), null, { timeout: 15_000 });
    await lbs.nth(0).click();
    await page.waitForFunction(() => /no drift/.test(document.body.innerText), null, { timeout: 15_000 });
    text = await rows(page);
    assert.ok(text.some((r) => /^rule-http: hairpin-prone, 1 member: every call from it to the frontend fails/.test(r)), text.join('\n'));
    assert.ok(text.some((r) => /^Template: seed-lab\/azuredeploy\.json\s*same name; no drift/.test(r)), text.join('\n'));
    assert.ok(text.some((r) => /^Drift: pool be-web: members in Azure, not in the template: VM-WE-02-Web02/.test(r)), text.join('\n'));
    await page.screenshot({ path: path.join(artifacts, 'ui-azure-tree.png') });
    assert.ok(fake.requests.every((r) => r.method === 'GET'), 'only reads');
  });
});

describe("without a token in the environment: VS Code's Microsoft sign-in", { timeout: 240_000 }, () => {
  let tmp;
  let fake;
  let server;
  let context;
  let page;

  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'ilb-hairpin-ui-azure-'));
    const f = await loadFake(tmp);
    const { certFile } = f.testCertificate();
    fake = await f.startFakeArm({ token: f.TOKEN, resources: f.seedLabDeployed().resources, subscriptions: [{ id: f.SUB1, name: 'Lab' }] });
    const env = { NODE_EXTRA_CA_CERTS: certFile };
    // code-server inherits this process's environment: a token here would be used instead.
    delete process.env.ILB_HAIRPIN_ARM_TOKEN;
    ({ server, context, page } = await openWorkbench(tmp, { 'ilbHairpin.azure.armEndpoint': fake.url }, env));
  });

  after(async () => {
    await context?.close().catch(() => {});
    await server?.stop().catch(() => {});
    await fake?.close().catch(() => {});
    if (tmp) await fsp.rm(tmp, { recursive: true, force: true }).catch(() => {});
  });

  it('asks to sign in with Microsoft; Cancel ends the command quietly, with nothing sent to Azure', async () => {
    await page.waitForTimeout(2000);
    await runCommand(page, 'ILB Hairpin: Scan Azure Subscription');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    const text = await dialog.innerText();
    assert.match(text, /wants to sign in using Microsoft/i);
    await page.screenshot({ path: path.join(artifacts, 'ui-azure-sign-in.png') });
    await dialog.locator('.monaco-button', { hasText: /^Cancel$/ }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    await page.waitForTimeout(1000);
    const errors = await page.evaluate(() => [...document.querySelectorAll('.notifications-toasts .notification-list-item')].map((n) => n.innerText));
    assert.deepEqual(errors.filter((e) => /ILB Hairpin/.test(e)), [], 'no error after a cancelled sign-in');
    assert.equal(fake.requests.length, 0, 'nothing was sent without a token');
  });
});
