/**
 * Evaluated resources and resource IDs, shared by the ARM and Bicep evaluators.
 */
import type { SourceSpan } from '../source';
import { Unknown, plain, symbolicUnknown, type Value, type ValueObject } from './value';

/** ARM's limit on the iterations of one copy loop. */
export const ARM_COPY_LIMIT = 800;

/** Evaluation steps one template may take before the rest of it is left unknown. */
export const DEFAULT_BUDGET = 2_000_000;
/** Nesting of values and calls past which nothing is evaluated (keeps the stack safe). */
export const MAX_NESTING = 400;
/** Strings longer than this are not built (a template that builds one cannot deploy). */
export const MAX_STRING = 1_000_000;

/** Thrown inside an evaluator when its budget is spent; caught where it turns into an Unknown. */
export class BudgetExceeded extends Error {}

export interface EvaluationProblem {
  span: SourceSpan;
  message: string;
  severity: 'warning' | 'info';
}

/** A module declaration that a nested evaluation came through. */
export interface ModuleCall {
  /** The file that declares the module. */
  file: string;
  /** The module's symbolic name in that file. */
  span: SourceSpan;
  name: string;
  /** The path of the module's target file. */
  target: string;
}

/** One resource that a deployment would create (one per copy iteration). */
/** The prefix of a deployed resource's `file` (followed by its resource ID): core/azure reads them. */
export const DEPLOYED_FILE_PREFIX = 'azure:';

/** Is this the `file` of a resource read from Azure (not from a template)? */
export function isDeployedFile(file: string): boolean {
  return file.startsWith(DEPLOYED_FILE_PREFIX);
}

export interface EvaluatedResource {
  file: string;
  /** The resource declaration (for a copy loop, the whole loop). */
  span: SourceSpan;
  /** Full type as written, e.g. `Microsoft.Network/loadBalancers/backendAddressPools` ('' if unknown). */
  type: string;
  /** Full name (`lb/pool` for a child), or an Unknown. */
  name: Value;
  /** The name's segments (`lb`, `pool` for a child): kept apart, since a symbolic name cannot be split. */
  segments: Value[];
  /** The resource ID, a string or a symbolic Unknown. */
  id: Value;
  /** true, or an Unknown when the condition cannot be evaluated. */
  condition: true | Unknown;
  /** Declared `existing` (a reference, not a deployment). */
  existing: boolean;
  symbolicName?: string;
  /**
   * The deployment (one evaluation of one template) it belongs to. When two templates declare the
   * same resource ID, references prefer the declaration in their own deployment.
   */
  deployment: string;
  /** The parameter file (or .bicepparam) its deployment was evaluated with, when not the defaults. */
  parameterSource?: string;
  parent?: EvaluatedResource;
  /**
   * Set on a module (nested deployment) whose template is not read: a registry module, or a local
   * one that is not in the workspace. Its body holds the parameters passed to it.
   */
  opaque?: { path: string; reason: string };
  /** The module declarations it was deployed through, outermost first. */
  via?: ModuleCall[];
  copy?: { loopName: string | undefined; index: Value; countKnown: boolean };
  /** The evaluated declaration (properties, sku, ...), computed on first use. */
  body(): ValueObject;
}

const SUBSCRIPTION_ID = new Unknown('the subscription is known at deployment', 'subscription().subscriptionId', 'subscription().subscriptionId');
const RESOURCE_GROUP_NAME = new Unknown('the resource group is known at deployment', 'resourceGroup().name', 'resourceGroup().name');
const TENANT_ID = new Unknown('the tenant is known at deployment', 'tenant().tenantId', 'tenant().tenantId');

/** Where a deployment deploys: its subscription and resource group (values, often symbolic). */
export interface DeploymentScope {
  subscriptionId: Value;
  resourceGroup: Value;
}

/** The scope a top-level deployment has: the subscription and group it is deployed to. */
export const CURRENT_SCOPE: DeploymentScope = { subscriptionId: SUBSCRIPTION_ID, resourceGroup: RESOURCE_GROUP_NAME };

/** The scope `scope: resourceGroup('name')` names (a value with `name` and maybe `subscriptionId`). */
export function scopeFrom(value: Value | undefined, current: DeploymentScope): DeploymentScope {
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Unknown) return current;
  const name = (value as ValueObject).name;
  const sub = (value as ValueObject).subscriptionId;
  const type = (value as ValueObject).type;
  if (name === undefined || (typeof type === 'string' && type.toLowerCase() !== 'microsoft.resources/resourcegroups')) return current;
  return { subscriptionId: sub ?? current.subscriptionId, resourceGroup: name };
}

/**
 * The deployment's own scope. Its IDs and names are symbolic Unknowns: they are fixed for one
 * deployment, so IDs built from them still compare equal, but they are never guessed.
 */
export function deploymentScopeValues(scope: DeploymentScope = CURRENT_SCOPE): {
  resourceGroup: ValueObject;
  subscription: ValueObject;
  deployment: ValueObject;
  tenant: ValueObject;
} {
  const subId = joinParts(['/subscriptions/', scope.subscriptionId]);
  return {
    subscription: {
      id: subId,
      subscriptionId: scope.subscriptionId,
      tenantId: TENANT_ID,
      displayName: new Unknown('the subscription is known at deployment', 'subscription().displayName'),
    },
    resourceGroup: {
      id: joinParts([subId, '/resourceGroups/', scope.resourceGroup]),
      name: scope.resourceGroup,
      subscriptionId: scope.subscriptionId,
      type: 'Microsoft.Resources/resourceGroups',
      location: new Unknown('the resource group location is known at deployment', 'resourceGroup().location'),
      managedBy: null,
      tags: {},
      properties: { provisioningState: 'Succeeded' },
    },
    deployment: {
      name: new Unknown('the deployment name is known at deployment', 'deployment().name', 'deployment().name'),
      properties: {
        templateLink: new Unknown('the template link is known at deployment', 'deployment().properties.templateLink'),
      },
      location: new Unknown('the deployment location is known at deployment', 'deployment().location'),
    },
    tenant: { tenantId: TENANT_ID, countryCode: new Unknown('known at deployment'), displayName: new Unknown('known at deployment') },
  };
}

/**
 * Concatenates strings, numbers and symbolic Unknowns. Known parts give a string; symbolic parts
 * give a symbolic Unknown whose symbol spells the whole; a non-symbolic Unknown is returned as is.
 */
export function joinParts(parts: Value[]): Value {
  let allKnown = true;
  for (const p of parts) {
    if (p instanceof Unknown) {
      if (p.symbol === undefined) return plain(p);
      allKnown = false;
    } else if (typeof p !== 'string' && typeof p !== 'number') {
      return new Unknown('only strings can be joined');
    }
  }
  if (allKnown) return parts.join('');
  // An atomic symbol is wrapped in braces; a symbol that is itself a join is inlined as it is.
  const wrap = (s: string): string => (s.includes('{') ? s : `{${s}}`);
  const symbol = parts.map((p) => (p instanceof Unknown ? wrap(p.symbol as string) : String(p))).join('');
  const text = parts.map((p) => (p instanceof Unknown ? wrap(p.text ?? (p.symbol as string)) : String(p))).join('');
  const reason = (parts.find((p) => p instanceof Unknown) as Unknown).reason;
  return symbolicUnknown(reason, text, symbol);
}

type IdScope = 'resourceGroup' | 'subscription' | 'tenant' | 'extension' | 'managementGroup';

const TYPE_PATTERN = /^[^/\s]+\.[^/\s]+(\/[^/\s]+)+\/?$/;

/**
 * resourceId() and its relatives, with every arity: the first argument that looks like a
 * resource type (`Namespace.Provider/type[/child...]`) splits scope arguments from names.
 */
export function buildResourceId(scope: IdScope, args: Value[], deploymentScope: DeploymentScope = CURRENT_SCOPE): Value {
  let typeIndex = -1;
  const first = scope === 'extension' ? 1 : 0;
  for (let i = first; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'string' && TYPE_PATTERN.test(a)) {
      typeIndex = i;
      break;
    }
    if (a instanceof Unknown && i >= first + 2) return new Unknown('the resource type of resourceId() is not known');
  }
  if (typeIndex < 0) return new Unknown('resourceId() needs a resource type such as Microsoft.Network/loadBalancers');
  const type = (args[typeIndex] as string).replace(/\/+$/, '');
  const names = args.slice(typeIndex + 1);
  const [namespace, ...types] = type.split('/');
  if (names.length !== types.length) {
    return new Unknown(`resourceId() for '${type}' needs ${types.length} name(s), got ${names.length}`);
  }
  const prefix = args.slice(first, typeIndex);
  const sub = deploymentScope.subscriptionId;
  const rg = deploymentScope.resourceGroup;
  const parts: Value[] = [];
  switch (scope) {
    case 'resourceGroup': {
      const [s, g] = prefix.length >= 2 ? prefix : prefix.length === 1 ? [sub, prefix[0]] : [sub, rg];
      parts.push('/subscriptions/', s as Value, '/resourceGroups/', g as Value);
      break;
    }
    case 'subscription':
      parts.push('/subscriptions/', (prefix[0] ?? sub) as Value);
      break;
    case 'managementGroup':
      parts.push('/providers/Microsoft.Management/managementGroups/', (prefix[0] ?? new Unknown('the management group is known at deployment')) as Value);
      break;
    case 'extension':
      parts.push((args[0] ?? new Unknown('extensionResourceId() needs a resource ID')) as Value);
      break;
    case 'tenant':
      break;
  }
  parts.push('/providers/', namespace as string);
  types.forEach((t, i) => parts.push('/', t, '/', names[i] as Value));
  return joinParts(parts);
}

const CURRENT_SCOPE_PREFIX = '/subscriptions/{subscription().subscriptionid}/resourcegroups/{resourcegroup().name}';

/**
 * The key two references to one resource share: lower case, no trailing slash, and with the
 * deployment's own subscription and resource group left out. Undefined when it cannot be known.
 */
export function idKey(id: Value | undefined): string | undefined {
  let s: string | undefined;
  if (typeof id === 'string') s = id;
  else if (id instanceof Unknown && id.symbol !== undefined) s = id.symbol;
  if (s === undefined) return undefined;
  s = s.trim().toLowerCase().replace(/\/+$/, '');
  if (s.startsWith(CURRENT_SCOPE_PREFIX)) s = s.slice(CURRENT_SCOPE_PREFIX.length);
  return s;
}

/**
 * A function of fixed-but-unknown values is itself fixed: `uniqueString(resourceGroup().id)` is
 * the same wherever it is written. Such a call gets a symbol built from its arguments' symbols,
 * so names and IDs built from it still match. Undefined when an argument is a plain Unknown.
 */
export function symbolicCall(name: string, args: Value[], result: Unknown): Unknown | undefined {
  let symbolic = false;
  const canonical = (v: Value): string | undefined => {
    if (v instanceof Unknown) {
      if (v.symbol === undefined) return undefined;
      symbolic = true;
      return v.symbol.includes('{') ? v.symbol : `{${v.symbol}}`;
    }
    if (Array.isArray(v)) {
      const parts = v.map(canonical);
      return parts.some((x) => x === undefined) ? undefined : `[${parts.join(',')}]`;
    }
    if (v !== null && typeof v === 'object') {
      const parts = Object.keys(v).map((k) => {
        const c = canonical(v[k] as Value);
        return c === undefined ? undefined : `${JSON.stringify(k)}:${c}`;
      });
      return parts.some((x) => x === undefined) ? undefined : `{${parts.join(',')}}`;
    }
    return JSON.stringify(v);
  };
  const parts = args.map(canonical);
  if (!symbolic || parts.some((x) => x === undefined)) return undefined;
  return new Unknown(result.reason, `${name}(…)`, `{${name.toLowerCase()}(${parts.join(',')})}`);
}
