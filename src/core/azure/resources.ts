/**
 * Deployed resources as the graph takes them: Resource Manager's JSON (as Resource Graph returns
 * it, or as rest-shape.ts puts the SDK's models back) wrapped as EvaluatedResources. Every value
 * is known; every object and array gets an origin whose span names the resource (or the part of
 * it: a rule, a frontend, an ipConfiguration) by its resource ID.
 */
import { setOrigin } from '../evaluate/origin';
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
  const file = DEPLOYED_FILE_PREFIX + id;
  const counter = { n: 0 };
  const end = register(json, file, () => origin(deployedSpan(file, 0, counter.n, id, portal)), portal, counter, id);
  const span = deployedSpan(file, 0, end, id, portal);
  return { file, span, type, name, segments: [name], id, condition: true, existing: false, deployment: DEPLOYED, body: () => json };
}

function deployedSpan(file: string, start: number, end: number, id: string, portal: string | undefined): SourceSpan {
  const url = portalUrl(portal, id);
  return { file, start, end, resource: url === undefined ? { id } : { id, portal: url } };
}

/**
 * Gives each object an origin: the span of the nearest object that is a resource or a part of
 * one (an object with an `id` and more; `{ "id": ... }` alone is a reference to something
 * else). The objects of one part share one origin, made when first asked for (a tenant's
 * million objects cost a map entry each, not a span each); parts nest by a depth-first count.
 */
function register(v: Value, file: string, owner: () => Origin, portal: string | undefined, counter: { n: number }, top?: string): number {
  if (Array.isArray(v)) {
    for (const x of v) register(x, file, owner, portal, counter);
    return counter.n;
  }
  if (!isObject(v)) return counter.n;
  const id = top ?? getProp(v, 'id');
  let own = owner;
  if (typeof id === 'string' && Object.keys(v).length > 1) {
    const start = counter.n++;
    let end = start;
    let made: Origin | undefined;
    own = () => (made ??= origin(deployedSpan(file, start, end, id, portal)));
    for (const k of Object.keys(v)) register(v[k] as Value, file, own, portal, counter);
    end = counter.n;
  } else {
    for (const k of Object.keys(v)) register(v[k] as Value, file, own, portal, counter);
  }
  setOrigin(v, own);
  return counter.n;
}

interface Origin {
  span: SourceSpan;
  property: () => SourceSpan;
  element: () => SourceSpan;
}

/** A deployed value has no finer place than its part: its properties point there too. */
function origin(span: SourceSpan): Origin {
  return { span, property: () => span, element: () => span };
}
