// Bundles the extension and the CLI with esbuild.
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * `ilb-hairpin:rule-docs`: every page of docs/rules/ as text by rule id, so a new rule's page is
 * bundled without an import of its own.
 */
const ruleDocs = {
  name: 'rule-docs',
  setup(build) {
    build.onResolve({ filter: /^ilb-hairpin:rule-docs$/ }, (args) => ({ path: args.path, namespace: 'rule-docs' }));
    build.onLoad({ filter: /.*/, namespace: 'rule-docs' }, () => {
      const files = readdirSync('docs/rules').filter((f) => f.endsWith('.md')).sort();
      const pages = Object.fromEntries(files.map((f) => [f.slice(0, -3), readFileSync(`docs/rules/${f}`, 'utf8')]));
      // Not a rule, but the code of the evaluator's notes: its page opens the same way.
      pages['template-evaluation'] = readFileSync('docs/template-evaluation.md', 'utf8');
      return {
        contents: `export default ${JSON.stringify(pages)};`,
        loader: 'js',
        watchFiles: [...files.map((f) => `docs/rules/${f}`), 'docs/template-evaluation.md'],
        watchDirs: ['docs/rules'],
      };
    });
  },
};

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // jsonc-parser's default (UMD) entry breaks inside a bundle; its ES module entry does not.
  mainFields: ['module', 'main'],
  sourcemap: true,
  logLevel: 'warning',
};

/**
 * elkjs (2.8 MB, with start-up work when loaded) stays out of dist/cli.js: the CLI requires it
 * only when it lays out a topology (src/core/topology/elk.ts), from dist/elk-worker.js, a copy of
 * elkjs's own self-contained file. `scan` and `fix` never load it.
 */
const ELK_WORKER = 'elkjs/lib/elk-worker.min.js';
const elkApart = {
  name: 'elk-apart',
  setup(build) {
    build.onResolve({ filter: /^elkjs\/lib\/elk-worker\.min\.js$/ }, () => ({ path: './elk-worker.js', external: true }));
  },
};

/**
 * The Azure SDK (about 3 MB of JavaScript) stays out of dist/cli.js too: only `azure` and
 * `topology --azure` load dist/cli-azure.js (src/cli/azure.ts and what it imports), so a scan does
 * not pay for compiling it, nor its memory.
 */
const azureApart = {
  name: 'azure-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/azure$/ }, (args) => (args.importer.endsWith(`${path.sep}cli${path.sep}main.ts`) ? { path: './cli-azure.js', external: true } : undefined));
  },
};

const builds = [
  // The extension: minified (the VSIX ships it without its map).
  { ...common, minify: true, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], plugins: [ruleDocs] },
  // The deployed scan (the Azure SDK with it), loaded by the extension when the command first runs.
  { ...common, minify: true, entryPoints: ['src/extension/azure-scan.ts'], outfile: 'dist/azure-scan.js', external: ['vscode'] },
  // Its worker thread: the read through the Azure SDK and the analysis of what was read.
  { ...common, minify: true, entryPoints: ['src/extension/azure-worker.ts'], outfile: 'dist/azure-worker.js' },
  // The analysis worker the extension starts (worker_threads): the core, no vscode.
  { ...common, minify: true, entryPoints: ['src/extension/analysis-worker.ts'], outfile: 'dist/analysis-worker.js' },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', plugins: [elkApart, azureApart] },
  { ...common, entryPoints: ['src/cli/azure.ts'], outfile: 'dist/cli-azure.js', plugins: [elkApart] },
  // The topology webview: browser code and its page CSS, the only files the panel lets the webview load.
  {
    ...common,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    minify: true,
    entryPoints: ['src/webview/topology.ts', 'src/webview/topology.css'],
    outdir: 'dist/webview',
  },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('esbuild: watching');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  chmodSync('dist/cli.js', 0o755);
  mkdirSync('dist', { recursive: true });
  copyFileSync(createRequire(import.meta.url).resolve(ELK_WORKER), 'dist/elk-worker.js');
  console.log('esbuild: dist/extension.js, dist/azure-scan.js, dist/azure-worker.js, dist/analysis-worker.js, dist/cli.js (+ dist/cli-azure.js, dist/elk-worker.js), dist/webview/topology.{js,css}');
}
