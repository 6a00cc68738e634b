/**
 * Reviewable guest scripts: a fix that embeds a script encoded (CustomScript `script` in base64,
 * PowerShell `-EncodedCommand`) writes it decoded next to it: Bicep comment lines above the
 * extension, the ARM extension resource's `comments`; a later fix that changes the script changes
 * the copy too. `fix --dry-run` prints the notes of the real run.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { computeFix } from '../../src/core/fixes';
import { applyEdits } from '../../src/core/edit';
import { linuxLoopbackScript, scriptCommentLines, scriptComments, SCRIPT_COMMENT_HEAD, windowsLoopbackScript } from '../../src/core/fixes/guest';
import { cli } from './helpers';
import { assertReadableCopies, EXAMPLES, FIXTURES, load, onlyFinding, read, readableCopies, readTexts, textOf } from './fix-helpers';

const fixOnly = (root: string, strategy: 'floating-ip-loopback' | 'secondary-nic', chosenOs: 'linux' | 'windows') => {
  const l = load(readTexts(root));
  const f = onlyFinding(l);
  const r = computeFix(strategy, f, textOf(l), { os: chosenOs });
  assert.ok(r.ok, r.ok ? '' : r.reason);
  const file = f.span.file;
  return { text: applyEdits(read(file), r.fix.edits.filter((e) => e.file === file)), notes: r.fix.notes, f };
};

describe('readable guest scripts', () => {
  it('Bicep (examples/seed-lab-bicep, Windows): the comment lines right above the extension are the script, line by line', () => {
    const { text, notes } = fixOnly(path.join(EXAMPLES, 'seed-lab-bicep'), 'floating-ip-loopback', 'windows');
    const script = windowsLoopbackScript('10.2.1.100', 80, 'Tcp');
    const block = scriptCommentLines(script).join('\n');
    const at = text.indexOf(block);
    assert.ok(at > 0, 'the comment block is written');
    assert.match(text.slice(at + block.length), /^\nresource \w+ 'Microsoft\.Compute\/virtualMachines\/extensions@2023-09-01' = \{/);
    assert.match(block, /^\/\/ ilb-hairpin: the script below, decoded for review/);
    assert.ok(block.includes('\n//   netsh int ipv4 add addr "Loopback Pseudo-Interface 1" 10.2.1.100 255.255.255.255\n'));
    assert.deepEqual(readableCopies(text, SCRIPT_COMMENT_HEAD), [script.replace(/\r\n/g, '\n').replace(/\n$/, '')]);
    assertReadableCopies(text, notes, SCRIPT_COMMENT_HEAD, 'seed-lab-bicep');
  });

  it("ARM (test/fixtures/lab/seed-lab-linux): each extension resource's comments hold the script", () => {
    const { text } = fixOnly(path.join(FIXTURES, 'lab', 'seed-lab-linux'), 'floating-ip-loopback', 'linux');
    const comments = [...text.matchAll(/"comments": ("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1] as string) as string);
    assert.deepEqual(comments, [scriptComments(linuxLoopbackScript('10.2.1.100')), scriptComments(linuxLoopbackScript('10.2.1.100'))]);
  });

  it('secondary NIC (ARM and Bicep): the route script is there to read as well', () => {
    for (const root of [path.join(EXAMPLES, 'seed-lab'), path.join(EXAMPLES, 'seed-lab-bicep')]) {
      for (const chosenOs of ['linux', 'windows'] as const) {
        const { text, notes } = fixOnly(root, 'secondary-nic', chosenOs);
        assert.equal(readableCopies(text, SCRIPT_COMMENT_HEAD).length, 1, `${root} ${chosenOs}`);
        assertReadableCopies(text, notes, SCRIPT_COMMENT_HEAD, `${root} ${chosenOs}`);
      }
    }
  });

  it('the check notices a copy that differs from its script (edited by hand)', () => {
    const { text } = fixOnly(path.join(EXAMPLES, 'seed-lab-bicep'), 'floating-ip-loopback', 'linux');
    const edited = text.replace('//   netsh int ipv4 add addr', '//   netsh int ipv4 add address');
    assert.notEqual(edited, text);
    assert.throws(() => assertReadableCopies(edited, [], SCRIPT_COMMENT_HEAD, 'hand-edited'), /a readable copy that no embedded script matches/);
  });
});

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('fix --dry-run says what the real run would, notes included', () => {
  for (const strategy of ['floating-ip', 'floating-ip-loopback', 'secondary-nic'] as const) {
    it(strategy, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-dry-'));
      dirs.push(dir);
      fs.cpSync(path.join(EXAMPLES, 'seed-lab'), dir, { recursive: true });
      const dry = cli(dir, 'fix', '.', '--strategy', strategy, '--dry-run');
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stderr, /^Would fix 1 of 1\.$/m);
      const real = cli(dir, 'fix', '.', '--strategy', strategy);
      assert.equal(real.code, 0, real.stderr);
      const notes = (s: string): string[] => s.split('\n').filter((l) => l.startsWith('Note: '));
      assert.ok(notes(dry.stderr).length > 0);
      assert.deepEqual(notes(dry.stderr), notes(real.stderr));
      if (strategy === 'floating-ip-loopback') assert.match(dry.stderr, /^Note: Health probes still reach each NIC's own IP/m);
    });
  }
});
