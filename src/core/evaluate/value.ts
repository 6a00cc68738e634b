/**
 * Values produced by the ARM and Bicep evaluators.
 *
 * A value is plain JSON data, or an explicit {@link Unknown} that records why it could not be
 * computed (a parameter without a value, `reference()`, a runtime-only function...). Unknowns
 * propagate: a function that receives an Unknown it needs returns an Unknown.
 */
export class Unknown {
  readonly kind = 'unknown' as const;
  /** The source text of the expression that produced it, when there is one. */
  readonly text?: string;
  /**
   * A stable stand-in for a value that is fixed but not known here: a parameter without a value,
   * the resource group's name. Two Unknowns with the same symbol are the same value, so IDs built
   * from them still match (`resourceId('...', parameters('lbName'))` on both sides).
   */
  readonly symbol?: string;

  constructor(
    /** Why the value is not known, in words a user understands. */
    readonly reason: string,
    text?: string,
    symbol?: string,
    /**
     * The values it may be, when it is the choice of a condition not known here
     * (`if(cond, a, b)`, `cond ? a : b`): the graph counts what each may add as possible.
     */
    readonly alternatives?: readonly Value[],
  ) {
    this.text = text === undefined ? undefined : shared(text);
    this.symbol = symbol === undefined ? undefined : shared(symbol);
  }
  toString(): string {
    return this.text ?? `<unknown: ${this.reason}>`;
  }
}

/**
 * One copy of each string given to it. With `max`, the table is emptied when it holds that many,
 * so that a long-lived one does not keep every string it ever met.
 */
export function stringInterner(max = Infinity): (s: string) => string {
  const strings = new Map<string, string>();
  return (s) => {
    const known = strings.get(s);
    if (known !== undefined) return known;
    if (strings.size >= max) strings.clear();
    strings.set(s, s);
    return s;
  };
}

/**
 * The Unknown of a symbolic join (`resourceId(...)` with the subscription not known): one object
 * for each one met again, as its strings are (see `shared`). Unknowns are never changed and never
 * keys of a value's origin, so sharing one is safe; a template of 40,000 NICs otherwise keeps
 * three equal Unknowns per NIC. Bounded like `shared`.
 */
export function symbolicUnknown(reason: string, text: string, symbol: string): Unknown {
  const known = unknowns.get(symbol);
  if (known !== undefined && known.reason === reason && known.text === text) return known;
  if (unknowns.size >= 20_000) unknowns.clear();
  const made = new Unknown(reason, text, symbol);
  unknowns.set(symbol, made);
  return made;
}
const unknowns = new Map<string, Unknown>();

/**
 * One copy of an Unknown's text or symbol met again: a template of 40,000 resources evaluates the
 * same `resourceId(...)` 40,000 times, each making the same long symbol (about 20 MB of copies).
 * Bounded: a long editor session does not keep every string it ever met.
 */
const shared = stringInterner(20_000);

/**
 * `if(condition, whenTrue, whenFalse)` with a condition not known here: the same value when both
 * branches are equal, otherwise an Unknown that says why and keeps both branches.
 */
export function undecided(condition: Unknown, whenTrue: Value, whenFalse: Value): Value {
  if (deepEqual(whenTrue, whenFalse)) return whenTrue;
  return new Unknown(condition.reason, condition.text, undefined, [whenTrue, whenFalse]);
}

/** The branch of an undecided condition a value comes from: the condition, and whether it is true there. */
export interface Branch {
  condition: Unknown;
  when: boolean;
}

/**
 * A value, or each value it may be (the branches of an undecided condition, at any depth), with
 * the condition that decides (the outermost) when there is one.
 */
export function branchesOf(v: Value | undefined, depth = 0): { value: Value | undefined; branch?: Branch }[] {
  if (!(v instanceof Unknown) || !v.alternatives || depth > 8) return [{ value: v }];
  return v.alternatives.flatMap((a, i) => branchesOf(a, depth + 1).map((b) => ({ value: b.value, branch: { condition: v, when: i === 0 } })));
}

export type Value = null | boolean | number | string | Value[] | ValueObject | Unknown;
export interface ValueObject {
  [key: string]: Value;
}

export function isUnknown(v: unknown): v is Unknown {
  return v instanceof Unknown;
}

export function isObject(v: Value | undefined): v is ValueObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Unknown);
}

export function isArray(v: Value | undefined): v is Value[] {
  return Array.isArray(v);
}

/** The first Unknown among `values`, if any. */
export function firstUnknown(values: readonly (Value | undefined)[]): Unknown | undefined {
  for (const v of values) if (v instanceof Unknown) return plain(v);
  return undefined;
}

/**
 * The Unknown without the branches it may be: what a function or property access on it gives
 * (`concat(if(c, 'a', 'b'), 'x')` is neither 'a' nor 'b').
 */
export function plain(u: Unknown): Unknown {
  return u.alternatives ? new Unknown(u.reason, u.text, u.symbol) : u;
}

/**
 * Reads a property the way ARM does: keys are case-insensitive. An exact match wins over a
 * case-insensitive one. Returns undefined when the object has no such key.
 */
export function getProp(obj: Value | undefined, key: string): Value | undefined {
  if (!isObject(obj)) return undefined;
  if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  // (for-in and a length test first: most keys differ in length, and no key array is made.)
  for (const k in obj) if (k.length === lower.length && k.toLowerCase() === lower) return obj[k];
  return undefined;
}

/** The actual key (as written) matching `key` case-insensitively. */
export function findKey(obj: ValueObject, key: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(obj, key)) return key;
  const lower = key.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

/** Follows a path of property names (case-insensitive) and array indexes. */
export function getPath(obj: Value | undefined, ...path: (string | number)[]): Value | undefined {
  let cur: Value | undefined = obj;
  for (const p of path) {
    if (cur === undefined || cur === null) return undefined;
    if (cur instanceof Unknown) return cur;
    if (typeof p === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[p];
    } else {
      cur = getProp(cur, p);
    }
  }
  return cur;
}

/** A name for the kind of a value, for messages. */
export function typeName(v: Value | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (v instanceof Unknown) return 'unknown';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}

/** Deep equality as ARM's equals(): strings compare case-sensitively, objects by key set. */
export function deepEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a instanceof Unknown || b instanceof Unknown) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i] as Value));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k] as Value, b[k] as Value));
  }
  return false;
}

/** True when the value contains an Unknown anywhere inside it. */
export function containsUnknown(v: Value | undefined, depth = 0): boolean {
  if (v instanceof Unknown) return true;
  if (depth > 64) return false;
  if (Array.isArray(v)) return v.some((x) => containsUnknown(x, depth + 1));
  if (isObject(v)) return Object.values(v).some((x) => containsUnknown(x, depth + 1));
  return false;
}

/** A short display form of a value for messages: strings as is, Unknowns as their source text. */
export function display(v: Value | undefined): string {
  if (v === undefined) return '(none)';
  if (v instanceof Unknown) return v.text ?? `(unknown: ${v.reason})`;
  if (typeof v === 'string') return v;
  return JSON.stringify(v, (_k, x) => (x instanceof Unknown ? x.toString() : x));
}
