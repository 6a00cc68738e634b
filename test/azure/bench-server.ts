/**
 * The fake Resource Manager with the generated tenant, as a process of its own for
 * `npm run bench` (scripts/bench-azure.mjs): prints `{ url, caFile, rows }` on one line, then
 * serves until its stdin closes; on `requests` (a line on stdin) it prints how many it answered.
 */
import { startFakeArm } from './fake-arm';
import { generatedTenant, subscriptionId, TOKEN } from './scenarios';

async function main(): Promise<void> {
  const subscriptions = Number(process.argv[2] ?? 1000);
  const lbs = Number(process.argv[3] ?? 20_000);
  const tenant = generatedTenant(subscriptions, lbs);
  const server = await startFakeArm({ token: TOKEN, graph: tenant, subscriptions: Array.from({ length: subscriptions }, (_, i) => ({ id: subscriptionId(i), name: `sub-${i}` })) });
  process.stdout.write(JSON.stringify({ url: server.url, caFile: server.caFile, rows: tenant.rows, token: TOKEN }) + '\n');
  process.stdin.on('data', () => process.stdout.write(JSON.stringify({ requests: server.requests.length, methods: [...new Set(server.requests.map((r) => r.method))] }) + '\n'));
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
}

void main();
