/**
 * The candidate template files under some paths, found by walking the folders: the CLI's scan and
 * the extension's analysis worker both list a local workspace this way (the worker instead of the
 * workbench's file search, which runs on the extension host's thread). Folders are walked one at
 * a time from a stack (no recursion, so any depth), each folder's entries in name order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { specialKind } from './read';

const TEMPLATE_EXTENSIONS = new Set(['.json', '.jsonc', '.bicep', '.bicepparam']);

export interface Walk {
  files: string[];
  errors: { file: string; message: string }[];
}

export interface WalkOptions {
  /**
   * Whether a file or folder is left out, by its path relative to the walked folder ('/'
   * between names). A folder left out is not entered.
   */
  excluded?: (relative: string) => boolean;
  /**
   * Follow symbolic links to folders (VS Code's file search does unless `search.followSymlinks`
   * is off; the CLI does not). A folder reached again through a link (a cycle, or two links to
   * one place) is walked once.
   */
  followLinks?: boolean;
}

/**
 * A test of VS Code's exclusion globs (`files.exclude`, `ilbHairpin.exclude`: paths relative to
 * the workspace folder, `**`, braces, `*` matching dot files too), by picomatch. Case-sensitive
 * where the file system is (not on Windows or macOS).
 */
export function globExcluder(patterns: readonly unknown[]): (relative: string) => boolean {
  // A setting is user input: an empty string, or a value that is no string, excludes nothing
  // (picomatch throws on them); every other text is a glob, however odd.
  const globs = patterns.filter((p): p is string => typeof p === 'string' && p.length > 0);
  if (!globs.length) return () => false;
  return picomatch(globs, { dot: true, nocase: process.platform === 'win32' || process.platform === 'darwin' });
}

/** Why a path named to the walk cannot be walked. */
const namedPathError = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ELOOP' ? 'a loop of symbolic links' : code === 'EACCES' ? 'permission denied' : 'no such file or folder';
};

/** Candidate template files under the given paths: folders walked to any depth, a file named taken as it is. */
export function collectFiles(paths: readonly string[], options: WalkOptions = {}): Walk {
  const walk: Walk = { files: [], errors: [] };
  const seen = new Set<string>();
  const add = (f: string): void => {
    const abs = path.resolve(f);
    if (!seen.has(abs)) {
      seen.add(abs);
      walk.files.push(abs);
    }
  };
  const excluded = options.excluded ?? (() => false);
  const walked = new Set<string>();
  const walkFolder = (root: string): void => {
    // Depth first, each folder's entries in name order: what is still to visit, the next on top.
    const stack: { full: string; relative: string; folder: boolean }[] = [{ full: root, relative: '', folder: true }];
    for (let next = stack.pop(); next; next = stack.pop()) {
      if (!next.folder) {
        add(next.full);
        continue;
      }
      const dir = next.full;
      if (options.followLinks) {
        let real: string;
        try {
          real = fs.realpathSync(dir);
        } catch (e) {
          walk.errors.push({ file: dir, message: (e as Error).message });
          continue;
        }
        if (walked.has(real)) continue;
        walked.add(real);
      }
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch (e) {
        walk.errors.push({ file: dir, message: (e as Error).message });
        continue;
      }
      entries.sort((a, b) => b.name.localeCompare(a.name));
      for (const e of entries) {
        const full = path.join(dir, e.name);
        const relative = next.relative ? `${next.relative}/${e.name}` : e.name;
        if (excluded(relative)) continue;
        let kind: fs.Dirent | fs.Stats = e;
        if (e.isSymbolicLink()) {
          if (!options.followLinks) continue;
          try {
            kind = fs.statSync(full);
          } catch {
            continue; // a dangling link: nothing to read
          }
        }
        if (kind.isDirectory()) {
          stack.push({ full, relative, folder: true });
        } else if (TEMPLATE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) {
          if (kind.isFile()) stack.push({ full, relative, folder: false });
          // A FIFO, socket or device named like a template: refused with what it is, never read.
          else walk.errors.push({ file: full, message: `not read: it is ${specialKind(kind) ?? 'not a regular file'}, not a regular file` });
        }
      }
    }
  };
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      walk.errors.push({ file: p, message: namedPathError(e) });
      continue;
    }
    if (st.isDirectory()) walkFolder(p);
    else add(p);
  }
  return walk;
}

/** What the CLI leaves out of a folder it walks: node_modules and .git folders. */
export const CLI_SKIPPED = globExcluder(['**/node_modules', '**/.git']);
