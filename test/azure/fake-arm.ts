/**
 * A fake Azure Resource Manager and Resource Graph for the tests: HTTPS on 127.0.0.1 with a
 * certificate made at test time (openssl), answering the real SDK clients' list, get and
 * Resource Graph query requests from an in-memory estate, with faults on demand. Any other
 * method (or a POST other than a Resource Graph query) gets 405 and is recorded.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { graphRow, resourceGraphPage } from './shapes';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** Rows made on demand (a generated tenant is never held as one list). */
export interface RowSource {
  count: number;
  at(i: number): Json;
  /** The row as JSON text, when it is cheaper to make so (a generated tenant). */
  text?(i: number): string;
}

export interface Fault {
  /** Matched against `METHOD pathname` (case-insensitive). */
  match: RegExp;
  status: number;
  /** How many times it answers so (default: always). */
  times?: number;
  headers?: Record<string, string>;
  /** A raw body (for malformed JSON); otherwise an ARM error body with `code`. */
  raw?: string;
  code?: string;
  /** Close the connection without an answer. */
  hangUp?: boolean;
}

export interface FakeEstate {
  resources?: Json[];
  /** Instance NICs of Uniform scale sets, by the scale set's ID in lower case. */
  scaleSetNics?: Map<string, Json[]>;
  subscriptions?: { id: string; name: string }[];
  /** The identity's tenants (`GET /tenants`); subscriptions say the first one's ID. */
  tenants?: { id: string; name: string }[];
  /** Resource Graph rows of a generated tenant (used instead of `resources` for queries). */
  graph?: { loadBalancers: RowSource; members: RowSource };
  /** Items on one page of a Resource Manager list (default 50). */
  pageSize?: number;
  faults?: Fault[];
  /** List paths (`GET pathname` regex) whose pages never end. */
  endless?: RegExp;
  /** The one bearer token accepted; a request without it gets 401. */
  token: string;
  /** Milliseconds every answer waits (a slow Resource Manager, for cancelling mid-scan). */
  delayMs?: number;
  /** Answer 401 ExpiredAuthenticationToken to every request. */
  tokenExpired?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  authorization: string | undefined;
  body?: string;
}

export interface FakeArm {
  url: string;
  /** The PEM of the certificate's CA (the certificate itself: self-signed). */
  ca: string;
  caFile: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

let certificate: { key: string; cert: string; certFile: string } | undefined;

/** A self-signed certificate for 127.0.0.1, made once per process with the openssl CLI. */
export function testCertificate(): { key: string; cert: string; certFile: string } {
  if (certificate) return certificate;
  // The host tests make it before VS Code starts, since NODE_EXTRA_CA_CERTS is read at process start.
  const made = process.env.ILB_HAIRPIN_TEST_CERT_DIR;
  if (made && fs.existsSync(path.join(made, 'key.pem')) && fs.existsSync(path.join(made, 'cert.pem'))) {
    certificate = { key: fs.readFileSync(path.join(made, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(made, 'cert.pem'), 'utf8'), certFile: path.join(made, 'cert.pem') };
    return certificate;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-fake-arm-'));
  // The certificate file is read by child processes (NODE_EXTRA_CA_CERTS) while this one runs; the
  // folder and its private key go when it exits.
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  certificate = { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), certFile };
  return certificate;
}

const LIST = /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?\/providers\/(Microsoft\.Network\/loadBalancers|Microsoft\.Network\/networkInterfaces|Microsoft\.Compute\/virtualMachines|Microsoft\.Compute\/virtualMachineScaleSets)$/i;
const SCALE_SET_NICS = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/([^/]+)\/networkInterfaces$/i;
const GET_ONE = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/(Microsoft\.Network\/networkInterfaces|Microsoft\.Network\/loadBalancers)\/([^/]+)$/i;
/** The Subscriptions API's lists (Microsoft.Resources). */
const ACCOUNT_LIST = /^\/(tenants|subscriptions)$/i;
const GRAPH = /^\/providers\/Microsoft\.ResourceGraph\/resources$/i;

function error(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

export async function startFakeArm(estate: FakeEstate): Promise<FakeArm> {
  const { key, cert, certFile } = testCertificate();
  const requests: RecordedRequest[] = [];
  const faults = (estate.faults ?? []).map((f) => ({ ...f, left: f.times ?? Infinity }));
  const pageSize = estate.pageSize ?? 50;
  const resources = estate.resources ?? [];

  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => (estate.delayMs ? setTimeout(answer, estate.delayMs) : answer()));
    const answer = (): void => {
      if (req.socket.destroyed) return;
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const method = req.method ?? 'GET';
      const rec: RecordedRequest = { method, path: url.pathname, status: 0, authorization: req.headers.authorization };
      const body = Buffer.concat(chunks).toString('utf8');
      if (body) rec.body = body;
      requests.push(rec);
      const send = (status: number, text: string, headers: Record<string, string> = {}): void => {
        rec.status = status;
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': `req-${requests.length}`, ...headers });
        res.end(text);
      };
      const isGraph = GRAPH.test(url.pathname);
      if (method !== 'GET' && !(method === 'POST' && isGraph)) return send(405, error('MethodNotAllowed', `${method} is not allowed: the scan only reads`));
      if (estate.tokenExpired) return send(401, error('ExpiredAuthenticationToken', 'The access token expiry UTC time is earlier than current UTC time.'), { 'www-authenticate': 'Bearer error="invalid_token"' });
      if (req.headers.authorization !== `Bearer ${estate.token}`) return send(401, error('InvalidAuthenticationToken', 'The access token is invalid.'));
      for (const f of faults) {
        if (f.left <= 0 || !f.match.test(`${method} ${url.pathname}`)) continue;
        f.left--;
        if (f.hangUp) {
          rec.status = -1;
          req.socket.destroy();
          return;
        }
        return send(f.status, f.raw ?? error(f.code ?? 'Fault', `fault ${f.status}`), f.headers);
      }
      if (isGraph) return graphQuery(JSON.parse(body || '{}'), send);
      const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
      const page = (items: Json[]): void => {
        const endless = estate.endless?.test(`GET ${url.pathname}`);
        const slice = endless ? items.slice(0, 1) : items.slice(skip, skip + pageSize);
        const more = endless || skip + pageSize < items.length;
        const next = new URL(url.toString());
        next.searchParams.set('$skiptoken', String(skip + pageSize));
        send(200, JSON.stringify({ value: slice, ...(more ? { nextLink: `https://${req.headers.host}${next.pathname}${next.search}` } : {}) }));
      };
      const account = ACCOUNT_LIST.exec(url.pathname);
      if (account) {
        // Shaped as the Subscriptions API (2022-12-01) documents them: no REST example of these is stored.
        const tenantId = estate.tenants?.[0]?.id ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
        if ((account[1] as string).toLowerCase() === 'tenants') {
          return page((estate.tenants ?? []).map((t) => ({ id: `/tenants/${t.id}`, tenantId: t.id, countryCode: 'US', displayName: t.name, domains: [`${t.name.toLowerCase().replace(/[^a-z0-9]/g, '')}.onmicrosoft.com`], defaultDomain: `${t.name.toLowerCase().replace(/[^a-z0-9]/g, '')}.onmicrosoft.com`, tenantCategory: 'Home', tenantType: 'AAD' })));
        }
        return page(
          (estate.subscriptions ?? []).map((x) => ({ id: `/subscriptions/${x.id}`, authorizationSource: 'RoleBased', managedByTenants: [], subscriptionId: x.id, tenantId, displayName: x.name, state: 'Enabled', subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' } })),
        );
      }
      let m = SCALE_SET_NICS.exec(url.pathname);
      if (m) {
        const id = `/subscriptions/${m[1]}/resourceGroups/${m[2]}/providers/Microsoft.Compute/virtualMachineScaleSets/${m[3]}`.toLowerCase();
        const nics = estate.scaleSetNics?.get(id);
        if (!nics) return send(404, error('ResourceNotFound', `The Resource 'Microsoft.Compute/virtualMachineScaleSets/${m[3]}' under resource group '${m[2]}' was not found.`));
        return page(nics);
      }
      m = LIST.exec(url.pathname);
      if (m) {
        const prefix = (m[2] ? `/subscriptions/${m[1]}/resourceGroups/${m[2]}/` : `/subscriptions/${m[1]}/`).toLowerCase();
        const type = (m[3] as string).toLowerCase();
        return page(resources.filter((r) => String(r.id).toLowerCase().startsWith(prefix) && String(r.type).toLowerCase() === type));
      }
      m = GET_ONE.exec(url.pathname);
      if (m) {
        const found = resources.find((r) => String(r.id).toLowerCase() === url.pathname.toLowerCase());
        return found ? send(200, JSON.stringify(found)) : send(404, error('NotFound', `Resource ${url.pathname} not found.`));
      }
      send(404, error('InvalidResourceType', `No route for ${url.pathname} in the fake server.`));
    };
  });

  function graphQuery(request: Json, send: (status: number, text: string) => void): void {
    const query = String(request.query ?? '');
    const top = Math.min(1000, Number(request.options?.$top ?? 1000));
    const skip = Number(request.options?.$skipToken ?? '0');
    let rows: RowSource;
    if (/ResourceContainers/i.test(query)) {
      const subs = estate.subscriptions ?? [];
      rows = { count: subs.length, at: (i) => ({ subscriptionId: subs[i]?.id, name: subs[i]?.name }) };
    } else {
      const lbQuery = /microsoft\.network\/loadbalancers/i.test(query);
      if (estate.graph) rows = lbQuery ? estate.graph.loadBalancers : estate.graph.members;
      else {
        const rg = /resourceGroup =~ '([^']*)'/.exec(query)?.[1]?.toLowerCase();
        const subs: string[] | undefined = Array.isArray(request.subscriptions) ? request.subscriptions.map((s: string) => s.toLowerCase()) : undefined;
        const types = lbQuery ? ['microsoft.network/loadbalancers'] : ['microsoft.network/networkinterfaces', 'microsoft.compute/virtualmachines', 'microsoft.compute/virtualmachinescalesets'];
        const list = resources.map(graphRow).filter((r) => types.includes(r.type) && (!subs || subs.includes(String(r.subscriptionId).toLowerCase())) && (rg === undefined || r.resourceGroup === rg));
        rows = { count: list.length, at: (i) => list[i] };
      }
    }
    const end = Math.min(rows.count, skip + top);
    const next = end < rows.count ? String(end) : undefined;
    if (rows.text) {
      // The page's shape with an empty row list, then the rows' text spliced in.
      const texts: string[] = [];
      for (let i = skip; i < end; i++) texts.push(rows.text(i));
      const shell = resourceGraphPage([], rows.count, next);
      shell.count = texts.length;
      const empty = JSON.stringify(shell);
      const at = empty.indexOf('"data":[]') + '"data":['.length;
      return send(200, `${empty.slice(0, at)}${texts.join(',')}${empty.slice(at)}`);
    }
    const data: Json[] = [];
    for (let i = skip; i < end; i++) data.push(rows.at(i));
    send(200, JSON.stringify(resourceGraphPage(data, rows.count, next)));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    ca: cert,
    caFile: certFile,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
