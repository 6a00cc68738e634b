/**
 * Floating IP with the loopback guest configuration: the scripts are valid and carry the VIP, and
 * the fix adds an extension that the evaluator reads back, in ARM and Bicep, idempotently.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseTree, type ParseError } from 'jsonc-parser';
import { applyEdits } from '../../src/core/edit';
import { encodedCommand, base64Utf8, linuxLoopbackScript, windowsLoopbackScript } from '../../src/core/fixes/guest';
import { floatingIpLoopbackFix, LOOPBACK_EXTENSION } from '../../src/core/fixes/loopback';
import { parseBicep } from '../../src/core/parse/bicep';
import { getPath } from '../../src/core/evaluate/value';
import { Workspace } from '../../src/core/workspace';
import { cli, loadBalancer, nic, poolId, template, vm } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');

function workspaceWith(file: string, text: string): Workspace {
  const ws = new Workspace();
  ws.setFile(file, text);
  return ws;
}

function fixOnce(file: string, text: string, chosenOs?: 'linux' | 'windows'): { after: string; result: ReturnType<typeof floatingIpLoopbackFix> } {
  const ws = workspaceWith(file, text);
  const [finding] = ws.analyze().findings;
  assert.ok(finding, 'the template has a finding to fix');
  const result = floatingIpLoopbackFix(finding, (f) => ws.source(f)?.text, chosenOs);
  return { after: result.ok ? applyEdits(text, result.fix.edits) : text, result };
}

/** The evaluated extension resources the fix added (read back through the evaluator). */
function extensions(file: string, text: string): { name: unknown; properties: unknown }[] {
  const ws = workspaceWith(file, text);
  const out: { name: unknown; properties: unknown }[] = [];
  // The workspace keeps evaluations per root; the extension is an ordinary resource of the file.
  ws.analyze();
  const cache = (ws as unknown as { cache: Map<string, { evaluation: { resources: { type: string; name: unknown; body(): unknown }[] } }> }).cache;
  for (const r of [...cache.values()].flatMap((x) => x.evaluation.resources)) {
    if (r.type.toLowerCase() === 'microsoft.compute/virtualmachines/extensions') out.push({ name: r.name, properties: getPath(r.body() as never, 'properties') });
  }
  return out;
}

describe('guest scripts', () => {
  it('Linux: a systemd unit with the VIP/32 on lo, valid for the shell', () => {
    const script = linuxLoopbackScript('10.2.1.100');
    assert.match(script, /ExecStart=\/sbin\/ip addr replace 10\.2\.1\.100\/32 dev lo/);
    assert.match(script, /systemctl enable --now ilb-hairpin-vip\.service/);
    const check = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    assert.equal(Buffer.from(base64Utf8(script), 'base64').toString('utf8'), script);
  });

  it('Windows: netsh on the loopback with weak host send and receive, and a firewall rule for the port', () => {
    const script = windowsLoopbackScript('10.2.1.100', 443, 'Tcp');
    assert.match(script, /netsh int ipv4 add addr "Loopback Pseudo-Interface 1" 10\.2\.1\.100 255\.255\.255\.255/);
    assert.match(script, /weakhostreceive=enabled weakhostsend=enabled/);
    assert.match(script, /netsh int ipv4 set int "\$nic" weakhostreceive=enabled/);
    assert.match(script, /-Protocol TCP -LocalPort 443/);
    // Quotes balance on every line (a cheap syntax check where no PowerShell is installed).
    for (const line of script.split('\r\n')) {
      assert.equal((line.match(/"/g) ?? []).length % 2, 0, line);
      assert.equal((line.match(/'/g) ?? []).length % 2, 0, line);
    }
    assert.equal(Buffer.from(encodedCommand(script), 'base64').toString('utf16le'), script);
    assert.match(windowsLoopbackScript('10.0.0.5', 0, 'All'), /-LocalAddress 10\.0\.0\.5/);
  });
});

describe('the floating IP + loopback fix', () => {
  it('ARM seed lab (Windows): floating IP on, a CustomScriptExtension after the VM, the finding gone, idempotent', () => {
    const file = '/ws/seed/azuredeploy.json';
    const text = fs.readFileSync(path.join(ROOT, 'examples/seed-lab/azuredeploy.json'), 'utf8');
    const { after, result } = fixOnce(file, text);
    assert.ok(result.ok, result.ok ? '' : result.reason);
    const errors: ParseError[] = [];
    parseTree(after, errors);
    assert.deepEqual(errors, []);
    JSON.parse(after);
    assert.equal(workspaceWith(file, after).analyze().findings.length, 0);
    const [ext] = extensions(file, after);
    assert.equal(ext?.name, 'VM-WE-02-Web01/ilb-hairpin-loopback');
    const command = String(getPath(ext?.properties as never, 'protectedSettings', 'commandToExecute'));
    const script = Buffer.from(command.split(' ').pop() as string, 'base64').toString('utf16le');
    assert.match(script, /10\.2\.1\.100 255\.255\.255\.255/);
    assert.match(script, /-LocalPort 80\b/);
    assert.ok(result.ok && result.fix.notes.some((n) => /Health probes/.test(n)));
    assert.equal(workspaceWith(file, after).analyze().findings.length, 0, 'nothing is left to fix a second time');
  });

  it('Bicep seed lab: a child extension with parent: vm, parses, evaluates, the finding gone', () => {
    const file = '/ws/seed/main.bicep';
    const text = fs.readFileSync(path.join(ROOT, 'examples/seed-lab-bicep/main.bicep'), 'utf8');
    const { after, result } = fixOnce(file, text);
    assert.ok(result.ok, result.ok ? '' : result.reason);
    assert.equal(parseBicep(after, { fileKind: 'bicep' }).diagnostics.length, 0);
    assert.match(after, /parent: vm\n/);
    assert.equal(workspaceWith(file, after).analyze().findings.length, 0);
    const [ext] = extensions(file, after);
    assert.equal(ext?.name, 'VM-WE-02-Web01/ilb-hairpin-loopback');
    assert.ok(after.startsWith(text.slice(0, text.indexOf('enableFloatingIP'))), 'nothing before the edit changes');
  });

  const linux = (imageOs: 'linux' | 'unknown'): string =>
    template({ resources: [
      loadBalancer({ name: 'ilb', frontendIp: '10.0.0.10' }),
      nic('nic-a', [poolId('ilb', 'be')]),
      {
        ...vm('vm-a', ["[resourceId('Microsoft.Network/networkInterfaces', 'nic-a')]"]),
        ...(imageOs === 'linux'
          ? { properties: { networkProfile: { networkInterfaces: [{ id: "[resourceId('Microsoft.Network/networkInterfaces', 'nic-a')]" }] }, osProfile: { linuxConfiguration: {} } } }
          : {}),
      },
    ] });

  it('Linux VM: a CustomScript extension whose script is valid shell with the VIP', () => {
    const file = '/ws/linux/azuredeploy.json';
    const { after, result } = fixOnce(file, linux('linux'));
    assert.ok(result.ok, result.ok ? '' : result.reason);
    const [ext] = extensions(file, after);
    assert.equal(getPath(ext?.properties as never, 'type'), 'CustomScript');
    const script = Buffer.from(String(getPath(ext?.properties as never, 'protectedSettings', 'script')), 'base64').toString('utf8');
    assert.match(script, /10\.0\.0\.10\/32 dev lo/);
    assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0);
  });

  it('an OS the template does not tell is asked for (refused without it, applied with it)', () => {
    const file = '/ws/unknown/azuredeploy.json';
    const refused = fixOnce(file, linux('unknown')).result;
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.reason, /OS .* cannot be told.*--os/);
    const chosen = fixOnce(file, linux('unknown'), 'linux');
    assert.ok(chosen.result.ok);
    assert.match(chosen.after, new RegExp(LOOPBACK_EXTENSION));
  });

  it('a dynamic frontend IP is refused with the reason', () => {
    const dynamic = template({ resources: [loadBalancer({ name: 'ilb' }), nic('nic-a', [poolId('ilb', 'be')]), vm('vm-a', ["[resourceId('Microsoft.Network/networkInterfaces', 'nic-a')]"])] });
    const r = fixOnce('/ws/dyn/azuredeploy.json', dynamic, 'linux').result;
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /dynamic/);
  });

  it('ARM VMs made by a copy loop: the extension by the same loop, one per VM', () => {
    const file = '/ws/loop/azuredeploy.json';
    const loop = fs.readFileSync(path.join(ROOT, 'test/fixtures/arm/nic-copy-loop-two-vms.json'), 'utf8');
    const { after, result } = fixOnce(file, loop, 'linux');
    assert.ok(result.ok, result.ok ? '' : result.reason);
    const errors: ParseError[] = [];
    parseTree(after, errors, { allowTrailingComma: true });
    assert.deepEqual(errors, []);
    assert.deepEqual(extensions(file, after).map((e) => e.name), ['vm-app-0/ilb-hairpin-loopback', 'vm-app-1/ilb-hairpin-loopback']);
    assert.equal(workspaceWith(file, after).analyze().findings.length, 0);
  });

  it('Bicep VMs made by a for loop: a loop of extensions over the same items, parent by index', () => {
    const file = '/ws/loop/main.bicep';
    const text = fs.readFileSync(path.join(ROOT, 'test/fixtures/bicep/ha-ports-vm-loop/main.bicep'), 'utf8');
    const { after, result } = fixOnce(file, text, 'linux');
    assert.ok(result.ok, result.ok ? '' : result.reason);
    assert.equal(parseBicep(after, { fileKind: 'bicep' }).diagnostics.length, 0);
    const names = extensions(file, after).map((e) => String(e.name));
    assert.equal(names.length, 3);
    for (const n of names) assert.match(n, /\/ilb-hairpin-loopback$/);
    assert.equal(new Set(names).size, 3, 'one extension per VM');
    assert.equal(workspaceWith(file, after).analyze().findings.length, 0);
  });

  it('ARM scale set: an entry in virtualMachineProfile.extensionProfile.extensions, read back by the evaluator', () => {
    const file = '/ws/vmss/azuredeploy.json';
    const text = fs
      .readFileSync(path.join(ROOT, 'test/fixtures/arm/vmss-capacity-string.json'), 'utf8')
      .replace('"privateIPAllocationMethod": "Dynamic",', '"privateIPAllocationMethod": "Static", "privateIPAddress": "10.5.0.50",');
    const { after, result } = fixOnce(file, text, 'linux');
    assert.ok(result.ok, result.ok ? '' : result.reason);
    const errors: ParseError[] = [];
    parseTree(after, errors);
    assert.deepEqual(errors, []);
    assert.equal(workspaceWith(file, after).analyze().findings.length, 0);
    assert.ok(result.ok && result.fix.notes.some((n) => /Manual upgrade policy/.test(n)));
    const ws = workspaceWith(file, after);
    ws.analyze();
    const cache = (ws as unknown as { cache: Map<string, { evaluation: { resources: { type: string; body(): unknown }[] } }> }).cache;
    const ss = [...cache.values()].flatMap((x) => x.evaluation.resources).find((r) => r.type.toLowerCase() === 'microsoft.compute/virtualmachinescalesets');
    const ext = getPath(ss?.body() as never, 'properties', 'virtualMachineProfile', 'extensionProfile', 'extensions', 0);
    assert.equal(getPath(ext as never, 'name'), LOOPBACK_EXTENSION);
    const script = Buffer.from(String(getPath(ext as never, 'properties', 'protectedSettings', 'script')), 'base64').toString('utf8');
    assert.match(script, /10\.5\.0\.50\/32 dev lo/);
    const again = workspaceWith(file, after).analyze().findings;
    assert.equal(again.length, 0, 'applying again has nothing to do');
  });

  it('Bicep scale set: the extension profile is added to the declaration and parses', () => {
    const file = '/ws/vmss/main.bicep';
    const text = [
      "resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {",
      "  name: 'ilb'",
      '  properties: {',
      "    frontendIPConfigurations: [ { name: 'fe', properties: { privateIPAddress: '10.6.0.10', subnet: { id: 'x' } } } ]",
      "    backendAddressPools: [ { name: 'be' } ]",
      '    loadBalancingRules: [',
      '      {',
      "        name: 'r'",
      '        properties: {',
      "          frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'ilb', 'fe') }",
      "          backendAddressPool: { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb', 'be') }",
      "          protocol: 'Tcp'",
      '          frontendPort: 443',
      '          backendPort: 443',
      '        }',
      '      }',
      '    ]',
      '  }',
      '}',
      '',
      "resource ss 'Microsoft.Compute/virtualMachineScaleSets@2023-09-01' = {",
      "  name: 'ss'",
      "  sku: { name: 'Standard_B2s', capacity: 2 }",
      '  properties: {',
      '    virtualMachineProfile: {',
      "      storageProfile: { imageReference: { publisher: 'MicrosoftWindowsServer', offer: 'WindowsServer', sku: '2022-Datacenter', version: 'latest' } }",
      '      networkProfile: {',
      '        networkInterfaceConfigurations: [',
      '          {',
      "            name: 'nic'",
      '            properties: {',
      "              ipConfigurations: [ { name: 'ip', properties: { loadBalancerBackendAddressPools: [ { id: lb.properties.backendAddressPools[0].id } ] } } ]",
      '            }',
      '          }',
      '        ]',
      '      }',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n');
    const { after, result } = fixOnce(file, text);
    assert.ok(result.ok, result.ok ? '' : result.reason);
    assert.equal(parseBicep(after, { fileKind: 'bicep' }).diagnostics.length, 0, after);
    assert.match(after, /\n {6}extensionProfile: \{\n {8}extensions: \[\n {10}\{\n {12}name: 'ilb-hairpin-loopback'/);
    assert.match(after, /type: 'CustomScriptExtension'/, 'the image tells Windows');
    assert.equal(workspaceWith(file, after).analyze().findings.length, 0);
  });

  it('the CLI applies it with --strategy floating-ip-loopback', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-loopback-'));
    try {
      fs.writeFileSync(path.join(dir, 'azuredeploy.json'), fs.readFileSync(path.join(ROOT, 'examples/seed-lab/azuredeploy.json')));
      const run = cli(dir, 'fix', '.', '--strategy', 'floating-ip-loopback');
      assert.equal(run.code, 0, run.stderr);
      const written = fs.readFileSync(path.join(dir, 'azuredeploy.json'), 'utf8');
      assert.match(written, /"enableFloatingIP": true/);
      assert.match(written, /ilb-hairpin-loopback/);
      assert.equal(cli(dir, 'scan', '.').code, 0, 'nothing is left');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
