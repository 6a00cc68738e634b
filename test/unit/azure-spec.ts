/**
 * Azure's own API definitions as a validator, for the resources the fixes write: Microsoft's
 * OpenAPI (Swagger 2.0) files from ../shared/azure-rest-specs (see its README), compiled by ajv.
 *
 * Swagger 2.0 schemas accept properties they do not list; Azure Resource Manager does not (an
 * unknown property fails the deployment or is silently dropped). So every object schema that
 * lists properties and says nothing of additionalProperties is closed here with
 * `unevaluatedProperties: false` (JSON Schema 2019-09, which sees through `allOf`: a definition's
 * own properties and those of the bases it extends count as known). A base reached through
 * `allOf` is used open (the `__open` copy of its definition), otherwise it would refuse the
 * properties of the type that extends it.
 *
 * Property names are compared case-insensitively (Azure's resource providers read `Id` as `id`;
 * problems name them in lower case).
 *
 * Enums: `x-ms-enum.modelAsString: true` lets Azure accept strings beyond the listed ones (new
 * values without a new apiVersion); the fixes must write documented values only, so the listed
 * values are enforced all the same.
 *
 * Values our evaluators leave unknown (parameters without a value, `reference()`, ...) stand in
 * as a marker string: a type, format or enum error on a marker is not counted (the value is
 * chosen at deployment); a missing required property or an unknown property name still is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2019, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { idKey } from '../../src/core/evaluate/resources';
import { display, Unknown, type Value } from '../../src/core/evaluate/value';
import type { Workspace } from '../../src/core/workspace';
import { REPO_ROOT } from './helpers';

export const SPECS = path.resolve(REPO_ROOT, '..', 'shared', 'azure-rest-specs');
const NETWORK = 'specification/network/resource-manager/Microsoft.Network/stable';
const COMPUTE = 'specification/compute/resource-manager/Microsoft.Compute/ComputeRP/stable';

/** Resource type (lower case) -> where its definition is, per apiVersion (file relative to SPECS). */
const DEFINITIONS: Record<string, Record<string, { file: string; definition: string }>> = {
  'microsoft.network/loadbalancers': { '2023-09-01': { file: `${NETWORK}/2023-09-01/loadBalancer.json`, definition: 'LoadBalancer' } },
  'microsoft.network/networkinterfaces': { '2023-09-01': { file: `${NETWORK}/2023-09-01/networkInterface.json`, definition: 'NetworkInterface' } },
  'microsoft.network/virtualnetworks': { '2023-09-01': { file: `${NETWORK}/2023-09-01/virtualNetwork.json`, definition: 'VirtualNetwork' } },
  'microsoft.network/virtualnetworks/subnets': { '2023-09-01': { file: `${NETWORK}/2023-09-01/virtualNetwork.json`, definition: 'Subnet' } },
  'microsoft.network/publicipaddresses': { '2023-09-01': { file: `${NETWORK}/2023-09-01/publicIpAddress.json`, definition: 'PublicIPAddress' } },
  'microsoft.network/networksecuritygroups': { '2023-09-01': { file: `${NETWORK}/2023-09-01/networkSecurityGroup.json`, definition: 'NetworkSecurityGroup' } },
  'microsoft.network/applicationgateways': { '2023-09-01': { file: `${NETWORK}/2023-09-01/applicationGateway.json`, definition: 'ApplicationGateway' } },
  'microsoft.compute/virtualmachines': { '2023-09-01': { file: `${COMPUTE}/2023-09-01/virtualMachine.json`, definition: 'VirtualMachine' } },
  'microsoft.compute/virtualmachines/extensions': { '2023-09-01': { file: `${COMPUTE}/2023-09-01/virtualMachine.json`, definition: 'VirtualMachineExtension' } },
  'microsoft.compute/virtualmachinescalesets': { '2023-09-01': { file: `${COMPUTE}/2023-09-01/virtualMachineScaleSet.json`, definition: 'VirtualMachineScaleSet' } },
  'microsoft.compute/virtualmachinescalesets/extensions': { '2023-09-01': { file: `${COMPUTE}/2023-09-01/virtualMachineScaleSet.json`, definition: 'VirtualMachineScaleSetExtension' } },
};

/** What the saved specs do not hold, for the resource types the fixes write (said by the test). */
export const MISSING_SPECS: Record<string, string> = {
  'microsoft.compute/availabilitysets': `${COMPUTE}/2023-09-01/availabilitySet.json (not saved in ../shared/azure-rest-specs)`,
  'microsoft.resources/deployments': 'specification/resources/resource-manager/Microsoft.Resources/stable/2022-09-01/resources.json (not saved in ../shared/azure-rest-specs)',
};

/** Keys of a template's resource declaration that are the template's, not the resource's (never sent to the resource provider as such). */
const TEMPLATE_KEYS = new Set(['type', 'apiversion', 'dependson', 'copy', 'condition', 'comments', 'resources', 'scope', 'existing', 'parent', 'metadata', 'batchsize']);

/** How an unknown value is given to the validator. */
export const UNKNOWN_MARKER = '\u0000unknown';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** An evaluated value as JSON, unknowns as UNKNOWN_MARKER. */
export function toJson(v: Value): Json {
  if (v instanceof Unknown) return UNKNOWN_MARKER;
  if (Array.isArray(v)) return v.map(toJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

/** The resource's own body: the template's keys left out. */
export function resourceBody(body: Json): Json {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([k]) => !TEMPLATE_KEYS.has(k.toLowerCase())));
}

export interface SpecProblem {
  /** JSON pointer of the value in the resource body. */
  path: string;
  message: string;
}

type Schema = { [k: string]: unknown };
const isSchema = (v: unknown): v is Schema => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The validator of the saved specs: `validate(type, apiVersion, body)` gives the problems, or a
 * string when there is no definition for the type at that apiVersion.
 */
export class AzureSpecs {
  private readonly ajv = new Ajv2019({ strict: false, validateSchema: false, allErrors: true, verbose: true });
  private readonly loaded = new Set<string>();
  private readonly compiled = new Map<string, ValidateFunction>();
  /** Spec files referenced but not saved (stubbed: any value there fails). */
  readonly missingFiles = new Set<string>();

  constructor() {
    addFormats(this.ajv);
    const int = (bits: number) => (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** (bits - 1);
    this.ajv.addFormat('int32', { type: 'number', validate: int(32) });
    this.ajv.addFormat('int64', { type: 'number', validate: int(64) });
    for (const f of ['double', 'float', 'decimal']) this.ajv.addFormat(f, { type: 'number', validate: () => true });
    for (const f of ['byte', 'password', 'arm-id', 'duration', 'unixtime', 'base64url', 'file']) this.ajv.addFormat(f, () => true);
  }

  static available(): boolean {
    return fs.existsSync(path.join(SPECS, NETWORK));
  }

  /** The definition for a resource type at an apiVersion, if the specs hold it. */
  static definitionOf(type: string, apiVersion: string): { file: string; definition: string } | undefined {
    return DEFINITIONS[type.toLowerCase()]?.[apiVersion];
  }

  validate(type: string, apiVersion: string, body: Json): SpecProblem[] | string {
    const def = AzureSpecs.definitionOf(type, apiVersion);
    if (!def) {
      const known = Object.keys(DEFINITIONS[type.toLowerCase()] ?? {});
      return `no API definition of ${type}@${apiVersion} in ../shared/azure-rest-specs (${known.length ? `saved: ${known.join(', ')}` : MISSING_SPECS[type.toLowerCase()] ?? 'type not saved'})`;
    }
    const fn = this.validator(def.file, def.definition);
    const lower = lowerKeys(body);
    if (fn(lower)) return [];
    return (fn.errors ?? []).flatMap((e) => problem(e, lower));
  }

  private validator(file: string, definition: string): ValidateFunction {
    const key = `${uriOf(file)}#/definitions/${definition}`;
    let fn = this.compiled.get(key);
    if (!fn) {
      this.load(file);
      fn = this.ajv.getSchema(key);
      if (!fn) throw new Error(`${key} is not defined`);
      this.compiled.set(key, fn);
    }
    return fn;
  }

  /** Adds a spec file and, transitively, the files its definitions reference. */
  private load(file: string): void {
    if (this.loaded.has(file)) return;
    this.loaded.add(file);
    const abs = path.join(SPECS, file);
    const refs = new Map<string, Set<string>>();
    if (!fs.existsSync(abs)) {
      this.missingFiles.add(file);
      return;
    }
    const doc = JSON.parse(fs.readFileSync(abs, 'utf8')) as Schema;
    const definitions = isSchema(doc.definitions) ? doc.definitions : {};
    const out: Schema = { $id: uriOf(file), definitions: {} as Schema };
    const defsOut = out.definitions as Schema;
    for (const [name, schema] of Object.entries(definitions)) {
      defsOut[name] = prepare(schema, false, (ref) => noteRef(file, ref, refs));
      defsOut[`${name}__open`] = prepare(schema, true, (ref) => noteRef(file, ref, refs));
    }
    this.ajv.addSchema(out, uriOf(file));
    for (const [other, names] of refs) {
      if (other === file) continue;
      if (fs.existsSync(path.join(SPECS, other))) this.load(other);
      else if (!this.loaded.has(other)) {
        // A file the specs reference but that was not saved: any value there is reported.
        this.loaded.add(other);
        this.missingFiles.add(other);
        const stub = { not: {}, description: `definition in ${other}, which is not saved in ../shared/azure-rest-specs` };
        const defs = Object.fromEntries([...names].flatMap((n) => [
          [n, stub],
          [`${n}__open`, stub],
        ]));
        this.ajv.addSchema({ $id: uriOf(other), definitions: defs }, uriOf(other));
      }
    }
  }
}

const uriOf = (file: string): string => `https://azure-rest-specs.invalid/${file}`;

function noteRef(file: string, ref: string, refs: Map<string, Set<string>>): void {
  const [target, pointer = ''] = ref.split('#');
  const other = target ? path.posix.normalize(path.posix.join(path.posix.dirname(file), target)) : file;
  const name = /^\/definitions\/([^/]+)/.exec(pointer)?.[1];
  let names = refs.get(other);
  if (!names) refs.set(other, (names = new Set()));
  if (name) names.add(name);
}

/**
 * A schema made ready for ajv: closed (unless `open`), boolean exclusiveMinimum/Maximum of
 * draft 4 turned into 2019-09's numbers, `allOf` bases pointed at their open copies.
 */
function prepare(schema: unknown, open: boolean, onRef: (ref: string) => void): Schema {
  if (!isSchema(schema)) return {};
  const s: Schema = { ...schema };
  if (typeof s.$ref === 'string') onRef(s.$ref);
  for (const bound of ['Minimum', 'Maximum'] as const) {
    const ex = s[`exclusive${bound}`];
    if (typeof ex === 'boolean') {
      delete s[`exclusive${bound}`];
      const limit = s[bound.toLowerCase()];
      if (ex && typeof limit === 'number') {
        s[`exclusive${bound}`] = limit;
        delete s[bound.toLowerCase()];
      }
    }
  }
  // Resource providers read property names case-insensitively: names are compared in lower case.
  if (isSchema(s.properties)) s.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k.toLowerCase(), prepare(v, false, onRef)]));
  if (Array.isArray(s.required)) s.required = s.required.map((k: unknown) => String(k).toLowerCase());
  if (isSchema(s.items)) s.items = prepare(s.items, false, onRef);
  if (isSchema(s.additionalProperties)) s.additionalProperties = prepare(s.additionalProperties, false, onRef);
  if (Array.isArray(s.allOf)) {
    s.allOf = s.allOf.map((base: unknown) => {
      const b = prepare(base, true, onRef);
      if (typeof b.$ref === 'string' && /#\/definitions\/[^/]+$/.test(b.$ref)) b.$ref = `${b.$ref}__open`;
      return b;
    });
  }
  const objectLike = (s.properties !== undefined || s.allOf !== undefined) && (s.type === undefined || s.type === 'object');
  if (!open && objectLike && s.additionalProperties === undefined) s.unevaluatedProperties = false;
  return s;
}

/** An ajv error as a problem; none for a type/format/enum error on a value left unknown. */
function problem(e: ErrorObject, body: Json): SpecProblem[] {
  const at = valueAt(body, e.instancePath);
  if (at === UNKNOWN_MARKER && ['type', 'format', 'enum', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'exclusiveMinimum', 'exclusiveMaximum'].includes(e.keyword)) return [];
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'unevaluatedProperties') return [{ path: `${e.instancePath}/${String(params.unevaluatedProperty)}`, message: 'is not a property of this object in the API definition' }];
  if (e.keyword === 'required') return [{ path: `${e.instancePath}/${String(params.missingProperty)}`, message: 'is required by the API definition and missing' }];
  if (e.keyword === 'enum') return [{ path: e.instancePath, message: `${JSON.stringify(at)} is not one of ${JSON.stringify(params.allowedValues)}` }];
  if (e.keyword === 'not') return [{ path: e.instancePath, message: `cannot be checked: ${String((e.parentSchema as Schema | undefined)?.description ?? 'no definition')}` }];
  return [{ path: e.instancePath, message: `${e.message ?? e.keyword} (${JSON.stringify(at)?.slice(0, 80)})` }];
}

/** The value with every property name in lower case (as the prepared schemas have them). */
function lowerKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(lowerKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toLowerCase(), lowerKeys(x)]));
  return v;
}

function valueAt(body: Json, pointer: string): Json | undefined {
  let v: Json | undefined = body;
  for (const raw of pointer.split('/').slice(1)) {
    const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(v)) v = v[Number(k)];
    else if (v && typeof v === 'object') v = v[k];
    else return undefined;
  }
  return v;
}

// ------------------------------------------------------------------ what a fix wrote

/** The resources a deployment of the workspace sends, as JSON with their type and apiVersion. */
export interface DeployedResource {
  key: string;
  type: string;
  apiVersion: string | undefined;
  file: string;
  body: Json;
}

/** Every resource the workspace's last analysis evaluated (not `existing`, not an unread module). */
export function deployedResources(ws: Workspace): DeployedResource[] {
  const seen = new Map<string, number>();
  return ws.evaluatedResources()
    .filter((r) => !r.existing && !r.opaque && r.type !== '')
    .map((r) => {
      const raw = toJson(r.body());
      const written = raw && typeof raw === 'object' && !Array.isArray(raw) ? raw.apiVersion : undefined;
      const apiVersion = typeof written === 'string' && written !== UNKNOWN_MARKER ? written : bicepApiVersion(ws.source(r.file)?.text, r.span.start);
      const base = `${r.type.toLowerCase()}|${idKey(r.id) ?? display(r.id)}`;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      return { key: `${base}#${n}`, type: r.type, apiVersion, file: r.file, body: resourceBody(raw) };
    });
}

/** `'type@version'` of a Bicep resource declaration. */
function bicepApiVersion(text: string | undefined, start: number): string | undefined {
  if (text === undefined) return undefined;
  return /^resource\s+\S+\s+'[^'@]+@([^']+)'/.exec(text.slice(start, start + 400))?.[1];
}

/** JSON pointers where `after` differs from `before` (added or changed values; objects and arrays descended). */
export function changedPaths(before: Json | undefined, after: Json, at = ''): string[] {
  if (before === undefined) return [at];
  const bothObjects = (x: Json | undefined): x is { [k: string]: Json } => !!x && typeof x === 'object' && !Array.isArray(x);
  if (Array.isArray(after) && Array.isArray(before)) return after.flatMap((v, i) => changedPaths(before[i], v, `${at}/${i}`));
  if (bothObjects(after) && bothObjects(before)) return Object.entries(after).flatMap(([k, v]) => changedPaths(before[k], v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [at];
}

export interface WrittenCheck {
  /** Resources checked (new, or changed by the fix). */
  checked: number;
  /** Problems, each saying the resource, the path and what is wrong. */
  problems: string[];
  /** Written resources of a type the saved specs do not define (see MISSING_SPECS). */
  unchecked: string[];
}

/** The newest apiVersion the saved specs hold for a type. */
const newestSaved = (type: string): string | undefined => Object.keys(DEFINITIONS[type.toLowerCase()] ?? {}).sort().pop();

/**
 * Validates what a fix wrote: every resource of `after` that `before` does not have (entirely,
 * at the apiVersion it writes), and every resource the fix changed (at the paths it changed,
 * against its apiVersion's definition or, when the specs do not hold that version, the newest
 * saved one: the fix does not choose an existing resource's apiVersion).
 */
export function checkWritten(specs: AzureSpecs, before: Workspace, after: Workspace): WrittenCheck {
  const old = new Map(deployedResources(before).map((r) => [r.key, r]));
  const out: WrittenCheck = { checked: 0, problems: [], unchecked: [] };
  for (const r of deployedResources(after)) {
    const prior = old.get(r.key);
    const paths = prior ? changedPaths(prior.body, r.body) : [''];
    if (!paths.length) continue;
    const what = `${r.type}@${r.apiVersion ?? '?'} ${r.key.split('|')[1]} (${path.basename(r.file)})`;
    const lower = r.type.toLowerCase();
    const version = !prior ? r.apiVersion : r.apiVersion && AzureSpecs.definitionOf(r.type, r.apiVersion) ? r.apiVersion : newestSaved(r.type);
    if (!version || !AzureSpecs.definitionOf(r.type, version)) {
      if (MISSING_SPECS[lower] !== undefined && !DEFINITIONS[lower]) out.unchecked.push(`${r.type}: ${MISSING_SPECS[lower]}`);
      else out.problems.push(`${what}: no API definition saved for it (a fix must write an apiVersion the specs cover)`);
      continue;
    }
    out.checked++;
    const found = specs.validate(r.type, version, r.body);
    if (typeof found === 'string') {
      out.problems.push(`${what}: ${found}`);
      continue;
    }
    const lowered = paths.map((c) => c.toLowerCase());
    const inside = (p: string): boolean => lowered.some((c) => p === c || p.startsWith(`${c}/`));
    for (const p of found) if (inside(p.path)) out.problems.push(`${what}${version !== r.apiVersion ? ` [checked against ${version}]` : ''}: ${p.path} ${p.message}`);
  }
  return out;
}
