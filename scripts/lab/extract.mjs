// From the product's fix output to the commands a guest runs at boot, for the hairpin lab.
//
// The lab must run the guest configuration the product generates, not a copy of it. So:
//   1. runFix() copies a fixture to a temporary folder and runs the built CLI
//      (`node dist/cli.js fix <dir> --strategy S --os linux`) on it;
//   2. customScripts() finds every Linux CustomScript extension in the fixed templates and
//      base64-decodes its `script` (protectedSettings or settings);
//   3. bootUnits() reads the systemd units that script writes (heredocs) and enables, and
//      returns the command lines systemd would run at boot, in order (ExecStartPre, ExecStart,
//      ExecStartPost), parsed into argv the way systemd parses them.
// The lab then runs those argv inside a member's network namespace (there is no systemd there).
// guestConfig() puts it together, and falls back to a hand-written candidate script (in
// scripts/lab/candidates/, same format, same parsing path) when the CLI has no such strategy or
// its output has no Linux script, saying so in its result.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseJsonc } from 'jsonc-parser';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO, 'dist', 'cli.js');
export const CANDIDATES = path.join(REPO, 'scripts', 'lab', 'candidates');

/** Runs the built CLI's `fix` on a copy of `fixtureDir`. Returns the copy's folder and what the CLI said. */
export function runFix(fixtureDir, strategy, { os: guestOs = 'linux', cli = CLI } = {}) {
  if (!fs.existsSync(cli)) throw new Error(`${path.relative(REPO, cli)} is missing: run npm run build first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilbh-lab-fix-'));
  fs.cpSync(fixtureDir, dir, { recursive: true });
  const args = [cli, 'fix', dir, '--strategy', strategy, ...(guestOs ? ['--os', guestOs] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  return { dir, status: r.status, stdout: r.stdout, stderr: r.stderr, command: `node ${path.relative(REPO, cli)} fix <copy of ${path.relative(REPO, fixtureDir)}> --strategy ${strategy}${guestOs ? ` --os ${guestOs}` : ''}` };
}

/** All files under `dir`, recursively. */
export function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/**
 * Every Linux CustomScript extension in a template (resources, nested resources, scale set
 * extension profiles): { name, owner, script } where `owner` is the name of the nearest enclosing
 * object with a name other than the extension (the VM or scale set, as written in the template).
 */
export function customScripts(templateText) {
  const errors = [];
  const root = parseJsonc(templateText, errors, { allowTrailingComma: true });
  const found = [];
  const walk = (node, names) => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, names));
    if (!node || typeof node !== 'object') return;
    // VM extension resources name themselves 'vm/extension' (or concat(vm, '/extension')), so a
    // member is found by either the extension's name or its owner's.
    const here = typeof node.name === 'string' ? [...names, node.name] : names;
    // The extension's own properties object (reached by the walk) holds publisher, type and settings.
    const props = node;
    const settings = [props.protectedSettings, props.settings].filter((s) => s && typeof s === 'object');
    const isCustomScript = /^customscript$/i.test(String(props.type ?? '')) && /^microsoft\.azure\.extensions$/i.test(String(props.publisher ?? ''));
    const encoded = settings.map((s) => s.script).find((s) => typeof s === 'string');
    if (isCustomScript && encoded) {
      found.push({ name: here[here.length - 1] ?? '', owner: here[here.length - 2] ?? '', script: Buffer.from(encoded, 'base64').toString('utf8') });
    }
    for (const v of Object.values(node)) walk(v, here);
  };
  walk(root, []);
  return found;
}

/**
 * The files a shell script writes with here-documents: `cat > PATH <<'EOF'`, `cat <<EOF > PATH`,
 * `tee PATH <<EOF` (also `>>`, `<<-`). Unquoted delimiters are accepted only when the body has
 * nothing the shell would expand. Returns [{ path, text }] in script order.
 */
export function heredocFiles(script) {
  const lines = script.split(/\r?\n/);
  const files = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = /<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/.exec(line);
    if (!m) continue;
    const target = /(?:>>?|\btee(?:\s+-a)?)\s*(['"]?)([^\s'"<>;|&]+)\1/.exec(line.replace(m[0], ' '));
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = m[1] ? lines[j].replace(/^\t+/, '') : lines[j];
      if (l === m[3]) break;
      body.push(l);
    }
    if (j === lines.length) throw new Error(`here-document ${m[3]} (line ${i + 1}) is not closed`);
    const text = body.join('\n') + '\n';
    if (!m[2] && /[$`\\]/.test(text)) throw new Error(`here-document ${m[3]} (line ${i + 1}) is unquoted and has shell expansions: cannot be read without running the script`);
    if (target) files.push({ path: target[2], text });
    i = j;
  }
  return files;
}

/** The units a script enables or starts with systemctl (names without the folder). */
export function enabledUnits(script) {
  const names = [];
  for (const line of script.split(/\r?\n/)) {
    const m = /^\s*systemctl\s+(.*)$/.exec(line);
    if (!m) continue;
    const words = m[1].split(/\s+/).filter((w) => w && !w.startsWith('-'));
    if (!['enable', 'start', 'restart', 'reenable'].includes(words[0] ?? '')) continue;
    for (const w of words.slice(1)) {
      if (/^[\w@.:-]+$/.test(w)) names.push(w.includes('.') ? w : `${w}.service`);
    }
  }
  return [...new Set(names)];
}

/**
 * A systemd unit's [Service] section: { execStartPre, execStart, execStartPost, environment,
 * type } with each command line kept as text. Continuation lines are joined; an empty
 * assignment resets the list, as in systemd.
 */
export function parseUnit(text) {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const svc = { execStartPre: [], execStart: [], execStartPost: [], environment: {}, type: 'simple' };
  let section = '';
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1];
      continue;
    }
    if (section !== 'Service') continue;
    const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    const [, key, value] = kv;
    const list = { ExecStartPre: 'execStartPre', ExecStart: 'execStart', ExecStartPost: 'execStartPost' }[key];
    if (list) {
      if (value === '') svc[list] = [];
      else svc[list].push(value);
    } else if (key === 'Environment') {
      for (const word of splitWords(value)) {
        const eq = word.indexOf('=');
        if (eq > 0) svc.environment[word.slice(0, eq)] = word.slice(eq + 1);
      }
    } else if (key === 'Type') svc.type = value;
  }
  return svc;
}

/**
 * One systemd command line to { argv, ignoreFailure, line }: the prefixes `-` (a failure is
 * ignored) and `@ : + !` (which change nothing inside a namespace run as root, except `@`, which
 * is refused), specifiers (`%%` only), quoting and C escapes, and `$$`, `${NAME}` and a word
 * `$NAME` from the unit's Environment=.
 */
export function parseCommandLine(line, environment = {}) {
  let rest = line.trim();
  let ignoreFailure = false;
  for (;;) {
    const c = rest[0];
    if (c === '-') ignoreFailure = true;
    else if (c === '@') throw new Error(`"@" (argv[0] override) is not supported: ${line}`);
    else if (!(c === ':' || c === '+' || c === '!')) break;
    rest = rest.slice(1);
  }
  if (/%[^%]/.test(rest.replace(/%%/g, ''))) throw new Error(`systemd specifiers other than %% are not supported: ${line}`);
  rest = rest.replace(/%%/g, '%');
  const argv = [];
  for (const word of splitWords(rest)) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole) {
      argv.push(...String(environment[whole[1]] ?? '').split(/\s+/).filter(Boolean));
      continue;
    }
    argv.push(word.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name) => (m === '$$' ? '$' : String(environment[name] ?? ''))));
  }
  if (argv.length === 0) throw new Error(`empty command line: ${line}`);
  if (!argv[0].startsWith('/')) throw new Error(`systemd wants an absolute path or a name it finds in its own search path; the lab wants an absolute path: ${line}`);
  return { argv, ignoreFailure, line };
}

/** systemd's word splitting: whitespace separates words; "..." and '...' quote; C escapes. */
export function splitWords(text) {
  const words = [];
  let word = null;
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      const [value, used] = cEscape(text, i + 1);
      word = (word ?? '') + value;
      i += used;
      continue;
    }
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      word = word ?? '';
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + c;
  }
  if (quote) throw new Error(`unbalanced quote in: ${text}`);
  if (word !== null) words.push(word);
  return words;
}

function cEscape(text, i) {
  const c = text[i];
  const simple = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ', ' ': ' ' };
  if (c in simple) return [simple[c], 1];
  if (c === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) return [String.fromCharCode(parseInt(text.slice(i + 1, i + 3), 16)), 3];
  if (/^[0-7]{3}$/.test(text.slice(i, i + 3))) return [String.fromCharCode(parseInt(text.slice(i, i + 3), 8)), 3];
  throw new Error(`unsupported escape \\${c ?? ''} in: ${text}`);
}

/**
 * What a generated script makes the guest run at boot: for each unit it writes and enables, its
 * commands in systemd's order. Returns { units: [{ path, name, type, commands: [{argv, ignoreFailure, line}] }],
 * notEnabled: [paths of units written but not enabled] }.
 */
export function bootUnits(script) {
  const enabled = enabledUnits(script);
  const units = [];
  const notEnabled = [];
  for (const file of heredocFiles(script)) {
    if (!/\/systemd\/system\/[^/]+\.service$/.test(file.path)) continue;
    const name = path.posix.basename(file.path);
    if (!enabled.includes(name)) {
      notEnabled.push(file.path);
      continue;
    }
    const svc = parseUnit(file.text);
    const lines = [...svc.execStartPre, ...svc.execStart, ...svc.execStartPost];
    units.push({ path: file.path, name, type: svc.type, commands: lines.map((l) => parseCommandLine(l, svc.environment)) });
  }
  return { units, notEnabled };
}

/** Replaces <PLACEHOLDER>s in a candidate; every placeholder must have a value. */
export function fillPlaceholders(text, values) {
  const filled = text.replace(/<([A-Z][A-Z0-9_]*)>/g, (m, key) => {
    if (!(key in values)) throw new Error(`no value for ${m}`);
    return String(values[key]);
  });
  return filled;
}

/**
 * The boot commands of a guest configuration for one member: from the product's fix output when
 * the CLI offers `strategy` for the fixture, otherwise from the candidate script (filled with
 * `values`). `member` picks the extension of the VM whose name contains it when the fix made
 * different scripts for different VMs. `product: false` skips the CLI (the lab's measurements of
 * a hand-written variant). Result: { source: 'product'|'candidate', why, script, units, notEnabled }
 * where `why` says where the commands came from and, for a candidate, why.
 */
export function guestConfig({ fixture, strategy, candidate, values = {}, member, product = true }) {
  const fromCandidate = (why) => {
    if (!candidate) throw new Error(why);
    const script = fillPlaceholders(fs.readFileSync(candidate, 'utf8'), values);
    return { source: 'candidate', why: `${why}: using the hand-written candidate ${path.relative(REPO, candidate)}`, script, ...bootUnits(script) };
  };
  if (!product) return fromCandidate('a hand-written variant, measured as such');
  const fix = runFix(fixture, strategy);
  try {
    if (fix.status !== 0) {
      const said = (fix.stderr || fix.stdout).trim().split('\n')[0];
      return fromCandidate(`${fix.command} exited ${fix.status}${said ? ` (${said})` : ''}`);
    }
    const scripts = filesUnder(fix.dir)
      .filter((f) => /\.json$/i.test(f))
      .flatMap((f) => customScripts(fs.readFileSync(f, 'utf8')));
    const lower = member?.toLowerCase();
    const mine = lower ? scripts.filter((s) => s.owner.toLowerCase().includes(lower) || s.name.toLowerCase().includes(lower)) : [];
    const pool = mine.length ? mine : scripts;
    const distinct = [...new Set(pool.map((s) => s.script))];
    if (distinct.length !== 1) {
      return fromCandidate(`${fix.command} exited 0 but ${distinct.length === 0 ? 'its output has no Linux CustomScript extension' : `made ${distinct.length} different scripts, none named after ${member}`}`);
    }
    const names = pool.map((s) => s.owner || s.name).join(', ');
    return { source: 'product', why: `${fix.command} exited 0; ${scripts.length} CustomScript extension(s); the script of ${names}`, script: distinct[0], ...bootUnits(distinct[0]) };
  } finally {
    fs.rmSync(fix.dir, { recursive: true, force: true });
  }
}
