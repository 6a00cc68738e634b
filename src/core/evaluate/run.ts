/**
 * What every evaluation under one deployment root shares: the instances of modules and linked
 * templates already evaluated (by target and inputs), and the budget that bounds the whole root.
 *
 * A module or linked template evaluated with the same inputs deploys the same resources: it is
 * evaluated once, and a second call with those inputs adds nothing but its outputs. So fan-out
 * (30 x 30 x 30 calls of one module) costs what its distinct instances cost, and a cycle through
 * loops is evaluated once around. What is left of a root's cost (distinct instances, each with its
 * own inputs) is bounded by a number of instances and of evaluated bytes; past it, the rest of the
 * root is unknown and one note names the chain where it stopped.
 */
import type { DeploymentScope } from './resources';
import { Unknown, type Value } from './value';

/** Module and linked-template instances one root may evaluate. */
export const MAX_INSTANCES = 2_000;
/** Characters of template text one root may evaluate, summed over its instances. */
export const MAX_EVALUATED_BYTES = 64 * 1024 * 1024;

export class EvaluationRun {
  instances = 0;
  bytes = 0;
  /** The note given when the budget ran out (once per root). */
  stopped: string | undefined;
  private readonly memo = new Map<string, unknown>();

  constructor(
    /** The root file (named in the note). */
    readonly root: string,
    readonly maxInstances: number = MAX_INSTANCES,
    readonly maxBytes: number = MAX_EVALUATED_BYTES,
  ) {}

  /** The outputs of an instance already evaluated with these inputs (see instanceKey). */
  recall<T>(key: string | undefined): { outputs: T } | undefined {
    if (key === undefined || !this.memo.has(key)) return undefined;
    return { outputs: this.memo.get(key) as T };
  }

  remember(key: string | undefined, outputs: unknown): void {
    if (key !== undefined) this.memo.set(key, outputs);
  }

  /**
   * Counts one more instance of a template of `size` characters. Returns undefined when it may
   * be evaluated; otherwise the note to give (only the first time: later refusals return '').
   */
  admit(size: number, chain: string): string | undefined {
    if (this.stopped !== undefined) return '';
    if (this.instances + 1 <= this.maxInstances && this.bytes + size <= this.maxBytes) {
      this.instances++;
      this.bytes += size;
      return undefined;
    }
    const what =
      this.instances + 1 > this.maxInstances
        ? `more than ${this.maxInstances.toLocaleString('en-US')} module and linked-template instances`
        : `more than ${(this.maxBytes / 1048576).toFixed(0)} MB of module and linked-template text`;
    // The chain is the instance's symbol scope: `<root key>>mids[3]>lbs[7]`.
    const [first = '', ...rest] = chain.split('>');
    const path = [shortName(first.split('\u0000')[0] ?? first), ...rest].join(' > ');
    this.stopped = `Evaluation of ${shortName(this.root)} stopped: it needs ${what} (each with its own inputs). Stopped at ${path}; this and the remaining instances are not evaluated, their resources and outputs are unknown.`;
    return this.stopped;
  }
}

/**
 * The identity of an instance: its target, its inputs (parameter values, with an Unknown standing
 * for its symbol or reason), where it deploys, and whatever else it reads of its call (`extra`,
 * such as the deployment name when the template reads `deployment()`). Undefined when the inputs
 * are too large to serve as a key (such an instance is evaluated every time, within the budget).
 */
export function instanceKey(target: string, parameters: Record<string, Value> | Value, scope: DeploymentScope, extra = ''): string | undefined {
  const parts: string[] = [];
  let size = 0;
  const MAX_KEY = 1 << 20;
  const write = (s: string): boolean => {
    size += s.length;
    parts.push(s);
    return size <= MAX_KEY;
  };
  const visit = (v: Value | undefined, depth: number): boolean => {
    if (depth > 64) return false;
    if (v === undefined) return write('u');
    if (v instanceof Unknown) {
      if (!write(`?${JSON.stringify(v.symbol ?? `${v.reason}\u0000${v.text ?? ''}`)}`)) return false;
      // The choice of an undecided condition: two with other branches are other inputs.
      if (!v.alternatives) return true;
      if (!write('<')) return false;
      for (const x of v.alternatives) if (!visit(x, depth + 1) || !write('|')) return false;
      return write('>');
    }
    if (v === null || typeof v !== 'object') return write(JSON.stringify(v));
    if (Array.isArray(v)) {
      if (!write('[')) return false;
      for (const x of v) if (!visit(x, depth + 1) || !write(',')) return false;
      return write(']');
    }
    if (!write('{')) return false;
    const keys = Object.keys(v)
      .map((k) => [k.toLowerCase(), k] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [lower, k] of keys) if (!write(`${JSON.stringify(lower)}:`) || !visit(v[k], depth + 1) || !write(',')) return false;
    return write('}');
  };
  if (!write(`${target}\u0000${extra}\u0000`)) return undefined;
  if (!visit(scope.subscriptionId, 0) || !visit(scope.resourceGroup, 0) || !write('\u0000') || !visit(parameters as Value, 0)) return undefined;
  return parts.join('');
}

const readsName = new WeakMap<object, boolean>();

/** Does a template read its deployment's name (`deployment()`), so that the name is an input? */
export function readsDeploymentName(file: { text: string }): boolean {
  let v = readsName.get(file);
  if (v === undefined) readsName.set(file, (v = /\bdeployment\s*\(/i.test(file.text)));
  return v;
}

export function shortName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
