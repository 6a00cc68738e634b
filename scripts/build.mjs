// Bundles the extension and the CLI with esbuild.
import * as esbuild from 'esbuild';
import { chmodSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // jsonc-parser's default (UMD) entry breaks inside a bundle; its ES module entry does not.
  mainFields: ['module', 'main'],
  sourcemap: true,
  // Rule docs pages are bundled as text so the extension can show them offline.
  loader: { '.md': 'text' },
  logLevel: 'warning',
};
const builds = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
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
