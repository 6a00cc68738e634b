import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { CLI_SKIPPED, collectFiles, globExcluder } from '../../src/node/walk';

let dir = '';
const at = (...p: string[]): string => path.join(dir, ...p);
const rel = (files: readonly string[]): string[] => files.map((f) => path.relative(dir, f).split(path.sep).join('/'));
const canMkfifo = spawnSync('mkfifo', ['--help']).status === 0;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-walk-'));
  const files = [
    'a.json',
    'b/z.bicep',
    'b/c/d.jsonc',
    'b/readme.md',
    'build/out.json',
    'src/build/kept.json',
    'gen/x.gen.json',
    'gen/y.json',
    '.azure/main.bicepparam',
    'node_modules/pkg/azuredeploy.json',
    '.git/config.json',
    'Upper/T.JSON',
  ];
  for (const f of files) {
    fs.mkdirSync(path.dirname(at(f)), { recursive: true });
    fs.writeFileSync(at(f), '{}');
  }
  // A link back up (a cycle), a second link to a folder walked already, a link to a file, a dangling link.
  fs.symlinkSync(at('b'), at('b', 'c', 'up'));
  fs.symlinkSync(at('gen'), at('gen-link'));
  fs.symlinkSync(at('a.json'), at('linked.json'));
  fs.symlinkSync(at('missing'), at('dangling.json'));
  if (canMkfifo) spawnSync('mkfifo', [at('b', 'pipe.json')]);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('walking a folder for candidate templates (src/node/walk.ts)', () => {
  it('the CLI: depth first in name order, links not followed, node_modules and .git skipped, special files refused', () => {
    const walk = collectFiles([dir], { excluded: CLI_SKIPPED });
    assert.deepEqual(rel(walk.files), ['.azure/main.bicepparam', 'a.json', 'b/c/d.jsonc', 'b/z.bicep', 'build/out.json', 'gen/x.gen.json', 'gen/y.json', 'src/build/kept.json', 'Upper/T.JSON']);
    if (canMkfifo) assert.deepEqual(walk.errors.map((e) => [rel([e.file])[0], e.message]), [['b/pipe.json', 'not read: it is a FIFO (named pipe), not a regular file']]);
  });

  it("the extension's worker: VS Code's exclusion globs, links followed, each folder walked once however it is reached", () => {
    const excluded = globExcluder(['**/node_modules/**', '**/.git/**', 'build', '**/*.gen.json', '{.azure,missing}']);
    const walk = collectFiles([dir], { excluded, followLinks: true });
    assert.deepEqual(rel(walk.files), ['a.json', 'b/c/d.jsonc', 'b/z.bicep', 'gen/y.json', 'linked.json', 'src/build/kept.json', 'Upper/T.JSON']);
    // `build` names the folder at the top only; `src/build` stays. The cycle b/c/up -> b and the
    // second way into gen (gen-link, after gen in name order) add nothing; the link to a file is
    // listed under its own name (the reader reads what it points to).
    assert.equal(new Set(walk.files).size, walk.files.length);
  });

  it('a glob that names a folder leaves out what is in it, at any depth with **', () => {
    const walk = collectFiles([dir], { excluded: globExcluder(['**/build', '**/node_modules', '.git', 'b/c/**']) });
    assert.deepEqual(rel(walk.files), ['.azure/main.bicepparam', 'a.json', 'b/z.bicep', 'gen/x.gen.json', 'gen/y.json', 'Upper/T.JSON']);
  });

  it('paths named to the walk: a file is taken as it is, a missing one is an error, nothing excluded', () => {
    const walk = collectFiles([at('build', 'out.json'), at('nope.json'), at('build', 'out.json')], { excluded: globExcluder(['**']) });
    assert.deepEqual(rel(walk.files), ['build/out.json']);
    assert.deepEqual(walk.errors.map((e) => e.message), ['no such file or folder']);
  });

  it('settings as users write them: an empty or non-string pattern excludes nothing, an unclosed bracket or brace is still a glob', () => {
    const test = globExcluder(['', null, 3, { a: 1 }, '[', '**/*.{json', 'b/**']);
    assert.equal(test('a.json'), false);
    assert.equal(test('b/z.bicep'), true);
    assert.equal(globExcluder(['', 7])('a.json'), false);
  });

  it('no patterns exclude nothing; a folder any depth deep is walked without recursion', () => {
    assert.equal(globExcluder([])('anything'), false);
    const deep = at('deep');
    let p = deep;
    for (let i = 0; i < 300; i++) p = path.join(p, 'd');
    fs.mkdirSync(p, { recursive: true });
    fs.writeFileSync(path.join(p, 't.json'), '{}');
    const walk = collectFiles([deep]);
    assert.equal(walk.files.length, 1);
    assert.ok(walk.files[0]?.endsWith(`${path.sep}t.json`));
  });
});
