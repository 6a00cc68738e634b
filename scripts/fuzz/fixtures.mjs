// Regression fixtures of the fuzz harness: test/fixtures/fuzz/<id>/case.json (the command, what
// must hold, where the case came from) and input/ (the workspace, byte for byte).
import * as fs from 'node:fs';
import * as path from 'node:path';

export const FUZZ_FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'test', 'fixtures', 'fuzz');

/** Writes a case as a fixture (replacing one of the same id); returns its folder. */
export function saveFixture(id, c, origin) {
  const dir = path.join(FUZZ_FIXTURES, id);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [rel, content] of Object.entries(c.files)) {
    const file = path.join(dir, 'input', rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  const meta = { argv: c.argv, expect: c.expect ?? {}, origin };
  if (c.fixTwice) meta.fixTwice = true;
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(meta, null, 2) + '\n');
  return dir;
}
