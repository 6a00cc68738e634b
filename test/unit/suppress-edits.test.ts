/**
 * `suppressionEdits`: the edit that suppresses a finding with a reason, in the form its file
 * allows. Bicep, `.jsonc` and JSON that already has comments get a
 * `// ilb-hairpin-disable-next-line hairpin-prone-rule <reason>` line above the finding, indented
 * like it; strict JSON gets the load balancer's `comments` property (appended to an existing
 * comment with `; `). After the edit the engine no longer reports the finding, and the file still
 * parses in its dialect with its line breaks.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseTree, type ParseError } from 'jsonc-parser';

import { applyEdits, type TextEdit } from '../../src/core/edit';
import { parseBicep } from '../../src/core/parse/bicep';
import type { Finding } from '../../src/core/rules/types';
import { DIRECTIVE, suppressionEdits } from '../../src/core/suppress';
import { Workspace } from '../../src/core/workspace';
import { loadBalancer, nic, poolId, REPO_ROOT, SEED_LAB, template } from './helpers';

const read = (p: string): string => fs.readFileSync(p, 'utf8');
const SEED_ARM = read(SEED_LAB);
const SEED_BICEP = read(path.join(REPO_ROOT, 'examples', 'seed-lab-bicep', 'main.bicep'));
const JSONC_LOOP = read(path.join(REPO_ROOT, 'test', 'fixtures', 'arm', 'nic-copy-loop-two-vms.json'));
const REASON = 'members never call their own frontend';

function findings(file: string, text: string): Finding[] {
  const ws = new Workspace();
  ws.setFile(file, text);
  return ws.analyze().findings;
}

function only(file: string, text: string): Finding {
  const all = findings(file, text);
  assert.equal(all.length, 1, all.map((f) => f.facts.lbRule).join(', '));
  return all[0] as Finding;
}

function jsonErrors(text: string): ParseError[] {
  const errors: ParseError[] = [];
  parseTree(text, errors, { allowTrailingComma: true });
  return errors;
}

/** Suppresses `f` in `text`, checks the edit is one insertion and the result parses; returns the new text. */
function suppressed(text: string, f: Finding, reason = REASON): { after: string; edits: TextEdit[] } {
  const edits = suppressionEdits(f, text, reason);
  assert.ok(edits && edits.length > 0, 'an edit is offered');
  for (const e of edits) assert.equal(e.file, f.span.file);
  const after = applyEdits(text, edits);
  if (/\.bicep$/i.test(f.span.file)) assert.equal(parseBicep(after, { fileKind: 'bicep' }).diagnostics.length, 0);
  else assert.deepEqual(jsonErrors(after), []);
  if (text.includes('\r\n')) assert.ok(!/(^|[^\r])\n/.test(after), 'CRLF kept');
  return { after, edits };
}

/** The seed lab with a second frontend (10.2.1.101) and a rule rule-two on it. */
const TWO_RULES = SEED_ARM.replace(
  '"frontendIPConfigurations": [',
  `"frontendIPConfigurations": [\n          { "name": "fe-two", "properties": { "privateIPAllocationMethod": "Static", "privateIPAddress": "10.2.1.101", "subnet": { "id": "[variables('subnetId')]" } } },`,
).replace(
  '"loadBalancingRules": [',
  `"loadBalancingRules": [\n          { "name": "rule-two", "properties": { "frontendIPConfiguration": { "id": "[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', variables('lbName'), 'fe-two')]" }, "backendAddressPool": { "id": "[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', variables('lbName'), 'be-web')]" }, "protocol": "Tcp", "frontendPort": 81, "backendPort": 81 } },`,
);

describe('suppressionEdits: strict JSON gets the load balancer\'s comments property', () => {
  it('inserted as the last property of the load balancer, indented like its siblings; the finding is gone', () => {
    const file = '/ws/strict/azuredeploy.json';
    const f = only(file, SEED_ARM);
    const { after, edits } = suppressed(SEED_ARM, f);
    // After the load balancer's last property (its properties object), before the line that closes it.
    const lbEnd = SEED_ARM.indexOf('\n    },\n    {\n      "type": "Microsoft.Network/networkInterfaces"');
    assert.deepEqual(edits, [{ file, offset: lbEnd, length: 0, newText: `,\n      "comments": "ilb-hairpin-disable hairpin-prone-rule rule-http: ${REASON}"` }]);
    JSON.parse(after);
    const lb = (JSON.parse(after) as { resources: { type: string; comments?: string }[] }).resources.find((r) => r.type === 'Microsoft.Network/loadBalancers');
    assert.equal(lb?.comments, `ilb-hairpin-disable hairpin-prone-rule rule-http: ${REASON}`);
    assert.deepEqual(findings(file, after), []);
  });

  it('an existing comments string is kept and the directive appended after "; "', () => {
    const file = '/ws/existing/azuredeploy.json';
    const text = SEED_ARM.replace('"sku": { "name": "Standard" },', '"sku": { "name": "Standard" },\n      "comments": "Web tier ILB",');
    const { after, edits } = suppressed(text, only(file, text));
    assert.equal(edits.length, 1);
    assert.equal(edits[0]?.newText, `"Web tier ILB; ilb-hairpin-disable hairpin-prone-rule rule-http: ${REASON}"`);
    assert.equal(text.slice(edits[0]?.offset, (edits[0]?.offset ?? 0) + (edits[0]?.length ?? 0)), '"Web tier ILB"');
    assert.deepEqual(findings(file, after), []);
  });

  it('an empty comments string gets the directive alone', () => {
    const file = '/ws/empty/azuredeploy.json';
    const text = SEED_ARM.replace('"sku": { "name": "Standard" },', '"sku": { "name": "Standard" },\n      "comments": "",');
    const { edits, after } = suppressed(text, only(file, text));
    assert.equal(edits[0]?.newText, `"ilb-hairpin-disable hairpin-prone-rule rule-http: ${REASON}"`);
    assert.deepEqual(findings(file, after), []);
  });

  it('two rules: the directive names one rule; the second suppression is appended; then both are gone', () => {
    const file = '/ws/two/azuredeploy.json';
    const all = findings(file, TWO_RULES);
    assert.deepEqual(all.map((f) => f.facts.lbRule).sort(), ['rule-http', 'rule-two']);
    const first = suppressed(TWO_RULES, all.find((f) => f.facts.lbRule === 'rule-two') as Finding, 'not called').after;
    const left = findings(file, first);
    assert.deepEqual(left.map((f) => f.facts.lbRule), ['rule-http']);
    const second = suppressed(first, left[0] as Finding, 'not called either');
    assert.equal(second.edits[0]?.newText, '"ilb-hairpin-disable hairpin-prone-rule rule-two: not called; ilb-hairpin-disable hairpin-prone-rule rule-http: not called either"');
    assert.deepEqual(findings(file, second.after), []);
  });

  it('a reason on several lines or with ";" stays one directive: spaces collapsed, ";" becomes ","', () => {
    const file = '/ws/reason/azuredeploy.json';
    const { edits, after } = suppressed(SEED_ARM, only(file, SEED_ARM), '  only  the batch job;\n calls it\t(never a member)  ');
    assert.match(edits[0]?.newText ?? '', /"ilb-hairpin-disable hairpin-prone-rule rule-http: only the batch job, calls it \(never a member\)"$/);
    assert.deepEqual(findings(file, after), []);
  });

  it('a one-line template: the property joins the load balancer\'s line', () => {
    const file = '/ws/oneline/azuredeploy.json';
    const text = JSON.stringify(JSON.parse(template({ resources: [loadBalancer({ name: 'ilb', frontendIp: '10.0.0.10' }), nic('nic-a', [poolId('ilb', 'be')])] })));
    const { after } = suppressed(text, only(file, text));
    assert.ok(!after.includes('\n'));
    assert.match(after, /\}, "comments": "ilb-hairpin-disable hairpin-prone-rule rule: members never call their own frontend"\}/);
    assert.deepEqual(findings(file, after), []);
  });

  it('CRLF: the inserted line break is CRLF', () => {
    const file = '/ws/crlf/azuredeploy.json';
    const text = SEED_ARM.replace(/\n/g, '\r\n');
    const { edits, after } = suppressed(text, only(file, text));
    assert.ok(edits[0]?.newText.startsWith(',\r\n      "comments": '));
    assert.deepEqual(findings(file, after), []);
  });

  it('a comments value that is not a string is left to the person', () => {
    const file = '/ws/number/azuredeploy.json';
    const text = SEED_ARM.replace('"sku": { "name": "Standard" },', '"sku": { "name": "Standard" },\n      "comments": 42,');
    assert.equal(suppressionEdits(only(file, text), text, REASON), undefined);
  });

  it('a computed comments expression is left to the person', () => {
    const file = '/ws/computed/azuredeploy.json';
    const text = SEED_ARM.replace('"sku": { "name": "Standard" },', `"sku": { "name": "Standard" },\n      "comments": "[parameters('note')]",`).replace('"parameters": {', '"parameters": {\n    "note": { "type": "string", "defaultValue": "web tier" },');
    assert.equal(suppressionEdits(only(file, text), text, REASON), undefined);
  });

  it('a finding without its load balancer\'s place, or whose load balancer is in another file, gets no edit', () => {
    const file = '/ws/nolb/azuredeploy.json';
    const f = only(file, SEED_ARM);
    assert.equal(suppressionEdits({ ...f, fixTarget: { ...f.fixTarget, loadBalancer: undefined } }, SEED_ARM, REASON), undefined);
    const lb = f.fixTarget?.loadBalancer;
    assert.ok(lb);
    assert.equal(suppressionEdits({ ...f, fixTarget: { ...f.fixTarget, loadBalancer: { ...lb, file: '/ws/other.json' } } }, SEED_ARM, REASON), undefined);
  });
});

describe('suppressionEdits: a // directive line above the finding', () => {
  it('JSON that already has comments: a line at the finding\'s indentation, the finding gone', () => {
    const file = '/ws/jsonc/azuredeploy.json';
    const f = only(file, JSONC_LOOP);
    const { after, edits } = suppressed(JSONC_LOOP, f);
    const lineStart = JSONC_LOOP.lastIndexOf('\n', f.span.start) + 1;
    assert.deepEqual(edits, [{ file, offset: lineStart, length: 0, newText: `              // ${DIRECTIVE} hairpin-prone-rule ${REASON}\n` }]);
    assert.ok(after.includes(`              "backendPort": 443,\n              // ${DIRECTIVE} hairpin-prone-rule ${REASON}\n              "enableFloatingIP": false // expect`));
    assert.deepEqual(findings(file, after), []);
  });

  it('a .jsonc file without comments: the // form too', () => {
    const file = '/ws/jsonc/azuredeploy.jsonc';
    const f = only(file, SEED_ARM);
    const { after, edits } = suppressed(SEED_ARM, f);
    assert.equal(edits[0]?.newText, `              // ${DIRECTIVE} hairpin-prone-rule ${REASON}\n`);
    assert.ok(after.includes(`"backendPort": 80,\n              // ${DIRECTIVE}`));
    assert.deepEqual(findings(file, after), []);
  });

  it('a JSON file with only a block comment: the // form', () => {
    const file = '/ws/block/azuredeploy.json';
    const text = SEED_ARM.replace('"contentVersion": "1.0.0.0",', '"contentVersion": "1.0.0.0", /* lab */');
    const { edits, after } = suppressed(text, only(file, text));
    assert.match(edits[0]?.newText ?? '', /^ +\/\/ ilb-hairpin-disable-next-line /);
    assert.deepEqual(findings(file, after), []);
  });

  it('"//" inside a string is no comment: strict JSON keeps the comments form', () => {
    const file = '/ws/url/azuredeploy.json';
    // The $schema URL has "//" in it.
    assert.ok(SEED_ARM.includes('https://'));
    const edits = suppressionEdits(only(file, SEED_ARM), SEED_ARM, REASON);
    assert.match(edits?.[0]?.newText ?? '', /"comments": /);
  });

  it('Bicep: a line above enableFloatingIP, indented like it; the result parses; the finding gone', () => {
    const file = '/ws/bicep/main.bicep';
    const f = only(file, SEED_BICEP);
    const { after, edits } = suppressed(SEED_BICEP, f);
    assert.equal(edits.length, 1);
    assert.equal(edits[0]?.newText, `          // ${DIRECTIVE} hairpin-prone-rule ${REASON}\n`);
    assert.ok(after.includes(`          backendPort: 80\n          // ${DIRECTIVE} hairpin-prone-rule ${REASON}\n          enableFloatingIP: false\n`));
    assert.deepEqual(findings(file, after), []);
  });

  it('Bicep, tabs: the directive is indented with the tabs of the finding\'s line', () => {
    const file = '/ws/tabs/main.bicep';
    const text = SEED_BICEP.replace(/^((?: {2})+)/gm, (m) => '\t'.repeat(m.length / 2));
    const { edits, after } = suppressed(text, only(file, text));
    assert.equal(edits[0]?.newText, `\t\t\t\t\t// ${DIRECTIVE} hairpin-prone-rule ${REASON}\n`);
    assert.deepEqual(findings(file, after), []);
  });

  it('Bicep, CRLF: the directive line ends with CRLF', () => {
    const file = '/ws/crlf/main.bicep';
    const text = SEED_BICEP.replace(/\n/g, '\r\n');
    const { edits, after } = suppressed(text, only(file, text));
    assert.ok(edits[0]?.newText.endsWith(`${REASON}\r\n`));
    assert.deepEqual(findings(file, after), []);
  });

  it('JSONC, CRLF: the directive line ends with CRLF', () => {
    const file = '/ws/crlf/azuredeploy.json';
    const text = JSONC_LOOP.replace(/\n/g, '\r\n');
    const { edits, after } = suppressed(text, only(file, text));
    assert.ok(edits[0]?.newText.endsWith('\r\n'));
    assert.deepEqual(findings(file, after), []);
  });

  it('a rule without enableFloatingIP: the directive goes above the line the finding starts on (its name)', () => {
    const file = '/ws/noflag/main.bicep';
    const text = SEED_BICEP.replace('          enableFloatingIP: false\n', '');
    const f = only(file, text);
    const { after } = suppressed(text, f);
    assert.ok(after.includes(`        // ${DIRECTIVE} hairpin-prone-rule ${REASON}\n        name: 'rule-http'\n`));
    assert.deepEqual(findings(file, after), []);
  });

  it('two rules, one suppressed: the other stays', () => {
    const file = '/ws/two/azuredeploy.jsonc';
    const all = findings(file, TWO_RULES);
    const { after } = suppressed(TWO_RULES, all.find((f) => f.facts.lbRule === 'rule-http') as Finding);
    assert.deepEqual(findings(file, after).map((f) => f.facts.lbRule), ['rule-two']);
  });
});
