import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { readRegularFile } from '../../src/node/read';
import { decodeText, encodeText } from '../../src/core/decode';
import { cli, REPO_ROOT, SEED_LAB, TEMPLATE_SCHEMA } from './helpers';

const seedText = fs.readFileSync(SEED_LAB, 'utf8');
const HANG_GUARD = { timeout: 20_000 };

let dir = '';
const at = (...p: string[]): string => path.join(dir, ...p);
const canMkfifo = spawnSync('mkfifo', ['--help']).status === 0;

function utf16(text: string, order: 'le' | 'be'): Buffer {
  const b = Buffer.from('\uFEFF' + text, 'utf16le');
  if (order === 'be') b.swap16();
  return b;
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-io-'));
  for (const d of ['le', 'be', 'nobom', 'u32', 'fifo', 'schema', 'topo', 'fixle']) fs.mkdirSync(at(d));
  fs.writeFileSync(at('le', 'azuredeploy.json'), utf16(seedText, 'le'));
  fs.writeFileSync(at('be', 'azuredeploy.json'), utf16(seedText, 'be'));
  fs.writeFileSync(at('fixle', 'azuredeploy.json'), utf16(seedText, 'le'));
  fs.writeFileSync(at('nobom', 'azuredeploy.json'), Buffer.from(seedText, 'utf16le'));
  fs.writeFileSync(at('u32', 'azuredeploy.json'), Buffer.from([0xff, 0xfe, 0, 0, 0x7b, 0, 0, 0]));
  fs.copyFileSync(SEED_LAB, at('topo', 'azuredeploy.json'));
  fs.copyFileSync(SEED_LAB, at('fifo', 'azuredeploy.json'));
  if (canMkfifo) {
    spawnSync('mkfifo', [at('fifo', 'pipe.json')]);
    spawnSync('mkfifo', [at('named.json')]);
  }
  const misspelled = JSON.parse(seedText) as Record<string, unknown>;
  misspelled.$schema = TEMPLATE_SCHEMA.replace('deploymentTemplate', 'deploymentTemplat');
  delete misspelled.contentVersion;
  fs.writeFileSync(at('schema', 'azuredeploy.json'), JSON.stringify(misspelled, null, 2));
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('cli io: only regular files are read', () => {
  it('a character device named on the command line is refused with what it is (size guard does not trust stat)', HANG_GUARD, () => {
    const r = cli(dir, 'scan', '/dev/zero', '--format', 'json');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\/dev\/zero: not read: it is a character device, not a regular file/);
  });

  it('a FIFO named on the command line is refused at once, not waited on', { ...HANG_GUARD, skip: !canMkfifo }, () => {
    const r = cli(dir, 'scan', 'named.json');
    assert.equal(r.code, 2);
    assert.match(r.stdout, /named\.json error read: not read: it is a FIFO \(named pipe\), not a regular file/);
  });

  it('a FIFO met in a folder is refused with a message; the folder is still scanned', { ...HANG_GUARD, skip: !canMkfifo }, () => {
    const r = cli(dir, 'scan', 'fifo');
    assert.equal(r.code, 2);
    assert.match(r.stdout, /fifo\/pipe\.json error read: not read: it is a FIFO/);
    assert.match(r.stdout, /1 hairpin-prone rule in 1 file/);
  });

  it('reads at most the limit, whatever stat says: a device, and a file over it', () => {
    assert.match((readRegularFile('/dev/zero', 1024) as { message: string }).message, /character device/);
    const big = at('big.json');
    fs.writeFileSync(big, 'x'.repeat(5000));
    const r = readRegularFile(big, 1024);
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /over the .* MB limit/);
    const ok = readRegularFile(big, 5000);
    assert.ok(ok.ok && ok.text.length === 5000);
  });
});

describe('cli io: encodings', () => {
  it('UTF-16 LE and BE with a BOM are read: the finding is not lost', () => {
    for (const d of ['le', 'be']) {
      const r = cli(dir, 'scan', d, '--format', 'json');
      assert.equal(r.code, 1, `${d}: ${r.stdout}${r.stderr}`);
      const report = JSON.parse(r.stdout) as { scanned: { templates: number }; findings: unknown[] };
      assert.equal(report.scanned.templates, 1);
      assert.equal(report.findings.length, 1);
    }
  });

  it('UTF-16 without a BOM and UTF-32 are read errors with the reason, never "not a template" in silence', () => {
    const r = cli(dir, 'scan', 'nobom', 'u32');
    assert.equal(r.code, 2);
    assert.match(r.stdout, /nobom\/azuredeploy\.json error read: not read: the file looks like UTF-16 LE without a byte order mark/);
    assert.match(r.stdout, /u32\/azuredeploy\.json error read: not read: the file is UTF-32/);
  });

  it('a large file (read as text as it is read, not as bytes) reads the same as its bytes decode, in every encoding', () => {
    // Over 4 MB, with text that is not ASCII: UTF-8, with a BOM, UTF-16 LE (its bytes path).
    const text = JSON.stringify({ $schema: TEMPLATE_SCHEMA, contentVersion: '1.0.0.0', metadata: { notes: Array.from({ length: 200_000 }, (_, i) => `note ${i}: Größe €`) }, resources: [] }, null, 2);
    const cases: [string, Buffer, string][] = [
      ['big-utf8.json', Buffer.from(text, 'utf8'), 'utf-8'],
      ['big-utf8-bom.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]), 'utf-8-bom'],
      ['big-utf16le.json', utf16(text, 'le'), 'utf-16le'],
    ];
    for (const [name, bytes, encoding] of cases) {
      assert.ok(bytes.length > 4 * 1024 * 1024, `${name} is large`);
      fs.writeFileSync(at(name), bytes);
      const read = readRegularFile(at(name), 32 * 1024 * 1024);
      assert.ok(read.ok, name);
      assert.equal(read.encoding, encoding, name);
      assert.equal(read.text, text, name);
      assert.deepEqual(decodeText(bytes), { ok: true, text, encoding }, name);
    }
  });

  it('decodeText and encodeText round-trip every encoding they read', () => {
    for (const enc of ['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be'] as const) {
      const back = decodeText(encodeText('{"a": "é😀"}', enc));
      assert.deepEqual(back, { ok: true, text: '{"a": "é😀"}', encoding: enc });
    }
  });

  it('a fix keeps a UTF-16 LE file UTF-16 LE with its BOM', () => {
    const r = cli(dir, 'fix', 'fixle', '--strategy', 'floating-ip');
    assert.equal(r.code, 0, r.stderr);
    const bytes = fs.readFileSync(at('fixle', 'azuredeploy.json'));
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
    assert.match(bytes.toString('utf16le'), /"enableFloatingIP": true/);
    // The hairpin finding is gone; floating IP alone now asks for the guest loopback (another rule).
    const after = JSON.parse(cli(dir, 'scan', 'fixle', '--format', 'json').stdout) as { findings: { ruleId: string }[] };
    assert.deepEqual(after.findings.map((f) => f.ruleId), ['floating-ip-without-loopback'], 'the hairpin finding is gone');
  });

  it('a valid JSON that looks like a template but has a misspelled $schema gets a note', () => {
    const r = cli(dir, 'scan', 'schema', '--format', 'json');
    const report = JSON.parse(r.stdout) as { notes: { message: string }[] };
    assert.ok(report.notes.some((n) => /looks like a deployment template .* \$schema '.*deploymentTemplat\.json#' is not a deployment template's/.test(n.message)), r.stdout);
  });
});

describe('cli io: output never destroys input; exit codes', () => {
  it('topology --output refuses a scanned file, and any template, with exit 2; the file is unchanged', () => {
    const r = cli(at('topo'), 'topology', '.', '--output', 'azuredeploy.json');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /will not write azuredeploy\.json: it is one of the scanned files/);
    assert.equal(fs.readFileSync(at('topo', 'azuredeploy.json'), 'utf8'), seedText);
    fs.copyFileSync(SEED_LAB, at('topo-template.txt'));
    const other = cli(at('topo'), 'topology', '.', '--output', '../topo-template.txt');
    assert.equal(other.code, 2);
    assert.match(other.stderr, /it is a deployment template or parameter file/);
    assert.equal(fs.readFileSync(at('topo-template.txt'), 'utf8'), seedText);
  });

  it('topology --output may replace its own earlier output, even when the folder scan reads it', () => {
    assert.equal(cli(at('topo'), 'topology', '.', '--output', 'graph.json').code, 0);
    const again = cli(at('topo'), 'topology', '.', '--output', 'graph.json');
    assert.equal(again.code, 0, again.stderr);
    fs.rmSync(at('topo', 'graph.json'));
  });

  it('topology writes nothing and prints no "Wrote" on an error exit', () => {
    const out = at('never.json');
    const r = cli(dir, 'topology', 'topo', 'missing.json', '--output', out);
    assert.equal(r.code, 2);
    assert.ok(!fs.existsSync(out), 'nothing written');
    assert.doesNotMatch(r.stderr, /Wrote/);
  });

  it('fix on a missing path exits 2 and changes nothing (also --dry-run)', () => {
    for (const extra of [[], ['--dry-run']]) {
      const r = cli(dir, 'fix', 'does/not/exist.json', 'topo', '--strategy', 'floating-ip', ...extra);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /path not found: does\/not\/exist\.json/);
      assert.equal(r.stdout, '');
      assert.equal(fs.readFileSync(at('topo', 'azuredeploy.json'), 'utf8'), seedText);
    }
  });

  it('a reader that goes away (EPIPE) ends the CLI quietly with its usual exit code', HANG_GUARD, async () => {
    const main = path.join(REPO_ROOT, 'out', 'src', 'cli', 'main.js');
    const child = spawn(process.execPath, [main, 'topology', at('topo'), '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});

describe('cli io: symbolic links', () => {
  it('a loop of symbolic links named on the command line is a read error that says so', () => {
    fs.symlinkSync('loop-b.json', at('loop-a.json'));
    fs.symlinkSync('loop-a.json', at('loop-b.json'));
    const r = cli(dir, 'scan', 'loop-a.json');
    assert.equal(r.code, 2);
    assert.match(r.stdout, /loop-a\.json error read: a loop of symbolic links/);
  });
});

describe('cli io: the size limit', () => {
  it('topology over the size limit exits 2, writes nothing and prints no "Wrote"', () => {
    fs.mkdirSync(at('over'));
    const fd = fs.openSync(at('over', 'big.json'), 'w');
    fs.ftruncateSync(fd, 40 * 1024 * 1024); // sparse: costs no disk
    fs.closeSync(fd);
    const out = at('over-topology.json');
    const r = cli(dir, 'topology', 'over', '--format', 'json', '--output', out);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /big\.json: skipped: 40\.0 MB is over the 32 MB limit/);
    assert.doesNotMatch(r.stderr, /Wrote/);
    assert.ok(!fs.existsSync(out));
  });
});
