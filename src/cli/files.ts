import * as fs from 'node:fs';
import * as path from 'node:path';
import { specialKind } from '../node/read';

const SKIP_DIRS = new Set(['node_modules', '.git']);
const TEMPLATE_EXTENSIONS = new Set(['.json', '.jsonc', '.bicep', '.bicepparam']);

export interface Walk {
  files: string[];
  errors: { file: string; message: string }[];
}

/** Candidate template files under the given paths; folders recursively, links not followed. */
export function collectFiles(paths: readonly string[]): Walk {
  const walk: Walk = { files: [], errors: [] };
  const seen = new Set<string>();
  const add = (f: string): void => {
    const abs = path.resolve(f);
    if (!seen.has(abs)) {
      seen.add(abs);
      walk.files.push(abs);
    }
  };
  const visit = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      walk.errors.push({ file: dir, message: (e as Error).message });
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) visit(full);
      } else if (e.isFile() && TEMPLATE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) {
        add(full);
      } else if (!e.isSymbolicLink() && !e.isFile() && TEMPLATE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) {
        // A FIFO, socket or device named like a template: refused with what it is, never read.
        walk.errors.push({ file: full, message: `not read: it is ${specialKind(e) ?? 'not a regular file'}, not a regular file` });
      }
    }
  };
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      walk.errors.push({ file: p, message: code === 'ELOOP' ? 'a loop of symbolic links' : code === 'EACCES' ? 'permission denied' : 'no such file or folder' });
      continue;
    }
    if (st.isDirectory()) visit(p);
    else add(p);
  }
  return walk;
}
