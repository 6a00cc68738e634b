/**
 * The pure functions of the ARM template expression language (concat, format, split, union,
 * cidrSubnet...), shared by the ARM and Bicep evaluators.
 *
 * Each function follows the semantics of the public ARM template function reference. Values are
 * plain JSON data or {@link Unknown}; ARM numbers are 64-bit integers, and results that would
 * leave the range a JavaScript number holds exactly (±2^53) become Unknown rather than wrong.
 *
 * Contract (see functions-api.ts): a function never throws. Wrong arguments give an Unknown whose
 * reason names the function and the problem; an Unknown argument that the result depends on gives
 * that Unknown back.
 *
 * This module must run in any JavaScript runtime: no `vscode`, no Node built-ins. Only the
 * TextEncoder/TextDecoder globals are used.
 */
import type { FunctionSpec } from './functions-api';
import { fromBase64, toBase64 } from '../base64';
import {
  Unknown,
  type Value,
  type ValueObject,
  deepEqual,
  display,
  findKey,
  firstUnknown,
  getProp,
  isArray,
  isObject,
  plain,
  typeName,
  undecided,
} from './value';

// ---------------------------------------------------------------------------------------------
// Argument checking
// ---------------------------------------------------------------------------------------------

/** Longest string this evaluator builds on request (padLeft, format widths). */
const MAX_BUILT_LENGTH = 1_000_000;
/** ARM's own limit on range(). */
const MAX_RANGE_COUNT = 10_000;

/** Carries an Unknown out of a function body; caught in {@link def}, never escapes the module. */
class ArgError extends Error {
  constructor(readonly unknown: Unknown) {
    super(unknown.reason);
  }
}

/** A kind name for messages, telling non-integer numbers apart from ints. */
function kindOf(v: Value | undefined): string {
  return typeof v === 'number' && !Number.isInteger(v) ? 'a non-integer number' : typeName(v);
}

/** Shortens user text quoted in messages. */
function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The arguments of one call, with typed readers that fail with an Unknown naming the function. */
class Args {
  constructor(
    /** The function's name as documented (camelCase), for messages. */
    readonly fn: string,
    readonly values: Value[],
  ) {}

  get count(): number {
    return this.values.length;
  }

  fail(problem: string): never {
    throw new ArgError(new Unknown(`${this.fn}() ${problem}`));
  }

  wrongType(i: number, expected: string): never {
    return this.fail(`expects ${expected} as argument ${i + 1}, got ${kindOf(this.values[i])}`);
  }

  str(i: number): string {
    const v = this.values[i];
    return typeof v === 'string' ? v : this.wrongType(i, 'a string');
  }

  int(i: number): number {
    const v = this.values[i];
    return typeof v === 'number' && Number.isInteger(v) ? v : this.wrongType(i, 'an integer');
  }

  bool(i: number): boolean {
    const v = this.values[i];
    return typeof v === 'boolean' ? v : this.wrongType(i, 'a bool');
  }

  arr(i: number): Value[] {
    const v = this.values[i];
    return isArray(v) ? v : this.wrongType(i, 'an array');
  }

  obj(i: number): ValueObject {
    const v = this.values[i];
    return isObject(v) ? v : this.wrongType(i, 'an object');
  }

  /** A string or an array (take, skip, first, last...). */
  seq(i: number): string | Value[] {
    const v = this.values[i];
    return typeof v === 'string' || isArray(v) ? v : this.wrongType(i, 'a string or an array');
  }

  /** Every argument as a string (uniqueString, guid). */
  strings(): string[] {
    return this.values.map((_, i) => this.str(i));
  }

  /** Fails when a length the caller asked for is too large to build. */
  checkLength(n: number, what: string): void {
    if (n > MAX_BUILT_LENGTH) this.fail(`${what} ${n} exceeds this evaluator's limit of ${MAX_BUILT_LENGTH}`);
  }
}

/**
 * How a function treats Unknown arguments before its body runs:
 * - strict: an Unknown argument is the result (nested Unknowns inside arrays/objects pass through);
 * - deep: an Unknown anywhere inside any argument is the result;
 * - self: the body decides (and, or, if, coalesce, createArray...).
 */
type UnknownPolicy = 'strict' | 'deep' | 'self';

function arityText(min: number, max: number): string {
  const plural = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;
  if (min === max) return `exactly ${plural(min)}`;
  if (max === Infinity) return `at least ${plural(min)}`;
  return `${min} to ${plural(max)}`;
}

/** A function spec whose fn checks arity and Unknowns, then runs `body`, turning failures into Unknowns. */
function def(
  name: string,
  minArgs: number,
  maxArgs: number,
  body: (a: Args) => Value,
  policy: UnknownPolicy = 'strict',
): FunctionSpec {
  return {
    name: name.toLowerCase(),
    minArgs,
    maxArgs,
    fn: (args) => {
      if (args.length < minArgs || args.length > maxArgs) {
        return new Unknown(`${name}() takes ${arityText(minArgs, maxArgs)}, got ${args.length}`);
      }
      if (policy !== 'self') {
        const u = policy === 'deep' ? deepUnknown(args) : firstUnknown(args);
        if (u) return u;
      }
      try {
        return body(new Args(name, args));
      } catch (e) {
        if (e instanceof ArgError) return e.unknown;
        return new Unknown(`${name}() failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Value helpers
// ---------------------------------------------------------------------------------------------

/** The first Unknown anywhere inside `v`. */
function deepUnknown(v: Value): Unknown | undefined {
  if (v instanceof Unknown) return plain(v);
  const children = isArray(v) ? v : isObject(v) ? Object.values(v) : [];
  for (const c of children) {
    const u = deepUnknown(c);
    if (u) return u;
  }
  return undefined;
}

/**
 * equals() over values that may hold Unknowns: false as soon as a known part differs, else the
 * first Unknown met, else true. On fully known values it is exactly {@link deepEqual}.
 */
function equalsTri(a: Value, b: Value): boolean | Unknown {
  if (a instanceof Unknown) return a;
  if (b instanceof Unknown) return b;
  if (isArray(a) && isArray(b)) {
    return a.length === b.length && allTri(a.map((x, i) => equalsTri(x, b[i] as Value)));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    if (!keys.every((k) => Object.prototype.hasOwnProperty.call(b, k))) return false;
    return allTri(keys.map((k) => equalsTri(a[k] as Value, b[k] as Value)));
  }
  return deepEqual(a, b);
}

function allTri(results: (boolean | Unknown)[]): boolean | Unknown {
  if (results.includes(false)) return false;
  return results.find((r): r is Unknown => r instanceof Unknown) ?? true;
}

function anyTri(results: (boolean | Unknown)[]): boolean | Unknown {
  if (results.includes(true)) return true;
  return results.find((r): r is Unknown => r instanceof Unknown) ?? false;
}

/** Sets a property ARM-style: keys are case-insensitive, the first spelling is kept. */
function putProp(obj: ValueObject, key: string, value: Value): void {
  // defineProperty so that a key such as "__proto__" is stored as data.
  Object.defineProperty(obj, findKey(obj, key) ?? key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Distinct elements by deep equality, first occurrence kept. */
function distinct(values: Value[]): Value[] {
  const out: Value[] = [];
  for (const v of values) if (!out.some((x) => deepEqual(x, v))) out.push(v);
  return out;
}

/** string() as ARM does it: bools are 'True'/'False', null is '', arrays and objects compact JSON. */
function armString(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (v === null) return '';
  return JSON.stringify(v);
}

/**
 * Upper-cases each UTF-16 unit on its own, so indexes stay aligned with the original: the
 * equivalent of .NET's OrdinalIgnoreCase, used where ARM compares case-insensitively.
 */
function foldCase(s: string): string {
  let out = '';
  for (const c of s.split('')) {
    const up = c.toUpperCase();
    out += up.length === 1 ? up : c;
  }
  return out;
}

/** Keeps an exact BigInt result, or fails when a number can't hold it exactly. */
function exactInt(a: Args, n: bigint): number {
  const v = Number(n);
  if (!Number.isSafeInteger(v)) a.fail(`result ${n} is outside the integer range this evaluator computes exactly (±2^53)`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Text: splitting, formatting, encodings, hashing, URIs
// ---------------------------------------------------------------------------------------------

/** .NET String.Split(string[]): at each position the first matching delimiter wins. */
function splitBy(s: string, delimiters: string[]): string[] {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < s.length) {
    const d = delimiters.find((x) => s.startsWith(x, i));
    if (d === undefined) {
      i++;
    } else {
      parts.push(s.slice(start, i));
      i += d.length;
      start = i;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/** Digits with ',' between groups of three. */
function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+$)/g, ',');
}

/** Formats one number with a .NET numeric format string (the common subset ARM templates use). */
function formatNumber(a: Args, n: number, spec: string): string {
  if (spec === '') return String(n);
  if (!Number.isInteger(n)) a.fail(`cannot apply format '${spec}' to the non-integer ${n}`);
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.abs(n));
  const standard = /^([DdNnXxFfGg])(\d{0,9})$/.exec(spec);
  if (standard) {
    const [, letter, precisionText] = standard as unknown as [string, string, string];
    const precision = precisionText === '' ? undefined : Number(precisionText);
    a.checkLength(precision ?? 0, 'format precision');
    const decimals = (p: number): string => (p > 0 ? `.${'0'.repeat(p)}` : '');
    switch (letter.toUpperCase()) {
      case 'D':
        return sign + digits.padStart(precision ?? 0, '0');
      case 'N':
        return sign + groupThousands(digits) + decimals(precision ?? 2);
      case 'F':
        return sign + digits + decimals(precision ?? 2);
      case 'G':
        return String(n);
      default: {
        // X: hexadecimal of the 64-bit two's complement, as .NET does for a long.
        const hex = BigInt.asUintN(64, BigInt(n)).toString(16).padStart(precision ?? 0, '0');
        return letter === 'X' ? hex.toUpperCase() : hex;
      }
    }
  }
  if (/^[0#]+$/.test(spec)) {
    // Custom digit placeholders: '0' forces a digit, '#' shows one only when significant.
    const zeros = spec.split('').filter((c) => c === '0').length;
    return n === 0 && zeros === 0 ? '' : sign + digits.padStart(zeros, '0');
  }
  return a.fail(`does not support the format specifier '${spec}'`);
}

/** .NET composite formatting: {index[,alignment][:format]}, with {{ and }} as escapes. */
function format(a: Args): Value {
  const first = a.values[0];
  if (first instanceof Unknown) return first;
  const fmt = a.str(0);
  let out = '';
  let i = 0;
  while (i < fmt.length) {
    const ch = fmt.charAt(i);
    if ((ch === '{' || ch === '}') && fmt.charAt(i + 1) === ch) {
      out += ch;
      i += 2;
      continue;
    }
    if (ch === '}') a.fail(`found an unmatched '}' at position ${i} of the format string`);
    if (ch !== '{') {
      out += ch;
      i++;
      continue;
    }
    const close = fmt.indexOf('}', i);
    if (close < 0) a.fail(`found an unclosed '{' at position ${i} of the format string`);
    const item = /^\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?(?::([^{]*))?$/.exec(fmt.slice(i + 1, close));
    if (!item) return a.fail(`found an invalid format item '${fmt.slice(i, close + 1)}'`);
    const index = Number(item[1]);
    if (index + 1 >= a.count) a.fail(`format item {${index}} has no matching argument`);
    const v = a.values[index + 1] as Value;
    const u = deepUnknown(v);
    if (u) return u;
    const text = typeof v === 'number' ? formatNumber(a, v, item[3] ?? '') : armString(v);
    const width = item[2] === undefined ? 0 : Number(item[2]);
    a.checkLength(Math.abs(width), 'alignment');
    out += width >= 0 ? text.padStart(width) : text.padEnd(-width);
    i = close + 1;
  }
  return out;
}

const UTF8_ENCODER = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in the text, as .NET's Encoding.UTF8.GetString does.
const UTF8_DECODER = new TextDecoder('utf-8', { ignoreBOM: true });
function base64ToText(a: Args, text: string): string {
  const bytes = fromBase64(text);
  return bytes ? UTF8_DECODER.decode(bytes) : a.fail(`expects base64 text, got '${clip(text)}'`);
}

function percentDecode(a: Args, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return a.fail(`cannot decode '${clip(text)}': it isn't valid URI encoding`);
  }
}

/** .NET Uri.EscapeDataString: everything but the RFC 3986 unreserved characters is escaped. */
function escapeDataString(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A 64-bit hash: FNV-1a over the bytes, then a multiply-xorshift finalizer so that every input
 * bit reaches every output bit (FNV alone leaves the low bits weak).
 */
function hash64(bytes: Uint8Array, seed: bigint): bigint {
  let h = 0xcbf29ce484222325n ^ seed;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  h = BigInt.asUintN(64, (h ^ (h >> 33n)) * 0xff51afd7ed558ccdn);
  h = BigInt.asUintN(64, (h ^ (h >> 33n)) * 0xc4ceb9fe1a85ec53n);
  return h ^ (h >> 33n);
}

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * uniqueString(): 13 characters of base32 from a 64-bit hash of the arguments joined with '-'.
 * Stable (same inputs, same result, in every runtime) and shaped like Azure's, but NOT
 * byte-identical to the value Azure computes: Azure's hash is not published.
 */
function uniqueString(a: Args): Value {
  let h = hash64(UTF8_ENCODER.encode(a.strings().join('-')), 0n);
  let out = '';
  for (let i = 0; i < 13; i++) {
    out += BASE32_ALPHABET.charAt(Number(h & 31n));
    h >>= 5n;
  }
  return out;
}

/**
 * guid(): a UUID shaped like RFC 4122 version 5 (version nibble 5, variant 10xx) from two seeded
 * 64-bit hashes of the arguments joined with '-'. Deterministic, but not Azure's value.
 */
function guid(a: Args): Value {
  const bytes = UTF8_ENCODER.encode(a.strings().join('-'));
  const hex = [0n, 0x9e3779b97f4a7c15n].map((seed) => hash64(bytes, seed).toString(16).padStart(16, '0')).join('');
  const variant = '89ab'.charAt(parseInt(hex.charAt(16), 16) & 3);
  const h = `${hex.slice(0, 12)}5${hex.slice(13, 16)}${variant}${hex.slice(17)}`;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

interface UriParts {
  scheme: string | undefined;
  authority: string | undefined;
  path: string;
  query: string | undefined;
  fragment: string | undefined;
}

/** Splits a URI reference with the regular expression of RFC 3986 appendix B. */
function splitUri(s: string): UriParts {
  const m = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s.exec(s);
  return { scheme: m?.[1], authority: m?.[2], path: m?.[3] ?? s, query: m?.[4], fragment: m?.[5] };
}

/** RFC 3986 section 5.2.4. */
function removeDotSegments(path: string): string {
  let input = path;
  const out: string[] = [];
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./') || input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../') || input === '/..') {
      input = `/${input.slice(4)}`;
      out.pop();
    } else if (input === '.' || input === '..') input = '';
    else {
      const end = input.indexOf('/', 1);
      const segment = end < 0 ? input : input.slice(0, end);
      out.push(segment);
      input = input.slice(segment.length);
    }
  }
  return out.join('');
}

/** uri(): RFC 3986 section 5.2 resolution of `relative` against `base`, as ARM documents. */
function resolveUri(a: Args, baseText: string, relativeText: string): string {
  const b = splitUri(baseText);
  if (b.scheme === undefined) a.fail(`expects an absolute base URI, got '${clip(baseText)}'`);
  const r = splitUri(relativeText);
  let t: UriParts;
  if (r.scheme !== undefined) {
    t = { ...r, path: removeDotSegments(r.path) };
  } else if (r.authority !== undefined) {
    t = { ...r, scheme: b.scheme, path: removeDotSegments(r.path) };
  } else if (r.path === '') {
    t = { ...b, query: r.query ?? b.query, fragment: r.fragment };
  } else {
    const merged = r.path.startsWith('/')
      ? r.path
      : b.authority !== undefined && b.path === ''
        ? `/${r.path}`
        : b.path.slice(0, b.path.lastIndexOf('/') + 1) + r.path;
    t = { ...b, path: removeDotSegments(merged), query: r.query, fragment: r.fragment };
  }
  return (
    (t.scheme === undefined ? '' : `${t.scheme}:`) +
    (t.authority === undefined ? '' : `//${t.authority}`) +
    t.path +
    (t.query === undefined ? '' : `?${t.query}`) +
    (t.fragment === undefined ? '' : `#${t.fragment}`)
  );
}

function dataUriToString(a: Args): Value {
  const text = a.str(0);
  const m = /^data:([^,]*),(.*)$/s.exec(text);
  if (!m) return a.fail(`expects a data URI ('data:...,...'), got '${clip(text)}'`);
  const [, meta, data] = m as unknown as [string, string, string];
  return /;base64$/i.test(meta) ? base64ToText(a, data) : percentDecode(a, data);
}

// ---------------------------------------------------------------------------------------------
// IPv4 CIDR
// ---------------------------------------------------------------------------------------------

interface Ipv4Range {
  network: number;
  prefix: number;
  size: number;
  broadcast: number;
}

/** Parses argument i as an IPv4 range; the address is reduced to its network. */
function ipv4Range(a: Args, i: number): Ipv4Range {
  const text = a.str(i);
  if (text.includes(':')) a.fail(`got the IPv6 range '${clip(text)}', and IPv6 is not evaluated`);
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  const numbers = m ? m.slice(1).map(Number) : [];
  const prefix = numbers[4] ?? 99;
  if (!m || prefix > 32 || numbers.slice(0, 4).some((o) => o > 255)) {
    a.fail(`expects an IPv4 range in CIDR notation such as '10.0.0.0/16', got '${clip(text)}'`);
  }
  const address = numbers.slice(0, 4).reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const network = address - (address % size);
  return { network, prefix, size, broadcast: network + size - 1 };
}

function ipv4Text(n: number): string {
  return [2 ** 24, 2 ** 16, 2 ** 8, 1].map((unit) => Math.floor(n / unit) % 256).join('.');
}

/** First and last host addresses. /31 and /32 have no network or broadcast address to reserve. */
function usableHosts(r: Ipv4Range): [number, number] {
  return r.size <= 2 ? [r.network, r.broadcast] : [r.network + 1, r.broadcast - 1];
}

function parseCidr(a: Args): Value {
  const r = ipv4Range(a, 0);
  const [firstUsable, lastUsable] = usableHosts(r);
  return {
    network: ipv4Text(r.network),
    netmask: ipv4Text(2 ** 32 - r.size),
    broadcast: ipv4Text(r.broadcast),
    firstUsable: ipv4Text(firstUsable),
    lastUsable: ipv4Text(lastUsable),
    cidr: r.prefix,
  };
}

function cidrSubnet(a: Args): Value {
  const r = ipv4Range(a, 0);
  const prefix = a.int(1);
  const index = a.int(2);
  if (prefix < r.prefix || prefix > 32) a.fail(`expects a new prefix between ${r.prefix} and 32, got ${prefix}`);
  const count = 2 ** (prefix - r.prefix);
  if (index < 0 || index >= count) a.fail(`subnet index ${index} is outside 0..${count - 1}`);
  return `${ipv4Text(r.network + index * 2 ** (32 - prefix))}/${prefix}`;
}

/** cidrHost(range, 0) is the first usable host (network + 1), as ARM documents. */
function cidrHost(a: Args): Value {
  const r = ipv4Range(a, 0);
  const index = a.int(1);
  const [first, last] = usableHosts(r);
  if (index < 0 || first + index > last) {
    a.fail(`host index ${index} is outside the ${last - first + 1} usable addresses (0..${last - first})`);
  }
  return ipv4Text(first + index);
}

// ---------------------------------------------------------------------------------------------
// Function bodies
// ---------------------------------------------------------------------------------------------

function concat(a: Args): Value {
  if (isArray(a.values[0])) {
    const out: Value[] = [];
    a.values.forEach((v, i) => {
      if (!isArray(v)) a.fail(`cannot mix arrays with ${kindOf(v)} (argument ${i + 1})`);
      for (const x of v) out.push(x);
    });
    return out;
  }
  return a.values
    .map((v, i) => {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return armString(v);
      if (isArray(v)) a.fail(`cannot mix strings with arrays (argument ${i + 1})`);
      return a.wrongType(i, 'a string or an array');
    })
    .join('');
}

function length(a: Args): Value {
  const v = a.values[0];
  if (typeof v === 'string' || isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  return a.wrongType(0, 'a string, an array or an object');
}

/** add, sub, mul, div, mod: exact 64-bit integer arithmetic, division truncating toward zero. */
function arithmetic(op: (x: bigint, y: bigint) => bigint, divides = false) {
  return (a: Args): Value => {
    const x = a.int(0);
    const y = a.int(1);
    if (divides && y === 0) a.fail('cannot divide by zero');
    return exactInt(a, op(BigInt(x), BigInt(y)));
  };
}

/** min, max: integers as arguments, or one array of integers. */
function extreme(pick: (x: number, y: number) => number) {
  return (a: Args): Value => {
    const only = a.values[0];
    const list = a.count === 1 && isArray(only) ? only : a.values;
    if (list.length === 0) a.fail('needs at least one value');
    const ints = list.map((v, i) =>
      typeof v === 'number' && Number.isInteger(v) ? v : a.fail(`expects integers, got ${kindOf(v)} at position ${i + 1}`),
    );
    return ints.reduce((x, y) => pick(x, y));
  };
}

/** and, or: every argument must be a bool; one decisive value settles it even beside Unknowns. */
function logical(decisive: boolean) {
  return (a: Args): Value => {
    let unknown: Unknown | undefined;
    let decided = false;
    a.values.forEach((v, i) => {
      if (v instanceof Unknown) unknown ??= v;
      else if (typeof v !== 'boolean') a.wrongType(i, 'a bool');
      else if (v === decisive) decided = true;
    });
    return decided ? decisive : (unknown ?? !decisive);
  };
}

function ifFunction(a: Args): Value {
  const [condition, whenTrue, whenFalse] = a.values as [Value, Value, Value];
  if (condition instanceof Unknown) return undecided(condition, whenTrue, whenFalse);
  return a.bool(0) ? whenTrue : whenFalse;
}

/** greater, less...: two integers, or two strings compared ordinally. */
function comparison(test: (order: number) => boolean) {
  return (a: Args): Value => {
    const [x, y] = a.values;
    if ((typeof x === 'number' && typeof y === 'number') || (typeof x === 'string' && typeof y === 'string')) {
      return test(x < y ? -1 : x > y ? 1 : 0);
    }
    return a.fail(`compares two integers or two strings, got ${kindOf(x)} and ${kindOf(y)}`);
  };
}

function empty(a: Args): Value {
  const v = a.values[0];
  if (v instanceof Unknown) {
    if (nonEmptyText(v)) return false;
    // The choice of an undecided condition: known when every choice gives the same answer.
    const each = v.alternatives?.map((x) => {
      try {
        return empty(new Args(a.fn, [x]));
      } catch {
        return undefined;
      }
    });
    if (each?.length && each.every((x) => x === each[0]) && typeof each[0] === 'boolean') return each[0];
    return v;
  }
  if (v === null) return true;
  if (typeof v === 'string' || isArray(v)) return v.length === 0;
  if (isObject(v)) return Object.keys(v).length === 0;
  return a.wrongType(0, 'a string, an array, an object or null');
}

/**
 * A value not known here that is surely not empty: a join of known text and fixed stand-ins (a
 * resource ID such as `/subscriptions/{subscription().subscriptionId}/.../loadBalancers/ilb`,
 * `concat('vm-', parameters('x'))`). Its known text, outside the stand-ins' braces, is not empty.
 */
function nonEmptyText(v: Unknown): boolean {
  if (v.symbol === undefined || !v.symbol.includes('{')) return false;
  let depth = 0;
  for (const ch of v.symbol) {
    if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    else if (depth === 0) return true;
  }
  return false;
}

/** The text an item to find stands for in a string or among object keys (ints allowed). */
function searchText(a: Args, i: number): string {
  const v = a.values[i];
  return typeof v === 'number' && Number.isInteger(v) ? String(v) : a.str(i);
}

function contains(a: Args): Value {
  const [container, item] = a.values as [Value, Value];
  if (typeof container === 'string') return container.includes(searchText(a, 1));
  if (isArray(container)) return anyTri(container.map((x) => equalsTri(x, item)));
  if (isObject(container)) return findKey(container, searchText(a, 1)) !== undefined;
  return a.wrongType(0, 'a string, an array or an object');
}

function toInt(a: Args): Value {
  const v = a.values[0];
  if (typeof v === 'number') {
    return Number.isInteger(v) ? v : a.fail(`cannot convert the non-integer ${v} to an integer`);
  }
  if (typeof v !== 'string') return a.wrongType(0, 'a string or an integer');
  const text = v.trim();
  if (!/^[+-]?\d+$/.test(text)) a.fail(`cannot convert '${clip(v)}' to an integer`);
  return exactInt(a, BigInt(text));
}

function toBool(a: Args): Value {
  const v = a.values[0];
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v !== 'string') return a.wrongType(0, 'a string, an integer or a bool');
  const text = v.trim().toLowerCase();
  if (text === 'true' || text === 'false') return text === 'true';
  return a.fail(`cannot convert '${clip(v)}' to a bool`);
}

function split(a: Args): Value {
  const s = a.str(0);
  const d = a.values[1];
  if (typeof d !== 'string' && !isArray(d)) return a.wrongType(1, 'a string or an array of strings');
  const delimiters = (typeof d === 'string' ? [d] : d).map((x, i) =>
    typeof x === 'string' ? x : a.fail(`expects string delimiters, got ${kindOf(x)} at position ${i + 1}`),
  );
  // As .NET: empty delimiters are ignored.
  return splitBy(s, delimiters.filter((x) => x !== ''));
}

function replace(a: Args): Value {
  const [s, from, to] = [a.str(0), a.str(1), a.str(2)];
  if (from === '') a.fail('cannot replace an empty string');
  return s.split(from).join(to);
}

function substring(a: Args): Value {
  const s = a.str(0);
  const start = a.count > 1 ? a.int(1) : 0;
  if (start < 0 || start > s.length) a.fail(`start index ${start} is outside the string of length ${s.length}`);
  const count = a.count > 2 ? a.int(2) : s.length - start;
  if (count < 0 || start + count > s.length) {
    a.fail(`index ${start} and length ${count} must refer to a location within the string of length ${s.length}`);
  }
  return s.slice(start, start + count);
}

/** take, skip: the count is clamped to 0..length. */
function slicer(keepFront: boolean) {
  return (a: Args): Value => {
    const v = a.seq(0);
    const n = Math.min(Math.max(a.int(1), 0), v.length);
    return keepFront ? v.slice(0, n) : v.slice(n);
  };
}

/** first, last: an empty string gives '', an empty array null. */
function edge(front: boolean) {
  return (a: Args): Value => {
    const v = a.seq(0);
    if (v.length === 0) return typeof v === 'string' ? '' : null;
    return v[front ? 0 : v.length - 1] as Value;
  };
}

/** indexOf, lastIndexOf: strings case-insensitively (as ARM), arrays by deep equality. */
function finder(fromEnd: boolean) {
  return (a: Args): Value => {
    const hay = a.values[0];
    if (typeof hay === 'string') {
      const [h, n] = [foldCase(hay), foldCase(searchText(a, 1))];
      return fromEnd ? h.lastIndexOf(n) : h.indexOf(n);
    }
    if (!isArray(hay)) return a.wrongType(0, 'a string or an array');
    const order = hay.map((_, i) => i);
    if (fromEnd) order.reverse();
    let pending: Unknown | undefined;
    for (const i of order) {
      const r = equalsTri(hay[i] as Value, a.values[1] as Value);
      if (r === true) return pending ?? i;
      if (r instanceof Unknown) pending ??= r;
    }
    return pending ?? -1;
  };
}

/** startsWith, endsWith: case-insensitive, as ARM. */
function affix(atStart: boolean) {
  return (a: Args): Value => {
    const [s, part] = [foldCase(a.str(0)), foldCase(a.str(1))];
    return atStart ? s.startsWith(part) : s.endsWith(part);
  };
}

function createObject(a: Args): Value {
  if (a.count % 2 !== 0) a.fail(`takes key/value pairs, got an odd number of arguments (${a.count})`);
  const out: ValueObject = {};
  for (let i = 0; i < a.count; i += 2) {
    const key = a.values[i];
    if (key instanceof Unknown) return key;
    putProp(out, a.str(i), a.values[i + 1] as Value);
  }
  return out;
}

/**
 * union of objects: later values win; nested objects are merged recursively (ARM's deep merge),
 * anything else (arrays included) is replaced. A later object meeting an Unknown stays Unknown,
 * since the Unknown might have been an object to merge with.
 */
function mergeObjects(base: ValueObject, extra: ValueObject): ValueObject {
  const out: ValueObject = {};
  for (const [k, v] of Object.entries(base)) putProp(out, k, v);
  for (const [k, v] of Object.entries(extra)) {
    const previous = getProp(out, k);
    if (isObject(v) && isObject(previous)) putProp(out, k, mergeObjects(previous, v));
    else if (isObject(v) && previous instanceof Unknown) putProp(out, k, previous);
    else putProp(out, k, v);
  }
  return out;
}

function union(a: Args): Value {
  const vs = a.values;
  if (vs.every(isObject)) return vs.reduce(mergeObjects, {});
  if (vs.every(isArray)) return deepUnknown(vs) ?? distinct(vs.flat());
  return a.fail(`expects all arguments to be arrays or all to be objects, got ${vs.map(kindOf).join(', ')}`);
}

function intersection(a: Args): Value {
  const vs = a.values;
  if (vs.every(isObject)) {
    const [first, ...rest] = vs as [ValueObject, ...ValueObject[]];
    const out: ValueObject = {};
    const inAll = (k: string, v: Value): boolean =>
      rest.every((o) => {
        const other = getProp(o, k);
        return other !== undefined && deepEqual(v, other);
      });
    for (const [k, v] of Object.entries(first)) if (inAll(k, v)) putProp(out, k, v);
    return out;
  }
  if (vs.every(isArray)) {
    const [first, ...rest] = vs as [Value[], ...Value[][]];
    return distinct(first).filter((x) => rest.every((r) => r.some((y) => deepEqual(x, y))));
  }
  return a.fail(`expects all arguments to be arrays or all to be objects, got ${vs.map(kindOf).join(', ')}`);
}

function range(a: Args): Value {
  const start = a.int(0);
  const count = a.int(1);
  if (count < 0) a.fail(`expects a count of 0 or more, got ${count}`);
  if (count > MAX_RANGE_COUNT) a.fail(`count ${count} exceeds the limit of ${MAX_RANGE_COUNT}`);
  if (start + count > 2 ** 31 - 1) a.fail(`start ${start} plus count ${count} must not exceed 2147483647`);
  return Array.from({ length: count }, (_, i) => start + i);
}

function json(a: Args): Value {
  const text = a.str(0);
  try {
    return JSON.parse(text) as Value;
  } catch {
    return a.fail(`cannot parse '${clip(text)}' as JSON`);
  }
}

function coalesce(a: Args): Value {
  // The first non-null argument; an Unknown met first might have been null, so it is the result.
  return a.values.find((v) => v !== null) ?? null;
}

function padLeft(a: Args): Value {
  const v = a.values[0];
  if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) a.wrongType(0, 'a string or an integer');
  const text = String(v);
  const total = a.int(1);
  if (total < 0) a.fail(`expects a total length of 0 or more, got ${total}`);
  a.checkLength(total, 'total length');
  const pad = a.count > 2 ? a.str(2) : ' ';
  if (pad.length !== 1) a.fail(`expects a single padding character, got '${clip(pad)}'`);
  return text.padStart(total, pad);
}

function join(a: Args): Value {
  const delimiter = a.str(1);
  return a
    .arr(0)
    .map((x, i) =>
      typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean'
        ? armString(x)
        : a.fail(`expects an array of strings, got ${kindOf(x)} at position ${i + 1}`),
    )
    .join(delimiter);
}

/** tryGet(value, key or index, ...): null where ARM's safe access finds nothing. */
function tryGet(a: Args): Value {
  let current = a.values[0] as Value;
  for (let i = 1; i < a.count; i++) {
    if (current === null) return null;
    if (current instanceof Unknown) return current;
    const key = a.values[i];
    if (isObject(current)) {
      if (typeof key !== 'string') return a.wrongType(i, 'a string key for an object');
      current = getProp(current, key) ?? null;
    } else if (isArray(current)) {
      if (typeof key !== 'number' || !Number.isInteger(key)) return a.wrongType(i, 'an integer index for an array');
      current = current[key] ?? null;
    } else {
      return a.fail(`cannot look up ${display(key)} in ${kindOf(current)}`);
    }
  }
  return current;
}

function items(a: Args): Value {
  const o = a.obj(0);
  // Sorted by key; case-insensitively first, ordinal to break ties.
  const order = (x: string, y: string): number => {
    const [fx, fy] = [foldCase(x), foldCase(y)];
    return fx < fy ? -1 : fx > fy ? 1 : x < y ? -1 : x > y ? 1 : 0;
  };
  return Object.keys(o)
    .sort(order)
    .map((key) => ({ key, value: o[key] as Value }));
}

function runtimeOnly(a: Args): Value {
  return new Unknown(`${a.fn}() is only known at deployment time`);
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

const SPECS: FunctionSpec[] = [
  // Strings
  def('concat', 1, Infinity, concat),
  def('format', 1, Infinity, format, 'self'),
  def('string', 1, 1, (a) => armString(a.values[0] as Value), 'deep'),
  def('toLower', 1, 1, (a) => a.str(0).toLowerCase()),
  def('toUpper', 1, 1, (a) => a.str(0).toUpperCase()),
  def('trim', 1, 1, (a) => a.str(0).trim()),
  def('split', 2, 2, split, 'deep'),
  def('join', 2, 2, join, 'deep'),
  def('replace', 3, 3, replace),
  def('substring', 1, 3, substring),
  def('padLeft', 2, 3, padLeft),
  def('startsWith', 2, 2, affix(true)),
  def('endsWith', 2, 2, affix(false)),
  def('indexOf', 2, 2, finder(false)),
  def('lastIndexOf', 2, 2, finder(true)),
  def('base64', 1, 1, (a) => toBase64(UTF8_ENCODER.encode(a.str(0)))),
  def('base64ToString', 1, 1, (a) => base64ToText(a, a.str(0))),
  def('uri', 2, 2, (a) => resolveUri(a, a.str(0), a.str(1))),
  def('uriComponent', 1, 1, (a) => escapeDataString(a.str(0))),
  def('uriComponentToString', 1, 1, (a) => percentDecode(a, a.str(0))),
  def('dataUri', 1, 1, (a) => `data:text/plain;charset=utf8;base64,${toBase64(UTF8_ENCODER.encode(a.str(0)))}`),
  def('dataUriToString', 1, 1, dataUriToString),
  def('uniqueString', 1, Infinity, uniqueString),
  def('guid', 1, Infinity, guid),

  // Strings and arrays
  def('length', 1, 1, length),
  def('empty', 1, 1, empty, 'self'),
  def('contains', 2, 2, contains),
  def('take', 2, 2, slicer(true)),
  def('skip', 2, 2, slicer(false)),
  def('first', 1, 1, edge(true)),
  def('last', 1, 1, edge(false)),

  // Arrays and objects
  def('array', 1, 1, (a) => (isArray(a.values[0]) ? a.values[0] : [a.values[0] as Value])),
  def('createArray', 0, Infinity, (a) => [...a.values], 'self'),
  def('createObject', 0, Infinity, createObject, 'self'),
  def('union', 2, Infinity, union),
  def('intersection', 2, Infinity, intersection, 'deep'),
  def('range', 2, 2, range),
  def('objectKeys', 1, 1, (a) => Object.keys(a.obj(0))),
  def('items', 1, 1, items),
  def('tryGet', 2, Infinity, tryGet),
  def('json', 1, 1, json),
  def('coalesce', 1, Infinity, coalesce, 'self'),
  def('null', 0, 0, () => null),

  // Numbers
  def('add', 2, 2, arithmetic((x, y) => x + y)),
  def('sub', 2, 2, arithmetic((x, y) => x - y)),
  def('mul', 2, 2, arithmetic((x, y) => x * y)),
  def('div', 2, 2, arithmetic((x, y) => x / y, true)),
  def('mod', 2, 2, arithmetic((x, y) => x % y, true)),
  def('min', 1, Infinity, extreme(Math.min), 'deep'),
  def('max', 1, Infinity, extreme(Math.max), 'deep'),
  def('int', 1, 1, toInt),

  // Logic and comparison
  def('equals', 2, 2, (a) => equalsTri(a.values[0] as Value, a.values[1] as Value), 'self'),
  def('not', 1, 1, (a) => !a.bool(0)),
  def('and', 2, Infinity, logical(false), 'self'),
  def('or', 2, Infinity, logical(true), 'self'),
  def('if', 3, 3, ifFunction, 'self'),
  def('bool', 1, 1, toBool),
  def('true', 0, 0, () => true),
  def('false', 0, 0, () => false),
  def('greater', 2, 2, comparison((o) => o > 0)),
  def('greaterOrEquals', 2, 2, comparison((o) => o >= 0)),
  def('less', 2, 2, comparison((o) => o < 0)),
  def('lessOrEquals', 2, 2, comparison((o) => o <= 0)),

  // IPv4 CIDR
  def('parseCidr', 1, 1, parseCidr),
  def('cidrSubnet', 3, 3, cidrSubnet),
  def('cidrHost', 2, 2, cidrHost),

  // Known only at deployment time
  def('utcNow', 0, 1, runtimeOnly, 'self'),
  def('newGuid', 0, 0, runtimeOnly, 'self'),
  def('dateTimeAdd', 2, 3, runtimeOnly, 'self'),
];

/** The pure functions, keyed by lower-case name. */
export const PURE_FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map(SPECS.map((s) => [s.name, s]));

/**
 * Calls the pure function `name` (case-insensitive). Returns undefined when there is no pure
 * function of that name, so that the caller can try its context functions.
 */
export function callPure(name: string, args: Value[]): Value | undefined {
  const spec = PURE_FUNCTIONS.get(name.toLowerCase());
  // spec.fn checks the arity itself, so that PURE_FUNCTIONS is as safe to call as callPure.
  return spec ? spec.fn(args) : undefined;
}
