import { parseTree, printParseErrorCode, findNodeAtLocation, type JSONPath, type Node, type NodeType, type ParseError } from 'jsonc-parser';
import { OffsetIndex } from './offset-index';
import { textEdit, type SourceFile, type SourceSpan } from '../source';

export type JsonNode = Node;

export interface SyntaxProblem {
  span: SourceSpan;
  message: string;
}

export type ArmDocumentKind = 'deploymentTemplate' | 'deploymentParameters' | 'other';

export interface ArmDocument {
  file: SourceFile;
  root: JsonNode | undefined;
  kind: ArmDocumentKind;
  errors: SyntaxProblem[];
  /** The plain value, when the text is strict JSON (most templates). */
  value?: unknown;
}

const TEMPLATE_SCHEMA = /deploymenttemplate\.json/i;
const PARAMETERS_SCHEMA = /deploymentparameters\.json/i;

/**
 * Parses a JSON or JSONC document (comments and trailing commas allowed, as ARM allows them) and
 * tells whether it is a deployment template: by its `$schema`, or by having both `resources` and
 * `contentVersion` at the top.
 */
export function parseArm(file: SourceFile): ArmDocument {
  // Most files are strict JSON: the native parser reads them an order of magnitude faster than
  // a syntax tree is built, and the tree is built only if a location in the file is asked for.
  const strict = strictParse(file.text);
  if (strict.ok) {
    const root = new LazyNode(new LazyTree(file.text, file.path), strict.value, undefined, 0);
    return { file, root, kind: classify(root, file.path), errors: [], value: strict.value };
  }
  const errs: ParseError[] = [];
  const root = parseTree(file.text, errs, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  const errors = errs.map((e) => ({
    span: { file: file.path, start: e.offset, end: e.offset + Math.max(e.length, 1) },
    message: `JSON: ${describeParseError(printParseErrorCode(e.error))}`,
  }));
  return { file, root, kind: classify(root, file.path), errors };
}

function describeParseError(code: string): string {
  // jsonc-parser's codes are identifiers such as "CommaExpected"; turn them into words.
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function classify(root: JsonNode | undefined, path: string): ArmDocumentKind {
  if (!root || root.type !== 'object') return 'other';
  const schema = childValue(root, '$schema');
  if (typeof schema === 'string') {
    if (TEMPLATE_SCHEMA.test(schema)) return 'deploymentTemplate';
    if (PARAMETERS_SCHEMA.test(schema)) return 'deploymentParameters';
  }
  if (property(root, 'resources') && property(root, 'contentVersion')) return 'deploymentTemplate';
  // `$schema` is optional in practice: a `*.parameters*.json` with `parameters` and no resources.
  if (/\.parameters(\.[^./]+)?\.jsonc?$/i.test(path) && property(root, 'parameters') && !property(root, 'resources')) return 'deploymentParameters';
  return 'other';
}

/**
 * Why a JSON document that is not classified as a template still looks like one (its resources
 * have types and API versions, but its `$schema` is misspelled and it has no `contentVersion`),
 * for a note; undefined when it does not look like one.
 */
export function templateLookalike(doc: ArmDocument): string | undefined {
  const root = doc.root;
  if (doc.kind !== 'other' || !root || root.type !== 'object') return undefined;
  const resources = child(root, 'resources');
  const items = resources?.type === 'array' ? resources.children ?? [] : resources?.type === 'object' ? (resources.children ?? []).map((p) => p.children?.[1]) : [];
  const typed = items.some((r) => {
    const type = child(r, 'type')?.value;
    return typeof type === 'string' && type.includes('/') && typeof child(r, 'apiVersion')?.value === 'string';
  });
  if (!typed) return undefined;
  const schema = childValue(root, '$schema');
  const said = typeof schema === 'string' ? `its $schema '${schema.length > 120 ? `${schema.slice(0, 120)}...` : schema}' is not a deployment template's` : 'it has no $schema';
  return `This file looks like a deployment template (its resources have types and API versions), but ${said} and it has no contentVersion: it is not analyzed. Correct the $schema (https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#).`;
}

/** The property node (key + value) of `obj` whose key matches case-insensitively. */
export function property(obj: JsonNode | undefined, key: string): JsonNode | undefined {
  if (!obj || obj.type !== 'object' || !obj.children) return undefined;
  const lower = key.toLowerCase();
  let insensitive: JsonNode | undefined;
  for (const p of obj.children) {
    const k = p.children?.[0]?.value;
    if (typeof k !== 'string') continue;
    if (k === key) return p;
    if (!insensitive && k.toLowerCase() === lower) insensitive = p;
  }
  return insensitive;
}

/**
 * The keys and value nodes of an object node, in order (with a key repeated, each of its values,
 * the last one last). For a node of a strict parse, without the property and key nodes that
 * `children` makes for each property (the evaluator reads every object of a template this way).
 */
export function entriesOf(obj: JsonNode): [string, JsonNode][] {
  if (obj instanceof LazyNode) return obj.entries();
  const out: [string, JsonNode][] = [];
  for (const p of obj.children ?? []) {
    const key = p.children?.[0]?.value;
    const value = p.children?.[1];
    if (typeof key === 'string' && value) out.push([key, value]);
  }
  return out;
}

/** The value node of `obj[key]` (case-insensitive). */
export function child(obj: JsonNode | undefined, key: string): JsonNode | undefined {
  if (obj instanceof LazyNode) return obj.valueAt(key);
  return property(obj, key)?.children?.[1];
}

function childValue(obj: JsonNode, key: string): unknown {
  return child(obj, key)?.value;
}

export function spanOfNode(file: string, node: JsonNode): SourceSpan {
  return { file, start: node.offset, end: node.offset + node.length };
}

export { findNodeAtLocation };

function strictParse(text: string): { ok: true; value: unknown } | { ok: false } {
  // Comments and trailing commas (which ARM accepts) make JSON.parse fail: the tolerant path then.
  if (text.trim() === '') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Where the values of a text are, found the first time a location is needed: a compact index of
 * offsets (see OffsetIndex), not a syntax tree, so that a large template costs little memory.
 */
class LazyTree {
  private index: OffsetIndex | undefined;
  private previous: { tree: LazyTree; start: number; oldEnd: number; newEnd: number } | undefined;
  private tooDeep = false;
  constructor(
    private readonly text: string,
    /** The file's path, for the spans its nodes give (see LazyNode.span). */
    readonly file: string,
  ) {}

  locate(path: JSONPath): Node | undefined {
    if (this.tooDeep) return undefined;
    // jsonc-parser's scanner recurses per nesting level: a value nested thousands deep (which the
    // native parser read) has no location rather than a crash.
    this.index ??= this.fromPrevious() ?? OffsetIndex.build(this.text);
    if (!this.index) {
      this.tooDeep = true;
      return undefined;
    }
    return this.index.locate(path);
  }

  /** Remembers the tree of the text this one was edited from (see fromPrevious). */
  editedFrom(previous: LazyTree, start: number, oldEnd: number, newEnd: number): void {
    this.previous = { tree: previous, start, oldEnd, newEnd };
  }

  /**
   * Typing inside one string changes no structure: the previous index, with the offsets after the
   * edit shifted, is this text's index. Cheaper than a new scan.
   */
  private fromPrevious(): OffsetIndex | undefined {
    const p = this.previous;
    this.previous = undefined;
    const old = p?.tree.index;
    if (!p || !old) return undefined;
    const next = old.edited(this.text, p.tree.text, p.start, p.oldEnd, p.newEnd);
    if (next) p.tree.index = undefined; // the old text's index now describes this text
    return next;
  }
}

/**
 * Links a document to the one it was edited from, so that a location needed after typing inside
 * a string can reuse the previous syntax tree instead of parsing again.
 */
export function reuseSyntaxTree(previous: ArmDocument, next: ArmDocument): void {
  const before = treeOf(previous.root);
  const after = treeOf(next.root);
  if (!before || !after) return;
  const edit = textEdit(previous.file.text, next.file.text);
  after.editedFrom(before, edit.start, edit.end, edit.start + edit.text.length);
}

function treeOf(root: JsonNode | undefined): LazyTree | undefined {
  return root instanceof LazyNode ? root.tree : undefined;
}

/** What a LazyNode is in jsonc-parser's tree. */
const enum Role {
  /** The root, or an element of an array. */
  Value,
  /** A property (key and value) of an object. */
  Property,
  /** The value of a property. */
  PropertyValue,
}

/**
 * A node over a value JSON.parse produced, shaped like jsonc-parser's Node: type, value and
 * children come from the value; offset and length are found in the syntax tree on first use.
 */
class LazyNode implements Node {
  private located: Node | undefined | null = null;

  // (Few fields: a large template's evaluation keeps hundreds of thousands of these. The type and
  // value are read from the parsed value, the path from the nodes above. A property's value keeps
  // the object above it, not its property node: an evaluated object keeps its node for locations,
  // and a property node kept for each would be a third more nodes.)
  constructor(
    readonly tree: LazyTree,
    private readonly raw: unknown,
    /** The object or array this value is in (for a property node or a property's value: the object). */
    private readonly up: LazyNode | undefined,
    /** The key or index of this value in its object or array (a property and its value share it). */
    private readonly segment: string | number,
    private readonly role: Role = Role.Value,
  ) {}

  /** jsonc-parser's parent: a property's value has its property node (made again on each call). */
  get parent(): LazyNode | undefined {
    return this.role === Role.PropertyValue ? new LazyNode(this.tree, this.raw, this.up, this.segment, Role.Property) : this.up;
  }

  get type(): NodeType {
    const raw = this.raw;
    if (this.role === Role.Property) return 'property';
    if (raw === null) return 'null';
    if (Array.isArray(raw)) return 'array';
    return typeof raw === 'object' ? 'object' : (typeof raw as 'string' | 'number' | 'boolean');
  }

  get value(): unknown {
    const raw = this.raw;
    return this.role !== Role.Property && (raw === null || typeof raw !== 'object') ? raw : undefined;
  }

  /** The keys and indices from the root to this value (a property's path is its value's). */
  private path(): JSONPath {
    if (!this.up) return [];
    const segments: (string | number)[] = [this.segment];
    for (let at: LazyNode = this.up; at.up; at = at.up) segments.push(at.segment);
    return segments.reverse();
  }

  private node(): Node | undefined {
    if (this.located === null) {
      const valueNode = this.tree.locate(this.path());
      this.located = this.role === Role.Property ? valueNode?.parent : valueNode;
    }
    return this.located;
  }

  get offset(): number {
    return this.node()?.offset ?? 0;
  }

  get length(): number {
    return this.node()?.length ?? 0;
  }

  /**
   * The span of this value: with `property` and `element`, a node is the origin of the object or
   * array evaluated from it (evaluate/origin.ts), so that a large template's evaluation keeps one
   * object per value it evaluates, not a node and an origin.
   */
  get span(): SourceSpan {
    return spanOfNode(this.tree.file, this);
  }

  /**
   * The parsed object or array this node is of: JSON.parse makes one for each place of the text, so
   * two nodes are at one place exactly when these are identical, and no location is needed. (A
   * node of a string or number has no such identity: its path is its place.)
   */
  get place(): unknown {
    const raw = this.raw;
    return this.role !== Role.Property && raw !== null && typeof raw === 'object' ? raw : JSON.stringify([this.tree.file, this.role === Role.Property, ...this.path()]);
  }

  /** The span of the value (or the key) of the property `key` (case-insensitive) of this object. */
  property(key: string, part: 'key' | 'value' = 'value'): SourceSpan | undefined {
    const target = property(this, key)?.children?.[part === 'key' ? 0 : 1];
    return target ? spanOfNode(this.tree.file, target) : undefined;
  }

  /** The span of this array's element `i`. */
  element(i: number): SourceSpan | undefined {
    const kid = this.children?.[i];
    return kid ? spanOfNode(this.tree.file, kid) : undefined;
  }

  /** The node of `value[key]` (case-insensitive), without building the other children. */
  valueAt(key: string): Node | undefined {
    const raw = this.raw;
    if (this.role === Role.Property || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
    const record = raw as Record<string, unknown>;
    const k = armKey(record, key);
    return k === undefined ? undefined : new LazyNode(this.tree, record[k], this, k, Role.PropertyValue);
  }

  /** See entriesOf. */
  entries(): [string, JsonNode][] {
    const raw = this.raw;
    if (this.role === Role.Property || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
    const record = raw as Record<string, unknown>;
    return Object.keys(record).map((k) => [k, new LazyNode(this.tree, record[k], this, k, Role.PropertyValue)]);
  }

  /**
   * Made on each call, never kept: what the evaluator keeps of a document (each evaluated object
   * keeps its node for locations) then holds no tree of property, key and value nodes beside the
   * parsed value, which is what memory at the size limit is made of.
   */
  get children(): Node[] | undefined {
    const raw = this.raw;
    if (this.role === Role.Property) {
      const keyNode: Node = new KeyNode(this, this.segment as string);
      return [keyNode, new LazyNode(this.tree, raw, this.up, this.segment, Role.PropertyValue)];
    } else if (Array.isArray(raw)) {
      return raw.map((v, i) => new LazyNode(this.tree, v, this, i));
    } else if (raw !== null && typeof raw === 'object') {
      return Object.entries(raw as Record<string, unknown>).map(([k, v]) => new LazyNode(this.tree, v, this, k, Role.Property));
    }
    return undefined;
  }
}

/** What locates an evaluated object or array (the shape of evaluate/origin.ts's Origin). */
export interface NodeOrigin {
  readonly span: SourceSpan;
  readonly place: unknown;
  property(key: string, part?: 'key' | 'value'): SourceSpan | undefined;
  element(i: number): SourceSpan | undefined;
}

/** The node itself as the origin of what is evaluated from it, when it is a node of `file`'s strict parse. */
export function nodeOrigin(file: string, node: JsonNode): NodeOrigin | undefined {
  return node instanceof LazyNode && node.tree.file === file ? node : undefined;
}

/** The key of a property node: a property's text starts with its key. */
class KeyNode implements Node {
  readonly type = 'string' as const;
  constructor(
    readonly parent: Node,
    readonly value: string,
  ) {}
  get offset(): number {
    return this.parent.offset;
  }
  get length(): number {
    return JSON.stringify(this.value).length;
  }
}

const GRAPH_TYPES = new Set([
  'microsoft.network/loadbalancers',
  'microsoft.network/loadbalancers/backendaddresspools',
  'microsoft.network/networkinterfaces',
  'microsoft.compute/virtualmachines',
  'microsoft.compute/virtualmachinescalesets',
  'microsoft.resources/deployments',
]);

/**
 * Can this template add to the network graph? Only if it declares a load balancer, pool, NIC, VM,
 * scale set or nested deployment, or a resource whose type is an expression (it might be one).
 * Read from the plain value, without evaluating; undefined when there is no plain value.
 */
export function mayAddToGraph(doc: ArmDocument): boolean | undefined {
  const root = doc.value;
  if (root === null || typeof root !== 'object') return undefined;
  const visit = (resources: unknown, parentType: string, depth: number): boolean => {
    if (depth > 16 || resources === null || typeof resources !== 'object') return false;
    for (const r of Object.values(resources as Record<string, unknown>)) {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) continue;
      const t = plainProp(r, 'type');
      if (typeof t !== 'string' || t.startsWith('[')) return true;
      const full = (t.includes('.') || !parentType ? t : `${parentType}/${t}`).toLowerCase();
      if (GRAPH_TYPES.has(full)) return true;
      if (visit(plainProp(r, 'resources'), full, depth + 1)) return true;
    }
    return false;
  };
  const resources = Array.isArray(root) ? undefined : plainProp(root, 'resources');
  return resources === undefined ? false : visit(resources, '', 0);
}

/** A property of a plain JSON object, its key matched the way ARM does (see armKey). */
function plainProp(obj: object, key: string): unknown {
  const o = obj as Record<string, unknown>;
  const k = armKey(o, key);
  return k === undefined ? undefined : o[k];
}

/**
 * The own key of a plain JSON object that ARM reads for `key`: the exact key, else the first key
 * equal to it case-insensitively. (Without a list of the keys: most lookups miss, `condition` or
 * `copy` of each resource, and a list per miss was about a tenth of what an edit of a large
 * template allocates.)
 */
function armKey(record: Record<string, unknown>, key: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(record, key)) return key;
  const lower = key.toLowerCase();
  for (const x in record) if (x.toLowerCase() === lower && Object.prototype.hasOwnProperty.call(record, x)) return x;
  return undefined;
}
