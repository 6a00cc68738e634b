// The hairpin lab (scripts/lab, docs/lab.md). The extraction tests always run; the lab itself
// runs where it can (root, ip netns, nftables) and is skipped with the reason elsewhere.
// Needs dist/cli.js (npm run build; npm test builds first).
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootUnits, CANDIDATES, fillPlaceholders, guestConfig, heredocFiles, parseCommandLine, splitWords } from '../../scripts/lab/extract.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lab = path.join(repo, 'scripts', 'lab', 'lab.mjs');
const fixture = path.join(repo, 'test', 'fixtures', 'lab', 'seed-lab-linux');

describe('lab: from the fix output to boot commands', () => {
  it('parses systemd command lines: prefixes, quotes, escapes, $$ and %%', () => {
    assert.deepEqual(parseCommandLine('-/sbin/ip rule del pref 0 lookup local'), { argv: ['/sbin/ip', 'rule', 'del', 'pref', '0', 'lookup', 'local'], ignoreFailure: true, line: '-/sbin/ip rule del pref 0 lookup local' });
    const sh = parseCommandLine(`/bin/sh -c 'd=$$(ip -o addr | cut -d" " -f2); echo "$$d" 100%%'`);
    assert.deepEqual(sh.argv, ['/bin/sh', '-c', 'd=$(ip -o addr | cut -d" " -f2); echo "$d" 100%']);
    assert.deepEqual(splitWords('a "b c" d\\ e'), ['a', 'b c', 'd e']);
    assert.deepEqual(parseCommandLine('/bin/echo ${X} $Y', { X: 'one', Y: 'two three' }).argv, ['/bin/echo', 'one', 'two', 'three']);
    assert.throws(() => parseCommandLine('/bin/echo %n'), /specifiers/);
    assert.throws(() => parseCommandLine('ip addr'), /absolute path/);
  });

  it('reads the units a script writes with here-documents and runs only those it enables', () => {
    const script = [
      "cat > /etc/systemd/system/a.service <<'EOF'",
      '[Service]',
      'ExecStartPre=/bin/true',
      'ExecStart=/bin/echo one',
      'ExecStart=/bin/echo \\',
      '  two',
      'EOF',
      'cat <<EOF > /etc/systemd/system/b.service',
      '[Service]',
      'ExecStart=/bin/false',
      'EOF',
      'systemctl enable --now a',
    ].join('\n');
    assert.equal(heredocFiles(script).length, 2);
    const { units, notEnabled } = bootUnits(script);
    assert.deepEqual(units.map((u) => u.commands.map((c) => c.argv.join(' '))), [['/bin/true', '/bin/echo one', '/bin/echo two']]);
    assert.deepEqual(notEnabled, ['/etc/systemd/system/b.service']);
  });

  it("takes scenario 2's guest configuration from the product's floating-ip-loopback fix", { skip: !fs.existsSync(path.join(repo, 'dist', 'cli.js')) && 'dist/cli.js is missing (npm run build)' }, () => {
    const config = guestConfig({ fixture, strategy: 'floating-ip-loopback', member: 'Web01' });
    assert.equal(config.source, 'product');
    assert.deepEqual(
      config.units.flatMap((u) => u.commands.map((c) => c.argv)),
      [['/sbin/ip', 'addr', 'replace', '10.2.1.100/32', 'dev', 'lo']],
    );
  });

  it('parses the hand-written candidates through the same path', () => {
    const values = { VIP: '10.2.1.100', GATEWAY: '10.2.1.1', NIC1_IP: '10.2.1.4', NIC2_IP: '10.2.1.5', TABLE: 200 };
    for (const name of ['secondary-nic-route-only.sh', 'secondary-nic-policy-routing.sh']) {
      const { units } = bootUnits(fillPlaceholders(fs.readFileSync(path.join(CANDIDATES, name), 'utf8'), values));
      assert.equal(units.length, 1, name);
      assert.ok(units[0].commands.some((c) => c.argv.join(' ').includes('ip route replace 10.2.1.100/32 via 10.2.1.1 dev')), name);
      const sh = spawnSync('sh', ['-n', path.join(CANDIDATES, name)]);
      assert.equal(sh.status, 0, `${name}: sh -n: ${sh.stderr}`);
    }
    const conf = fillPlaceholders(fs.readFileSync(path.join(CANDIDATES, 'nginx-nva.conf'), 'utf8'), { LISTEN_PORT: 80, UPSTREAM_SERVERS: '        server 10.2.1.4:80;' });
    assert.match(conf, /stream \{[\s\S]*upstream[\s\S]*server 10\.2\.1\.4:80;[\s\S]*listen 80;/);
  });
});

function runLab(args, { timeoutMs = 240_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [lab, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid });
    });
  });
}

function labNamespacesOf(pid) {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return (r.stdout || '').split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`ilbh-${pid}-`));
}

describe('lab: the emulated fabric', { timeout: 300_000 }, () => {
  it('meets every expectation (scenarios 1-4)', async (t) => {
    const r = await runLab(['--json']);
    const result = JSON.parse(r.stdout);
    if (result.skipped) {
      t.skip(`lab skipped: ${result.skipped}`);
      return;
    }
    assert.deepEqual(labNamespacesOf(r.pid), [], 'the lab left namespaces behind');
    const rows = Object.fromEntries(result.rows.map((row) => [row.id, row]));
    const k = result.k;
    // Scenario 1: one member, every call hairpins; two members, about half.
    assert.equal(rows['1-baseline-1'].successes, 0);
    assert.equal(rows['1-baseline-1'].attempts, k);
    const two = rows['1-baseline-2'];
    assert.ok(two.successes >= 0.2 * two.attempts && two.successes <= 0.8 * two.attempts, `two members: ${two.successes}/${two.attempts}`);
    assert.equal(two.attempts - two.successes, two.fabric.selfmapped, 'the failures are exactly the flows mapped back to their caller');
    // Scenario 2: the product's own loopback configuration.
    assert.equal(result.scenarios['2'].source, 'product');
    for (const id of ['2-floating-1', '2-floating-2', '2-control']) assert.equal(rows[id].successes, rows[id].attempts, id);
    // Scenario 3: route only fails on Linux; the proposed configuration succeeds.
    assert.equal(rows['3-route-only-1'].successes, 0);
    for (const id of ['3-policy-routing-1', '3-policy-routing-2', '3-policy-routing-control']) assert.equal(rows[id].successes, rows[id].attempts, id);
    // Scenario 4: NGINX NVA (skipped without Debian's nginx).
    const nva = rows['4-nginx-nva'];
    if (nva.skipped) t.diagnostic(`scenario 4 skipped: ${nva.skipped}`);
    else assert.equal(nva.successes, nva.attempts);
    for (const row of result.rows) if (!row.skipped) assert.ok(row.pass, `${row.id}: ${row.successes}/${row.attempts}, expected ${row.expectation}`);
    assert.equal(r.code, 0, r.stderr);
  });

  it('removes everything it created when interrupted (SIGINT)', async (t) => {
    const child = spawn(process.execPath, [lab, '--scenario', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    // Wait until the lab has namespaces (or says it is skipped).
    let seen = [];
    for (let i = 0; i < 100 && seen.length === 0 && !out.includes('skipped'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = labNamespacesOf(child.pid);
    }
    if (seen.length === 0) {
      child.kill('SIGTERM');
      await exited;
      t.skip(out.includes('skipped') ? out.trim() : 'the lab made no namespace in 5 s');
      return;
    }
    child.kill('SIGINT');
    const { code } = await exited;
    assert.equal(code, 130);
    assert.deepEqual(labNamespacesOf(child.pid), []);
  });
});
