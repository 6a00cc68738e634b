// Installs what the VS Code host scripts need, ahead of time (for CI or a fresh machine):
// Debian's Chromium and ripgrep (with apt-get, as root) and code-server 4.100.3 in
// its cache folder. Nothing is downloaded when all of it is already there.
//   node scripts/ensure-deps.mjs            # Chromium + code-server (for npm run test:host)
//   node scripts/ensure-deps.mjs --no-chromium   # code-server only (enough for npm start)
import { codeServerDir, ensureChromium, ensureCodeServer } from './vscode-host.mjs';

const started = Date.now();
try {
  if (!process.argv.includes('--no-chromium')) console.log(`ensure-deps: chromium ${ensureChromium()}`);
  const entry = await ensureCodeServer();
  console.log(`ensure-deps: code-server in ${codeServerDir()} (${entry})`);
  console.log(`ensure-deps: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
  console.error(`setup: ${e instanceof Error ? e.message : e}`);
  process.exit(2);
}
