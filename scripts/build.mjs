// Bundles the extension and the CLI with esbuild.
import * as esbuild from 'esbuild';
import { chmodSync, readdirSync, readFileSync } from 'node:fs';

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
      return { contents: `export default ${JSON.stringify(pages)};`, loader: 'js', watchFiles: files.map((f) => `docs/rules/${f}`), watchDirs: ['docs/rules'] };
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
const builds = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], plugins: [ruleDocs] },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' },
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
  console.log('esbuild: dist/extension.js, dist/cli.js, dist/webview/topology.{js,css}');
}
