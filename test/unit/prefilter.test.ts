/**
 * The scan's pre-parse decision (src/core/parse/prefilter.ts): a template is skipped only when it
 * is certainly strict JSON, certainly a deployment template and certainly declares nothing the
 * graph reads. Checked against the ordinary path (parseArm + mayAddToGraph) on written cases, on
 * every JSON file of the corpus, and on mutations of templates; and through the workspace: the same
 * findings, problems and parse errors from bytes as from text.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { mayAddToGraph, parseArm } from '../../src/core/parse/arm';
import { certainlyInertTemplate } from '../../src/core/parse/prefilter';
import { SourceFile } from '../../src/core/source';
import { Workspace } from '../../src/core/workspace';
import { REPO_ROOT } from './helpers';

const SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const skipped = (text: string): boolean => certainlyInertTemplate(bytes(text));

/** What the ordinary path decides: a template without syntax errors that cannot add to the graph. */
function ordinaryInert(text: string): boolean {
  const doc = parseArm(new SourceFile('/t.json', text.replace(/^\uFEFF/, '')));
  return doc.kind === 'deploymentTemplate' && doc.errors.length === 0 && mayAddToGraph(doc) === false;
}

const storage = { type: 'Microsoft.Storage/storageAccounts', apiVersion: '2023-01-01', name: 'st', properties: { a: [1, -2.5e3, true, null, 'x'] } };
const tpl = (resources: unknown, extra: Record<string, unknown> = {}): string => JSON.stringify({ $schema: SCHEMA, contentVersion: '1.0.0.0', ...extra, resources }, null, 2);

describe('certainlyInertTemplate', () => {
  it('skips a strict-JSON template whose resources are none of the graph types', () => {
    assert.equal(skipped(tpl([storage, { ...storage, resources: [{ type: 'blobServices', name: 'default' }] }])), true);
    assert.equal(skipped(tpl({ st: storage }, { languageVersion: '2.0' })), true, 'symbolic-name resources');
    assert.equal(skipped(tpl([])), true);
    assert.equal(skipped('\uFEFF' + tpl([storage])), true, 'a UTF-8 byte order mark');
    assert.equal(skipped(JSON.stringify({ contentVersion: '1.0.0.0', resources: [storage] })), true, 'no $schema: resources and contentVersion');
  });

  it('reads every template that may add to the graph, or that it is not certain about', () => {
    const cases: [string, string][] = [
      ['a load balancer', tpl([{ ...storage, type: 'Microsoft.Network/loadBalancers' }])],
      ['upper-case type', tpl([{ ...storage, type: 'MICROSOFT.NETWORK/NETWORKINTERFACES' }])],
      ['a scale set', tpl([{ ...storage, type: 'Microsoft.Compute/virtualMachineScaleSets' }])],
      ['a deployment', tpl([{ ...storage, type: 'Microsoft.Resources/deployments' }])],
      ['a child pool', tpl([{ ...storage, resources: [{ type: 'Microsoft.Network/loadBalancers/backendAddressPools', name: 'x' }] }])],
      ['a type built by an expression', tpl([{ ...storage, type: "[variables('t')]" }])],
      ['a type with an escape', tpl([storage]).replace('Microsoft.Storage', 'Microsoft.Stor\\u0061ge')],
      ['a key with an escape', tpl([storage]).replace('"type"', '"typ\\u0065"')],
      ['a resource without a type', tpl([{ name: 'x' }])],
      ['an empty resource', tpl([{}])],
      ['a type that is no string', tpl([{ ...storage, type: 5 }])],
      ['a case-variant type key', tpl([{ ...storage, Type: "[concat('Microsoft.Network/', 'loadBalancers')]" }])],
      ['a comment (JSONC)', tpl([storage]).replace('{', '{ // c\n')],
      ['a trailing comma', tpl([storage]).replace(/\n\s*\]\s*\}$/, ',\n]}')],
      ['truncated', tpl([storage]).slice(0, -5)],
      ['a raw newline in a string', tpl([{ ...storage, name: 'a\nb' }]).replace('a\\nb', 'a\nb')],
      ['a parameters file', JSON.stringify({ $schema: SCHEMA.replace('deploymentTemplate', 'deploymentParameters'), contentVersion: '1.0.0.0', parameters: {} })],
      ['two $schema keys', tpl([storage]).replace('{', `{ "$SCHEMA": "${SCHEMA}",`)],
      ['no template at all', JSON.stringify({ name: 'package', version: '1.0.0' })],
      ['a top-level array', '[]'],
      ['empty', ''],
      ['a leading zero', tpl([{ ...storage, sku: 1 }]).replace('"sku": 1', '"sku": 01')],
      ['a non-breaking space', tpl([storage]).replace('\n', '\u00a0')],
    ];
    for (const [what, text] of cases) {
      assert.equal(skipped(text), false, what);
    }
  });

  it('never skips what the ordinary path reads (corpus, fixtures, mutations)', () => {
    const roots = [path.join(REPO_ROOT, '../shared/corpus'), path.join(REPO_ROOT, 'test/fixtures'), path.join(REPO_ROOT, 'examples')];
    const texts: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.jsonc?$/i.test(e.name) && fs.statSync(p).size < 2_000_000) texts.push(fs.readFileSync(p, 'utf8'));
      }
    };
    roots.forEach(walk);
    assert.ok(texts.length > 20, 'the corpus and fixtures hold JSON files');
    let skippedCount = 0;
    for (const text of texts) {
      if (!skipped(text)) continue;
      skippedCount++;
      assert.equal(ordinaryInert(text), true, text.slice(0, 300));
    }
    // Mutations: characters deleted, swapped or doubled at positions spread over each template.
    let seed = 7;
    const rand = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const base = [tpl([storage, { ...storage, name: "[concat('a', 'b')]" }]), tpl({ a: storage }, { languageVersion: '2.0', parameters: { p: { type: 'string' } } })];
    for (const text of base) {
      for (let k = 0; k < 600; k++) {
        const at = rand(text.length);
        const op = rand(3);
        const m = op === 0 ? text.slice(0, at) + text.slice(at + 1) : op === 1 ? text.slice(0, at) + text[at + 1] + text[at] + text.slice(at + 2) : text.slice(0, at) + text[at] + text.slice(at);
        if (skipped(m)) assert.equal(ordinaryInert(m), true, `mutation ${op} at ${at}: ${m.slice(Math.max(0, at - 40), at + 40)}`);
      }
    }
    assert.ok(skippedCount > 0 || texts.length > 0);
  });

  it('a workspace fed bytes reports what one fed text reports', () => {
    const files: Record<string, string> = {
      '/w/lb.json': tpl([
        {
          type: 'Microsoft.Network/loadBalancers',
          apiVersion: '2023-09-01',
          name: 'ilb',
          properties: { frontendIPConfigurations: [{ name: 'fe', properties: { privateIPAddress: '10.0.0.4' } }], backendAddressPools: [{ name: 'be' }] },
        },
      ]),
      '/w/storage.json': tpl([storage]),
      '/w/broken.json': tpl([storage]).slice(0, -3),
      '/w/package.json': '{"name": "x"}',
    };
    const fromText = new Workspace();
    const fromBytes = new Workspace();
    for (const [p, t] of Object.entries(files)) {
      fromText.setFile(p, t);
      assert.equal(fromBytes.setFileBytes(p, bytes(t)).ok, true);
    }
    const a = fromText.analyze();
    const b = fromBytes.analyze();
    assert.deepEqual(b.findings, a.findings);
    assert.deepEqual(b.problems, a.problems);
    assert.deepEqual(b.parseErrors, a.parseErrors);
    assert.equal(b.templates, a.templates);
    assert.equal(fromBytes.role('/w/storage.json'), 'armTemplate');
    assert.equal(b.parseErrors.length, 1, 'the broken template is parsed and its error reported');
  });
});
