// `npm run media`: redraws the walkthrough's picture of the hairpin (media/walkthrough/hairpin.svg)
// from examples/seed-lab with the CLI's own topology renderer, the failing path of rule-http drawn:
// the seed's picture, made by the product. Run it after a change to the renderer and commit the SVG.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  console.error('media: dist/cli.js is missing; run `npm run build` first.');
  process.exit(2);
}
const out = path.join('media', 'walkthrough', 'hairpin.svg');
fs.mkdirSync(path.join(repo, path.dirname(out)), { recursive: true });
execFileSync(process.execPath, [cli, 'topology', path.join('examples', 'seed-lab'), '--format', 'svg', '--rule', 'rule-http', '--output', out], {
  cwd: repo,
  stdio: 'inherit',
});
