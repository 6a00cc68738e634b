/**
 * Keeps rules, their docs pages, their fixtures and the manifest in step.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES } from '../../src/core/rules';
import { docsPathOf } from '../../src/core/rules/types';

const ROOT = path.resolve(__dirname, '../../..');
const read = (p: string): string => fs.readFileSync(path.join(ROOT, p), 'utf8');

function filesUnder(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(rel) : [rel];
  });
}

describe('rules, docs and fixtures stay in step', () => {
  it('every rule has a docs page at docs/rules/<id>.md that names it, and a summary', () => {
    assert.ok(RULES.length > 0);
    for (const rule of RULES) {
      assert.equal(rule.docsPath, `docs/rules/${rule.id}.md`);
      const page = read(rule.docsPath);
      assert.match(page, new RegExp(`^# ${rule.id}$`, 'm'), `${rule.docsPath} starts with the rule id`);
      assert.equal(docsPathOf(rule), rule.docsPath);
      assert.ok(rule.summary.length > 40, `${rule.id} has a summary`);
    }
  });

  it('every rule page is bundled into the extension for offline reading (npm run build)', () => {
    const bundle = read('dist/extension.js');
    // The page by its rule id, from its first line (esbuild escapes what is not ASCII).
    // The bundle is minified: the page may be a template literal, with no space after the colon.
    for (const rule of RULES) {
      const line = read(rule.docsPath).split('\n')[0] as string;
      // esbuild picks the quote that needs the fewest escapes: a backtick, a double or a single quote.
      const forms = [
        `"${rule.id}":\`${line}\n`,
        `"${rule.id}":${JSON.stringify(line + '\n').slice(0, -1)}`,
        `"${rule.id}": ${JSON.stringify(line + '\n').slice(0, -1)}`,
        `"${rule.id}":'${line.replace(/'/g, "\\'")}\\n`,
      ];
      assert.ok(forms.some((f) => bundle.includes(f)), `${rule.docsPath} is in dist/extension.js`);
    }
  });

  it('every rule can be set in ilbHairpin.rules and in the .ilb-hairpin.json schema, and the rule pages link to pages that exist', () => {
    const ids = RULES.map((r) => r.id).sort();
    const pkg = JSON.parse(read('package.json'));
    assert.deepEqual(Object.keys(pkg.contributes.configuration.properties['ilbHairpin.rules'].properties).sort(), ids);
    const schema = JSON.parse(read('schemas/ilb-hairpin.schema.json'));
    assert.deepEqual(Object.keys(schema.properties.rules.properties).sort(), ids);
    assert.ok(pkg.contributes.jsonValidation.some((v: { fileMatch: string; url: string }) => v.fileMatch === '.ilb-hairpin.json' && v.url === './schemas/ilb-hairpin.schema.json'));
    for (const rule of RULES) {
      for (const m of read(rule.docsPath).matchAll(/\]\(([a-z0-9-]+\.md)(#[^)]*)?\)/g)) assert.ok(fs.existsSync(path.join(ROOT, 'docs/rules', m[1] as string)), `${rule.docsPath} links to ${m[1]}`);
    }
  });

  it('every docs page belongs to a rule', () => {
    const ids = new Set(RULES.map((r) => r.id));
    for (const f of filesUnder('docs/rules')) {
      assert.ok(ids.has(path.basename(f, '.md')), `${f} has no rule`);
    }
  });

  it('every rule has fixtures that expect it and fixtures that do not', () => {
    const fixtures = filesUnder('test/fixtures/arm').map((f) => read(f));
    for (const rule of RULES) {
      const expecting = fixtures.filter((t) => t.includes(`expect ${rule.id}`));
      assert.ok(expecting.length >= 3, `${rule.id} has at least three fixtures with findings`);
      assert.ok(fixtures.length - expecting.length >= 3, `${rule.id} has at least three clean fixtures`);
    }
  });
});

describe('the extension manifest', () => {
  const pkg = JSON.parse(read('package.json'));

  it('points at files the build produces and the VSIX keeps', () => {
    const ignore = read('.vscodeignore');
    const npmIgnore = read('.npmignore');
    for (const p of [pkg.main, pkg.bin['ilb-hairpin']]) assert.ok(fs.existsSync(path.join(ROOT, path.normalize(p))), `${p} exists (npm run build)`);
    // The VSIX keeps the extension, the npm package the CLI (test/package checks the built ones).
    const main = path.normalize(pkg.main);
    const cli = path.normalize(pkg.bin['ilb-hairpin']);
    assert.ok(ignore.includes(`!${main}`), `.vscodeignore keeps ${main}`);
    assert.ok(!ignore.includes(`!${cli}`), `.vscodeignore leaves out ${cli}`);
    assert.ok(npmIgnore.includes(`!/${cli}`), `.npmignore keeps ${cli}`);
  });

  it('contributes only an injection grammar (never a grammar that would replace Bicep or JSON highlighting), and it matches the directive', () => {
    for (const g of pkg.contributes.grammars as { scopeName: string; path: string; injectTo?: string[]; language?: string }[]) {
      assert.equal(g.language, undefined, `${g.scopeName} is not a language grammar`);
      assert.ok(g.injectTo?.length, `${g.scopeName} is an injection`);
      const grammar = JSON.parse(read(g.path));
      assert.equal(grammar.scopeName, g.scopeName);
      const re = new RegExp(grammar.repository.directive.match);
      const m = re.exec('// ilb-hairpin-disable-next-line hairpin-prone-rule only external clients call it');
      assert.equal(m?.[1], 'ilb-hairpin-disable-next-line');
      assert.equal(m?.[2], 'hairpin-prone-rule');
      assert.equal(re.exec('ilb-hairpin-disable hairpin-prone-rule rule-http: reason')?.[3], 'rule-http');
    }
  });

  it('targets the VS Code the types describe', () => {
    assert.equal(pkg.engines.vscode, '^1.100.0');
    const typesVersion: string = JSON.parse(read('node_modules/@types/vscode/package.json')).version;
    assert.match(typesVersion, /^1\.100\./);
  });

  it('activates only where templates can be, and declares untrusted-workspace support', () => {
    const events: string[] = pkg.activationEvents;
    for (const e of ['onLanguage:arm-template', 'onLanguage:bicep', 'onLanguage:bicep-params', 'workspaceContains:**/*.bicep']) assert.ok(events.includes(e), e);
    // Not for any JSON file (a package.json, a settings file): JSON only by names templates have.
    for (const e of ['onLanguage:json', 'onLanguage:jsonc']) assert.ok(!events.includes(e), e);
    assert.ok(events.some((e) => e.startsWith('workspaceContains:') && e.endsWith('.json')));
    assert.ok(!events.includes('*'));
    assert.equal(typeof pkg.capabilities.untrustedWorkspaces.supported, 'boolean');
  });

  it('contributes commands with titles and a category, and each is registered by the extension', () => {
    const source = filesUnder('src/extension').map((f) => read(f)).join('\n');
    for (const c of pkg.contributes.commands as { command: string; title: string; category: string }[]) {
      assert.ok(c.title && c.category, c.command);
      assert.ok(source.includes(`'${c.command}'`), `${c.command} is registered in src/extension`);
    }
  });

  it('documents every setting it reads', () => {
    const props = Object.keys(pkg.contributes.configuration.properties);
    const code = filesUnder('src/extension').map((f) => read(f)).join('\n');
    const readme = read('README.md');
    // A read with its section named (`getConfiguration('files', folder).get<...>('exclude')`):
    // ours must be contributed, VS Code's own (files.exclude, search.followSymlinks) said in the README.
    const named = new Set<number>();
    for (const m of code.matchAll(/getConfiguration\('([A-Za-z.]+)'[^)]*\)\s*\.get(?:<[^>]+>)?\('([A-Za-z.]+)'/g)) {
      const setting = `${m[1]}.${m[2]}`;
      named.add((m.index ?? 0) + m[0].lastIndexOf('get'));
      if (setting.startsWith('ilbHairpin.')) assert.ok(props.includes(setting), setting);
      else assert.ok(readme.includes(`\`${setting}\``), `${setting}: VS Code's setting read without a word in the README`);
    }
    // Else through the extension's own section (`this.config().get<...>('debounceMs')`).
    for (const m of code.matchAll(/get<[^>]+>\('([A-Za-z.]+)'/g)) {
      if (!named.has(m.index ?? -1)) assert.ok(props.includes(`ilbHairpin.${m[1]}`), `ilbHairpin.${m[1]}`);
    }
  });
});
