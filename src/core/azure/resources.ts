/**
 * Deployed resources as the graph takes them: Resource Manager's JSON (as Resource Graph returns
 * it, or as rest-shape.ts puts the SDK's models back) wrapped as EvaluatedResources. Every value
 * is known; every object and array gets an origin whose span names the resource (or the part of
 * it: a rule, a frontend, an ipConfiguration) by its resource ID.
 */
import { forgetOrigin, setOrigin } from '../evaluate/origin';
import { DEPLOYED_FILE_PREFIX, type EvaluatedResource } from '../evaluate/resources';
import { getProp, isObject, type Value, type ValueObject } from '../evaluate/value';
import type { SourceSpan } from '../source';
import { portalUrl } from './clouds';

/** The deployment every deployed resource belongs to (references between them all resolve). */
export const DEPLOYED = 'azure';
export { DEPLOYED_FILE_PREFIX, isDeployedFile } from '../evaluate/resources';

/** Wraps one resource's JSON; undefined when it has no string `id` and `type`. */
export function deployedResource(json: ValueObject, portal: string | undefined): EvaluatedResource | undefined {
  const id = getProp(json, 'id');
  const type = getProp(json, 'type');
  if (typeof id !== 'string' || typeof type !== 'string') return undefined;
  const rawName = getProp(json, 'name');
  const name = typeof rawName === 'string' ? rawName : (id.split('/').pop() ?? id);
  const resource = new DeployedResource(id, type, name, json, portal);
  resource.end = register(json, resource, undefined, { n: 0 }, id);
  return resource;
}

/**
 * A deployed resource: its file name (`azure:` and its ID) and its span (with the portal link)
 * are made when first asked for; a tenant's hundred thousand resources would otherwise hold two
 * long strings and a span each that most are never asked for.
 */
class DeployedResource implements EvaluatedResource {
  readonly condition = true as const;
  readonly existing = false;
  readonly deployment = DEPLOYED;
  /** The end of its span (the count of its parts). */
  end = 0;
  private fileName: string | undefined;
  private ownSpan: SourceSpan | undefined;

  constructor(
    readonly id: string,
    readonly type: string,
    readonly name: string,
    private readonly json: ValueObject,
    readonly portal: string | undefined,
  ) {}

  get file(): string {
    return (this.fileName ??= DEPLOYED_FILE_PREFIX + this.id);
  }

  get span(): SourceSpan {
    return (this.ownSpan ??= deployedSpan(this.file, 0, this.end, this.id, this.portal));
  }

  get segments(): Value[] {
    return [this.name];
  }

  body(): ValueObject {
    return this.json;
  }
}

function deployedSpan(file: string, start: number, end: number, id: string, portal: string | undefined): SourceSpan {
  const url = portalUrl(portal, id);
  return { file, start, end, resource: url === undefined ? { id } : { id, portal: url } };
}

/**
 * The place of a part of a deployed resource (the resource, a rule, a frontend, an
 * ipConfiguration: an object with an `id` and more), made when first asked for. A deployed value
 * has no finer place than its part: its properties and elements point there too.
 */
class PartOrigin {
  end = 0;
  private made: SourceSpan | undefined;

  constructor(
    private readonly resource: DeployedResource,
    private readonly id: string,
    private readonly start: number,
  ) {}

  get span(): SourceSpan {
    return (this.made ??= deployedSpan(this.resource.file, this.start, this.end, this.id, this.resource.portal));
  }

  property(): SourceSpan {
    return this.span;
  }

  element(): SourceSpan {
    return this.span;
  }
}

/**
 * Gives each object with an `id` an origin: its part's (the nearest object that is the resource or
 * a part of it; `{ "id": ... }` alone is a reference to something else, and has the place of the
 * part that holds it). Parts nest by a depth-first count. Only what a location is asked of is
 * registered: a property bag or an array asked for its place has none, and the one asking falls
 * back to its part.
 */
function register(v: Value, resource: DeployedResource, owner: PartOrigin | undefined, counter: { n: number }, top?: string): number {
  if (Array.isArray(v)) {
    for (const x of v) register(x, resource, owner, counter);
    return counter.n;
  }
  if (!isObject(v)) return counter.n;
  const id = top ?? getProp(v, 'id');
  let own = owner;
  // (for-in, not Object.keys: a tenant's rows hold millions of objects, each one array less.)
  if (typeof id === 'string' && hasTwoKeys(v)) {
    own = new PartOrigin(resource, id, counter.n++);
    for (const k in v) register(v[k] as Value, resource, own, counter);
    own.end = counter.n;
  } else {
    for (const k in v) register(v[k] as Value, resource, own, counter);
  }
  if (typeof id === 'string' && own) setOrigin(v, own);
  return counter.n;
}

/**
 * Forgets the origins deployedResource gave a resource's JSON, once its part of an analysis is
 * done (analyzeEstateForReport): an origin that stays registered for a row that is long-lived
 * keeps its part's wrapper alive until the collector's next full pass.
 */
export function forgetDeployed(v: Value): void {
  if (Array.isArray(v)) {
    for (const x of v) forgetDeployed(x);
    return;
  }
  if (!isObject(v)) return;
  forgetOrigin(v);
  for (const k in v) forgetDeployed(v[k] as Value);
}

function hasTwoKeys(v: ValueObject): boolean {
  let n = 0;
  for (const _ in v) if (++n > 1) return true;
  return false;
}
