/**
 * Decides from a JSON file's text, before anything is parsed, that it is a deployment template
 * which cannot add to the network graph, so that it need not be parsed at all (most templates of
 * a workspace declare storage, databases, security rules...).
 *
 * One pass over the characters, building nothing: it checks that the text is strict JSON (exactly
 * the grammar JSON.parse accepts), that its top level makes it a deployment template (as
 * `classify` in arm.ts decides), and that every resource has a plain `type` that is none of the
 * graph's (see GRAPH_TYPES in arm.ts). Conservative: whenever it is not certain (comments, escapes
 * in keys or types, a `type` built by an expression, a resource without a type, a parameters file,
 * deep nesting) it answers false and the file takes the ordinary path (JSON.parse, mayAddToGraph).
 * So `certainlyInertTemplate(text) === true` implies `parseArm` classifies the text as a
 * deployment template without errors and `mayAddToGraph` of it is false.
 */

/** Substrings (lower case) of every type the graph reads; a type containing one may matter. */
const GRAPH_TYPE_PARTS = ['loadbalancer', 'networkinterface', 'virtualmachine', 'deployment', 'backendaddresspool'];
const TEMPLATE_SCHEMA = /deploymenttemplate\.json/i;
const PARAMETERS_SCHEMA = /deploymentparameters\.json/i;
const MAX_DEPTH = 512;

// Container flags on the stack.
const OBJECT = 1;
/** The value of a `resources` key: its elements (array) or property values (object) are resources. */
const RESOURCES = 2;
/** An object that is a resource: it must have a plain `type`. */
const RESOURCE = 4;
const HAS_TYPE = 8;

// What the key being read's value is.
const KEY_OTHER = 0;
const KEY_TYPE = 1;
const KEY_RESOURCES = 2;
const KEY_SCHEMA = 3;

export function certainlyInertTemplate(text: Uint8Array): boolean {
  const n = text.length;
  const stack = new Uint8Array(MAX_DEPTH + 1);
  let depth = 0;
  // A UTF-8 byte order mark is skipped (as decodeText does); other bytes that are not ASCII are
  // only accepted inside strings (where any character is).
  let i = text[0] === 0xef && text[1] === 0xbb && text[2] === 0xbf ? 3 : 0;
  let key = KEY_OTHER;
  let schema: string | undefined;
  let schemaKeys = 0;
  let topResources = false;
  let topContentVersion = false;
  // (Plain locals and helpers that return indices: no closure over changing variables, which
  // would make every access to them a memory access.)
  let expectKey = false;

  for (;;) {
    i = skipSpace(text, i, n);
    if (expectKey) {
      // A key, then its colon; sets `key`.
      expectKey = false;
      if ((text[i] as number) !== 34) return false;
      const r = readString(text, i, n);
      if (r < 0 || r & 1) return false; // an escape could spell `type` or `resources`
      const end = r >> 1;
      const length = end - i - 2;
      key = KEY_OTHER;
      if (length === 4) {
        if (isWord(text, i + 1, 'type')) key = KEY_TYPE;
      } else if (length === 9) {
        if (isWord(text, i + 1, 'resources')) {
          key = KEY_RESOURCES;
          if (depth === 1) topResources = true;
        }
      } else if (depth === 1 && length === 7) {
        if (isWord(text, i + 1, '$schema')) {
          key = KEY_SCHEMA;
          schemaKeys++;
        }
      } else if (depth === 1 && length === 14) {
        if (isWord(text, i + 1, 'contentversion')) topContentVersion = true;
      }
      i = skipSpace(text, end, n);
      if ((text[i] as number) !== 58 /* : */) return false;
      i = skipSpace(text, i + 1, n);
    }
    // A value at i.
    if (i >= n) return false;
    const c = text[i] as number;
    const parent = depth > 0 ? (stack[depth] as number) : 0;
    if (c === 34 /* " */) {
      const r = readString(text, i, n);
      if (r < 0) return false;
      const end = r >> 1;
      if (key === KEY_TYPE) {
        if (r & 1) return false;
        const type = lowerAscii(text, i + 1, end - 1);
        if (type === undefined || type.startsWith('[')) return false;
        for (const part of GRAPH_TYPE_PARTS) if (type.includes(part)) return false;
        if (parent & OBJECT) stack[depth] = parent | HAS_TYPE;
      } else if (key === KEY_SCHEMA) {
        if (r & 1) return false;
        schema = lowerAscii(text, i + 1, end - 1);
        if (schema === undefined) return false;
      }
      i = end;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (key === KEY_TYPE || key === KEY_SCHEMA || depth === MAX_DEPTH) return false;
      if (depth === 0 && c !== 123) return false; // a template is an object
      let flags = c === 123 ? OBJECT : 0;
      if (key === KEY_RESOURCES) flags |= RESOURCES;
      if (c === 123 && parent & RESOURCES) flags |= RESOURCE;
      i = skipSpace(text, i + 1, n);
      if ((text[i] as number) === (c === 123 ? 125 : 93)) {
        // An empty container; `{}` as a resource has no type.
        if (flags & RESOURCE) return false;
        i++;
      } else {
        stack[++depth] = flags;
        if (c === 123) expectKey = true;
        else key = KEY_OTHER;
        continue;
      }
    } else {
      if (key === KEY_TYPE || key === KEY_SCHEMA || depth === 0) return false;
      i = scalarEnd(text, i);
      if (i < 0) return false;
    }
    // After a value: a comma, or the end of containers.
    let done = false;
    for (;;) {
      i = skipSpace(text, i, n);
      if (depth === 0) {
        if (i !== n) return false;
        done = true;
        break;
      }
      const flags = stack[depth] as number;
      const d = text[i] as number;
      if (d === 44 /* , */) {
        i++;
        if (flags & OBJECT) expectKey = true;
        else key = KEY_OTHER;
        break;
      }
      if (d !== (flags & OBJECT ? 125 : 93)) return false;
      if (flags & RESOURCE && !(flags & HAS_TYPE)) return false;
      i++;
      depth--;
    }
    if (done) break;
  }

  // The top level: what `classify` in arm.ts reads.
  if (schemaKeys > 1) return false;
  if (schema !== undefined) {
    if (TEMPLATE_SCHEMA.test(schema)) return true;
    if (PARAMETERS_SCHEMA.test(schema)) return false;
  }
  return topResources && topContentVersion;
}

/** 1 for the bytes a string ends or fails at without more thought (`"`, `\\`, control characters). */
const STRING_STOP = new Uint8Array(256);
for (let b = 0; b < 32; b++) STRING_STOP[b] = 1;
STRING_STOP[34] = 1;
STRING_STOP[92] = 1;
/** 1 for JSON's whitespace. */
const SPACE = new Uint8Array(256);
for (const b of [9, 10, 13, 32]) SPACE[b] = 1;

function skipSpace(text: Uint8Array, i: number, n: number): number {
  while (i < n && SPACE[text[i] as number] === 1) i++;
  return i;
}

/**
 * Reads the JSON string that starts at text[i] (a '"'): -1 when it is not valid, else the index
 * after its closing quote times 2, plus 1 when it has a backslash escape.
 */
function readString(text: Uint8Array, i: number, n: number): number {
  let j = i + 1;
  let escaped = 0;
  for (;;) {
    while (j < n && STRING_STOP[text[j] as number] === 0) j++;
    if (j >= n) return -1;
    const c = text[j] as number;
    if (c === 34 /* " */) return ((j + 1) << 1) | escaped;
    if (c === 92 /* \ */) {
      escaped = 1;
      const d = text[j + 1] as number;
      if (d === 117 /* u */) {
        for (let k = j + 2; k < j + 6; k++) {
          const h = text[k] as number;
          if (!((h >= 48 && h <= 57) || (h >= 65 && h <= 70) || (h >= 97 && h <= 102))) return -1;
        }
        j += 6;
        continue;
      }
      if (d === 34 || d === 92 || d === 47 || d === 98 || d === 102 || d === 110 || d === 114 || d === 116) {
        j += 2;
        continue;
      }
      return -1;
    }
    if (c < 32) return -1;
    j++;
  }
}

/** The end of a number, `true`, `false` or `null` starting at i (JSON's grammar), or -1. */
function scalarEnd(text: Uint8Array, i: number): number {
  const c = text[i] as number;
  if (c === 116) return (text[i + 1] as number) === 114 && (text[i + 2] as number) === 117 && (text[i + 3] as number) === 101 ? i + 4 : -1;
  if (c === 102) return (text[i + 1] as number) === 97 && (text[i + 2] as number) === 108 && (text[i + 3] as number) === 115 && (text[i + 4] as number) === 101 ? i + 5 : -1;
  if (c === 110) return (text[i + 1] as number) === 117 && (text[i + 2] as number) === 108 && (text[i + 3] as number) === 108 ? i + 4 : -1;
  let j = i;
  if ((text[j] as number) === 45 /* - */) j++;
  if ((text[j] as number) === 48) j++;
  else if (isDigit(text[j] as number)) while (isDigit(text[j] as number)) j++;
  else return -1;
  if ((text[j] as number) === 46 /* . */) {
    j++;
    if (!isDigit(text[j] as number)) return -1;
    while (isDigit(text[j] as number)) j++;
  }
  const e = text[j] as number;
  if (e === 101 || e === 69) {
    j++;
    const sign = text[j] as number;
    if (sign === 43 || sign === 45) j++;
    if (!isDigit(text[j] as number)) return -1;
    while (isDigit(text[j] as number)) j++;
  }
  return j;
}

function isDigit(d: number): boolean {
  return d >= 48 && d <= 57;
}

/** The bytes start..end as a lower-case string; undefined when one is not ASCII. */
function lowerAscii(text: Uint8Array, start: number, end: number): string | undefined {
  let out = '';
  for (let k = start; k < end; k++) {
    const c = text[k] as number;
    if (c >= 0x80) return undefined;
    out += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return out;
}

/**
 * Are the bytes at `start` the lower-case ASCII `word`, ignoring case (as ARM matches property
 * names)? Only letters and `$` are in the words, so `| 0x20` folds exactly the upper-case letters
 * (and control characters, which no valid string holds).
 */
function isWord(text: Uint8Array, start: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (((text[start + k] as number) | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}
