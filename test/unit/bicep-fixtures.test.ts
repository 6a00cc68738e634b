/**
 * Bicep fixture workspaces: each folder under test/fixtures/bicep is one workspace (roots,
 * modules, .bicepparam files). A finding must start on a line that ends with
 * `// expect hairpin-prone-rule members=<n|?>`, in whatever file it is reported (a module's call
 * site included), and a folder without markers expects no finding.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import type { Finding } from '../../src/core/rules/types';
import { Workspace, type WorkspaceAnalysis } from '../../src/core/workspace';
import { REPO_ROOT, expectedFindings, lineOf, sortExpected, textAt, type ExpectedFinding } from './helpers';

const BICEP_FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'bicep');

/** The cases the brief names; each must exist as a folder. */
const REQUIRED_CASES = [
  'ha-ports-vm-loop',
  'modules-across-folders',
  'generic-lb-module',
  'existing-lb-other-file',
  'ip-based-pool',
  'child-pools',
  'bicepparam-floating-on',
  'bicepparam-vm-count',
  'registry-module',
  'condition-false',
  'filtered-loop',
  'object-loops',
  'public-lb',
  'floating-ip-on',
  'module-called-twice',
];

const toPosix = (p: string): string => p.split(path.sep).join('/');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (/\.(bicep|bicepparam|jsonc?)$/i.test(entry.name)) out.push(full);
  }
  return out.sort();
}

interface LoadedCase {
  dir: string;
  /** Absolute path (`/` separators) -> text. */
  texts: Map<string, string>;
  analysis: WorkspaceAnalysis;
}

const loaded = new Map<string, LoadedCase>();

/** The case folder loaded into a fresh Workspace and analyzed (once per test run). */
function loadCase(name: string): LoadedCase {
  const prior = loaded.get(name);
  if (prior) return prior;
  const dir = toPosix(path.join(BICEP_FIXTURES, name));
  const ws = new Workspace();
  const texts = new Map<string, string>();
  for (const file of filesUnder(path.join(BICEP_FIXTURES, name))) {
    const p = toPosix(file);
    const text = fs.readFileSync(file, 'utf8');
    texts.set(p, text);
    ws.setFile(p, text);
  }
  const result = { dir, texts, analysis: ws.analyze() };
  loaded.set(name, result);
  return result;
}

interface Located extends ExpectedFinding {
  /** Path relative to the case folder. */
  file: string;
}

function sortLocated(list: Located[]): Located[] {
  return [...list].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.ruleId.localeCompare(b.ruleId) || String(a.members).localeCompare(String(b.members)));
}

function expectedOf(c: LoadedCase): Located[] {
  const out: Located[] = [];
  for (const [p, text] of c.texts) {
    for (const e of sortExpected(expectedFindings(text))) out.push({ ...e, file: p.slice(c.dir.length + 1) });
  }
  return sortLocated(out);
}

function actualOf(c: LoadedCase): Located[] {
  return sortLocated(
    c.analysis.findings.map((f) => {
      const text = c.texts.get(f.span.file);
      assert.ok(text !== undefined, `a finding in a file outside the case: ${f.span.file}`);
      return { file: f.span.file.slice(c.dir.length + 1), line: lineOf(text, f.span.start), ruleId: f.ruleId, members: f.facts.members };
    }),
  );
}

function findingsIn(c: LoadedCase, relative: string): Finding[] {
  return c.analysis.findings.filter((f) => f.span.file === `${c.dir}/${relative}`);
}

function only(findings: Finding[], what: string): Finding {
  assert.equal(findings.length, 1, `one finding expected in ${what}, got: ${findings.map((f) => f.message).join(' | ')}`);
  return findings[0] as Finding;
}

function includesAll(message: string, parts: string[]): void {
  for (const part of parts) assert.ok(message.includes(part), `message should contain "${part}": ${message}`);
}

const caseFolders = fs
  .readdirSync(BICEP_FIXTURES, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('bicep fixture workspaces: findings equal the inline markers', () => {
  it('has every case folder', () => {
    for (const c of REQUIRED_CASES) assert.ok(caseFolders.includes(c), `missing fixture folder ${c}`);
  });

  for (const name of caseFolders) {
    it(name, () => {
      const c = loadCase(name);
      assert.deepEqual(
        c.analysis.parseErrors.map((e) => `${e.file}: ${e.errors.map((x) => x.message).join('; ')}`),
        [],
        'fixtures are valid Bicep',
      );
      assert.deepEqual(actualOf(c), expectedOf(c));
    });
  }
});

describe('bicep fixture workspaces: what the findings say', () => {
  it('HA ports over a VM loop: 3 VMs, all ports, 1 in 3', () => {
    const c = loadCase('ha-ports-vm-loop');
    const f = only(c.analysis.findings, 'ha-ports-vm-loop');
    assert.equal(f.facts.haPorts, true);
    assert.equal(f.facts.protocol, 'All');
    assert.equal(f.facts.frontendPort, 0);
    assert.equal(f.facts.frontendIp, '10.1.0.100');
    assert.equal(f.facts.loadBalancer, 'ilb-ha');
    assert.equal(f.facts.lbRule, 'ha-all');
    includesAll(f.message, ['HA ports', 'all ports', '3 members', 'VM vm-ha-0', 'VM vm-ha-1', 'VM vm-ha-2', '1 in 3 connections fail']);
    assert.equal(textAt(c.texts.get(f.span.file) as string, f.span), 'false');
  });

  it('modules across folders: the rule in network/lb.bicep is reported once, at its call site in main.bicep', () => {
    const c = loadCase('modules-across-folders');
    assert.equal(findingsIn(c, 'network/lb.bicep').length, 0, 'not a second time in the module');
    const atCall = only(findingsIn(c, 'main.bicep'), 'main.bicep');
    assert.equal(atCall.facts.members, 2);
    includesAll(atCall.message, ['ilb-mod', '10.2.0.100:80', 'VM vm-mod-0', 'VM vm-mod-1']);
    assert.ok(atCall.message.startsWith('Through module lb (lb.bicep): '), atCall.message);
    assert.equal(atCall.facts.viaModule, 'lb');
    assert.equal(textAt(c.texts.get(atCall.span.file) as string, atCall.span), 'lb');
    const rule = atCall.related[0];
    assert.equal(rule?.span.file, `${c.dir}/network/lb.bicep`, 'the rule in the module is the first related location');
    assert.equal(rule?.message, 'the rule in lb.bicep');
    assert.equal(textAt(c.texts.get(rule.span.file) as string, rule.span), 'false', "the rule's enableFloatingIP in the module");
    assert.equal(findingsIn(c, 'compute/vms.bicep').length, 0);
  });

  it('a module called twice: one finding per deployment, each at its module declaration, the same rule in the module as related', () => {
    const c = loadCase('module-called-twice');
    assert.equal(findingsIn(c, 'lb.bicep').length, 0);
    const byModule = new Map(findingsIn(c, 'main.bicep').map((f) => [f.facts.viaModule, f]));
    assert.deepEqual([...byModule.keys()].sort(), ['lbA', 'lbB']);
    assert.equal(byModule.get('lbA')?.facts.loadBalancer, 'ilb-a');
    assert.equal(byModule.get('lbB')?.facts.loadBalancer, 'ilb-b');
    assert.match(byModule.get('lbA')?.message ?? '', /NIC nic-a /);
    assert.match(byModule.get('lbB')?.message ?? '', /NIC nic-b /);
    const sites = [...byModule.values()].map((f) => `${f.related[0]?.span.file}#${f.related[0]?.span.start}`);
    assert.equal(new Set(sites).size, 1, 'both point at the one rule in lb.bicep');
    assert.ok(sites[0]?.startsWith(`${c.dir}/lb.bicep#`));
  });

  it('generic LB module fed by parameters: floating IP defaults to false, reported at the caller', () => {
    const c = loadCase('generic-lb-module');
    const atCall = only(findingsIn(c, 'main.bicep'), 'main.bicep');
    assert.ok(atCall.message.startsWith('Through module ilb (loadBalancer.bicep): '), atCall.message);
    assert.equal(atCall.facts.viaModule, 'ilb');
    assert.equal(atCall.facts.loadBalancer, 'ilb-generic');
    assert.equal(atCall.facts.lbRule, 'https');
    assert.equal(atCall.facts.frontendIp, '10.3.0.50');
    assert.equal(atCall.facts.frontendPort, 443);
    assert.equal(atCall.facts.members, 2);
    includesAll(atCall.message, ['pool servers', 'nic-srv-a', 'nic-srv-b', 'no VM attaches it']);
    assert.equal(findingsIn(c, 'modules/loadBalancer.bicep').length, 0, 'once per deployment: not again in the module');
    assert.equal(atCall.related[0]?.span.file, `${c.dir}/modules/loadBalancer.bicep`);
  });

  it('an existing load balancer from another root: lb::pool and resourceId() both join its pool', () => {
    const c = loadCase('existing-lb-other-file');
    const f = only(c.analysis.findings, 'existing-lb-other-file');
    assert.equal(f.span.file, `${c.dir}/lb.bicep`);
    assert.equal(f.facts.frontendIp, null, 'a dynamic frontend');
    includesAll(f.message, ['VM vm-sql-a', 'NIC nic-sql-b (no VM attaches it in these templates)', 'dynamic private IP', '2 members']);
    assert.equal(c.analysis.templates, 2, 'both files are roots');
  });

  it('IP-based pool: the address is matched to the VM owning it', () => {
    const c = loadCase('ip-based-pool');
    const f = only(c.analysis.findings, 'ip-based-pool');
    includesAll(f.message, ['VM vm-app01 by IP 10.12.1.4', 'pool by-ip', 'every connection fails']);
    assert.equal(textAt(c.texts.get(f.span.file) as string, f.span), "'http'", 'without enableFloatingIP the finding is on the rule name');
  });

  it('child pools: `parent: lb` and nested in the body are both pools of the load balancer', () => {
    const c = loadCase('child-pools');
    const byRule = new Map(c.analysis.findings.map((f) => [f.facts.lbRule, f]));
    assert.match(byRule.get('to-parent-pool')?.message ?? '', /pool be-parent with 1 member \(NIC nic-parent /);
    assert.match(byRule.get('to-nested-pool')?.message ?? '', /pool be-nested with 1 member \(NIC nic-nested /);
    const lb = c.analysis.graphs[0]?.graph.loadBalancers[0];
    assert.deepEqual(lb?.pools.map((p) => p.name).sort(), ['be-nested', 'be-parent']);
  });

  it('.bicepparam turning floating IP on: only the parameter file evaluation counts', () => {
    const c = loadCase('bicepparam-floating-on');
    // Not hairpin-prone; the VMs have no loopback configuration for the VIP, which the other rule says.
    assert.deepEqual(c.analysis.findings.map((f) => f.ruleId), ['floating-ip-without-loopback']);
    assert.equal(c.analysis.templates, 1);
    const rule = c.analysis.graphs[0]?.graph.loadBalancers[0]?.rules[0];
    assert.equal(rule?.floatingIp, true);
    assert.equal(rule?.pools[0]?.members.length, 2, 'the two NICs of the loop are in the pool');
  });

  it('.bicepparam setting the VM count: 4 members, the message names the parameter file', () => {
    const c = loadCase('bicepparam-vm-count');
    const f = only(c.analysis.findings, 'bicepparam-vm-count');
    assert.equal(f.facts.members, 4);
    assert.equal(f.facts.parameterSource, 'main.bicepparam');
    assert.ok(f.message.endsWith('[with main.bicepparam]'), f.message);
    includesAll(f.message, ['VM vm-p-3', '1 in 4 connections fail']);
  });

  it('registry module: a member of unknown count, and the module is not read', () => {
    const c = loadCase('registry-module');
    const f = only(c.analysis.findings, 'registry-module');
    assert.equal(f.facts.members, null);
    assert.equal(f.facts.membersKnown, 0);
    assert.equal(f.facts.failureChance, null);
    includesAll(f.message, ['an unknown number of members', 'module nicMod (br:mcr.microsoft.com/bicep/avm/res/network/network-interface:0.4.0), whose template is not read', 'is not read']);
    assert.ok(c.analysis.problems.some((p) => /Registry module .* is not read/.test(p.message) && p.severity === 'info'));
  });

  it('condition false by default: the NIC is not deployed, the pool is empty', () => {
    const c = loadCase('condition-false');
    const rule = c.analysis.graphs[0]?.graph.loadBalancers[0]?.rules[0];
    assert.equal(rule?.frontend?.internal, true);
    assert.equal(rule?.pools[0]?.members.length, 0);
  });

  it('filtered loop: the NICs of iterations 0 and 2 are the members', () => {
    const c = loadCase('filtered-loop');
    const f = only(c.analysis.findings, 'filtered-loop');
    assert.equal(f.facts.members, 2);
    const members = c.analysis.graphs[0]?.graph.loadBalancers[0]?.rules[0]?.pools[0]?.members.map((m) => m.displayName);
    assert.deepEqual(members, ['nic-filter-0', 'nic-filter-2']);
    assert.ok(!f.message.includes('filter-1'), f.message);
  });

  it(
    'filtered loop: VM i attaches NIC i (nics[i] counts iterations, not deployed copies)',
    () => {
      const c = loadCase('filtered-loop');
      const f = only(c.analysis.findings, 'filtered-loop');
      assert.match(f.message, /with 2 members \(VM vm-filter-0, VM vm-filter-2\)/);
    },
  );

  it('loops over objects and items(): one finding per generated rule, with interpolated names', () => {
    const c = loadCase('object-loops');
    assert.deepEqual(c.analysis.findings.map((f) => [f.facts.lbRule, f.facts.frontendPort]).sort(), [
      ['rule-admin', 8443],
      ['rule-api', 8080],
    ]);
    for (const f of c.analysis.findings) {
      assert.equal(f.facts.loadBalancer, 'ilb-web');
      includesAll(f.message, ['pool be-web', 'VM vm-alpha', 'VM vm-beta']);
    }
    const nics = c.analysis.graphs[0]?.graph.loadBalancers[0]?.pools[0]?.members.map((m) => m.displayName);
    assert.deepEqual(nics, ['nic-alpha-1', 'nic-beta-2']);
  });

  it('public load balancer and floating IP on: members, but nothing hairpin-prone', () => {
    const pub = loadCase('public-lb');
    const lb = pub.analysis.graphs[0]?.graph.loadBalancers[0];
    assert.equal(lb?.frontends[0]?.internal, false);
    assert.equal(lb?.rules[0]?.pools[0]?.members.length, 1);
    const fip = loadCase('floating-ip-on');
    const rule = fip.analysis.graphs[0]?.graph.loadBalancers[0]?.rules[0];
    assert.equal(rule?.floatingIp, true);
    assert.equal(rule?.pools[0]?.members.length, 1);
  });
});

describe('bicep workspaces built inline: module cycles and late problems', () => {
  const ILB_AND_NIC = `
resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: 'ilb-cycle'
  properties: {
    frontendIPConfigurations: [
      {
        name: 'fe'
        properties: {
          privateIPAddress: '10.40.0.10'
        }
      }
    ]
    backendAddressPools: [
      {
        name: 'be'
      }
    ]
    loadBalancingRules: [
      {
        name: 'http'
        properties: {
          frontendIPConfiguration: {
            id: lb.properties.frontendIPConfigurations[0].id
          }
          backendAddressPool: {
            id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb-cycle', 'be')
          }
          protocol: 'Tcp'
          frontendPort: 80
          backendPort: 80
        }
      }
    ]
  }
}
resource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {
  name: 'nic-cycle'
  properties: {
    ipConfigurations: [
      {
        name: 'ipconfig1'
        properties: {
          loadBalancerBackendAddressPools: [
            {
              id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb-cycle', 'be')
            }
          ]
        }
      }
    ]
  }
}
`;

  it(
    'two files that call each other as modules are still analyzed, and the cycle is reported',
    () => {
      const ws = new Workspace();
      ws.setFile('/cyc/a.bicep', `module b './b.bicep' = {\n  name: 'b'\n}\n${ILB_AND_NIC}`);
      ws.setFile('/cyc/b.bicep', "module a './a.bicep' = {\n  name: 'a'\n}\n");
      const a = ws.analyze();
      assert.ok(a.templates >= 1, `templates: ${a.templates}`);
      assert.ok(a.problems.some((p) => /includes itself/.test(p.message)), a.problems.map((p) => p.message).join('\n') || 'no problems');
    },
  );

  it(
    'problems met while the graph reads resource bodies reach the analysis',
    () => {
      const ws = new Workspace();
      ws.setFile('/late/main.bicep', "var r = [for i in range(0, 900): i]\nresource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {\n  name: 'nic'\n  properties: {\n    n: length(r)\n  }\n}\n");
      const a = ws.analyze();
      assert.ok(a.problems.some((p) => /900 iterations/.test(p.message)), a.problems.map((p) => p.message).join('\n') || 'no problems');
    },
  );

  it(
    'a pool nested in a load balancer whose name is a parameter without a value still gets its member',
    () => {
      const text = `param lbName string
resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: lbName
  properties: {
    frontendIPConfigurations: [
      {
        name: 'fe'
        properties: {
          privateIPAddress: '10.41.0.10'
        }
      }
    ]
    loadBalancingRules: [
      {
        name: 'http'
        properties: {
          frontendIPConfiguration: {
            id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', lbName, 'fe')
          }
          backendAddressPool: {
            id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', lbName, 'be')
          }
          protocol: 'Tcp'
          frontendPort: 80
          backendPort: 80
        }
      }
    ]
  }

  resource pool 'backendAddressPools' = {
    name: 'be'
  }
}
resource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {
  name: 'nic-unnamed-lb'
  properties: {
    ipConfigurations: [
      {
        name: 'ipconfig1'
        properties: {
          loadBalancerBackendAddressPools: [
            {
              id: lb::pool.id
            }
          ]
        }
      }
    ]
  }
}
`;
      const ws = new Workspace();
      ws.setFile('/unnamed/main.bicep', text);
      const a = ws.analyze();
      assert.deepEqual(a.parseErrors, []);
      assert.equal(a.findings.length, 1, 'one finding with members=1');
      assert.equal(a.findings[0]?.facts.members, 1);
    },
  );
});
