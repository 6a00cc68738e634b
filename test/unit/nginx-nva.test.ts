/**
 * The NGINX NVA scaffold (strategy nginx-nva): the generated nginx.conf and cloud-init, and the
 * fix in ARM and Bicep.
 *
 * Guarantees, for every offered fix of the fixtures, the examples and the shared corpus: the
 * edited and created files parse (no new JSON errors, strict JSON stays strict, no Bicep
 * diagnostics); the finding is gone after re-analysis and no new finding appears; the edits only
 * insert (or extend the load balancer's `comments`), in the file's indentation and line breaks;
 * and the fix is idempotent: with the mirrored rule's suppression taken away again, the fix
 * recognises what it made and adds the suppression only.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseJsonc } from 'jsonc-parser';
import type Parser from 'web-tree-sitter';

import type { EvaluatedResource } from '../../src/core/evaluate/resources';
import { getPath, Unknown } from '../../src/core/evaluate/value';
import type { Fix } from '../../src/core/fixes/types';
import type { TextEdit } from '../../src/core/edit';
import { computeFix } from '../../src/core/fixes';
import { nginxNvaFix } from '../../src/core/fixes/nginx-nva';
import { NVA_MARKER } from '../../src/core/fixes/nginx-nva-plan';
import { cloudInit, isHttpRule, nginxConf, nginxConfOfCloudInit, NVA_CONF_PATH, type NvaPort } from '../../src/core/fixes/nginx-conf';
import { parseArm } from '../../src/core/parse/arm';
import { parseBicep } from '../../src/core/parse/bicep';
import type { Finding } from '../../src/core/rules/types';
import { SourceFile } from '../../src/core/source';
import type { WorkspaceAnalysis } from '../../src/core/workspace';
import { FIXTURES_DIR, REPO_ROOT, SEED_LAB, loadBalancer, nic, poolId, scaleSet, template, vm } from './helpers';
import { applyAll, CORPUS, describeFinding, dirsIn, EXAMPLES, jsonErrors, jsonFilesIn, load, type Loaded, loadOne, onlyFinding, readTexts, textOf, toPosix } from './fix-helpers';

const SEED_LAB_BICEP = path.join(EXAMPLES, 'seed-lab-bicep', 'main.bicep');
const BICEP_FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'bicep');
const FIXES = path.join(REPO_ROOT, 'test', 'fixtures', 'fixes');

// ------------------------------------------------------------------ tools of the machine

const has = (cmd: string, ...args: string[]): boolean => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
const NGINX = has('nginx', '-v');
/** Debian's stream module (libnginx-mod-stream), which the configuration loads through modules-enabled. */
const NGINX_STREAM = NGINX && fs.existsSync('/etc/nginx/modules-enabled') && fs.readdirSync('/etc/nginx/modules-enabled').some((f) => /stream/.test(f));
const PYTHON_YAML = has('python3', '-c', 'import yaml');
const NGINX_SKIP = !NGINX ? 'nginx is not installed (apt-get install -y nginx)' : false;

/** `nginx -t` on a configuration text; the output on failure. */
function nginxTest(conf: string): { ok: boolean; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-nva-nginx-'));
  try {
    const file = path.join(dir, 'nginx.conf');
    fs.writeFileSync(file, conf);
    const r = spawnSync('nginx', ['-t', '-c', file], { encoding: 'utf8' });
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The cloud-init as data (python3's YAML parser), or undefined where it is not installed. */
function yamlOf(text: string): { packages: string[]; write_files: { path: string; content: string; permissions: string }[]; runcmd: string[]; package_update: boolean } | undefined {
  if (!PYTHON_YAML) return undefined;
  const r = spawnSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `the cloud-init is YAML: ${r.stderr}\n${text}`);
  return JSON.parse(r.stdout) as never;
}

/** Checks a cloud-init text and returns its nginx.conf: YAML, the shell of runcmd, the configuration. */
function checkCloudInit(text: string): string {
  assert.ok(text.startsWith('#cloud-config\n'), 'starts with #cloud-config');
  const lines = text.split('\n');
  const end = lines.indexOf('runcmd:');
  const conf = nginxConfOfCloudInit(text);
  assert.ok(conf !== undefined && end > 0, 'write_files content, then runcmd');
  const data = yamlOf(text);
  if (data) {
    assert.equal(data.write_files[0]?.path, NVA_CONF_PATH);
    assert.equal(data.write_files[0]?.content, conf);
    assert.equal(data.package_update, true);
    assert.ok(data.packages.includes('nginx'));
    assert.equal(data.packages.includes('libnginx-mod-stream'), /^stream \{$/m.test(conf));
    for (const cmd of data.runcmd) assert.equal(spawnSync('sh', ['-n'], { input: cmd }).status, 0, cmd);
    assert.match(data.runcmd.join('\n'), /nginx -t && .*systemctl restart nginx/);
  }
  for (const cmd of lines.slice(end + 1).filter((l) => l.startsWith('  - '))) assert.equal(spawnSync('sh', ['-n'], { input: cmd.slice(4) }).status, 0, cmd);
  return conf;
}

function assertNginxAccepts(conf: string): void {
  if (!NGINX || (/^stream \{$/m.test(conf) && !NGINX_STREAM)) return;
  const r = nginxTest(conf);
  assert.ok(r.ok, `nginx -t accepts the configuration:\n${r.output}\n${conf}`);
}

// ------------------------------------------------------------------ nginx.conf

const SEED_CONF = `# NGINX NVA generated by ilb-hairpin (strategy nginx-nva).
user www-data;
worker_processes auto;
pid /run/nginx.pid;
# The dynamic modules of the distribution package (the stream module: libnginx-mod-stream).
include /etc/nginx/modules-enabled/*.conf;

events {
    worker_connections 1024;
}

http {
    access_log /var/log/nginx/access.log;
    error_log /var/log/nginx/error.log;

    # rule-http: HTTP port 80 -> backends' port 80
    upstream http_80 {
        server 10.2.1.4:80;
    }

    server {
        listen 80;
        location / {
            proxy_pass http://http_80;
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }
    }
}
`;

const MIXED: NvaPort[] = [
  { port: 80, backendPort: 8080, protocol: 'tcp', http: true, rule: 'web' },
  { port: 1433, backendPort: 1433, protocol: 'tcp', http: false, rule: 'sql' },
  { port: 53, backendPort: 53, protocol: 'udp', http: false, rule: 'dns-udp' },
  { port: 53, backendPort: 53, protocol: 'tcp', http: false, rule: 'dns-tcp' },
  { port: 514, backendPort: 5514, protocol: 'udp', http: false, rule: 'syslog' },
];

describe('nginx.conf', () => {
  it('an HTTP port: an http block with the upstream and the proxy headers (the seed lab, exactly)', () => {
    assert.equal(nginxConf({ ports: [{ port: 80, backendPort: 80, protocol: 'tcp', http: true, rule: 'rule-http' }], backends: ['10.2.1.4'] }), SEED_CONF);
  });

  it('TCP and UDP ports: a stream block, `listen N udp`, a TCP listener for the probe of a UDP-only port', () => {
    const conf = nginxConf({ ports: MIXED, backends: ['10.0.0.4', '10.0.0.5'] });
    const stream = conf.slice(conf.indexOf('\nstream {'));
    assert.match(conf, /upstream http_80 \{\n {8}server 10\.0\.0\.4:8080;\n {8}server 10\.0\.0\.5:8080;\n {4}\}/);
    assert.match(stream, /upstream tcp_1433 \{\n {8}server 10\.0\.0\.4:1433;\n {8}server 10\.0\.0\.5:1433;\n {4}\}\n\n {4}server \{\n {8}listen 1433;\n {8}proxy_pass tcp_1433;\n {4}\}/);
    assert.match(stream, /listen 53 udp;\n {8}proxy_pass udp_53;/);
    assert.match(stream, /listen 53;\n {8}proxy_pass tcp_53;/);
    assert.match(stream, /server 10\.0\.0\.5:5514;/);
    assert.match(stream, /listen 514 udp;/);
    // 53 has a TCP proxy that answers the probe; 514 gets a listener of its own.
    assert.deepEqual([...stream.matchAll(/return ok;/g)].length, 1);
    assert.match(stream, /probe of UDP port 514\.\n {4}server \{\n {8}listen 514;\n {8}return ok;/);
    assert.ok(!stream.includes('proxy_set_header'), 'no HTTP directives in the stream block');
  });

  it('IPv6 backends are written in brackets; a port may list its own backends', () => {
    const conf = nginxConf({ ports: [{ port: 22, backendPort: 22, protocol: 'tcp', http: false, backends: ['fd00::4'] }, { port: 23, backendPort: 23, protocol: 'tcp', http: false }], backends: ['10.0.0.9'] });
    assert.match(conf, /server \[fd00::4\]:22;/);
    assert.match(conf, /server 10\.0\.0\.9:23;/);
    assert.ok(!/10\.0\.0\.9:22/.test(conf));
  });

  it('the HTTP heuristic: ports 80/8080/8000, an Http probe or "http" in the name; never TLS ports, Https probes, https/tls/ssl names or UDP', () => {
    const rule = (frontendPort: number, extra: { name?: string; probeProtocol?: string; protocol?: 'tcp' | 'udp'; backendPort?: number } = {}): boolean =>
      isHttpRule({ frontendPort, backendPort: extra.backendPort ?? frontendPort, protocol: extra.protocol ?? 'tcp', name: extra.name ?? 'r', probeProtocol: extra.probeProtocol ?? 'Tcp' });
    assert.deepEqual([80, 8080, 8000, 9000, 443, 1433].map((p) => rule(p)), [true, true, true, false, false, false]);
    assert.equal(rule(9000, { backendPort: 80 }), true, 'a backend port 80');
    assert.equal(rule(9000, { probeProtocol: 'Http' }), true);
    assert.equal(rule(9000, { name: 'app-http' }), true);
    assert.equal(rule(9000, { name: 'app-https' }), false);
    assert.equal(rule(80, { name: 'web-tls' }), false);
    assert.equal(rule(80, { probeProtocol: 'Https' }), false);
    assert.equal(rule(443, { name: 'http' }), false);
    assert.equal(rule(80, { protocol: 'udp' }), false);
  });

  it('nginx -t accepts the generated configurations (Debian nginx)', { skip: NGINX_SKIP }, () => {
    assert.ok(nginxTest(SEED_CONF).ok, nginxTest(SEED_CONF).output);
    if (!NGINX_STREAM) return; // apt-get install -y libnginx-mod-stream
    const mixed = nginxConf({ ports: MIXED, backends: ['10.0.0.4', '10.0.0.5', 'fd00::6'], comment: 'mixed' });
    const r = nginxTest(mixed);
    assert.ok(r.ok, r.output);
    // And a broken one is refused (the check checks).
    assert.equal(nginxTest(mixed.replace('proxy_pass tcp_1433;', 'proxy_pass nowhere_at_all')).ok, false);
  });

  it('the cloud-init: YAML with nginx (and the stream module when needed), the configuration as written, runcmd valid for the shell', () => {
    const conf = nginxConf({ ports: MIXED, backends: ['10.0.0.4'] });
    assert.equal(checkCloudInit(cloudInit(conf, 'a comment')), conf);
    const http = cloudInit(SEED_CONF);
    assert.equal(checkCloudInit(http), SEED_CONF);
    assert.ok(!/\n {2}- libnginx-mod-stream\n/.test(http), 'no stream module for HTTP only');
    assert.match(cloudInit(conf), /\n {2}- libnginx-mod-stream\n/);
    assert.equal(nginxConfOfCloudInit(cloudInit(conf).replace(/\n/g, '\r\n')), conf, 'read back from a CRLF text too');
    assert.equal(nginxConfOfCloudInit('#cloud-config\npackages: [nginx]\n'), undefined);
  });
});

// ------------------------------------------------------------------ workspaces

const ruleKey = (f: Finding): string => `${f.span.file}|${f.facts.loadBalancer}|${f.facts.lbRule}|${f.facts.viaModule ?? ''}`;

function offered(l: Loaded, f: Finding): Fix {
  const r = nginxNvaFix(f, textOf(l));
  assert.ok(r.ok, `fix offered for ${describeFinding(f)}: ${r.ok ? '' : r.reason}`);
  return r.fix;
}

function refused(l: Loaded, f: Finding): string {
  const r = nginxNvaFix(f, textOf(l));
  assert.ok(!r.ok, `no fix offered for ${describeFinding(f)}`);
  return r.reason;
}

const isStrictJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

const bicepDiagnostics = (text: string): string[] => parseBicep(text, { fileKind: 'bicep' }).diagnostics.map((d) => d.message);

/** The indentation of a text: its first indented line's whitespace. */
const unitOf = (text: string): string => /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';

/** Is an edit one that suppresses a mirrored rule (a directive line, or the load balancer's comments)? */
const isSuppression = (e: TextEdit): boolean => !e.create && (/^[ \t]*\/\/ ilb-hairpin-disable-next-line /.test(e.newText) || (/ilb-hairpin-disable /.test(e.newText) && !e.newText.includes('"type"')));

let fixesChecked = 0;

/** Applies a fix and checks every guarantee; returns the texts after it. */
function checkGuarantees(l: Loaded, f: Finding, fix: Fix): Map<string, string> {
  const what = describeFinding(f);
  assert.equal(fix.strategy, 'nginx-nva');
  assert.ok(fix.edits.length > 0, `${what}: the fix has edits`);
  assert.ok(fix.title.includes(f.facts.lbRule) && fix.notes.some((n) => /VIP/.test(n)), `${what}: title and notes`);
  const next = applyAll(l.texts, fix.edits);

  for (const [file, after] of next) {
    const before = l.texts.get(file);
    if (before === after) continue;
    const edits = fix.edits.filter((e) => e.file === file);
    if (before === undefined) {
      // A created file: one edit with its whole text, a Bicep module that parses.
      assert.equal(edits.length, 1, `${what}: one edit creates ${file}`);
      assert.ok(edits[0]?.create && edits[0].offset === 0 && edits[0].length === 0, `${what}: ${file} is created`);
      assert.match(file, /-nginx-nva\.bicep$/);
      assert.deepEqual(bicepDiagnostics(after), [], `${what}: the module parses`);
      assert.ok(after.startsWith(NVA_MARKER), `${what}: the module says what it is`);
      continue;
    }
    // Only insertions, but for the load balancer's comments string (extended, never cut).
    for (const e of edits) {
      assert.ok(!e.create, `${what}: ${file} exists and is edited, not created`);
      if (e.length === 0) continue;
      const old = before.slice(e.offset, e.offset + e.length);
      assert.ok(/^".*"$/.test(old) && e.newText.startsWith(old.slice(0, -1)), `${what}: only a comments string is replaced, and extended: ${old} -> ${e.newText}`);
      assert.match(e.newText, /ilb-hairpin-disable hairpin-prone-rule /);
    }
    // The file's line breaks and indentation.
    const crlf = before.includes('\r\n');
    const unit = unitOf(before);
    for (const e of edits) {
      if (crlf) assert.ok(!/(^|[^\r])\n/.test(e.newText), `${what}: CRLF kept in ${file}`);
      for (const line of e.newText.split(/\r?\n/).slice(1)) {
        const indent = /^[ \t]*/.exec(line)?.[0] ?? '';
        if (unit === '\t') assert.ok(!indent.includes(' '), `${what}: tabs kept in ${file}: ${JSON.stringify(line)}`);
        else assert.ok(!indent.includes('\t') && indent.length % unit.length === 0, `${what}: ${unit.length}-space indentation kept in ${file}: ${JSON.stringify(line)}`);
      }
    }
    // Still parses.
    if (/\.bicep$/i.test(file)) {
      assert.ok(bicepDiagnostics(after).length <= bicepDiagnostics(before).length, `${what}: no new Bicep diagnostics in ${file}: ${bicepDiagnostics(after).join('; ')}`);
    } else {
      assert.ok(jsonErrors(after).length <= jsonErrors(before).length, `${what}: no new JSON errors in ${file}`);
      if (isStrictJson(before)) assert.ok(isStrictJson(after), `${what}: strict JSON stays strict JSON`);
      assert.equal(parseArm(new SourceFile(file, after)).kind, 'deploymentTemplate');
    }
  }
  fixesChecked++;

  // Re-analysis: the finding is gone, nothing new appears, no new parse errors.
  const again = load(next);
  const before = new Set(l.analysis.findings.map(ruleKey));
  assert.deepEqual(again.analysis.findings.filter((g) => ruleKey(g) === ruleKey(f)).map(describeFinding), [], `${what}: the finding is gone after the fix`);
  assert.deepEqual(again.analysis.findings.filter((g) => !before.has(ruleKey(g))).map(describeFinding), [], `${what}: no new finding after the fix`);
  const errorCount = (a: WorkspaceAnalysis): number => a.parseErrors.reduce((n, p) => n + p.errors.length, 0);
  assert.ok(errorCount(again.analysis) <= errorCount(l.analysis), `${what}: no new parse errors: ${JSON.stringify(again.analysis.parseErrors)}`);

  // Idempotent: without the mirrored rules' suppressions the finding is back, and the fix then
  // adds the suppressions only, giving the same texts.
  const unsuppressed = load(applyAll(l.texts, fix.edits.filter((e) => !isSuppression(e))));
  const back = unsuppressed.analysis.findings.find((g) => ruleKey(g) === ruleKey(f));
  assert.ok(back, `${what}: without its suppression the finding is back`);
  const second = nginxNvaFix(back, textOf(unsuppressed));
  assert.ok(second.ok, `${what}: the fix is offered again: ${second.ok ? '' : second.reason}`);
  assert.ok(second.fix.edits.every(isSuppression), `${what}: the second run adds suppressions only: ${JSON.stringify(second.fix.edits.filter((e) => !isSuppression(e)))}`);
  const twice = applyAll(unsuppressed.texts, second.fix.edits);
  for (const [file, text] of next) assert.equal(twice.get(file), text, `${what}: the second run gives the same ${file}`);
  return next;
}

/** Every offered fix of a workspace checked; how many were offered and refused. */
function checkWorkspace(l: Loaded): { fixed: number; refused: number } {
  let fixed = 0;
  let refusedCount = 0;
  for (const f of l.analysis.findings) {
    const r = nginxNvaFix(f, textOf(l));
    if (!r.ok) {
      assert.ok(r.reason.length > 20, `${describeFinding(f)}: a refusal says why`);
      refusedCount++;
      continue;
    }
    checkGuarantees(l, f, r.fix);
    fixed++;
  }
  return { fixed, refused: refusedCount };
}

// ------------------------------------------------------------------ evaluated results

/** The resources every root of the workspace evaluated (modules through their callers). */
function evaluated(l: Loaded): EvaluatedResource[] {
  const cache = (l.ws as unknown as { cache: Map<string, { evaluation: { resources: EvaluatedResource[] } }> }).cache;
  return [...cache.values()].flatMap((x) => x.evaluation.resources);
}

const ofType = (l: Loaded, type: string): EvaluatedResource[] => evaluated(l).filter((r) => r.type.toLowerCase() === type.toLowerCase());

/** The NVA VMs' cloud-init, decoded from their evaluated customData. */
function nvaCloudInits(l: Loaded): string[] {
  return ofType(l, 'Microsoft.Compute/virtualMachines')
    .filter((r) => /-nva-vm\d$/.test(String(r.name)))
    .map((r) => {
      const data = getPath(r.body(), 'properties', 'osProfile', 'customData');
      assert.equal(typeof data, 'string', `the customData of ${String(r.name)} evaluates: ${data instanceof Unknown ? data.reason : String(data)}`);
      return Buffer.from(data as string, 'base64').toString('utf8');
    });
}

// ------------------------------------------------------------------ the seed lab

describe('nginx-nva fix: the seed lab', () => {
  it('ARM: the NVA resources after the others, the parameters, the cloud-init variable, the output; both rules suppressed with their reasons', () => {
    const text = fs.readFileSync(SEED_LAB, 'utf8');
    const l = loadOne(toPosix(SEED_LAB), text);
    const f = onlyFinding(l);
    const fix = offered(l, f);
    assert.equal(fix.title, 'Scaffold an NGINX NVA tier in front of rule rule-http (load balancer ilb-we-02-web)');
    assert.ok(fix.edits.every((e) => e.file === toPosix(SEED_LAB)));
    const after = checkGuarantees(l, f, fix).get(toPosix(SEED_LAB)) as string;
    const t = JSON.parse(after) as { parameters: Record<string, unknown>; variables: Record<string, unknown>; resources: { type: string; name: string; comments?: string; zones?: unknown; properties: Record<string, unknown> }[]; outputs: Record<string, { value: string }> };
    assert.deepEqual(Object.keys(t.parameters), ['location', 'adminUsername', 'adminPassword', 'vmName', 'nvaAdminUsername', 'nvaSshPublicKey']);
    assert.deepEqual(t.parameters['nvaSshPublicKey'], { type: 'securestring', metadata: { description: 'SSH public key (OpenSSH format) of the NGINX NVA VMs; password sign-in is disabled.' } });
    assert.deepEqual(
      t.resources.map((r) => `${r.type} ${r.name}`),
      [
        "Microsoft.Network/virtualNetworks [variables('vnetName')]",
        "Microsoft.Network/loadBalancers [variables('lbName')]",
        "Microsoft.Network/networkInterfaces [variables('nicName')]",
        "Microsoft.Compute/virtualMachines [parameters('vmName')]",
        "Microsoft.Compute/availabilitySets [concat(variables('lbName'), '-nva-avset')]",
        "Microsoft.Network/loadBalancers [concat(variables('lbName'), '-nva-lb')]",
        "Microsoft.Network/networkInterfaces [concat(variables('lbName'), '-nva-nic', copyIndex(1))]",
        "Microsoft.Compute/virtualMachines [concat(variables('lbName'), '-nva-vm', copyIndex(1))]",
      ],
    );
    assert.equal(t.resources[1]?.comments, 'ilb-hairpin-disable hairpin-prone-rule rule-http: clients call the NGINX NVA VIP (ilb-we-02-web-nva-lb, output ilbWe02WebNvaFrontendIp) instead of this frontend');
    assert.equal(t.resources[5]?.comments, 'ilb-hairpin-disable hairpin-prone-rule nva-rule-http: NGINX calls the backends directly, nothing in the NVA pool calls the NVA VIP');
    assert.deepEqual(getPath(t.resources[6]?.properties as never, 'ipConfigurations', 0, 'properties', 'subnet'), { id: "[variables('subnetId')]" }, "the backends' subnet, as written");
    assert.deepEqual(getPath(t.resources[7]?.properties as never, 'storageProfile', 'imageReference'), { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: 'latest' });
    assert.equal(getPath(t.resources[7]?.properties as never, 'osProfile', 'linuxConfiguration', 'disablePasswordAuthentication'), true);
    assert.equal(getPath(t.resources[7]?.properties as never, 'hardwareProfile', 'vmSize'), 'Standard_B2s');
    assert.equal(t.resources[7]?.zones, undefined, 'no zones in the template: an availability set');
    assert.equal(
      t.outputs['ilbWe02WebNvaFrontendIp']?.value,
      "[reference(resourceId('Microsoft.Network/loadBalancers', concat(variables('lbName'), '-nva-lb'))).frontendIPConfigurations[0].properties.privateIPAddress]",
    );
    // The evaluated NVA: two VMs whose cloud-init installs nginx with 10.2.1.4 as the upstream.
    const fixed = loadOne(toPosix(SEED_LAB), after);
    const inits = nvaCloudInits(fixed);
    assert.equal(inits.length, 2);
    const conf = checkCloudInit(inits[0] as string);
    assert.equal(conf, SEED_CONF.replace('(strategy nginx-nva).\n', '(strategy nginx-nva).\n# In front of internal load balancer ilb-we-02-web, frontend fe-web.\n'));
    assertNginxAccepts(conf);
    assert.deepEqual(
      ofType(fixed, 'Microsoft.Network/loadBalancers').map((r) => String(r.name)),
      ['ilb-we-02-web', 'ilb-we-02-web-nva-lb'],
    );
  });

  it('Bicep: a module file beside the template (created), the module declaration and its parameters after the load balancer', () => {
    const file = toPosix(SEED_LAB_BICEP);
    const text = fs.readFileSync(SEED_LAB_BICEP, 'utf8');
    const l = loadOne(file, text);
    const f = onlyFinding(l);
    const fix = offered(l, f);
    const moduleFile = file.replace(/main\.bicep$/, 'main-nginx-nva.bicep');
    assert.deepEqual(
      fix.edits.map((e) => [e.file, e.create ?? false]),
      [
        [moduleFile, true],
        [file, false],
        [file, false],
      ],
    );
    const next = checkGuarantees(l, f, fix);
    const main = next.get(file) as string;
    const declaration = [
      "@description('Admin user name of the NGINX NVA VMs (ilb-hairpin nginx-nva).')",
      "param nvaAdminUsername string = 'nvaadmin'",
      '',
      "@description('SSH public key (OpenSSH format) of the NGINX NVA VMs; password sign-in is disabled.')",
      '@secure()',
      'param nvaSshPublicKey string',
      '',
      '// NGINX NVA in front of ilb-we-02-web (frontend fe-web), generated by ilb-hairpin:',
      '// clients must call its VIP, ilbNginxNva.outputs.frontendIp, instead of that frontend.',
      "module ilbNginxNva './main-nginx-nva.bicep' = {",
      "  name: '${ilb.name}-nginx-nva'",
      '  params: {',
      '    location: location',
      "    namePrefix: '${ilb.name}-nva'",
      '    subnetId: vnet.properties.subnets[0].id',
      '    backendAddresses: [',
      "      '10.2.1.4'",
      '    ]',
      '    adminUsername: nvaAdminUsername',
      '    sshPublicKey: nvaSshPublicKey',
      '  }',
      '  dependsOn: [',
      '    ilb',
      '  ]',
      '}',
    ].join('\n');
    const lbEnd = text.indexOf('\n}\n', text.indexOf("resource ilb 'Microsoft.Network/loadBalancers")) + 2;
    const withSuppression = text.replace(
      '          enableFloatingIP: false',
      '          // ilb-hairpin-disable-next-line hairpin-prone-rule clients call the NGINX NVA VIP (ilbNginxNva) instead of this frontend\n          enableFloatingIP: false',
    );
    const shift = withSuppression.length - text.length;
    assert.equal(main, `${withSuppression.slice(0, lbEnd + shift)}\n\n${declaration}${withSuppression.slice(lbEnd + shift)}`);
    const module = next.get(moduleFile) as string;
    assert.ok(module.startsWith("// ilb-hairpin nginx-nva: load balancer 'ilb-we-02-web', frontend 'fe-web'\n"));
    assert.match(module, /\n {8}\/\/ ilb-hairpin-disable-next-line hairpin-prone-rule NGINX calls the backends directly; nothing in the NVA pool calls the NVA VIP\n {8}name: 'nva-rule-http'\n/);
    assert.match(module, /\n@secure\(\)\nparam sshPublicKey string\n/);
    assert.match(module, /\noutput frontendIp string = lb\.properties\.frontendIPConfigurations\[0\]\.properties\.privateIPAddress\n$/);
    assert.match(module, /resource availabilitySet 'Microsoft\.Compute\/availabilitySets@/);
    // Evaluated through main.bicep: the module's VMs carry the cloud-init with 10.2.1.4.
    const fixed = load(next);
    const inits = nvaCloudInits(fixed);
    assert.equal(inits.length, 2);
    const conf = checkCloudInit(inits[0] as string);
    assert.match(conf, /upstream http_80 \{\n {8}server 10\.2\.1\.4:80;\n {4}\}/);
    assertNginxAccepts(conf);
    const names = ofType(fixed, 'Microsoft.Compute/virtualMachines').map((r) => String(r.name)).sort();
    assert.deepEqual(names, ['VM-WE-02-Web01', 'ilb-we-02-web-nva-vm1', 'ilb-we-02-web-nva-vm2']);
  });

  it('computeFix dispatches nginx-nva to the fix', () => {
    const l = loadOne(toPosix(SEED_LAB), fs.readFileSync(SEED_LAB, 'utf8'));
    const f = onlyFinding(l);
    assert.deepEqual(computeFix('nginx-nva', f, textOf(l)), nginxNvaFix(f, textOf(l)));
  });
});

// ------------------------------------------------------------------ the guarantees, everywhere

describe('nginx-nva fix: the guarantees, for every offered fix of the fixtures and examples', () => {
  const workspaces = [
    ...jsonFilesIn(FIXTURES_DIR).map((root) => ({ label: `fixtures/arm/${path.basename(root)}`, root })),
    ...dirsIn(BICEP_FIXTURES).map((root) => ({ label: `fixtures/bicep/${path.basename(root)}`, root })),
    ...dirsIn(EXAMPLES).map((root) => ({ label: `examples/${path.basename(root)}`, root })),
    ...jsonFilesIn(path.join(FIXES, 'arm')).map((root) => ({ label: `fixtures/fixes/arm/${path.basename(root)}`, root })),
    ...dirsIn(path.join(FIXES, 'bicep')).map((root) => ({ label: `fixtures/fixes/bicep/${path.basename(root)}`, root })),
    ...dirsIn(path.join(REPO_ROOT, 'test', 'fixtures', 'host-workspace')).map((root) => ({ label: `fixtures/host-workspace/${path.basename(root)}`, root })),
    { label: 'fixtures/deployments/linked', root: path.join(REPO_ROOT, 'test', 'fixtures', 'deployments', 'linked') },
    { label: 'fixtures/workspace/cli-params', root: path.join(REPO_ROOT, 'test', 'fixtures', 'workspace', 'cli-params') },
  ];
  let fixed = 0;
  let refusals = 0;
  for (const { label, root } of workspaces) {
    it(label, () => {
      const r = checkWorkspace(load(readTexts(root)));
      fixed += r.fixed;
      refusals += r.refused;
    });
  }
  it('a fair number of fixes were offered and checked', () => {
    assert.ok(fixed >= 30, `only ${fixed} fixes were offered (${refusals} refused)`);
  });
});

describe('nginx-nva fix: the guarantees on the shared corpus', { skip: !fs.existsSync(CORPUS) && 'shared/corpus is not present' }, () => {
  interface Expected {
    positives: { file: string; lbRule: string }[];
  }
  const expected = fs.existsSync(CORPUS) ? (JSON.parse(fs.readFileSync(path.join(CORPUS, 'expected.json'), 'utf8')) as Expected) : { positives: [] };
  const repos = dirsIn(CORPUS).flatMap((owner) => dirsIn(owner).map((repo) => toPosix(path.relative(CORPUS, repo))));
  const offeredFor = new Set<string>();
  const seen = new Set<string>();
  for (const repo of repos) {
    it(`${repo}: each offered fix`, () => {
      const l = load(readTexts(path.join(CORPUS, repo)));
      for (const f of l.analysis.findings) {
        const key = `${toPosix(path.relative(CORPUS, f.span.file))}|${f.facts.lbRule}`;
        seen.add(key);
        const r = nginxNvaFix(f, textOf(l));
        if (!r.ok) {
          assert.ok(r.reason.length > 20, `${describeFinding(f)}: a refusal says why`);
          continue;
        }
        checkGuarantees(l, f, r.fix);
        offeredFor.add(key);
      }
    });
  }
  it('every labelled positive was tried, and the fix is offered for a fair share of them', () => {
    const matches = (p: { file: string; lbRule: string }, key: string): boolean => {
      const [file, rule] = key.split('|') as [string, string];
      return file === p.file && (p.lbRule.startsWith('*') ? rule.endsWith(p.lbRule.slice(1)) : rule === p.lbRule);
    };
    assert.deepEqual(expected.positives.filter((p) => ![...seen].some((k) => matches(p, k))), [], 'every labelled positive has a finding the fix was tried on');
    const offeredPositives = expected.positives.filter((p) => [...offeredFor].some((k) => matches(p, k)));
    assert.ok(offeredPositives.length >= 9, `the fix was offered for ${offeredPositives.length} positives: ${offeredPositives.map((p) => `${p.file} ${p.lbRule}`).join(', ')}`);
  });
});

// ------------------------------------------------------------------ synthetic templates

const NIC_ID = (n: string): string => `[resourceId('Microsoft.Network/networkInterfaces', '${n}')]`;

/** A load balancer with the given rules on one frontend and two VMs behind it. */
function twoVms(opts: { rules?: { name: string; protocol?: string; port?: number }[]; ips?: (string | undefined)[]; zones?: boolean } = {}): string {
  const ips = opts.ips ?? ['10.0.0.4', '10.0.0.5'];
  return template({
    parameters: { location: { type: 'string', defaultValue: 'westeurope' } },
    resources: [
      loadBalancer({ name: 'ilb-app', frontendIp: '10.0.0.100', rules: opts.rules ?? [{ name: 'web', port: 80 }] }),
      ...ips.flatMap((ip, i) => {
        const v = vm(`vm-${i}`, [NIC_ID(`nic-${i}`)]);
        return [nic(`nic-${i}`, [poolId('ilb-app', 'be')], ip ? { ip } : {}), opts.zones ? { ...v, zones: [String(i + 1)] } : v];
      }),
    ],
  });
}

describe('nginx-nva fix: ports, addresses and placement', () => {
  it('rules on one frontend (HTTP, TCP, UDP): one NVA mirrors them all, each suppressed; http and stream blocks; nginx -t accepts it', () => {
    const file = '/ws/mixed/azuredeploy.json';
    const l = loadOne(file, twoVms({ rules: [{ name: 'web', port: 80 }, { name: 'sql', port: 1433 }, { name: 'dns', protocol: 'Udp', port: 53 }] }));
    assert.equal(l.analysis.findings.length, 3);
    const f = l.analysis.findings.find((x) => x.facts.lbRule === 'sql') as Finding;
    const fix = offered(l, f);
    assert.equal(fix.title, 'Scaffold an NGINX NVA tier in front of rule sql and 2 more rules on its frontend (load balancer ilb-app)');
    const next = checkGuarantees(l, f, fix);
    const fixed = load(next);
    assert.deepEqual(fixed.analysis.findings, [], 'every mirrored rule is suppressed');
    const t = JSON.parse(next.get(file) as string) as { resources: { name: string; comments?: string; properties: { loadBalancingRules?: { name: string; properties: { protocol: string; frontendPort: number; probe: { id: string } } }[]; probes?: { name: string; properties: { protocol: string; port: number } }[] } }[] };
    assert.equal(t.resources[0]?.comments, 'ilb-hairpin-disable hairpin-prone-rule sql: clients call the NGINX NVA VIP (ilb-app-nva-lb, output ilbAppNvaFrontendIp) instead of this frontend; ilb-hairpin-disable hairpin-prone-rule web: clients call the NGINX NVA VIP (ilb-app-nva-lb, output ilbAppNvaFrontendIp) instead of this frontend; ilb-hairpin-disable hairpin-prone-rule dns: clients call the NGINX NVA VIP (ilb-app-nva-lb, output ilbAppNvaFrontendIp) instead of this frontend');
    const nvaLb = t.resources.find((r) => r.name === 'ilb-app-nva-lb');
    assert.deepEqual(nvaLb?.properties.loadBalancingRules?.map((r) => [r.name, r.properties.protocol, r.properties.frontendPort]), [
      ['nva-sql', 'Tcp', 1433],
      ['nva-web', 'Tcp', 80],
      ['nva-dns', 'Udp', 53],
    ]);
    assert.deepEqual(nvaLb?.properties.probes?.map((p) => [p.name, p.properties.protocol, p.properties.port]), [
      ['probe-1433', 'Tcp', 1433],
      ['probe-80', 'Tcp', 80],
      ['probe-53', 'Tcp', 53],
    ]);
    const conf = checkCloudInit(nvaCloudInits(fixed)[0] as string);
    assert.match(conf, /\nhttp \{[\s\S]*upstream http_80 \{\n {8}server 10\.0\.0\.4:80;\n {8}server 10\.0\.0\.5:80;/);
    assert.match(conf, /\nstream \{[\s\S]*upstream tcp_1433 \{\n {8}server 10\.0\.0\.4:1433;\n {8}server 10\.0\.0\.5:1433;/);
    assert.match(conf, /listen 53 udp;/);
    assert.match(conf, /listen 53;\n {8}return ok;/, 'a TCP listener answers the probe of the UDP port');
    assertNginxAccepts(conf);
  });

  it('ARM, dynamic member IPs: reference() to each NIC at deployment, put in by replace(); the VMs depend on the NICs', () => {
    const file = '/ws/dynamic/azuredeploy.json';
    const l = loadOne(file, twoVms({ ips: ['10.0.0.4', undefined] }));
    const f = onlyFinding(l);
    const next = checkGuarantees(l, f, offered(l, f));
    const t = JSON.parse(next.get(file) as string) as { variables: Record<string, string[]>; resources: { name: string; dependsOn?: string[]; properties: unknown }[] };
    const lines = t.variables['ilbAppNvaCloudInit'] as string[];
    assert.ok(lines.includes('              server 10.0.0.4:80;'), 'the static IP as written');
    assert.ok(lines.includes('              server @@backend1@@:80;'), 'the dynamic one as a placeholder');
    const vmRes = t.resources.find((r) => r.name === "[concat('ilb-app-nva-vm', copyIndex(1))]");
    const reference = "reference(resourceId('Microsoft.Network/networkInterfaces', 'nic-1')).ipConfigurations[0].properties.privateIPAddress";
    assert.equal(getPath(vmRes?.properties as never, 'osProfile', 'customData'), `[base64(replace(join(variables('ilbAppNvaCloudInit'), '\n'), '@@backend1@@', ${reference}))]`);
    assert.ok(vmRes?.dependsOn?.includes(NIC_ID('nic-1')));
    // Deployed with the NIC's address 10.0.0.77, the cloud-init lists it.
    const deployed = (next.get(file) as string).replace(reference.replace(/'/g, "''").replace(/''/g, "'"), "'10.0.0.77'");
    const conf = checkCloudInit(nvaCloudInits(loadOne(file, deployed))[0] as string);
    assert.match(conf, /server 10\.0\.0\.4:80;\n {8}server 10\.0\.0\.77:80;/);
    assertNginxAccepts(conf);
  });

  it('Bicep, dynamic member IPs: the module gets the NICs\' privateIPAddress by symbolic name', () => {
    const file = '/ws/dyn/main.bicep';
    const text = fs.readFileSync(SEED_LAB_BICEP, 'utf8').replace("          privateIPAllocationMethod: 'Static'\n          privateIPAddress: '10.2.1.4'\n", "          privateIPAllocationMethod: 'Dynamic'\n");
    const l = loadOne(file, text);
    const f = onlyFinding(l);
    const next = checkGuarantees(l, f, offered(l, f));
    assert.match(next.get(file) as string, /\n {4}backendAddresses: \[\n {6}nic\.properties\.ipConfigurations\[0\]\.properties\.privateIPAddress\n {4}\]\n/);
    const module = next.get('/ws/dyn/main-nginx-nva.bicep') as string;
    assert.match(module, /\nvar upstreamHttp80 = \[for address in backendAddresses: ' {14}server \$\{address\}:80;'\]\n/);
    assert.match(module, /\n {2}join\(upstreamHttp80, '\\n'\)\n/);
  });

  it('Bicep, NICs made by a loop: the module gets every NIC of the loop by a for-expression over the same items', () => {
    const root = path.join(BICEP_FIXTURES, 'bicepparam-vm-count');
    const l = load(readTexts(root));
    const f = onlyFinding(l);
    const next = checkGuarantees(l, f, offered(l, f));
    const main = next.get(toPosix(path.join(root, 'main.bicep'))) as string;
    assert.match(main, /\n {4}backendAddresses: \[for \(nvaItem, nvaIndex\) in range\(0, vmCount\): nics\[nvaIndex\]\.properties\.ipConfigurations\[0\]\.properties\.privateIPAddress\]\n/);
  });

  it('ARM, NICs made by a copy loop: a nested deployment lists their addresses (property copy loop, same count), each server line repeated for them', () => {
    const file = '/ws/loop/azuredeploy.json';
    const l = loadOne(file, fs.readFileSync(path.join(FIXTURES_DIR, 'nic-copy-loop-two-vms.json'), 'utf8'));
    const f = onlyFinding(l);
    const next = checkGuarantees(l, f, offered(l, f));
    const after = next.get(file) as string;
    const t = parseJsonc(after) as { variables: Record<string, string[]>; resources: { type: string; name: string; dependsOn?: string[]; properties: unknown }[] };
    const deployment = t.resources.find((r) => r.type === 'Microsoft.Resources/deployments');
    assert.equal(deployment?.name, "[concat(variables('lbName'), '-nva-backends')]");
    assert.deepEqual(deployment?.dependsOn, ['nicLoop'], 'after every NIC of the loop');
    assert.deepEqual(getPath(deployment?.properties as never, 'parameters', 'addresses', 'copy'), [
      {
        name: 'value',
        count: "[parameters('vmCount')]",
        input: "[reference(resourceId('Microsoft.Network/networkInterfaces', concat('nic-app-', copyIndex('value')))).ipConfigurations[0].properties.privateIPAddress]",
      },
    ]);
    assert.ok(t.variables['ilbAppNvaCloudInit']?.includes('              server @@servers0@@:443;'));
    // Deployed with the NICs at 10.1.0.4 and 10.1.0.5, both are listed.
    const listed = "reference(resourceId('Microsoft.Resources/deployments', concat(variables('lbName'), '-nva-backends'))).outputs.addresses.value";
    assert.ok(after.includes(listed));
    const conf = checkCloudInit(nvaCloudInits(loadOne(file, after.split(listed).join("createArray('10.1.0.4', '10.1.0.5')")))[0] as string);
    assert.match(conf, /upstream tcp_443 \{\n {8}server 10\.1\.0\.4:443;\n {8}server 10\.1\.0\.5:443;\n {4}\}/, 'port 443 is TLS: a stream');
    assertNginxAccepts(conf);
  });

  it('zones in the template: the NVA VMs in zones 1 and 2, no availability set (ARM and Bicep)', () => {
    const arm = loadOne('/ws/zones/azuredeploy.json', twoVms({ zones: true }));
    const fa = onlyFinding(arm);
    const nextArm = checkGuarantees(arm, fa, offered(arm, fa));
    const fixedArm = load(nextArm);
    assert.deepEqual(
      ofType(fixedArm, 'Microsoft.Compute/virtualMachines').filter((r) => /nva/.test(String(r.name))).map((r) => [String(r.name), getPath(r.body(), 'zones')]),
      [
        ['ilb-app-nva-vm1', ['1']],
        ['ilb-app-nva-vm2', ['2']],
      ],
    );
    assert.deepEqual(ofType(fixedArm, 'Microsoft.Compute/availabilitySets'), []);
    const file = '/ws/zones/main.bicep';
    const text = fs.readFileSync(SEED_LAB_BICEP, 'utf8').replace("resource vm 'Microsoft.Compute/virtualMachines@2023-09-01' = {\n  name: vmName\n", "resource vm 'Microsoft.Compute/virtualMachines@2023-09-01' = {\n  name: vmName\n  zones: [\n    '1'\n  ]\n");
    const bicep = loadOne(file, text);
    const fb = onlyFinding(bicep);
    const nextBicep = checkGuarantees(bicep, fb, offered(bicep, fb));
    const module = nextBicep.get('/ws/zones/main-nginx-nva.bicep') as string;
    assert.ok(!module.includes('availabilitySet'));
    assert.match(module, /\n {2}zones: \[\n {4}'\$\{i \+ 1\}'\n {2}\]\n/);
    assert.deepEqual(
      ofType(load(nextBicep), 'Microsoft.Compute/virtualMachines').filter((r) => /nva/.test(String(r.name))).map((r) => getPath(r.body(), 'zones')),
      [['1'], ['2']],
    );
  });

  it('no zones: an availability set the VMs join', () => {
    const l = loadOne('/ws/avset/azuredeploy.json', twoVms());
    const fixed = load(checkGuarantees(l, onlyFinding(l), offered(l, onlyFinding(l))));
    assert.deepEqual(ofType(fixed, 'Microsoft.Compute/availabilitySets').map((r) => String(r.name)), ['ilb-app-nva-avset']);
    for (const v of ofType(fixed, 'Microsoft.Compute/virtualMachines').filter((r) => /nva/.test(String(r.name)))) {
      assert.match(String(getPath(v.body(), 'properties', 'availabilitySet', 'id')), /availabilitySets\/ilb-app-nva-avset$/);
    }
  });
});

describe('nginx-nva fix: the file\'s style', () => {
  it('ARM with tabs and CRLF: every inserted line indented with tabs, CRLF line breaks', () => {
    const text = JSON.stringify(JSON.parse(twoVms()), null, '\t').replace(/\n/g, '\r\n') + '\r\n';
    const l = loadOne('/ws/tabs/azuredeploy.json', text);
    const f = onlyFinding(l);
    const fix = offered(l, f);
    const after = checkGuarantees(l, f, fix).get('/ws/tabs/azuredeploy.json') as string;
    assert.ok(!/(^|[^\r])\n/.test(after), 'only CRLF');
    assert.ok(!/^ +/m.test(after.replace(/\r/g, '')), 'no line starts with spaces');
    assert.match(after, /\r\n\t\t\{\r\n\t\t\t"type": "Microsoft\.Compute\/availabilitySets",\r\n/);
  });

  it('ARM with 4 spaces', () => {
    const text = JSON.stringify(JSON.parse(twoVms()), null, 4) + '\n';
    const l = loadOne('/ws/four/azuredeploy.json', text);
    const f = onlyFinding(l);
    const after = checkGuarantees(l, f, offered(l, f)).get('/ws/four/azuredeploy.json') as string;
    assert.match(after, /\n {8}\{\n {12}"type": "Microsoft\.Network\/loadBalancers",\n {12}"apiVersion": "2023-09-01",\n {12}"name": "ilb-app-nva-lb",/);
  });

  it('Bicep with tabs and CRLF: the module declaration, the suppression and the new module file in the same style', () => {
    const text = fs.readFileSync(SEED_LAB_BICEP, 'utf8').replace(/^((?: {2})+)/gm, (m) => '\t'.repeat(m.length / 2)).replace(/\n/g, '\r\n');
    const l = loadOne('/ws/tabs/main.bicep', text);
    const f = onlyFinding(l);
    const next = checkGuarantees(l, f, offered(l, f));
    const main = next.get('/ws/tabs/main.bicep') as string;
    assert.match(main, /\r\n\t\t\t\t\t\/\/ ilb-hairpin-disable-next-line hairpin-prone-rule clients call/);
    assert.match(main, /\r\nmodule ilbNginxNva '\.\/main-nginx-nva\.bicep' = \{\r\n\tname: /);
    const module = next.get('/ws/tabs/main-nginx-nva.bicep') as string;
    assert.ok(!/(^|[^\r])\n/.test(module), 'the module has CRLF line breaks');
    assert.ok(!/^ +\S/m.test(module.replace(/\r/g, '')), 'the module is indented with tabs');
    assert.deepEqual(bicepDiagnostics(module), []);
  });
});

describe('nginx-nva fix: refusals say why', () => {
  const one = (text: string, file = '/ws/r/azuredeploy.json'): string => {
    const l = loadOne(file, text);
    return refused(l, onlyFinding(l));
  };

  it('an HA ports rule (protocol All, port 0)', () => {
    assert.match(one(fs.readFileSync(path.join(FIXTURES_DIR, 'ha-ports.json'), 'utf8')), /rule rule-ha-ports is an HA ports rule \(all ports\): NGINX proxies only the ports it is told/);
  });

  it('a scale set behind the rule', () => {
    const text = template({ resources: [loadBalancer({ name: 'ilb-ss', frontendIp: '10.0.0.100' }), scaleSet('ss', [poolId('ilb-ss', 'be')], 2)] });
    assert.match(one(text), /scale set ss: its instances get their addresses as they are created, and NGINX needs a fixed list of backends/);
  });

  it('addresses that cannot be known or referenced: a VM-managed NIC, a computed IP-based pool entry, a NIC in another file, a registry module', () => {
    assert.match(one(fs.readFileSync(path.join(FIXTURES_DIR, 'vm-managed-nics.json'), 'utf8')), /VM vm-selfnic creates its NIC itself/);
    const ip = load(readTexts(path.join(BICEP_FIXTURES, 'ip-based-pool')));
    assert.match(refused(ip, onlyFinding(ip)), /pool address vm-app01: its address is computed \(appIp\)/);
    const other = load(readTexts(path.join(BICEP_FIXTURES, 'existing-lb-other-file')));
    assert.match(refused(other, onlyFinding(other)), /NIC nic-sql-a is declared in another file/);
    const registry = load(readTexts(path.join(BICEP_FIXTURES, 'registry-module')));
    assert.match(refused(registry, onlyFinding(registry)), /comes from a module or linked template that is not read: its address is not known/);
  });

  it('a NIC deployed on a condition (its reference would fail), and a Bicep filtered loop', () => {
    assert.match(one(fs.readFileSync(path.join(FIXTURES_DIR, 'condition-param-default-true.json'), 'utf8')), /NIC nic-web is deployed on a condition: a reference to its address fails when it is not deployed/);
    const filtered = load(readTexts(path.join(BICEP_FIXTURES, 'filtered-loop')));
    assert.match(refused(filtered, onlyFinding(filtered)), /NIC nic-filter-0 is made by a filtered loop/);
  });

  it('members of a loop together with other members', () => {
    const text = parseJsonc(fs.readFileSync(path.join(FIXTURES_DIR, 'nic-copy-loop-two-vms.json'), 'utf8')) as { resources: unknown[] };
    text.resources.push(nic('nic-extra', [poolId('ilb-app', 'be-app')]));
    assert.match(one(JSON.stringify(text, null, 2)), /made by a loop together with other members/);
  });

  it('a load balancer deployed through a module (its one finding is at the call site)', () => {
    const l = load(readTexts(path.join(BICEP_FIXTURES, 'generic-lb-module')));
    assert.equal(l.analysis.findings.length, 1);
    for (const f of l.analysis.findings) assert.match(refused(l, f), /deployed through a module or linked template/);
  });

  it('a rule added to the frontend after the NVA was made: the NVA does not mirror it (ARM and Bicep)', () => {
    const arm = loadOne(toPosix(SEED_LAB), fs.readFileSync(SEED_LAB, 'utf8'));
    const armFixed = JSON.parse(checkGuarantees(arm, onlyFinding(arm), offered(arm, onlyFinding(arm))).get(toPosix(SEED_LAB)) as string) as { resources: { properties: { loadBalancingRules?: { name: string; properties: Record<string, unknown> }[] } }[] };
    const rules = armFixed.resources[1]?.properties.loadBalancingRules ?? [];
    rules.push({ name: 'rule-new', properties: { ...rules[0]?.properties, frontendPort: 8080, backendPort: 8080 } });
    const armAgain = loadOne(toPosix(SEED_LAB), JSON.stringify(armFixed, null, 2));
    assert.match(refused(armAgain, onlyFinding(armAgain)), /the NGINX NVA of this load balancer \(ilb-we-02-web-nva-lb\) does not mirror rule rule-new: add a rule nva-rule-new and an upstream for port 8080/);

    const file = toPosix(SEED_LAB_BICEP);
    const bicep = loadOne(file, fs.readFileSync(SEED_LAB_BICEP, 'utf8'));
    const next = checkGuarantees(bicep, onlyFinding(bicep), offered(bicep, onlyFinding(bicep)));
    const newRule = [
      '    loadBalancingRules: [',
      '      {',
      "        name: 'rule-new'",
      '        properties: {',
      "          frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'ilb-we-02-web', 'fe-web') }",
      "          backendAddressPool: { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb-we-02-web', 'be-web') }",
      "          protocol: 'Tcp'",
      '          frontendPort: 8080',
      '          backendPort: 8080',
      '        }',
      '      }',
      '',
    ].join('\n');
    next.set(file, (next.get(file) as string).replace('    loadBalancingRules: [\n', newRule));
    const again = load(next);
    assert.match(refused(again, onlyFinding(again)), /the NGINX NVA of this load balancer \(main-nginx-nva\.bicep\) does not mirror rule rule-new/);
  });

  it('strict JSON whose load balancer comments is not a plain string (the suppression cannot be added)', () => {
    const text = fs.readFileSync(SEED_LAB, 'utf8').replace('"sku": { "name": "Standard" },', '"sku": { "name": "Standard" },\n      "comments": ["not", "a", "string"],');
    assert.match(one(text), /comments is not a plain string/);
  });

  it('a finding without a fix target, or whose file cannot be read', () => {
    const l = loadOne(toPosix(SEED_LAB), fs.readFileSync(SEED_LAB, 'utf8'));
    const f = onlyFinding(l);
    assert.match(refused(l, { ...f, fixTarget: undefined } as unknown as Finding), /does not say where/);
    const r = nginxNvaFix(f, () => undefined);
    assert.ok(!r.ok && /cannot be read/.test(r.reason));
  });
});

describe('nginx-nva fix: the Bicep it writes, read by tree-sitter-bicep (a second, independent grammar)', () => {
  it('the module and the main file of the seed lab, a loop and a multi-rule frontend parse without errors', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const TreeSitter = require('web-tree-sitter') as typeof Parser;
    await TreeSitter.init();
    const language = await TreeSitter.Language.load(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm'));
    const parser = new TreeSitter();
    parser.setLanguage(language);
    const errors = (text: string): string[] => {
      const out: string[] = [];
      const visit = (n: Parser.SyntaxNode): void => {
        if (n.type === 'ERROR' || n.isMissing) out.push(`${n.startPosition.row + 1}:${n.startPosition.column} ${n.text.slice(0, 80)}`);
        n.children.forEach(visit);
      };
      visit(parser.parse(text).rootNode);
      return out;
    };
    assert.notDeepEqual(errors("resource x 'a@b' = {\n  name: 'x\n}\n"), [], 'the check finds errors');
    let files = 0;
    for (const root of [path.dirname(SEED_LAB_BICEP), path.join(BICEP_FIXTURES, 'bicepparam-vm-count'), path.join(BICEP_FIXTURES, 'child-pools')]) {
      const l = load(readTexts(root));
      const f = l.analysis.findings[0] as Finding;
      const fix = offered(l, f);
      for (const [file, text] of applyAll(l.texts, fix.edits)) {
        if (!/\.bicep$/.test(file)) continue;
        assert.deepEqual(errors(text), [], `${file} parses with tree-sitter-bicep`);
        files++;
      }
    }
    assert.equal(files, 6);
  });
});

describe('nginx-nva fix: line endings and counts', () => {
  it('the guarantees were checked on a fair number of fixes', () => {
    assert.ok(fixesChecked >= 30, `${fixesChecked} fixes checked`);
  });
});
