/**
 * Evaluates an ARM deployment template: parameters (supplied values or defaults), variables
 * (including copy blocks), the expression language, resource and property copy loops,
 * conditions, child resources in both forms, and user-defined functions. The result is the list
 * of resources the deployment would create, with their values computed on demand.
 *
 * Nothing here throws on a user's template: what cannot be computed is an explicit Unknown, and
 * what is wrong with the template is reported as a problem with its location.
 */
import type { JsonNode, ArmDocument } from '../parse/arm';
import { child, entriesOf, nodeOrigin, property, spanOfNode } from '../parse/arm';
import { SourceFile, type SourceSpan } from '../source';
import { classifyTemplateString, parseExpressionCached, type Expr } from './arm-expression';
import { callPure } from './functions';
import { setOrigin, type Origin } from './origin';
import {
  Unknown,
  display,
  firstUnknown,
  getProp,
  isObject,
  plain,
  type Value,
  type ValueObject,
} from './value';
import {
  ARM_COPY_LIMIT,
  BudgetExceeded,
  CURRENT_SCOPE,
  DEFAULT_BUDGET,
  MAX_NESTING,
  MAX_STRING,
  buildResourceId,
  deploymentScopeValues,
  idKey,
  joinParts,
  symbolicCall,
  type EvaluatedResource,
  type DeploymentScope,
  type EvaluationProblem,
  type ModuleCall,
} from './resources';
import { EvaluationRun, instanceKey, readsDeploymentName, shortName } from './run';

export interface ArmEvaluationOptions {
  /** Parameter values by name (case-insensitive), e.g. from a parameter file. */
  parameters?: Record<string, Value>;
  /** A label for where the parameter values came from, carried into findings. */
  parameterSource?: string;
  /**
   * Names the deployment in the symbols of its parameters that have no value (default: the file
   * path), so that only references within one deployment match through them.
   */
  symbolScope?: string;
  /** The deployment its resources belong to (default: symbolScope). */
  deployment?: string;
  /**
   * Where problems go. Shared with nested evaluations, and still written to when resource bodies
   * are evaluated later (on demand), so the caller must read it after it is done with them.
   */
  problems?: EvaluationProblem[];
  /** Called with each problem found (a caller attributes a module's problems to its declaration). */
  onProblem?: (problem: EvaluationProblem) => void;
  /** The subscription and resource group it deploys to (default: the current ones). */
  scope?: DeploymentScope;
  /** Loads linked templates (`templateLink`). */
  host?: ArmHost;
  /** Linked-template and module declarations this evaluation is nested in, outermost first. */
  via?: ModuleCall[];
  /** Upper bound of expression evaluations for one template (guards against blow-ups). */
  budget?: number;
  /** Shared by every evaluation under one root: the memo of linked-template instances and their budget. */
  run?: EvaluationRun;
}

export interface ArmHost {
  /**
   * The template a `templateLink` names: `relativePath` (relative to the linking file), or a URI
   * whose path names a workspace file. Undefined when it is not in the workspace.
   */
  loadLinked(fromFile: string, link: { relativePath?: Value; uri?: Value }): ArmDocument | { unread: string; contentUnknown?: boolean } | undefined;
  /** The values of the parameter file a `parametersLink` names, when it is in the workspace. */
  loadLinkedParameters?(fromFile: string, link: { relativePath?: Value; uri?: Value }): Record<string, Value> | undefined;
}

/** Linked templates nest at most this deep. */
const MAX_LINK_DEPTH = 16;

export interface TemplateEvaluation {
  file: string;
  resources: EvaluatedResource[];
  problems: EvaluationProblem[];
  parameterSource?: string;
  /** The template's outputs, evaluated on demand. */
  outputs(): Record<string, Value>;
}

const MAX_ARRAY = 100_000;

interface CopyFrame {
  /** Lower-case loop name; undefined for an unnamed frame. */
  name: string | undefined;
  index: Value;
  /**
   * A property copy (`"copy": [...]` inside a value): only `copyIndex('<name>')` reads it; a
   * `copyIndex()` without a name there is the index of the resource's own copy loop.
   */
  property?: true;
}

interface FunctionFrame {
  params: Map<string, Value>;
}

interface UserFunction {
  params: string[];
  output: JsonNode | undefined;
}

/** Evaluates one ARM template document. Never throws. */
export function evaluateArmTemplate(doc: ArmDocument, options: ArmEvaluationOptions = {}): TemplateEvaluation {
  const ev = new ArmEvaluator(doc, options);
  const resources = ev.run();
  const result: TemplateEvaluation = {
    file: doc.file.path,
    resources,
    problems: ev.problems,
    outputs: () => ev.outputs(),
  };
  if (options.parameterSource !== undefined) result.parameterSource = options.parameterSource;
  return result;
}

class ArmEvaluator {
  readonly problems: EvaluationProblem[];
  private readonly file: string;
  private readonly root: JsonNode | undefined;
  private readonly paramDefs = new Map<string, JsonNode>();
  private readonly supplied = new Map<string, Value>();
  private readonly varDefs = new Map<string, { node: JsonNode } | { copy: JsonNode }>();
  private readonly cache = new Map<string, Value>();
  private readonly inProgress = new Set<string>();
  private readonly functions = new Map<string, UserFunction>();
  private copyStack: CopyFrame[] = [];
  private fnStack: FunctionFrame[] = [];
  private lambdaStack: Map<string, Value>[] = [];
  private steps = 0;
  /** Current nesting of JSON values and function calls being evaluated. */
  private depth = 0;
  private readonly budget: number;
  private readonly symbolScope: string;
  private readonly parameterSource: string | undefined;
  private budgetReported = false;
  private readonly reported = new Set<string>();

  private readonly deployment: string;
  private scope: DeploymentScope;
  private readonly via: ModuleCall[];
  /** Nested deployments by ID key: their evaluation runs once, on first need. */
  private readonly nestedDeployments = new Map<string, { run: () => Record<string, Value> | Unknown }>();
  private readonly pending: (() => void)[] = [];
  private readonly shared: EvaluationRun;

  constructor(
    doc: ArmDocument,
    private readonly options: ArmEvaluationOptions,
  ) {
    this.file = doc.file.path;
    this.root = doc.root;
    this.problems = options.problems ?? [];
    this.deployment = options.deployment ?? options.symbolScope ?? doc.file.path;
    this.via = options.via ?? [];
    this.scope = options.scope ?? CURRENT_SCOPE;
    this.budget = options.budget ?? DEFAULT_BUDGET;
    this.shared = options.run ?? new EvaluationRun(doc.file.path);
    this.symbolScope = options.symbolScope ?? doc.file.path;
    this.parameterSource = options.parameterSource;
    for (const [k, v] of Object.entries(options.parameters ?? {})) this.supplied.set(k.toLowerCase(), v);
    this.indexDeclarations();
  }

  private indexDeclarations(): void {
    const params = child(this.root, 'parameters');
    for (const p of params?.type === 'object' ? params.children ?? [] : []) {
      const key = p.children?.[0]?.value;
      if (typeof key === 'string' && p.children?.[1]) this.paramDefs.set(key.toLowerCase(), p.children[1]);
    }
    const vars = child(this.root, 'variables');
    for (const p of vars?.type === 'object' ? vars.children ?? [] : []) {
      const key = p.children?.[0]?.value;
      const value = p.children?.[1];
      if (typeof key !== 'string' || !value) continue;
      if (key.toLowerCase() === 'copy' && value.type === 'array') {
        for (const entry of value.children ?? []) {
          const name = child(entry, 'name')?.value;
          if (typeof name === 'string') this.varDefs.set(name.toLowerCase(), { copy: entry });
        }
      } else {
        this.varDefs.set(key.toLowerCase(), { node: value });
      }
    }
    const fns = child(this.root, 'functions');
    for (const ns of fns?.type === 'array' ? fns.children ?? [] : []) {
      const nsName = child(ns, 'namespace')?.value;
      const members = child(ns, 'members');
      if (typeof nsName !== 'string' || members?.type !== 'object') continue;
      for (const m of members.children ?? []) {
        const mName = m.children?.[0]?.value;
        const def = m.children?.[1];
        if (typeof mName !== 'string' || !def) continue;
        const params: string[] = [];
        for (const p of child(def, 'parameters')?.children ?? []) {
          const pn = child(p, 'name')?.value;
          if (typeof pn === 'string') params.push(pn.toLowerCase());
        }
        this.functions.set(`${nsName}.${mName}`.toLowerCase(), { params, output: child(child(def, 'output'), 'value') });
      }
    }
  }

  // ---------------------------------------------------------------- problems

  private problem(span: SourceSpan, message: string, severity: 'warning' | 'info' = 'warning'): void {
    const key = `${span.start}:${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const problem: EvaluationProblem = { span, message, severity };
    this.problems.push(problem);
    this.options.onProblem?.(problem);
  }

  private span(node: JsonNode): SourceSpan {
    return spanOfNode(this.file, node);
  }

  private tick(): void {
    if (++this.steps > this.budget) throw new BudgetExceeded();
  }

  /** Runs `f`, turning an exhausted budget into an Unknown and a single problem. */
  private guarded(node: JsonNode, f: () => Value): Value {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
      if (!this.budgetReported) {
        this.budgetReported = true;
        this.problem(
          this.span(node),
          `Evaluation stopped: the template needs more than ${this.budget.toLocaleString('en-US')} evaluation steps; values past this point are unknown.`,
        );
      }
      return new Unknown('the evaluation budget was exhausted');
    }
  }

  // ---------------------------------------------------------------- JSON nodes

  /** Evaluates a JSON value node: literals as they are, `[...]` strings as expressions. */
  evalNode(node: JsonNode, skipKeys?: ReadonlySet<string>): Value {
    this.tick();
    if (this.depth >= MAX_NESTING) {
      this.problem(this.span(node), `Values nested more than ${MAX_NESTING} levels deep are not evaluated.`);
      return new Unknown(`nested more than ${MAX_NESTING} levels deep`);
    }
    this.depth++;
    try {
      return this.evalNodeInner(node, skipKeys);
    } finally {
      this.depth--;
    }
  }

  private evalNodeInner(node: JsonNode, skipKeys?: ReadonlySet<string>): Value {
    switch (node.type) {
      case 'string':
        return this.evalString(node);
      case 'number':
        return typeof node.value === 'number' ? node.value : null;
      case 'boolean':
        return node.value === true;
      case 'null':
        return null;
      case 'array': {
        const kids = node.children ?? [];
        const arr = kids.map((c) => this.evalNode(c));
        setOrigin(arr, nodeOrigin(this.file, node) ?? new ArrayOrigin(this.file, node));
        return arr;
      }
      case 'object':
        return this.evalObject(node, skipKeys);
      default:
        return new Unknown('unsupported JSON value');
    }
  }

  private evalObject(node: JsonNode, skipKeys?: ReadonlySet<string>): ValueObject {
    const obj: ValueObject = {};
    let copyArrays: Map<string, JsonNode> | undefined;
    for (const [key, value] of entriesOf(node)) {
      const lower = key.toLowerCase();
      if (skipKeys?.has(lower)) continue;
      if (lower === 'copy' && value.type === 'array') {
        this.expandPropertyCopy(value, obj, (copyArrays ??= new Map()));
        continue;
      }
      obj[key] = this.evalNode(value);
    }
    setOrigin(obj, (!copyArrays && nodeOrigin(this.file, node)) || new ObjectOrigin(this.file, node, copyArrays));
    return obj;
  }

  /** `"copy": [{ "name": "x", "count": n, "input": {...} }]` inside an object builds arrays. */
  private expandPropertyCopy(copyNode: JsonNode, target: ValueObject, copyArrays: Map<string, JsonNode>): void {
    for (const entry of copyNode.children ?? []) {
      const nameNode = child(entry, 'name');
      const name = nameNode ? this.evalNode(nameNode) : undefined;
      const input = child(entry, 'input');
      if (typeof name !== 'string' || !input) {
        this.problem(this.span(entry), 'A property copy entry needs a literal "name" and an "input".');
        continue;
      }
      const count = this.loopCount(entry);
      copyArrays.set(name, input);
      if (count === undefined) {
        target[name] = new Unknown(`the number of '${name}' entries is not known`);
        continue;
      }
      const items: Value[] = [];
      for (let i = 0; i < count; i++) items.push(this.withCopy({ name: name.toLowerCase(), index: i, property: true }, () => this.evalNode(input)));
      const file = this.file;
      setOrigin(items, () => lazyOrigin(file, input, { element: () => spanOfNode(file, input) }));
      target[name] = items;
    }
  }

  /** A copy loop's count, checked against ARM's limits; undefined when it is not known. */
  private loopCount(copyNode: JsonNode): number | undefined {
    const countNode = child(copyNode, 'count');
    if (!countNode) {
      this.problem(this.span(copyNode), 'This copy loop has no "count".');
      return undefined;
    }
    let count = this.evalNode(countNode);
    if (typeof count === 'string' && /^\s*-?\d+\s*$/.test(count)) count = Number(count);
    if (typeof count !== 'number' || !Number.isFinite(count)) return undefined;
    if (count < 0) {
      this.problem(this.span(countNode), `The copy count is ${count}; ARM requires zero or more.`);
      return 0;
    }
    if (count > ARM_COPY_LIMIT) {
      this.problem(
        this.span(countNode),
        `The copy count is ${count}; ARM allows at most ${ARM_COPY_LIMIT}, so this template will not deploy. Only the first ${ARM_COPY_LIMIT} are analyzed.`,
      );
      return ARM_COPY_LIMIT;
    }
    return Math.floor(count);
  }

  /** A resource's name, its segments and its ID, in the copy loop context it was declared in (see ArmResource). */
  resourceNaming(r: { node: JsonNode; type: string; copyStack: CopyFrame[]; scope: DeploymentScope; relativeTo: EvaluatedResource | undefined }): ResourceNaming {
    return this.inCopyContext(r.copyStack, () => {
      const nameNode = child(r.node, 'name');
      let name: Value = nameNode ? this.guarded(nameNode, () => this.evalNode(nameNode)) : new Unknown('the resource has no name');
      let segments = splitName(name);
      const parent = r.relativeTo;
      if (parent && segments.length < r.type.split('/').length - 1) {
        // A nested child resource: its name is relative to the parent's.
        name = joinParts([parent.name, '/', name]);
        segments = [...parent.segments, ...segments];
      }
      return { name, segments, id: buildResourceId('resourceGroup', [r.type, ...segments], r.scope) };
    });
  }

  /** A resource's declaration, in the copy loop context it was declared in (see ArmResource). */
  resourceBody(node: JsonNode, copyStack: CopyFrame[]): ValueObject {
    return this.inCopyContext(copyStack, () => this.evalBody(node));
  }

  /** A resource's declaration (without its loop, condition and children). */
  private evalBody(node: JsonNode): ValueObject {
    const v = this.guarded(node, () => this.evalNode(node, RESOURCE_SKIP_KEYS));
    return isObject(v) ? v : {};
  }

  /** Runs `f` in a copy loop context captured earlier (for values evaluated on demand). */
  private inCopyContext<T>(copyStack: CopyFrame[], f: () => T): T {
    const saved = this.copyStack;
    // (A copy: loops inside push onto the stack, and a snapshot may be shared, as NO_FRAMES is.)
    this.copyStack = [...copyStack];
    try {
      return f();
    } finally {
      this.copyStack = saved;
    }
  }

  private withCopy<T>(frame: CopyFrame, f: () => T): T {
    this.copyStack.push(frame);
    try {
      return f();
    } finally {
      this.copyStack.pop();
    }
  }

  private evalString(node: JsonNode): Value {
    const raw = node.value as string;
    const ts = classifyTemplateString(raw);
    if (ts.kind === 'literal') return ts.value;
    const parsed = parseExpressionCached(ts.text);
    if (!parsed.ok) {
      const start = node.offset + 1 + ts.offset + parsed.offset;
      this.problem(
        { file: this.file, start, end: Math.min(start + 1, node.offset + node.length) },
        `Template expression: ${parsed.message}.`,
      );
      return new Unknown(`the expression does not parse: ${parsed.message}`, raw);
    }
    const v = this.evalExpr(parsed.expr, node);
    if (v instanceof Unknown && v.text === undefined) return new Unknown(v.reason, raw, v.symbol, v.alternatives);
    return v;
  }

  // ---------------------------------------------------------------- expressions

  private evalExpr(e: Expr, at: JsonNode): Value {
    this.tick();
    switch (e.kind) {
      case 'string':
      case 'number':
        return e.value;
      case 'literal':
        return e.value;
      case 'member': {
        const obj = this.evalExpr(e.object, at);
        if (obj instanceof Unknown) return obj.symbol ? new Unknown(obj.reason, undefined, `${obj.symbol}.${e.name}`) : plain(obj);
        const v = getProp(obj, e.name);
        if (v === undefined) return new Unknown(`there is no property '${e.name}'`);
        return v;
      }
      case 'index': {
        const obj = this.evalExpr(e.object, at);
        const idx = this.evalExpr(e.index, at);
        const unknown = firstUnknown([obj, idx]);
        if (unknown) return symbolicCall('index', [obj, idx], unknown) ?? new Unknown(unknown.reason, unknown.text);
        if (Array.isArray(obj) && typeof idx === 'number') {
          const v = obj[idx];
          return v === undefined ? new Unknown(`index ${idx} is outside an array of ${obj.length}`) : v;
        }
        if (isObject(obj) && typeof idx === 'string') {
          const v = getProp(obj, idx);
          return v === undefined ? new Unknown(`there is no property '${idx}'`) : v;
        }
        return new Unknown('an index must be a number on an array or a string on an object');
      }
      case 'call':
        return this.evalCall(e, at);
    }
  }

  private evalCall(e: Extract<Expr, { kind: 'call' }>, at: JsonNode): Value {
    const name = e.name.toLowerCase();
    const args = (): Value[] => e.args.map((a) => this.evalExpr(a, at));
    switch (name) {
      case 'parameters':
        return this.parameter(args()[0]);
      case 'variables':
        return this.variable(args()[0]);
      case 'copyindex':
        return this.copyIndex(args());
      case 'if': {
        if (e.args.length !== 3) return new Unknown('if() takes 3 arguments');
        const cond = this.evalExpr(e.args[0] as Expr, at);
        if (cond === true) return this.evalExpr(e.args[1] as Expr, at);
        if (cond === false) return this.evalExpr(e.args[2] as Expr, at);
        return callPure('if', [cond, this.evalExpr(e.args[1] as Expr, at), this.evalExpr(e.args[2] as Expr, at)]) as Value;
      }
      case 'resourceid':
        return buildResourceId('resourceGroup', args(), this.scope);
      case 'subscriptionresourceid':
        return buildResourceId('subscription', args(), this.scope);
      case 'tenantresourceid':
        return buildResourceId('tenant', args(), this.scope);
      case 'extensionresourceid':
        return buildResourceId('extension', args(), this.scope);
      case 'managementgroupresourceid':
        return buildResourceId('managementGroup', args(), this.scope);
      case 'resourcegroup':
        return deploymentScopeValues(this.scope).resourceGroup;
      case 'subscription':
        return deploymentScopeValues(this.scope).subscription;
      case 'deployment': {
        // The template link of this deployment is this template's own location.
        const d = deploymentScopeValues().deployment;
        const uri = this.file.startsWith('/') ? `file://${encodeURI(this.file)}` : new Unknown('the template link is known at deployment');
        return { ...d, properties: { templateLink: { uri, contentVersion: '1.0.0.0' } } };
      }
      case 'tenant':
        return deploymentScopeValues().tenant;
      case 'environment':
        return new Unknown('environment() is known only at deployment');
      case 'reference':
        return this.reference(args()[0]);
      case 'concat':
      case 'format': {
        const vals = args();
        if (vals.some((v) => v instanceof Unknown && v.symbol !== undefined)) {
          const symbolic = name === 'concat' ? symbolicConcat(vals) : symbolicFormat(vals);
          if (symbolic !== undefined) return symbolic;
        }
        return this.checkSize(callPure(name, vals) as Value, at);
      }
      case 'lambdavariables': {
        const n = args()[0];
        if (typeof n !== 'string') return new Unknown('lambdaVariables() takes a variable name');
        for (let i = this.lambdaStack.length - 1; i >= 0; i--) {
          const v = this.lambdaStack[i]?.get(n.toLowerCase());
          if (v !== undefined) return v;
        }
        return new Unknown(`lambda variable '${n}' is not defined here`);
      }
      case 'map':
      case 'filter':
      case 'reduce':
      case 'sort':
      case 'toobject':
        return this.lambdaCall(name, e, at);
    }
    if (name.startsWith('list')) return new Unknown(`${e.name}() reads secrets or keys at deployment; not known here`);
    const user = this.functions.get(name);
    if (user) return this.userFunction(user, args(), at);
    const vals = args();
    const result = callPure(name, vals);
    if (result === undefined) return new Unknown(`the function '${e.name}' is not evaluated by ilb-hairpin`);
    if (result instanceof Unknown) return symbolicCall(e.name, vals, result) ?? result;
    return this.checkSize(result, at);
  }

  private checkSize(v: Value, at: JsonNode): Value {
    let what: string | undefined;
    if (typeof v === 'string' && v.length > MAX_STRING) what = `a string longer than ${MAX_STRING.toLocaleString('en-US')} characters`;
    else if (Array.isArray(v) && v.length > MAX_ARRAY) what = `an array longer than ${MAX_ARRAY.toLocaleString('en-US')} items`;
    if (what === undefined) return v;
    this.problem(this.span(at), `This expression builds ${what}; ARM would reject the template, and the value is not evaluated.`);
    return new Unknown(what);
  }

  // ---------------------------------------------------------------- parameters and variables

  private parameter(nameValue: Value | undefined): Value {
    if (typeof nameValue !== 'string') return nameValue instanceof Unknown ? nameValue : new Unknown('parameters() takes a name');
    const lower = nameValue.toLowerCase();
    const frame = this.fnStack[this.fnStack.length - 1];
    if (frame) {
      const v = frame.params.get(lower);
      return v ?? new Unknown(`function parameter '${nameValue}' is not defined`);
    }
    const def = this.paramDefs.get(lower);
    if (!def) return new Unknown(`parameter '${nameValue}' is not declared`, `parameters('${nameValue}')`);
    if (this.supplied.has(lower)) return this.supplied.get(lower) as Value;
    const key = `p:${lower}`;
    if (this.cache.has(key)) return this.cache.get(key) as Value;
    const dflt = child(def, 'defaultValue');
    let value: Value;
    if (!dflt) {
      // Namespaced by deployment: another template's parameter of the same name is another value.
      value = new Unknown(`parameter '${nameValue}' has no value`, `parameters('${nameValue}')`, `${this.symbolScope}#parameters('${lower}')`);
    } else if (this.inProgress.has(key)) {
      this.problem(this.span(dflt), `The default of parameter '${nameValue}' refers to itself.`);
      return new Unknown(`parameter '${nameValue}' refers to itself`);
    } else {
      this.inProgress.add(key);
      value = this.evalNode(dflt);
      this.inProgress.delete(key);
    }
    this.cache.set(key, value);
    return value;
  }

  private variable(nameValue: Value | undefined): Value {
    if (typeof nameValue !== 'string') return nameValue instanceof Unknown ? nameValue : new Unknown('variables() takes a name');
    const lower = nameValue.toLowerCase();
    const def = this.varDefs.get(lower);
    if (!def) return new Unknown(`variable '${nameValue}' is not declared`, `variables('${nameValue}')`);
    const key = `v:${lower}`;
    if (this.cache.has(key)) return this.cache.get(key) as Value;
    if (this.inProgress.has(key)) {
      const node = 'node' in def ? def.node : def.copy;
      this.problem(this.span(node), `Variable '${nameValue}' refers to itself (directly or through other variables); its value is unknown.`);
      return new Unknown(`variable '${nameValue}' refers to itself`);
    }
    this.inProgress.add(key);
    // Variables do not see the copy loop of the place that reads them.
    const saved = this.copyStack;
    this.copyStack = [];
    let value: Value;
    try {
      if ('node' in def) {
        value = this.evalNode(def.node);
      } else {
        const input = child(def.copy, 'input');
        const count = this.loopCount(def.copy);
        if (!input) value = new Unknown(`variable copy '${nameValue}' has no input`);
        else if (count === undefined) value = new Unknown(`the number of '${nameValue}' entries is not known`);
        else {
          const items: Value[] = [];
          for (let i = 0; i < count; i++) items.push(this.withCopy({ name: lower, index: i }, () => this.evalNode(input)));
          const file = this.file;
          setOrigin(items, () => lazyOrigin(file, input, { element: () => spanOfNode(file, input) }));
          value = items;
        }
      }
    } finally {
      this.copyStack = saved;
      this.inProgress.delete(key);
    }
    this.cache.set(key, value);
    return value;
  }

  private copyIndex(args: Value[]): Value {
    let name: string | undefined;
    let offset: Value = 0;
    if (typeof args[0] === 'string') {
      name = args[0].toLowerCase();
      offset = args[1] ?? 0;
    } else if (args[0] !== undefined) {
      offset = args[0];
    }
    if (offset instanceof Unknown) return offset;
    if (typeof offset !== 'number') return new Unknown('copyIndex() offset must be an integer');
    const frame = [...this.copyStack].reverse().find((f) => (name === undefined ? !f.property : f.name === name));
    if (!frame) return new Unknown(name ? `copyIndex('${name}') is used outside that loop` : 'copyIndex() is used outside a copy loop');
    if (frame.index instanceof Unknown) return frame.index;
    return (frame.index as number) + offset;
  }

  private userFunction(fn: UserFunction, args: Value[], at: JsonNode): Value {
    if (!fn.output) return new Unknown('the user-defined function has no output');
    if (this.fnStack.length > 32) {
      this.problem(this.span(at), 'User-defined functions call each other too deeply.');
      return new Unknown('user-defined functions nest too deeply');
    }
    const params = new Map<string, Value>();
    fn.params.forEach((p, i) => params.set(p, args[i] ?? new Unknown(`argument '${p}' is missing`)));
    this.fnStack.push({ params });
    const savedCopy = this.copyStack;
    this.copyStack = [];
    try {
      return this.evalNode(fn.output);
    } finally {
      this.copyStack = savedCopy;
      this.fnStack.pop();
    }
  }

  /** map/filter/reduce/sort/toObject with `lambda('x', ...)` arguments. */
  private lambdaCall(name: string, e: Extract<Expr, { kind: 'call' }>, at: JsonNode): Value {
    const lambdas = e.args.filter((a) => a.kind === 'call' && a.name.toLowerCase() === 'lambda') as Extract<Expr, { kind: 'call' }>[];
    const input = e.args[0] ? this.evalExpr(e.args[0], at) : new Unknown(`${e.name}() needs an array`);
    if (input instanceof Unknown) return input;
    if (!Array.isArray(input)) return new Unknown(`${e.name}() needs an array`);
    const lam = lambdas[0];
    if (!lam || lam.args.length < 2) return new Unknown(`${e.name}() needs a lambda`);
    const paramNames: string[] = [];
    for (const a of lam.args.slice(0, -1)) {
      if (a.kind !== 'string') return new Unknown('lambda parameter names must be strings');
      paramNames.push(a.value.toLowerCase());
    }
    const body = lam.args[lam.args.length - 1] as Expr;
    const apply = (...vals: Value[]): Value => {
      const frame = new Map<string, Value>();
      paramNames.forEach((p, i) => frame.set(p, vals[i] ?? null));
      this.lambdaStack.push(frame);
      try {
        return this.evalExpr(body, at);
      } finally {
        this.lambdaStack.pop();
      }
    };
    switch (name) {
      case 'map':
        return input.map((x, i) => apply(x, i));
      case 'filter': {
        const out: Value[] = [];
        for (const [i, x] of input.entries()) {
          const keep = apply(x, i);
          if (keep instanceof Unknown) return keep;
          if (keep === true) out.push(x);
        }
        return out;
      }
      case 'reduce': {
        const initial = e.args[1] && e.args[1] !== lam ? this.evalExpr(e.args[1], at) : null;
        let acc: Value = initial;
        for (const [i, x] of input.entries()) acc = apply(acc, x, i);
        return acc;
      }
      case 'sort': {
        const out = [...input];
        let unknown: Unknown | undefined;
        out.sort((a, b) => {
          const r = apply(a, b);
          if (r instanceof Unknown) unknown = r;
          return r === true ? -1 : 1;
        });
        return unknown ?? out;
      }
      case 'toobject': {
        const obj: ValueObject = {};
        const valueLambda = lambdas[1];
        for (const x of input) {
          const k = apply(x);
          if (typeof k !== 'string') return k instanceof Unknown ? k : new Unknown('toObject() keys must be strings');
          obj[k] = valueLambda ? this.lambdaCallSingle(valueLambda, x, at) : x;
        }
        return obj;
      }
    }
    return new Unknown(`${e.name}() is not evaluated`);
  }

  private lambdaCallSingle(lam: Extract<Expr, { kind: 'call' }>, x: Value, at: JsonNode): Value {
    const p = lam.args[0];
    const body = lam.args[lam.args.length - 1];
    if (p?.kind !== 'string' || !body) return new Unknown('malformed lambda');
    this.lambdaStack.push(new Map([[p.value.toLowerCase(), x]]));
    try {
      return this.evalExpr(body, at);
    } finally {
      this.lambdaStack.pop();
    }
  }

  // ---------------------------------------------------------------- resources

  run(): EvaluatedResource[] {
    const out: EvaluatedResource[] = [];
    const resources = child(this.root, 'resources');
    if (resources) this.collect(resources, undefined, out);
    // Nested deployments run after the resources of this template are known, in order; one
    // whose outputs another needs runs first (see deploymentOutputs).
    for (let i = 0; i < this.pending.length; i++) (this.pending[i] as () => void)();
    return out;
  }

  /**
   * A `Microsoft.Resources/deployments` resource: an inline template (scope `outer`, the default,
   * sees this template's parameters and variables; scope `inner` has its own) or a linked one
   * (`templateLink`). Its resources join this evaluation's; its outputs serve `reference()`.
   */
  private nestedDeployment(node: JsonNode, resource: EvaluatedResource, out: EvaluatedResource[]): void {
    const props = child(node, 'properties');
    if (!props) return;
    const copyStack = [...this.copyStack];
    const key = idKey(resource.id);
    let result: Record<string, Value> | Unknown | undefined;
    let running = false;
    const run = (): Record<string, Value> | Unknown => {
      if (result) return result;
      if (running) return new Unknown('nested deployments refer to each other');
      running = true;
      const saved = this.copyStack;
      this.copyStack = copyStack;
      try {
        result = this.runNested(node, props, resource, out);
      } finally {
        this.copyStack = saved;
      }
      return result;
    };
    if (key) this.nestedDeployments.set(key, { run });
    this.pending.push(() => void run());
  }

  private runNested(node: JsonNode, props: JsonNode, resource: EvaluatedResource, out: EvaluatedResource[]): Record<string, Value> | Unknown {
    const template = child(props, 'template');
    const link = child(props, 'templateLink');
    const scopeValue = child(child(props, 'expressionEvaluationOptions'), 'scope')?.value;
    const inner = typeof scopeValue === 'string' && scopeValue.toLowerCase() === 'inner';
    const name = typeof resource.name === 'string' ? resource.name : display(resource.name);
    const childScope = this.deploymentScope(node);
    if (template && !inner) {
      // Outer scope: the nested template's expressions are this template's; its resources
      // deploy to the deployment's resource group.
      const nested = child(template, 'resources');
      const saved = this.scope;
      this.scope = childScope;
      try {
        if (nested) this.guarded(template, () => (this.collect(nested, undefined, out), null));
      } finally {
        this.scope = saved;
      }
      return this.nestedOutputs(template);
    }
    const parametersLink = child(props, 'parametersLink');
    const parameters = parametersLink ? this.linkedParameters(parametersLink) : this.deploymentParameters(child(props, 'parameters'));
    let doc: ArmDocument | undefined;
    let call: ModuleCall | undefined;
    if (template) {
      doc = { file: new SourceFile(this.file, ''), root: template, kind: 'deploymentTemplate', errors: [] };
    } else if (link) {
      const linkValue = this.linkValue(link);
      const specId = child(link, 'id');
      if (this.via.length >= MAX_LINK_DEPTH) {
        this.problem(this.span(link), `Linked templates nest more than ${MAX_LINK_DEPTH} levels deep; this one is not evaluated.`);
        return new Unknown('linked templates nest too deeply');
      }
      const loaded = this.options.host?.loadLinked(this.file, linkValue);
      const shown = linkValue.relativePath !== undefined || linkValue.uri !== undefined ? display(linkValue.relativePath ?? linkValue.uri) : specId ? `template spec ${display(this.evalNode(specId))}` : '(no path)';
      if (loaded && 'unread' in loaded) {
        // In the workspace, but not evaluated: it declares nothing the graph reads, or it is no
        // template that can be read (then what it deploys is unknown, as for a file not there).
        const unknownContent = loaded.contentUnknown === true;
        this.problem(this.span(link), `Linked template ${shown} is not evaluated: ${loaded.unread}; its ${unknownContent ? 'resources, members and ' : ''}outputs are unknown.`, 'info');
        const reason = `linked template ${shown} is not evaluated: ${loaded.unread}`;
        resource.opaque = { path: shown, reason };
        if (unknownContent) {
          const body = resource.body.bind(resource);
          resource.body = () => ({ ...body(), properties: { parameters } });
        }
        return new Unknown(reason);
      }
      doc = loaded;
      if (!doc) {
        this.problem(this.span(link), `Linked template ${shown} is not in the workspace; its resources, members and outputs are unknown.`, 'info');
        const reason = `linked template ${shown} is not read`;
        resource.opaque = { path: shown, reason };
        const body = resource.body.bind(resource);
        resource.body = () => ({ ...body(), properties: { parameters } });
        return new Unknown(reason);
      }
      if (doc.file.path === this.file || this.via.some((c) => c.target === doc?.file.path || c.file === doc?.file.path)) {
        this.problem(this.span(link), `Linked template ${shown} links back to itself; it is not evaluated again.`);
        return new Unknown('the linked template links to itself');
      }
      const nameNode = child(node, 'name');
      const nameSpan = nameNode ? this.span(nameNode) : resource.span;
      call = { file: this.file, span: nameSpan, name, target: doc.file.path };
    }
    if (!doc) return new Unknown('the deployment has neither a template nor a templateLink');
    const via = call ? [...this.via, call] : this.via;
    // The same template with the same inputs deploys the same resources: evaluated once. (An
    // inline template is known by where it is written, and reads its deployment's name.)
    const key = template
      ? instanceKey(`${this.file}@${template.offset}`, parameters, childScope, `name=${name}`)
      : instanceKey(doc.file.path, parameters, childScope, readsDeploymentName(doc.file) ? `name=${name}` : '');
    const known = this.shared.recall<Record<string, Value>>(key);
    if (known) return known.outputs;
    const refused = this.shared.admit(template ? template.length : doc.file.text.length, `${this.symbolScope}>${name}${template ? '' : ` (${shortName(doc.file.path)})`}`);
    if (refused !== undefined) {
      if (refused) this.problem(resource.span, refused);
      return new Unknown('the deployment is not evaluated: the evaluation budget of its root ran out');
    }
    const childOptions: ArmEvaluationOptions = {
      parameters,
      scope: childScope,
      symbolScope: `${this.symbolScope}>${name}`,
      deployment: this.deployment,
      via,
      budget: Math.max(10_000, this.budget - this.steps),
      problems: this.problems,
      run: this.shared,
    };
    if (this.options.onProblem) childOptions.onProblem = this.options.onProblem;
    if (this.parameterSource !== undefined) childOptions.parameterSource = this.parameterSource;
    if (this.options.host) childOptions.host = this.options.host;
    const nested = new ArmEvaluator(doc, childOptions);
    out.push(...nested.run());
    const outputs = nested.outputs();
    this.shared.remember(key, outputs);
    return outputs;
  }

  /** `relativePath` and `uri` of a templateLink or parametersLink, evaluated. */
  private linkValue(link: JsonNode): { relativePath?: Value; uri?: Value } {
    const relativePath = child(link, 'relativePath');
    const uri = child(link, 'uri');
    const value: { relativePath?: Value; uri?: Value } = {};
    if (relativePath) value.relativePath = this.guarded(relativePath, () => this.evalNode(relativePath));
    if (uri) value.uri = this.guarded(uri, () => this.evalNode(uri));
    return value;
  }

  /** The values of the parameter file a `parametersLink` names; unknown when it is not there. */
  private linkedParameters(link: JsonNode): Record<string, Value> {
    const values = this.options.host?.loadLinkedParameters?.(this.file, this.linkValue(link));
    if (values) return values;
    this.problem(this.span(link), 'The parameter file this deployment links to is not in the workspace; its values are unknown.', 'info');
    return {};
  }

  /** The subscription and resource group a deployment resource deploys to. */
  private deploymentScope(node: JsonNode): DeploymentScope {
    const rgNode = child(node, 'resourceGroup');
    const subNode = child(node, 'subscriptionId');
    const rgValue = rgNode ? this.evalNode(rgNode) : undefined;
    const subValue = subNode ? this.evalNode(subNode) : undefined;
    if (rgValue === undefined && subValue === undefined) return this.scope;
    return { subscriptionId: subValue ?? this.scope.subscriptionId, resourceGroup: rgValue ?? this.scope.resourceGroup };
  }

  /** `"parameters": { "x": { "value": ... } }` of a deployment, evaluated here. */
  private deploymentParameters(node: JsonNode | undefined): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const p of node?.type === 'object' ? node.children ?? [] : []) {
      const key = p.children?.[0]?.value;
      const def = p.children?.[1];
      if (typeof key !== 'string' || !def) continue;
      const valueNode = child(def, 'value');
      if (valueNode) out[key] = this.guarded(valueNode, () => this.evalNode(valueNode));
      else if (child(def, 'reference')) out[key] = new Unknown(`parameter '${key}' is a Key Vault reference`, `parameters('${key}')`);
    }
    return out;
  }

  /** The outputs of an outer-scope nested template, evaluated in this template's scope. */
  private nestedOutputs(template: JsonNode): Record<string, Value> {
    const result: Record<string, Value> = {};
    const outputs = child(template, 'outputs');
    for (const p of outputs?.type === 'object' ? outputs.children ?? [] : []) {
      const key = p.children?.[0]?.value;
      const valueNode = child(p.children?.[1], 'value');
      if (typeof key === 'string' && valueNode) result[key] = this.guarded(valueNode, () => this.evalNode(valueNode));
    }
    return result;
  }

  /** `reference()` of a nested deployment of this template: its outputs, as ARM shapes them. */
  private reference(target: Value | undefined): Value {
    let key: string | undefined;
    if (typeof target === 'string' && !target.includes('/')) key = idKey(buildResourceId('resourceGroup', ['Microsoft.Resources/deployments', target], this.scope));
    else key = idKey(target);
    const nested = key ? this.nestedDeployments.get(key) : undefined;
    if (!nested) return new Unknown('reference() reads a deployed resource; its value is known only at deployment');
    const outputs = nested.run();
    if (outputs instanceof Unknown) return outputs;
    const shaped: ValueObject = {};
    for (const [k, v] of Object.entries(outputs)) shaped[k] = { value: v };
    // reference(x) gives the properties; reference(x, api, 'Full') the whole resource.
    return { outputs: shaped, properties: { outputs: shaped } };
  }

  outputs(): Record<string, Value> {
    const result: Record<string, Value> = {};
    const outputs = child(this.root, 'outputs');
    for (const p of outputs?.type === 'object' ? outputs.children ?? [] : []) {
      const key = p.children?.[0]?.value;
      const def = p.children?.[1];
      if (typeof key !== 'string' || !def) continue;
      const valueNode = child(def, 'value');
      const copyNode = child(def, 'copy');
      result[key] = this.guarded(def, () => {
        if (copyNode) {
          const count = this.loopCount(copyNode);
          const input = child(copyNode, 'input');
          if (count === undefined || !input) return new Unknown(`output '${key}' has an unknown number of items`);
          const items: Value[] = [];
          for (let i = 0; i < count; i++) items.push(this.withCopy({ name: undefined, index: i }, () => this.evalNode(input)));
          return items;
        }
        return valueNode ? this.evalNode(valueNode) : null;
      });
    }
    return result;
  }

  private collect(resourcesNode: JsonNode, parent: EvaluatedResource | undefined, out: EvaluatedResource[]): void {
    const entries: { node: JsonNode; symbolicName?: string }[] = [];
    if (resourcesNode.type === 'array') {
      for (const n of resourcesNode.children ?? []) entries.push({ node: n });
    } else if (resourcesNode.type === 'object') {
      // languageVersion 2.0: resources keyed by symbolic name.
      for (const p of resourcesNode.children ?? []) {
        const key = p.children?.[0]?.value;
        const n = p.children?.[1];
        if (typeof key === 'string' && n) entries.push({ node: n, symbolicName: key });
      }
    }
    for (const entry of entries) {
      if (entry.node.type !== 'object') continue;
      const copyNode = child(entry.node, 'copy');
      if (!copyNode) {
        this.instance(entry.node, entry.symbolicName, parent, undefined, out);
        continue;
      }
      const loopNameValue = child(copyNode, 'name')?.value;
      const loopName = typeof loopNameValue === 'string' ? loopNameValue.toLowerCase() : undefined;
      const count = this.guarded(copyNode, () => this.loopCount(copyNode) ?? null);
      if (typeof count !== 'number') {
        // Unknown count: one stand-in instance whose copyIndex() is unknown.
        const idx = new Unknown('the copy count is not known');
        this.withCopy({ name: loopName, index: idx }, () =>
          this.instance(entry.node, entry.symbolicName, parent, { loopName, index: idx, countKnown: false }, out),
        );
        continue;
      }
      for (let i = 0; i < count; i++) {
        this.withCopy({ name: loopName, index: i }, () =>
          this.instance(entry.node, entry.symbolicName, parent, { loopName, index: i, countKnown: true }, out),
        );
      }
    }
  }

  private instance(
    node: JsonNode,
    symbolicName: string | undefined,
    parent: EvaluatedResource | undefined,
    copy: { loopName: string | undefined; index: Value; countKnown: boolean } | undefined,
    out: EvaluatedResource[],
  ): void {
    const conditionNode = child(node, 'condition');
    let condition: Value = true;
    if (conditionNode) {
      condition = this.guarded(conditionNode, () => this.evalNode(conditionNode));
      if (typeof condition === 'string') condition = condition.toLowerCase() === 'true' ? true : condition.toLowerCase() === 'false' ? false : condition;
      if (condition === false) return;
      if (condition !== true && !(condition instanceof Unknown)) condition = new Unknown('the condition is not a boolean');
    }
    const typeNode = child(node, 'type');
    const typeValue = typeNode ? this.guarded(typeNode, () => this.evalNode(typeNode)) : new Unknown('the resource has no type');
    let type = typeof typeValue === 'string' ? typeValue : '';
    const relative = !!parent && !!type && !/^[^/]+\.[^/]+\//.test(type);
    if (relative && parent) type = `${parent.type}/${type}`;
    const resource = new ArmResource(this, node, this.file, type, condition as true | Unknown, child(node, 'existing')?.value === true, this.deployment, this.copyStack.length ? [...this.copyStack] : NO_FRAMES, this.scope, relative ? parent : undefined);
    if (symbolicName !== undefined) resource.symbolicName = symbolicName;
    if (this.parameterSource !== undefined) resource.parameterSource = this.parameterSource;
    if (this.via.length) resource.via = this.via;
    if (parent) resource.parent = parent;
    if (copy) resource.copy = copy;
    out.push(resource);
    if (type.toLowerCase() === 'microsoft.resources/deployments') this.nestedDeployment(node, resource, out);
    const nested = child(node, 'resources');
    if (nested) this.collect(nested, resource, out);
  }
}

const RESOURCE_SKIP_KEYS: ReadonlySet<string> = new Set(['resources', 'copy', 'condition', 'dependson']);

/** The copy loop context of a resource declared in none (shared: it is never changed). */
const NO_FRAMES: CopyFrame[] = [];

interface ResourceNaming {
  name: Value;
  segments: Value[];
  id: Value;
}

/**
 * A resource the ARM evaluator found. Its name, ID and body are evaluated when first read (most
 * resources are never looked at), in the copy loop context it was declared in; its span is looked
 * up when a finding needs one (that may build the syntax tree). A class, not an object literal of
 * getters: a template of 40,000 NICs held six closures, a scope and a property dictionary for each.
 */
class ArmResource implements EvaluatedResource {
  symbolicName?: string;
  parameterSource?: string;
  via?: ModuleCall[];
  parent?: EvaluatedResource;
  copy?: { loopName: string | undefined; index: Value; countKnown: boolean };
  opaque?: { path: string; reason: string };
  private naming: ResourceNaming | undefined = undefined;
  private evaluated: ValueObject | undefined = undefined;

  constructor(
    private readonly evaluator: ArmEvaluator,
    readonly node: JsonNode,
    readonly file: string,
    readonly type: string,
    readonly condition: true | Unknown,
    readonly existing: boolean,
    readonly deployment: string,
    readonly copyStack: CopyFrame[],
    readonly scope: DeploymentScope,
    /** The parent, when the resource is nested in it with a type relative to the parent's. */
    readonly relativeTo: EvaluatedResource | undefined,
  ) {}

  get span(): SourceSpan {
    return spanOfNode(this.file, this.node);
  }

  get name(): Value {
    return this.named().name;
  }

  get segments(): Value[] {
    return this.named().segments;
  }

  get id(): Value {
    return this.named().id;
  }

  body(): ValueObject {
    return (this.evaluated ??= this.evaluator.resourceBody(this.node, this.copyStack));
  }

  private named(): ResourceNaming {
    return (this.naming ??= this.evaluator.resourceNaming(this));
  }
}

/**
 * Where an evaluated object was written; its spans are looked up when asked for (a lookup may
 * build the syntax tree). One small object each, not a closure over the evaluation's scope: a
 * template of 40,000 resources evaluates hundreds of thousands of objects.
 */
class ObjectOrigin implements Origin {
  constructor(
    private readonly file: string,
    private readonly node: JsonNode,
    /** The arrays a property `copy` built, by name, with their `input`. */
    private readonly copyArrays: Map<string, JsonNode> | undefined,
  ) {}

  get span(): SourceSpan {
    return spanOfNode(this.file, this.node);
  }

  property(k: string, part: 'key' | 'value' = 'value'): SourceSpan | undefined {
    const lower = k.toLowerCase();
    const copied = this.copyArrays ? [...this.copyArrays].find(([n]) => n.toLowerCase() === lower) : undefined;
    if (copied) return spanOfNode(this.file, copied[1]);
    const target = property(this.node, k)?.children?.[part === 'key' ? 0 : 1];
    return target ? spanOfNode(this.file, target) : undefined;
  }
}

/** Where an evaluated array and its elements were written (see ObjectOrigin). */
class ArrayOrigin implements Origin {
  constructor(
    private readonly file: string,
    private readonly node: JsonNode,
  ) {}

  get span(): SourceSpan {
    return spanOfNode(this.file, this.node);
  }

  element(i: number): SourceSpan | undefined {
    const kid = this.node.children?.[i];
    return kid ? spanOfNode(this.file, kid) : undefined;
  }
}

/** An origin whose span is looked up on first use (a lookup may build the syntax tree). */
function lazyOrigin(file: string, node: JsonNode, rest: Omit<Origin, 'span'>): Origin {
  return {
    ...rest,
    get span(): SourceSpan {
      return spanOfNode(file, node);
    },
  };
}

/** `a/b` -> ['a', 'b']; an Unknown name stays one part. */
function splitName(name: Value): Value[] {
  if (typeof name === 'string') return name.split('/');
  // A symbolic name joined from known and unknown parts (`{vmName}1/ext`): split at the slashes
  // between the parts, so that a child's name still gives its parent's segment.
  if (name instanceof Unknown && name.symbol !== undefined && name.symbol.includes('{') && name.symbol.includes('/')) {
    const symbols = splitOutsideBraces(name.symbol);
    if (symbols.length > 1) {
      const texts = name.text !== undefined ? splitOutsideBraces(name.text) : [];
      // `{x}` alone is the atomic symbol x (joins wrap atomic symbols in braces).
      const atom = (piece: string): string => (/^\{[^{}]*\}$/.test(piece) ? piece.slice(1, -1) : piece);
      return symbols.map((sym, i) => (sym.includes('{') ? new Unknown(name.reason, atom(texts.length === symbols.length ? (texts[i] as string) : sym), atom(sym)) : sym));
    }
  }
  return [name];
}

function splitOutsideBraces(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
    else if (c === '/' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function symbolicConcat(vals: Value[]): Value | undefined {
  if (vals.every((v) => typeof v === 'string' || typeof v === 'number' || v instanceof Unknown)) return joinParts(vals);
  return undefined;
}

function symbolicFormat(vals: Value[]): Value | undefined {
  const [fmt, ...rest] = vals;
  if (typeof fmt !== 'string') return undefined;
  const parts: Value[] = [];
  let last = 0;
  const re = /\{(\d+)\}/g;
  for (let m = re.exec(fmt); m; m = re.exec(fmt)) {
    parts.push(fmt.slice(last, m.index).replace(/\{\{/g, '{').replace(/\}\}/g, '}'));
    const v = rest[Number(m[1])];
    if (v === undefined) return undefined;
    parts.push(v);
    last = m.index + m[0].length;
  }
  parts.push(fmt.slice(last));
  return symbolicConcat(parts);
}
