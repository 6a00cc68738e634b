/**
 * Evaluates a Bicep file: parameters (supplied values or defaults), variables, symbolic
 * references (`lb.id`, `lb.properties.backendAddressPools[0].id`, `nics[i].id`, `lb::pool.id`),
 * string interpolation, `for` loops over `range()`, arrays and `items()`, conditions, `existing`
 * resources, modules (local Bicep or ARM JSON targets, parameters in, outputs out, loops, nesting;
 * registry modules stay opaque), user-defined functions and lambdas. The function library is the
 * one the ARM evaluator uses.
 *
 * Like the ARM evaluator, it never throws on a user's file: what cannot be known is an Unknown and
 * what is wrong is a problem with its location.
 */
import type * as A from '../parse/bicep/ast';
import type { ArmDocument } from '../parse/arm';
import type { SourceFile, SourceSpan } from '../source';
import { evaluateArmTemplate, type TemplateEvaluation } from './arm-evaluator';
import { callPure } from './functions';
import { setOrigin } from './origin';
import {
  ARM_COPY_LIMIT,
  BudgetExceeded,
  CURRENT_SCOPE,
  DEFAULT_BUDGET,
  MAX_NESTING,
  MAX_STRING,
  buildResourceId,
  deploymentScopeValues,
  joinParts,
  scopeFrom,
  symbolicCall,
  type DeploymentScope,
  type EvaluatedResource,
  type EvaluationProblem,
  type ModuleCall,
} from './resources';
import { EvaluationRun, instanceKey, readsDeploymentName, shortName } from './run';
import { Unknown, deepEqual, firstUnknown, getProp, isObject, plain, undecided, type Value, type ValueObject } from './value';

/** A module's target, loaded by the host (the workspace). */
export type LoadedTemplate =
  | { kind: 'bicep'; file: SourceFile; program: A.Program }
  | { kind: 'arm'; document: ArmDocument }
  /** In the workspace, but not kept for evaluation (e.g. a template that declares nothing the graph reads): why. */
  | { kind: 'unread'; reason: string };

export interface ModuleHost {
  /** The target of a local module path, relative to `fromFile`; undefined when it is not there. */
  load(fromFile: string, path: string): LoadedTemplate | undefined;
  /** The declaration of a resource that a file references as `existing`, when the workspace has it. */
  findDeclared?(id: Value): EvaluatedResource | undefined;
}

export interface BicepEvaluationOptions {
  parameters?: Record<string, Value>;
  parameterSource?: string;
  /** Namespaces the symbols of parameters without a value (see the ARM evaluator). */
  symbolScope?: string;
  /** The deployment the resources belong to (default: symbolScope). */
  deployment?: string;
  /** The subscription and resource group it deploys to (default: the current ones). */
  scope?: DeploymentScope;
  host?: ModuleHost;
  /** Where problems go: shared with modules, and written to later when bodies are evaluated. */
  problems?: EvaluationProblem[];
  /** The state of the evaluation of this file's previous text, to take over what the edit left alone. */
  previous?: BicepIncrementalState;
  /** Called with each problem found (a caller attributes a module's problems to its declaration). */
  onProblem?: (problem: EvaluationProblem) => void;
  /** The module declarations this evaluation is nested in, outermost first. */
  via?: ModuleCall[];
  budget?: number;
  /** Shared by every evaluation under one root: the memo of module instances and their budget. */
  run?: EvaluationRun;
}

/** What one evaluation leaves for the evaluation of the file's next version (see takeOver). */
export interface BicepIncrementalState {
  file: string;
  text: string;
  statements: A.Statement[];
  options: BicepEvaluationOptions;
  /** Parameter and variable values, by name. */
  params: Map<string, unknown>;
  vars: Map<string, unknown>;
  resourceInstances: Map<A.ResourceDeclaration, unknown>;
  moduleInstances: Map<A.ModuleDeclaration, unknown>;
  deps: Map<string, Set<string>>;
  /** For each top-level declaration, the resources it read only the identity of (`x.id`, `x.name`, `x.type`). */
  identityDeps: Map<string, Set<string>>;
  problemsOf: Map<string, EvaluationProblem[]>;
}

export interface BicepEvaluation extends TemplateEvaluation {
  /** For an incremental evaluation of the next version of the file. */
  state: BicepIncrementalState;
}

const MAX_MODULE_DEPTH = 16;

/** `and(a, b)` of two conditions not known here: symbolic when both are. */
function bothConditions(a: Unknown, b: Unknown): Unknown {
  return symbolicCall('and', [a, b], new Unknown(`the conditions are not known: ${a.reason}; ${b.reason}`)) ?? new Unknown(a.reason, a.text);
}

/** `nameof(x)`: the name of a symbol, or of the last property or string index of an access. */
function nameOf(e: A.Expression | undefined): Value {
  switch (e?.kind) {
    case 'Identifier':
      return e.name;
    case 'PropertyAccess':
      return e.property.name;
    case 'ResourceAccess':
      return e.name.name;
    case 'IndexAccess':
      return e.index.kind === 'String' && e.index.value !== null ? e.index.value : new Unknown('nameof() of an index that is not a plain string');
    default:
      return new Unknown('nameof() needs a symbol, a property or an index');
  }
}

/**
 * The deployment name of a module declared without `name`, as the Bicep compiler writes it:
 * `'<symbol>-${uniqueString('<symbol>', deployment().name)}'` (fixed for one deployment, not known here).
 */
function defaultModuleName(symbol: string): Value {
  const deploymentName = deploymentScopeValues().deployment['name'] as Value;
  const unique = symbolicCall('uniqueString', [symbol, deploymentName], new Unknown('uniqueString() of the deployment name is known at deployment'));
  return joinParts([`${symbol}-`, unique ?? new Unknown('the module deployment name is known at deployment')]);
}

// ------------------------------------------------------------------ internal values

/** One deployed instance of a resource declaration. */
interface ResourceInstance {
  resource: EvaluatedResource;
  /** The declaration's body, evaluated on demand. */
  body(): ValueObject;
}

class ResourceRef {
  constructor(readonly instance: ResourceInstance) {}
}
class ResourceCollection {
  constructor(readonly instances: ResourceInstance[] | Unknown) {}
}
interface ModuleInstance {
  name: Value;
  /** Its loop iteration, when declared in a loop. */
  copy: EvaluatedResource['copy'];
  outputs(): Record<string, Value> | Unknown;
}

/** The loop iteration an instance came from (for `nics[i]` after a filtered loop). */
function iterationOf(x: ResourceInstance | ModuleInstance): EvaluatedResource['copy'] {
  return 'resource' in x ? x.resource.copy : x.copy;
}
class ModuleRef {
  constructor(readonly instance: ModuleInstance) {}
}
class ModuleCollection {
  constructor(readonly instances: ModuleInstance[] | Unknown) {}
}
class Lambda {
  constructor(
    readonly node: A.LambdaExpression,
    readonly scope: Scope,
  ) {}
}
/** `az` / `sys` namespaces, and the namespace of `import * as ns`. */
class Namespace {
  constructor(readonly name: string) {}
}

type BVal = Value | ResourceRef | ResourceCollection | ModuleRef | ModuleCollection | Lambda | Namespace;

interface Scope {
  vars: Map<string, BVal>;
  parent: Scope | undefined;
}

function isPlain(v: BVal): v is Value {
  return !(v instanceof ResourceRef || v instanceof ResourceCollection || v instanceof ModuleRef || v instanceof ModuleCollection || v instanceof Lambda || v instanceof Namespace);
}

type Symbol =
  | { kind: 'param'; decl: A.ParamDeclaration }
  | { kind: 'var'; decl: A.VarDeclaration }
  | { kind: 'resource'; decl: A.ResourceDeclaration; parent: ResourceSymbol | undefined }
  | { kind: 'module'; decl: A.ModuleDeclaration }
  | { kind: 'func'; decl: A.FuncDeclaration };
type ResourceSymbol = Extract<Symbol, { kind: 'resource' }>;

/** Evaluates one Bicep program. Never throws. */
export function evaluateBicep(file: SourceFile, program: A.Program, options: BicepEvaluationOptions = {}): BicepEvaluation {
  const ev = new BicepEvaluator(file, program, options);
  const resources = ev.run();
  const result: BicepEvaluation = { file: file.path, resources, problems: ev.problems, outputs: () => ev.outputs(), state: ev.state() };
  if (options.parameterSource !== undefined) result.parameterSource = options.parameterSource;
  return result;
}

/** The values of the `param x = value` assignments of a .bicepparam program. */
export function evaluateBicepParams(file: SourceFile, program: A.Program): { values: Record<string, Value>; problems: EvaluationProblem[] } {
  const ev = new BicepEvaluator(file, program, {});
  return { values: ev.paramAssignments(), problems: ev.problems };
}

class BicepEvaluator {
  readonly problems: EvaluationProblem[];
  private readonly symbols = new Map<string, Symbol>();
  /** Nested resources by their own name, for references inside their parent. */
  private readonly nested = new Map<string, ResourceSymbol[]>();
  private readonly supplied = new Map<string, Value>();
  /** Values of the parameters and variables evaluated, by name (taken over after an edit: see takeOver). */
  private readonly params = new Map<string, BVal>();
  private readonly vars = new Map<string, BVal>();
  private readonly inProgress = new Set<string>();
  private readonly resourceInstances = new Map<A.ResourceDeclaration, ResourceInstance[] | Unknown>();
  private readonly moduleInstances = new Map<A.ModuleDeclaration, { instances: ModuleInstance[] | Unknown; resources: EvaluatedResource[] }>();
  private readonly reported = new Set<string>();
  private readonly symbolScope: string;
  private readonly deployment: string;
  private readonly scope: DeploymentScope;
  private readonly budget: number;
  private steps = 0;
  private depth = 0;
  private budgetReported = false;
  private readonly shared: EvaluationRun;

  /** The program's statements, where unchanged old ones may stand for their re-parses. */
  private readonly statements: A.Statement[];

  constructor(
    private readonly file: SourceFile,
    private readonly program: A.Program,
    private options: BicepEvaluationOptions,
  ) {
    this.statements = [...program.statements];
    this.problems = options.problems ?? [];
    this.symbolScope = options.symbolScope ?? file.path;
    this.deployment = options.deployment ?? this.symbolScope;
    this.scope = options.scope ?? CURRENT_SCOPE;
    this.budget = options.budget ?? DEFAULT_BUDGET;
    this.shared = options.run ?? new EvaluationRun(file.path);
    for (const [k, v] of Object.entries(options.parameters ?? {})) this.supplied.set(k, v);
    for (const s of program.statements) {
      switch (s.kind) {
        case 'ParamDeclaration':
          this.symbols.set(s.name.name, { kind: 'param', decl: s });
          break;
        case 'VarDeclaration':
          this.symbols.set(s.name.name, { kind: 'var', decl: s });
          break;
        case 'ResourceDeclaration':
          this.declareResource(s, undefined);
          break;
        case 'ModuleDeclaration':
          this.symbols.set(s.name.name, { kind: 'module', decl: s });
          break;
        case 'FuncDeclaration':
          this.symbols.set(s.name.name, { kind: 'func', decl: s });
          break;
        default:
          break;
      }
    }
    if (options.previous) {
      this.takeOver(options.previous);
      // Not kept: the instances this evaluation makes keep it alive, and through the previous
      // state every evaluation of the file before it (a Bicep file's every keystroke, for good).
      const { previous: _, ...rest } = options;
      this.options = rest;
    }
  }

  private declareResource(decl: A.ResourceDeclaration, parent: ResourceSymbol | undefined): void {
    const sym: ResourceSymbol = { kind: 'resource', decl, parent };
    this.ownerOf.set(decl, parent ? (this.ownerOf.get(parent.decl) as string) : decl.name.name);
    if (parent) {
      const list = this.nested.get(decl.name.name) ?? [];
      list.push(sym);
      this.nested.set(decl.name.name, list);
    } else {
      this.symbols.set(decl.name.name, sym);
    }
    for (const child of bodyOf(decl.value)?.resources ?? []) this.declareResource(child, sym);
  }

  // ---------------------------------------------------------------- problems and guards

  /**
   * The span of a node, read when it is used: an incremental re-parse moves the offsets of the
   * nodes it keeps, and values computed before stay valid.
   */
  private span(node: A.Span): SourceSpan {
    const file = this.file.path;
    return {
      file,
      get start(): number {
        return node.start;
      },
      get end(): number {
        return node.end;
      },
    };
  }

  private problem(node: A.Span, message: string, severity: 'warning' | 'info' = 'warning'): void {
    const key = `${node.start}:${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const problem: EvaluationProblem = { span: this.span(node), message, severity };
    this.problems.push(problem);
    this.options.onProblem?.(problem);
    const owner = this.evaluating[this.evaluating.length - 1];
    if (owner !== undefined) {
      const list = this.problemsOf.get(owner) ?? [];
      list.push(problem);
      this.problemsOf.set(owner, list);
    }
  }

  // ---------------------------------------------------------------- incremental re-evaluation

  /** Top-level declarations being evaluated (innermost last): what reads a symbol depends on it. */
  private readonly evaluating: string[] = [];
  /** For each top-level declaration, the names it read. */
  private readonly deps = new Map<string, Set<string>>();
  /**
   * For each top-level declaration, the resources it read only the identity of: `x.id`, `x.name`,
   * `x.type`, which follow from the resource's type, name, parent, scope, loop and condition, not
   * from its body. An edit of a resource's body leaves these readers alone (see takeOver).
   */
  private readonly identityDeps = new Map<string, Set<string>>();
  /** Problems found while evaluating each top-level declaration. */
  private readonly problemsOf = new Map<string, EvaluationProblem[]>();
  /** The top-level declaration each (nested) resource declaration belongs to. */
  private readonly ownerOf = new Map<A.Statement | A.ResourceDeclaration, string>();

  private within<T>(owner: string | undefined, f: () => T): T {
    if (owner === undefined) return f();
    this.evaluating.push(owner);
    try {
      return f();
    } finally {
      this.evaluating.pop();
    }
  }

  /**
   * Problems of declarations taken over from the previous evaluation. Like everything here they
   * are found lazily: they count only once the declaration (or one that read it) is used again.
   */
  private readonly pendingProblems = new Map<string, EvaluationProblem[]>();

  private readonly usedNames = new Set<string>();

  private used(name: string): void {
    if (this.pendingProblems.size === 0 || this.usedNames.has(name)) return;
    this.usedNames.add(name);
    const pending = this.pendingProblems.get(name);
    if (pending) {
      this.pendingProblems.delete(name);
      this.problemsOf.set(name, pending);
      this.problems.push(...pending);
    }
    // What it read was used with it (its problems were found while evaluating it).
    for (const d of this.deps.get(name) ?? []) this.used(d);
    for (const d of this.identityDeps.get(name) ?? []) this.used(d);
  }

  private dependsOn(name: string, identityOnly = false): void {
    this.used(name);
    const owner = this.evaluating[this.evaluating.length - 1];
    if (owner === undefined || owner === name) return;
    const map = identityOnly ? this.identityDeps : this.deps;
    let set = map.get(owner);
    if (!set) map.set(owner, (set = new Set()));
    set.add(name);
  }

  /** What a later evaluation of an edited version of this file may take over. */
  state(): BicepIncrementalState {
    return {
      file: this.file.path,
      text: this.file.text,
      statements: [...this.statements],
      options: this.options,
      params: this.params,
      vars: this.vars,
      resourceInstances: this.resourceInstances,
      moduleInstances: this.moduleInstances,
      deps: this.deps,
      identityDeps: this.identityDeps,
      problemsOf: this.problemsOf,
    };
  }

  /**
   * Takes over from the evaluation of the previous text what no edit reached: a declaration
   * whose text is unchanged and that reads (directly or not) no changed declaration keeps its
   * values, resource instances (with their evaluated bodies) and problems.
   */
  private takeOver(previous: BicepIncrementalState): void {
    if (previous.file !== this.file.path || !sameOptions(previous.options, this.options)) return;
    const oldByName = new Map<string, A.Statement>();
    for (const st of previous.statements) {
      const n = statementName(st);
      if (n === undefined) {
        if (st.kind !== 'ErrorStatement') oldByName.set(`\u0000${st.kind}`, st);
        continue;
      }
      oldByName.set(n, st);
    }
    const changed = new Set<string>();
    // Changed resources whose identity (type, name, parent, scope, loop, condition) reads as before.
    const sameIdentity = new Set<string>();
    const kept = new Map<A.Statement, A.Statement>(); // new statement -> old one it stands for
    const seen = new Set<string>();
    for (const st of this.program.statements) {
      const n = statementName(st) ?? `\u0000${st.kind}`;
      seen.add(n);
      const old = oldByName.get(n);
      if (!old) {
        changed.add(n);
        continue;
      }
      if (old === st) kept.set(st, old);
      else if (old.kind === st.kind && previous.text.slice(old.start, old.end) === this.file.text.slice(st.start, st.end) && old.start === st.start) kept.set(st, old);
      else {
        changed.add(n);
        if (old.kind === 'ResourceDeclaration' && st.kind === 'ResourceDeclaration') {
          const was = identityText(old, previous.text);
          if (was !== undefined && was === identityText(st, this.file.text)) sameIdentity.add(n);
        }
      }
    }
    for (const n of oldByName.keys()) if (!seen.has(n)) changed.add(n);
    // Anything but named declarations (targetScope, imports, ...) changed: start afresh.
    if ([...changed].some((n) => n.startsWith('\u0000'))) return;
    // Everything that reads a changed declaration, directly or not, is evaluated again; what
    // reads only a resource's identity, only when that identity may have changed: its own text
    // there, or anything it read (a declaration evaluated again may change in any way).
    const invertedDeps = (deps: Map<string, Set<string>>): Map<string, string[]> => {
      const readers = new Map<string, string[]>();
      for (const [owner, names] of deps) {
        for (const n of names) {
          const list = readers.get(n);
          if (list) list.push(owner);
          else readers.set(n, [owner]);
        }
      }
      return readers;
    };
    const readers = invertedDeps(previous.deps);
    const identityReaders = invertedDeps(previous.identityDeps);
    const invalid = new Set(changed);
    const identityChanged = new Set<string>();
    for (const n of changed) if (!sameIdentity.has(n)) identityChanged.add(n);
    const queue = [...changed];
    while (queue.length) {
      const n = queue.pop() as string;
      const through = identityChanged.has(n) ? [readers.get(n), identityReaders.get(n)] : [readers.get(n)];
      for (const list of through) {
        for (const r of list ?? []) {
          if (identityChanged.has(r)) continue;
          // (Seen again once its identity may have changed: its identity's readers are reached then.)
          invalid.add(r);
          identityChanged.add(r);
          queue.push(r);
        }
      }
    }
    for (const [st, old] of kept) {
      const n = statementName(st);
      if (n === undefined || invalid.has(n)) continue;
      if (st !== old) this.adopt(st, old);
      if (previous.params.has(n)) this.params.set(n, previous.params.get(n) as BVal);
      if (previous.vars.has(n)) this.vars.set(n, previous.vars.get(n) as BVal);
      if (old.kind === 'ResourceDeclaration') this.adoptResources(old, previous);
      if (old.kind === 'ModuleDeclaration') {
        const m = previous.moduleInstances.get(old) as ReturnType<BicepEvaluator['modulesOf']> | undefined;
        if (m) this.moduleInstances.set(old, m);
      }
      const d = previous.deps.get(n);
      if (d) this.deps.set(n, d);
      const ids = previous.identityDeps.get(n);
      if (ids) this.identityDeps.set(n, ids);
      const probs = previous.problemsOf.get(n);
      if (probs) this.pendingProblems.set(n, probs);
    }
  }

  /** Uses an old, textually identical statement (before the edit) in place of its re-parse. */
  private adopt(st: A.Statement, old: A.Statement): void {
    const n = statementName(st) as string;
    const sym = this.symbols.get(n);
    if (!sym) return;
    switch (old.kind) {
      case 'ParamDeclaration':
      case 'VarDeclaration':
      case 'ModuleDeclaration':
      case 'FuncDeclaration':
        (sym as { decl: A.Statement }).decl = old;
        break;
      case 'ResourceDeclaration':
        this.symbols.delete(n);
        for (const [k, list] of this.nested) this.nested.set(k, list.filter((x) => this.ownerOf.get(x.decl) !== n));
        this.declareResource(old, undefined);
        break;
      default:
        break;
    }
    const idx = this.statements.indexOf(st);
    if (idx >= 0) this.statements[idx] = old;
  }

  private adoptResources(decl: A.ResourceDeclaration, previous: BicepIncrementalState): void {
    const instances = previous.resourceInstances.get(decl) as ResourceInstance[] | Unknown | undefined;
    if (instances) this.resourceInstances.set(decl, instances);
    for (const child of bodyOf(decl.value)?.resources ?? []) this.adoptResources(child, previous);
  }

  private guarded<T extends BVal>(node: A.Span, f: () => T): T | Unknown {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
      if (!this.budgetReported) {
        this.budgetReported = true;
        this.problem(node, `Evaluation stopped: the file needs more than ${this.budget.toLocaleString('en-US')} evaluation steps; values past this point are unknown.`);
      }
      return new Unknown('the evaluation budget was exhausted');
    }
  }

  // ---------------------------------------------------------------- the deployment

  run(): EvaluatedResource[] {
    const out: EvaluatedResource[] = [];
    const visit = (sym: ResourceSymbol): void => {
      const instances = this.instancesOf(sym);
      if (!(instances instanceof Unknown)) for (const i of instances) out.push(i.resource);
      for (const child of bodyOf(sym.decl.value)?.resources ?? []) {
        const childSym = this.nested.get(child.name.name)?.find((s) => s.decl === child);
        if (childSym) visit(childSym);
      }
    };
    for (const s of this.statements) {
      if (s.kind === 'ResourceDeclaration') {
        this.used(s.name.name);
        visit(this.symbols.get(s.name.name) as ResourceSymbol);
      } else if (s.kind === 'ModuleDeclaration') {
        this.used(s.name.name);
        out.push(...this.modulesOf(s).resources);
      }
    }
    return out;
  }

  outputs(): Record<string, Value> {
    const result: Record<string, Value> = {};
    for (const s of this.statements) {
      if (s.kind !== 'OutputDeclaration') continue;
      const v = this.guarded(s, () => this.eval(s.value, undefined));
      result[s.name.name] = this.toValue(v);
    }
    return result;
  }

  paramAssignments(): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const s of this.statements) {
      if (s.kind === 'VarDeclaration') this.symbols.set(s.name.name, { kind: 'var', decl: s });
    }
    for (const s of this.statements) {
      if (s.kind === 'ParamAssignment') out[s.name.name] = this.toValue(this.guarded(s, () => this.eval(s.value, undefined)));
    }
    return out;
  }

  // ---------------------------------------------------------------- resources

  private instancesOf(sym: ResourceSymbol): ResourceInstance[] | Unknown {
    const cached = this.resourceInstances.get(sym.decl);
    if (cached) return cached;
    if (this.inProgress.has(`r:${sym.decl.start}`)) {
      this.problem(sym.decl.name, `Resource '${sym.decl.name.name}' refers to itself.`);
      return new Unknown(`resource '${sym.decl.name.name}' refers to itself`);
    }
    this.inProgress.add(`r:${sym.decl.start}`);
    let result: ResourceInstance[] | Unknown;
    const owner = this.ownerOf.get(sym.decl);
    this.evaluating.push(owner ?? sym.decl.name.name);
    try {
      const parents = sym.parent ? this.instancesOf(sym.parent) : [undefined];
      if (parents instanceof Unknown) result = parents;
      else {
        result = [];
        for (const parent of parents) {
          const made = this.expand(sym.decl.value, undefined, (body, scope, copy, condition) => this.makeResource(sym, parent, body, scope, copy, condition));
          if (made instanceof Unknown) {
            result = made;
            break;
          }
          result.push(...made);
        }
      }
    } finally {
      this.evaluating.pop();
      this.inProgress.delete(`r:${sym.decl.start}`);
    }
    this.resourceInstances.set(sym.decl, result);
    return result;
  }

  /**
   * Expands a resource or module value (body, `if`, `for`) into one item per deployed instance.
   * An iterable that cannot be evaluated gives one stand-in instance with an unknown index.
   */
  private expand<T>(
    value: A.ResourceValue,
    scope: Scope | undefined,
    make: (body: A.ObjectExpression, scope: Scope | undefined, copy: EvaluatedResource['copy'], condition: true | Unknown) => T | undefined,
  ): T[] | Unknown {
    const out: T[] = [];
    const withCondition = (v: A.ObjectExpression | A.IfCondition | A.ErrorNode | A.Expression, s: Scope | undefined, copy: EvaluatedResource['copy']): Unknown | undefined => {
      if (v.kind === 'Object') {
        const made = make(v, s, copy, true);
        if (made !== undefined) out.push(made);
        return undefined;
      }
      if (v.kind === 'If') {
        const cond = this.toValue(this.guarded(v.condition, () => this.eval(v.condition, s)));
        if (cond === false) return undefined;
        if (v.body.kind !== 'Object') return undefined;
        const condition = cond === true ? true : cond instanceof Unknown ? cond : new Unknown('the condition is not a bool');
        const made = make(v.body, s, copy, condition);
        if (made !== undefined) out.push(made);
        return undefined;
      }
      return undefined;
    };
    if (value.kind === 'For') {
      const items = this.loopItems(value, scope);
      const loopName = undefined;
      if (items instanceof Unknown) {
        const index = new Unknown('the number of loop iterations is not known');
        const s = this.loopScope(value, scope, index, index);
        withCondition(value.body, s, { loopName, index, countKnown: false });
        return out;
      }
      items.forEach((item, i) => {
        const s = this.loopScope(value, scope, item, i);
        withCondition(value.body, s, { loopName, index: i, countKnown: true });
      });
      return out;
    }
    if (value.kind === 'Error') return out;
    withCondition(value, scope, undefined);
    return out;
  }

  private loopItems(loop: A.ForExpression, scope: Scope | undefined): BVal[] | Unknown {
    const it = this.guarded(loop.iterable, () => this.eval(loop.iterable, scope));
    if (it instanceof ResourceCollection || it instanceof ModuleCollection) {
      const instances = it.instances;
      if (instances instanceof Unknown) return instances;
      const unknownCount = (instances as (ResourceInstance | ModuleInstance)[]).find((x) => iterationOf(x)?.countKnown === false);
      if (unknownCount) return new Unknown('the loop goes over a collection whose length is not known');
      return instances.map((x) => (it instanceof ResourceCollection ? new ResourceRef(x as ResourceInstance) : new ModuleRef(x as ModuleInstance)));
    }
    if (it instanceof Unknown) return it;
    if (!Array.isArray(it)) {
      this.problem(loop.iterable, 'A for loop needs an array to go over.');
      return new Unknown('the loop does not go over an array');
    }
    if (it.length > ARM_COPY_LIMIT) {
      this.problem(loop.iterable, `The loop has ${it.length} iterations; ARM allows at most ${ARM_COPY_LIMIT}, so this will not deploy. Only the first ${ARM_COPY_LIMIT} are analyzed.`);
      return it.slice(0, ARM_COPY_LIMIT);
    }
    return it;
  }

  private loopScope(loop: A.ForExpression, parent: Scope | undefined, item: BVal, index: Value): Scope {
    const vars = new Map<string, BVal>([[loop.item.name, item]]);
    if (loop.index) vars.set(loop.index.name, index);
    return { vars, parent };
  }

  private makeResource(
    sym: ResourceSymbol,
    parent: ResourceInstance | undefined,
    body: A.ObjectExpression,
    scope: Scope | undefined,
    copy: EvaluatedResource['copy'],
    condition: true | Unknown,
  ): ResourceInstance {
    const decl = sym.decl;
    const typeText = decl.type.kind === 'String' ? (decl.type.value ?? '') : '';
    // `az:My.Rp/type@version`: the extension's namespace is not part of the ARM type.
    let type = typeText.replace(/@.*$/, '').replace(/^[A-Za-z_][A-Za-z0-9_]*:(?=[^/]+\.[^/]+\/)/, '');
    const parentProp = findProp(body, 'parent');
    let parentInstance = parent;
    if (!parentInstance && parentProp) {
      const p = this.eval(parentProp.value, scope);
      if (p instanceof ResourceRef) parentInstance = p.instance;
    }
    if (parentInstance && !/^[^/]+\.[^/]+\//.test(type)) type = `${parentInstance.resource.type}/${type}`;
    const nameProp = findProp(body, 'name');
    let name: Value = nameProp ? this.toValue(this.guarded(nameProp.value, () => this.eval(nameProp.value, scope))) : new Unknown('the resource has no name');
    const names = parentInstance ? [...parentInstance.resource.segments, name] : typeof name === 'string' ? name.split('/') : [name];
    if (parentInstance) name = joinParts([parentInstance.resource.name, '/', name]);
    const scopeProp = findProp(body, 'scope');
    const scopeValue = scopeProp ? this.toValue(this.eval(scopeProp.value, scope)) : undefined;
    const id = isResourceScope(scopeValue)
      ? buildResourceId('extension', [getProp(scopeValue, 'id') as Value, type, ...names])
      : buildResourceId('resourceGroup', [type, ...names], scopeFrom(scopeValue, this.scope));
    let evaluatedBody: ValueObject | undefined;
    const owner = this.ownerOf.get(decl);
    let inBody = false;
    const bodyOnce = (): ValueObject => {
      if (!evaluatedBody) {
        if (inBody) {
          // The body reads its own resource's properties: what it reads is not known.
          this.problem(decl.name, `Resource '${decl.name.name}' refers to its own properties.`);
          return {};
        }
        inBody = true;
        try {
          const v = this.within(owner, () => this.guarded(body, () => this.evalObject(body, scope, RESOURCE_SKIP_KEYS)));
          evaluatedBody = isObject(v) ? v : {};
        } finally {
          inBody = false;
        }
      }
      return evaluatedBody;
    };
    // A resource nested in a conditional one is deployed only with it (the compiler writes `and(parent, own)`).
    if (parent && parent.resource.condition !== true) condition = condition === true ? parent.resource.condition : bothConditions(parent.resource.condition, condition);
    const resource: EvaluatedResource = {
      file: this.file.path,
      span: this.span(decl),
      type,
      name,
      segments: names,
      id,
      condition,
      existing: decl.existing,
      deployment: this.deployment,
      symbolicName: decl.name.name,
      body: bodyOnce,
    };
    if (parentInstance) resource.parent = parentInstance.resource;
    if (copy) resource.copy = copy;
    if (this.options.parameterSource !== undefined) resource.parameterSource = this.options.parameterSource;
    if (this.options.via?.length) resource.via = this.options.via;
    const instance: ResourceInstance = { resource, body: bodyOnce };
    return instance;
  }

  /** A resource as its references see it: id, name, type, apiVersion, and its declared values. */
  private resourceView(instance: ResourceInstance): ValueObject {
    const r = instance.resource;
    const body = instance.body();
    const view: ValueObject = { ...body, id: r.id, name: typeof r.name === 'string' ? (r.name.split('/').pop() as string) : r.name, type: r.type };
    const props = getProp(body, 'properties');
    if (isObject(props)) view.properties = withImpliedIds(props, r.id);
    return view;
  }

  private resourceMember(instance: ResourceInstance, name: string, safe: boolean): BVal {
    const r = instance.resource;
    switch (name) {
      case 'id':
        return r.id;
      case 'name':
        return typeof r.name === 'string' ? (r.name.split('/').pop() as string) : r.name;
      case 'type':
        return r.type;
      case 'apiVersion':
        return new Unknown('the API version is not evaluated');
    }
    if (r.existing) {
      const declared = this.options.host?.findDeclared?.(r.id);
      if (!declared) return new Unknown(`existing resource '${r.symbolicName}' is not declared in the workspace; its properties are read at deployment`);
      const v = getProp(this.resourceView({ resource: declared, body: () => declared.body() }), name);
      return v ?? (safe ? null : new Unknown(`'${r.symbolicName}' has no property '${name}' where it is declared`));
    }
    const v = getProp(this.resourceView(instance), name);
    if (v === undefined) return safe ? null : new Unknown(`'${r.symbolicName}' has no property '${name}' in the template`);
    return v;
  }

  // ---------------------------------------------------------------- modules

  private modulesOf(decl: A.ModuleDeclaration): { instances: ModuleInstance[] | Unknown; resources: EvaluatedResource[] } {
    const cached = this.moduleInstances.get(decl);
    if (cached) return cached;
    return this.within(decl.name.name, () => this.evaluateModule(decl));
  }

  private evaluateModule(decl: A.ModuleDeclaration): { instances: ModuleInstance[] | Unknown; resources: EvaluatedResource[] } {
    const entry = { instances: [] as ModuleInstance[] | Unknown, resources: [] as EvaluatedResource[] };
    this.moduleInstances.set(decl, entry);
    const path = decl.path.kind === 'String' ? decl.path.value : null;
    if (path === null) {
      entry.instances = new Unknown('the module path is not a plain string');
      return entry;
    }
    const via = this.options.via ?? [];
    let target: Exclude<LoadedTemplate, { kind: 'unread' }> | undefined;
    let opaque: string | undefined;
    if (/^(br|ts)[:/]/i.test(path)) {
      opaque = `registry module '${path}' is not read`;
      this.problem(decl.path, `Registry module '${path}' is not read: its resources, members and outputs are unknown to ilb-hairpin.`, 'info');
    } else if (via.length >= MAX_MODULE_DEPTH) {
      this.problem(decl, `Modules nest more than ${MAX_MODULE_DEPTH} levels deep; this one is not evaluated.`);
      entry.instances = new Unknown('modules nest too deeply');
      return entry;
    } else {
      const loaded = this.options.host?.load(this.file.path, path);
      if (loaded?.kind === 'unread') {
        opaque = `module '${path}' is not evaluated: ${loaded.reason}`;
        this.problem(decl.path, `Module '${path}' is not evaluated: ${loaded.reason}; its outputs are unknown.`, 'info');
      } else if (!loaded) {
        opaque = `module '${path}' is not in the workspace`;
        this.problem(decl.path, `Module '${path}' is not in the workspace; its resources, members and outputs are unknown.`, 'info');
      } else {
        target = loaded;
      }
    }
    const targetPath = target ? (target.kind === 'bicep' ? target.file.path : target.document.file.path) : path;
    if (target && (targetPath === this.file.path || via.some((c) => c.target === targetPath || c.file === targetPath))) {
      this.problem(decl.path, `Module '${path}' includes itself; it is not evaluated again.`);
      entry.instances = new Unknown('the module includes itself');
      return entry;
    }
    const instances = this.expand(decl.value, undefined, (body, scope, copy, condition) => {
      const index = copy ? String(copy.index) : '';
      const call: ModuleCall = { file: this.file.path, span: this.span(decl.name), name: decl.name.name, target: targetPath };
      const paramsProp = findProp(body, 'params');
      const params = paramsProp ? this.toValue(this.guarded(paramsProp.value, () => this.eval(paramsProp.value, scope))) : {};
      const nameProp = findProp(body, 'name');
      const name = nameProp ? this.toValue(this.eval(nameProp.value, scope)) : defaultModuleName(decl.name.name);
      const scopeProp = findProp(body, 'scope');
      const childScope = scopeProp ? scopeFrom(this.evalValue(scopeProp.value, scope), this.scope) : this.scope;
      // A module's problems belong to its declaration here, whenever they are found.
      const onProblem = (problem: EvaluationProblem): void => {
        const list = this.problemsOf.get(decl.name.name) ?? [];
        list.push(problem);
        this.problemsOf.set(decl.name.name, list);
        this.options.onProblem?.(problem);
      };
      const childOptions = {
        onProblem,
        parameters: isObject(params) ? params : {},
        scope: childScope,
        symbolScope: `${this.symbolScope}>${decl.name.name}${index ? `[${index}]` : ''}`,
        deployment: this.deployment,
        via: [...via, call],
        problems: this.problems,
        run: this.shared,
      };
      let outputs: () => Record<string, Value>;
      // The module is a deployment (as in the compiled template); its resources follow it. A
      // module that is not read is kept as an opaque deployment whose parameters may still name pools.
      const parameters: Value = isObject(params) ? params : {};
      const resource: EvaluatedResource = {
        file: this.file.path,
        span: this.span(decl),
        type: 'Microsoft.Resources/deployments',
        name,
        segments: [name],
        id: buildResourceId('resourceGroup', ['Microsoft.Resources/deployments', name], childScope),
        condition,
        existing: false,
        deployment: this.deployment,
        symbolicName: decl.name.name,
        body: () => ({ properties: { parameters } }),
      };
      if (copy) resource.copy = copy;
      if (this.options.parameterSource !== undefined) resource.parameterSource = this.options.parameterSource;
      if (via.length) resource.via = via;
      entry.resources.push(resource);
      let key: string | undefined;
      if (target) {
        // The same target with the same inputs deploys the same resources: evaluated once.
        const source = target.kind === 'bicep' ? target.file : target.document.file;
        key = instanceKey(targetPath, params, childScope, readsDeploymentName(source) ? `name=${String(name)}` : '');
        const known = this.shared.recall<() => Record<string, Value>>(key);
        if (known) {
          let memo: Record<string, Value> | undefined;
          return { name, copy, outputs: () => (memo ??= this.within(decl.name.name, known.outputs)) };
        }
        const refused = this.shared.admit(source.text.length, `${childOptions.symbolScope} (${shortName(targetPath)})`);
        if (refused !== undefined) {
          if (refused) this.problem(decl.path, refused);
          return { name, copy, outputs: () => new Unknown('the module is not evaluated: the evaluation budget of its root ran out') };
        }
      }
      if (!target) {
        const reason = opaque ?? 'the module is not read';
        resource.opaque = { path, reason };
        return { name, copy, outputs: () => new Unknown(reason) };
      }
      if (target.kind === 'bicep') {
        const child = evaluateBicep(target.file, target.program, {
          ...childOptions,
          ...(this.options.host ? { host: this.options.host } : {}),
          ...(this.options.parameterSource !== undefined ? { parameterSource: this.options.parameterSource } : {}),
        });
        entry.resources.push(...child.resources);
        outputs = child.outputs;
      } else {
        const child = evaluateArmTemplate(target.document, childOptions);
        for (const r of child.resources) {
          r.via = childOptions.via;
          r.deployment = this.deployment;
          if (this.options.parameterSource !== undefined) r.parameterSource = this.options.parameterSource;
        }
        entry.resources.push(...child.resources);
        outputs = child.outputs;
      }
      this.shared.remember(key, outputs);
      let memo: Record<string, Value> | undefined;
      const instance: ModuleInstance = { name, copy, outputs: () => (memo ??= this.within(decl.name.name, outputs)) };
      return instance;
    });
    entry.instances = instances;
    return entry;
  }

  private moduleMember(instance: ModuleInstance, name: string): BVal {
    if (name === 'name') return instance.name;
    if (name === 'outputs') {
      const outs = instance.outputs();
      return outs instanceof Unknown ? outs : (outs as ValueObject);
    }
    return new Unknown(`module property '${name}' is not evaluated`);
  }

  // ---------------------------------------------------------------- symbols

  /** `identityOnly`: the caller reads only the resource's `id`, `name` or `type` (see identityDeps). */
  private lookup(name: string, scope: Scope | undefined, at: A.Span, identityOnly = false): BVal {
    for (let s = scope; s; s = s.parent) {
      if (s.vars.has(name)) return s.vars.get(name) as BVal;
    }
    const sym = this.symbols.get(name) ?? this.nested.get(name)?.[0];
    if (sym) {
      this.dependsOn(sym.kind === 'resource' ? (this.ownerOf.get(sym.decl) ?? name) : name, identityOnly && sym.kind === 'resource');
      return this.symbolValue(sym, at);
    }
    if (name === 'az' || name === 'sys') return new Namespace(name);
    return new Unknown(`'${name}' is not declared`, name);
  }

  private symbolValue(sym: Symbol, at: A.Span): BVal {
    switch (sym.kind) {
      case 'param':
        return this.parameter(sym.decl);
      case 'var':
        return this.variable(sym.decl);
      case 'resource': {
        const instances = this.instancesOf(sym);
        if (sym.decl.value.kind === 'For') return new ResourceCollection(instances);
        if (instances instanceof Unknown) return instances;
        const first = instances[0];
        if (!first) return new Unknown(`resource '${sym.decl.name.name}' is not deployed (its condition is false)`);
        return new ResourceRef(first);
      }
      case 'module': {
        const { instances } = this.modulesOf(sym.decl);
        if (sym.decl.value.kind === 'For') return new ModuleCollection(instances);
        if (instances instanceof Unknown) return instances;
        const first = instances[0];
        if (!first) return new Unknown(`module '${sym.decl.name.name}' is not deployed (its condition is false)`);
        return new ModuleRef(first);
      }
      case 'func':
        this.problem(at, `Function '${sym.decl.name.name}' must be called.`);
        return new Unknown('a function is not a value');
    }
  }

  private parameter(decl: A.ParamDeclaration): BVal {
    const name = decl.name.name;
    if (this.supplied.has(name)) return this.supplied.get(name) as Value;
    const cached = this.params.get(name);
    if (cached !== undefined) return cached;
    const key = `p:${name}`;
    let value: BVal;
    if (decl.defaultValue) {
      if (this.inProgress.has(key)) {
        this.problem(decl.name, `The default of parameter '${name}' refers to itself.`);
        return new Unknown(`parameter '${name}' refers to itself`);
      }
      this.inProgress.add(key);
      value = this.within(name, () => this.guarded(decl.defaultValue as A.Expression, () => this.eval(decl.defaultValue as A.Expression, undefined)));
      this.inProgress.delete(key);
    } else {
      value = new Unknown(`parameter '${name}' has no value`, name, `${this.symbolScope}#parameters('${name.toLowerCase()}')`);
    }
    this.params.set(name, value);
    return value;
  }

  private variable(decl: A.VarDeclaration): BVal {
    const name = decl.name.name;
    const cached = this.vars.get(name);
    if (cached !== undefined) return cached;
    const key = `v:${name}`;
    if (this.inProgress.has(key)) {
      this.problem(decl.name, `Variable '${name}' refers to itself (directly or through other variables); its value is unknown.`);
      return new Unknown(`variable '${name}' refers to itself`);
    }
    this.inProgress.add(key);
    let value: BVal;
    try {
      value = this.within(name, () => this.guarded(decl.value, () => this.eval(decl.value, undefined)));
    } finally {
      this.inProgress.delete(key);
    }
    this.vars.set(name, value);
    return value;
  }

  // ---------------------------------------------------------------- expressions

  /** Turns references into plain values (a resource reference becomes its view object). */
  private toValue(v: BVal): Value {
    if (isPlain(v)) return v;
    if (v instanceof ResourceRef) return this.resourceView(v.instance);
    if (v instanceof ResourceCollection) return v.instances instanceof Unknown ? v.instances : v.instances.map((i) => this.resourceView(i));
    if (v instanceof ModuleRef) return { name: v.instance.name };
    if (v instanceof ModuleCollection) return v.instances instanceof Unknown ? v.instances : v.instances.map((i) => ({ name: i.name }));
    return new Unknown('a function or namespace is not a value');
  }

  private evalValue(e: A.Expression, scope: Scope | undefined): Value {
    return this.toValue(this.eval(e, scope));
  }

  eval(e: A.Expression, scope: Scope | undefined): BVal {
    if (++this.steps > this.budget) throw new BudgetExceeded();
    if (this.depth >= MAX_NESTING) {
      this.problem(e, `Expressions nested more than ${MAX_NESTING} levels deep are not evaluated.`);
      return new Unknown('nested too deeply');
    }
    this.depth++;
    try {
      return this.evalInner(e, scope);
    } finally {
      this.depth--;
    }
  }

  private evalInner(e: A.Expression, scope: Scope | undefined): BVal {
    switch (e.kind) {
      case 'String':
        return this.evalString(e, scope);
      case 'Integer':
        return e.value;
      case 'Boolean':
        return e.value;
      case 'Null':
        return null;
      case 'Identifier':
        return this.lookup(e.name, scope, e);
      case 'Object':
        return this.evalObject(e, scope);
      case 'Array':
        return this.evalArray(e, scope);
      case 'Parenthesized':
        return this.eval(e.expression, scope);
      case 'NonNull':
        return this.eval(e.expression, scope);
      case 'Unary': {
        const v = this.evalValue(e.operand, scope);
        if (v instanceof Unknown) return v;
        if (e.operator === '!') return typeof v === 'boolean' ? !v : new Unknown("'!' needs a bool");
        return typeof v === 'number' ? -v : new Unknown("'-' needs an int");
      }
      case 'Binary':
        return this.evalBinary(e, scope);
      case 'Ternary': {
        const c = this.evalValue(e.condition, scope);
        if (c === true) return this.eval(e.whenTrue, scope);
        if (c === false) return this.eval(e.whenFalse, scope);
        const a = this.evalValue(e.whenTrue, scope);
        const b = this.evalValue(e.whenFalse, scope);
        return c instanceof Unknown ? undecided(c, a, b) : deepEqual(a, b) ? a : new Unknown('the condition is not a bool');
      }
      case 'PropertyAccess':
        if (e.object.kind === 'Identifier' && IDENTITY_MEMBERS.has(e.property.name)) {
          return this.member(this.lookup(e.object.name, scope, e.object, true), e.property.name, e.safe);
        }
        return this.member(this.eval(e.object, scope), e.property.name, e.safe);
      case 'IndexAccess':
        return this.index(e, scope);
      case 'ResourceAccess': {
        const parent = this.eval(e.object, scope);
        const childSym = this.nested.get(e.name.name)?.find((s) => !(parent instanceof ResourceRef) || s.parent?.decl.name.name === parent.instance.resource.symbolicName);
        if (childSym) {
          this.dependsOn(this.ownerOf.get(childSym.decl) ?? e.name.name);
          return this.symbolValue(childSym, e);
        }
        if (parent instanceof ResourceRef && parent.instance.resource.existing) {
          // A child of an existing resource that is not declared here: its ID follows from the names.
          return new Unknown(`'${e.name.name}' is not declared under '${parent.instance.resource.symbolicName}'`);
        }
        return new Unknown(`'${e.name.name}' is not a child resource here`);
      }
      case 'Call':
        return this.evalCall(e, scope);
      case 'Lambda':
        return new Lambda(e, scope ?? { vars: new Map(), parent: undefined });
      case 'For':
        return this.evalFor(e, scope);
      case 'Error':
        return new Unknown('the expression is incomplete');
    }
  }

  private evalString(e: A.StringExpression, scope: Scope | undefined): Value {
    if (e.value !== null) return e.value;
    const parts: Value[] = [];
    e.segments.forEach((seg, i) => {
      parts.push(seg);
      const x = e.expressions[i];
      if (!x) return;
      const v = this.evalValue(x, scope);
      parts.push(interpolated(v));
    });
    const joined = joinParts(parts);
    if (typeof joined === 'string' && joined.length > MAX_STRING) {
      this.problem(e, `This string grows past ${MAX_STRING.toLocaleString('en-US')} characters; it is not evaluated.`);
      return new Unknown('a string too long to evaluate');
    }
    return joined;
  }

  private evalObject(e: A.ObjectExpression, scope: Scope | undefined, skip?: ReadonlySet<string>): ValueObject {
    const obj: ValueObject = {};
    for (const p of e.properties) {
      if (p.kind === 'Spread') {
        const v = this.evalValue(p.expression, scope);
        if (isObject(v)) Object.assign(obj, v);
        else if (v instanceof Unknown) obj['...'] = v;
        continue;
      }
      const key = p.key.kind === 'Identifier' ? p.key.name : p.key.kind === 'String' ? this.evalString(p.key, scope) : undefined;
      if (typeof key !== 'string') continue;
      if (skip?.has(key.toLowerCase())) continue;
      obj[key] = this.evalValue(p.value, scope);
    }
    const file = this.file.path;
    setOrigin(obj, {
      span: this.span(e),
      property: (k, part = 'value') => {
        const prop = findProp(e, k);
        if (!prop) return undefined;
        const target = part === 'key' ? prop.key : prop.value;
        return { file, start: target.start, end: target.end };
      },
    });
    return obj;
  }

  private evalArray(e: A.ArrayExpression, scope: Scope | undefined): Value {
    const arr: Value[] = [];
    const spans: A.Span[] = [];
    for (const item of e.items) {
      if (item.kind === 'Spread') {
        const v = this.evalValue(item.expression, scope);
        if (Array.isArray(v)) {
          arr.push(...v);
          for (let i = 0; i < v.length; i++) spans.push(item);
        } else return v instanceof Unknown ? v : new Unknown('only an array can be spread into an array');
        continue;
      }
      arr.push(this.evalValue(item, scope));
      spans.push(item);
    }
    const file = this.file.path;
    setOrigin(arr, {
      span: this.span(e),
      element: (i) => {
        const s = spans[i];
        return s ? { file, start: s.start, end: s.end } : undefined;
      },
    });
    return arr;
  }

  private evalFor(e: A.ForExpression, scope: Scope | undefined): BVal {
    const items = this.loopItems(e, scope);
    if (items instanceof Unknown) return items;
    const out: Value[] = [];
    const body = e.body;
    items.forEach((item, i) => {
      const s = this.loopScope(e, scope, item, i);
      if (body.kind === 'If') {
        const c = this.evalValue(body.condition, s);
        if (c !== true) return;
        if (body.body.kind === 'Object') out.push(this.evalObject(body.body, s));
        return;
      }
      out.push(this.evalValue(body, s));
    });
    const file = this.file.path;
    const bodySpan = body.kind === 'If' ? body.body : body;
    setOrigin(out, { span: this.span(e), element: () => ({ file, start: bodySpan.start, end: bodySpan.end }) });
    return out;
  }

  private member(obj: BVal, name: string, safe: boolean): BVal {
    if (obj instanceof ResourceRef) return this.resourceMember(obj.instance, name, safe);
    if (obj instanceof ModuleRef) return this.moduleMember(obj.instance, name);
    if (obj instanceof Namespace) return new Unknown(`'${obj.name}.${name}' must be called`);
    if (obj instanceof ResourceCollection || obj instanceof ModuleCollection || obj instanceof Lambda) {
      return new Unknown(`'${name}' cannot be read from a collection; index it first`);
    }
    if (obj === null && safe) return null;
    if (obj instanceof Unknown) return obj.symbol ? new Unknown(obj.reason, undefined, `${obj.symbol}.${name}`) : plain(obj);
    const v = getProp(obj, name);
    if (v === undefined) return safe ? null : new Unknown(`there is no property '${name}'`);
    return v;
  }

  private index(e: A.IndexAccess, scope: Scope | undefined): BVal {
    const obj = this.eval(e.object, scope);
    const idx = this.evalValue(e.index, scope);
    if (obj instanceof ResourceCollection || obj instanceof ModuleCollection) {
      const instances = obj.instances;
      if (instances instanceof Unknown) return instances;
      // Not the index itself: which instance it picks is what is not known.
      if (idx instanceof Unknown) return new Unknown(`the instance is picked by an index that is not known: ${idx.reason}`, idx.text);
      if (typeof idx !== 'number') return new Unknown('a collection is indexed by an int');
      const list = instances as (ResourceInstance | ModuleInstance)[];
      const iterations = list.reduce((n, x) => Math.max(n, typeof iterationOf(x)?.index === 'number' ? (iterationOf(x)?.index as number) + 1 : n), list.length);
      const i = e.fromEnd ? iterations - idx : idx;
      // Loops index by iteration: after a filtered-out iteration, nics[2] is still iteration 2.
      const inst = list.find((x) => iterationOf(x)?.index === i) ?? (list.every((x) => iterationOf(x) === undefined) ? list[i] : undefined);
      if (!inst) {
        const reason = i < iterations ? `iteration ${idx} is not deployed (its condition is false)` : `index ${idx} is outside the ${iterations} instances`;
        return e.safe ? null : new Unknown(reason);
      }
      return obj instanceof ResourceCollection ? new ResourceRef(inst as ResourceInstance) : new ModuleRef(inst as ModuleInstance);
    }
    const v = this.toValue(obj);
    const unknown = firstUnknown([v, idx]);
    // An item of a fixed value at a fixed index is fixed (as in the ARM evaluator); never the index's own symbol.
    if (unknown) return symbolicCall('index', [v, idx], unknown) ?? new Unknown(unknown.reason, unknown.text);
    if (v === null && e.safe) return null;
    if (Array.isArray(v) && typeof idx === 'number') {
      const item = v[e.fromEnd ? v.length - idx : idx];
      return item === undefined ? (e.safe ? null : new Unknown(`index ${idx} is outside an array of ${v.length}`)) : item;
    }
    if (isObject(v) && typeof idx === 'string') {
      const item = getProp(v, idx);
      return item === undefined ? (e.safe ? null : new Unknown(`there is no property '${idx}'`)) : item;
    }
    return new Unknown('an index must be an int on an array or a string on an object');
  }

  private evalBinary(e: A.BinaryExpression, scope: Scope | undefined): BVal {
    const op = e.operator;
    if (op === '&&' || op === '||') {
      const l = this.evalValue(e.left, scope);
      if (op === '&&' && l === false) return false;
      if (op === '||' && l === true) return true;
      const r = this.evalValue(e.right, scope);
      if (l instanceof Unknown) return (op === '&&' && r === false) || (op === '||' && r === true) ? r : l;
      if (r instanceof Unknown) return r;
      return typeof l === 'boolean' && typeof r === 'boolean' ? r : new Unknown(`'${op}' needs bools`);
    }
    if (op === '??') {
      const l = this.evalValue(e.left, scope);
      if (l === null) return this.eval(e.right, scope);
      return l;
    }
    const l = this.evalValue(e.left, scope);
    const r = this.evalValue(e.right, scope);
    const unknown = firstUnknown([l, r]);
    if (unknown) return unknown;
    switch (op) {
      case '==':
        return deepEqual(l, r);
      case '!=':
        return !deepEqual(l, r);
      case '=~':
      case '!~': {
        if (typeof l !== 'string' || typeof r !== 'string') return new Unknown(`'${op}' compares strings`);
        const eq = l.toLowerCase() === r.toLowerCase();
        return op === '=~' ? eq : !eq;
      }
      case '<':
        return (callPure('less', [l, r]) as Value) ?? null;
      case '<=':
        return (callPure('lessOrEquals', [l, r]) as Value) ?? null;
      case '>':
        return (callPure('greater', [l, r]) as Value) ?? null;
      case '>=':
        return (callPure('greaterOrEquals', [l, r]) as Value) ?? null;
      case '+':
        return callPure('add', [l, r]) as Value;
      case '-':
        return callPure('sub', [l, r]) as Value;
      case '*':
        return callPure('mul', [l, r]) as Value;
      case '/':
        return callPure('div', [l, r]) as Value;
      case '%':
        return callPure('mod', [l, r]) as Value;
    }
    return new Unknown(`operator '${op}' is not evaluated`);
  }

  // ---------------------------------------------------------------- calls

  private evalCall(e: A.CallExpression, scope: Scope | undefined): BVal {
    const name = e.name.name;
    if (e.object) {
      const target = this.eval(e.object, scope);
      if (target instanceof Namespace) return this.callFunction(name, e, scope);
      if (target instanceof ResourceRef) {
        if (/^list/i.test(name) || name === 'getSecret') return new Unknown(`${name}() reads secrets or keys at deployment; not known here`);
        return new Unknown(`${name}() on a resource is not evaluated`);
      }
      return new Unknown(`${name}() is not a function of this value`);
    }
    const sym = this.symbols.get(name);
    if (sym?.kind === 'func') {
      this.dependsOn(name);
      return this.userFunction(sym.decl, e, scope);
    }
    return this.callFunction(name, e, scope);
  }

  private callFunction(name: string, e: A.CallExpression, scope: Scope | undefined): BVal {
    const lower = name.toLowerCase();
    const args = (): Value[] => e.arguments.map((a) => this.evalValue(a, scope));
    switch (lower) {
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
      case 'resourcegroup': {
        const a = args();
        if (a.length === 0) return deploymentScopeValues(this.scope).resourceGroup;
        const rgName = a[a.length - 1] as Value;
        const sub = a.length > 1 ? (a[0] as Value) : this.scope.subscriptionId;
        return deploymentScopeValues({ subscriptionId: sub, resourceGroup: rgName }).resourceGroup;
      }
      case 'subscription': {
        const a = args();
        const scopeValues = deploymentScopeValues(this.scope);
        if (a.length === 0) return scopeValues.subscription;
        return { id: joinParts(['/subscriptions/', a[0] as Value]), subscriptionId: a[0] as Value };
      }
      case 'deployment':
        return deploymentScopeValues().deployment;
      case 'tenant':
        return deploymentScopeValues().tenant;
      case 'managementgroup':
        return new Unknown('the management group is known at deployment');
      case 'environment':
        return new Unknown('environment() is known only at deployment');
      case 'reference':
        return new Unknown('reference() reads a deployed resource; its value is known only at deployment');
      case 'any':
        return e.arguments[0] ? this.eval(e.arguments[0], scope) : null;
      case 'nameof':
        return nameOf(e.arguments[0]);
      case 'readenvironmentvariable':
        return new Unknown('environment variables are read at deployment');
      case 'loadtextcontent':
      case 'loadjsoncontent':
      case 'loadyamlcontent':
      case 'loadfileasbase64':
        return new Unknown(`${name}() content is not read by ilb-hairpin`);
      case 'map':
      case 'filter':
      case 'reduce':
      case 'sort':
      case 'toobject':
      case 'groupby':
      case 'mapvalues':
        return this.lambdaCall(lower, e, scope);
    }
    if (lower.startsWith('list')) return new Unknown(`${name}() reads secrets or keys at deployment; not known here`);
    const vals = args();
    if (lower === 'concat' && vals.some((v) => v instanceof Unknown && v.symbol !== undefined)) {
      if (vals.every((v) => typeof v === 'string' || typeof v === 'number' || v instanceof Unknown)) return joinParts(vals);
    }
    const result = callPure(lower, vals);
    if (result === undefined) return new Unknown(`the function '${name}' is not evaluated by ilb-hairpin`);
    if (result instanceof Unknown) return symbolicCall(name, vals, result) ?? result;
    return result;
  }

  private callLambda(fn: BVal, args: Value[]): Value {
    if (!(fn instanceof Lambda)) return new Unknown('expected a lambda');
    const vars = new Map<string, BVal>();
    fn.node.parameters.forEach((p, i) => vars.set(p.name, args[i] ?? null));
    return this.evalValue(fn.node.body, { vars, parent: fn.scope });
  }

  private lambdaCall(name: string, e: A.CallExpression, scope: Scope | undefined): Value {
    const [inputNode, ...rest] = e.arguments;
    if (!inputNode) return new Unknown(`${name}() needs arguments`);
    const input = this.evalValue(inputNode, scope);
    if (input instanceof Unknown) return input;
    const fns = rest.map((a) => this.eval(a, scope));
    const fn = fns[fns.length - 1] as BVal;
    if (name === 'mapvalues') {
      if (!isObject(input)) return new Unknown('mapValues() needs an object');
      const out: ValueObject = {};
      for (const [k, v] of Object.entries(input)) out[k] = this.callLambda(fn, [v]);
      return out;
    }
    if (!Array.isArray(input)) return new Unknown(`${name}() needs an array`);
    switch (name) {
      case 'map':
        return input.map((x, i) => this.callLambda(fn, [x, i]));
      case 'filter': {
        const out: Value[] = [];
        for (const [i, x] of input.entries()) {
          const keep = this.callLambda(fn, [x, i]);
          if (keep instanceof Unknown) return keep;
          if (keep === true) out.push(x);
        }
        return out;
      }
      case 'reduce': {
        let acc: Value = fns.length > 1 ? this.toValue(fns[0] as BVal) : null;
        for (const [i, x] of input.entries()) acc = this.callLambda(fn, [acc, x, i]);
        return acc;
      }
      case 'sort': {
        let unknown: Unknown | undefined;
        const out = [...input].sort((a, b) => {
          const r = this.callLambda(fn, [a, b]);
          if (r instanceof Unknown) unknown = r;
          return r === true ? -1 : 1;
        });
        return unknown ?? out;
      }
      case 'toobject': {
        const keyFn = fns[0] as BVal;
        const valueFn = fns[1];
        const out: ValueObject = {};
        for (const x of input) {
          const k = this.callLambda(keyFn, [x]);
          if (typeof k !== 'string') return k instanceof Unknown ? k : new Unknown('toObject() keys must be strings');
          out[k] = valueFn ? this.callLambda(valueFn, [x]) : x;
        }
        return out;
      }
      case 'groupby': {
        const out: ValueObject = {};
        for (const x of input) {
          const k = this.callLambda(fn, [x]);
          if (typeof k !== 'string') return k instanceof Unknown ? k : new Unknown('groupBy() keys must be strings');
          const list = (out[k] as Value[] | undefined) ?? [];
          list.push(x);
          out[k] = list;
        }
        return out;
      }
    }
    return new Unknown(`${name}() is not evaluated`);
  }

  private userFunction(decl: A.FuncDeclaration, e: A.CallExpression, scope: Scope | undefined): BVal {
    const key = `f:${decl.name.name}`;
    if (this.inProgress.has(key)) {
      this.problem(e, `Function '${decl.name.name}' calls itself; Bicep does not allow that.`);
      return new Unknown('a function calls itself');
    }
    const vars = new Map<string, BVal>();
    decl.parameters.forEach((p, i) => {
      const arg = e.arguments[i];
      vars.set(p.name.name, arg ? this.evalValue(arg, scope) : new Unknown(`argument '${p.name.name}' is missing`));
    });
    this.inProgress.add(key);
    try {
      // A function sees only its parameters and the file's symbols, not the caller's loop variables.
      return this.eval(decl.body, { vars, parent: undefined });
    } finally {
      this.inProgress.delete(key);
    }
  }
}

const RESOURCE_SKIP_KEYS: ReadonlySet<string> = new Set(['parent', 'dependson', 'scope']);

/** The name a top-level statement declares, if any. */
function statementName(st: A.Statement): string | undefined {
  return 'name' in st && st.name && typeof st.name === 'object' && 'name' in st.name && typeof st.name.name === 'string' ? st.name.name : undefined;
}

/** Whether two evaluations of one file see the same inputs (parameter values, host, scope...). */
function sameOptions(a: BicepEvaluationOptions, b: BicepEvaluationOptions): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (k === 'previous' || k === 'problems' || k === 'host') continue;
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (x !== y && JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return true;
}

/** What a resource's members `id`, `name` and `type` follow from (resourceMember): not its body. */
const IDENTITY_MEMBERS = new Set(['id', 'name', 'type']);

/**
 * The text a resource's identity follows from: its type, `existing`, the loop's and the
 * condition's headers, and the values of `name`, `parent` and `scope`. Undefined when the
 * body may hold more of it (nested resources, a spread, no body).
 */
function identityText(d: A.ResourceDeclaration, text: string): string | undefined {
  const body = bodyOf(d.value);
  if (!body || body.resources.length || body.properties.some((p) => p.kind !== 'ObjectProperty')) return undefined;
  const parts = [text.slice(d.type.start, d.type.end), String(d.existing), d.value.kind, text.slice(d.value.start, body.start)];
  for (const key of ['name', 'parent', 'scope']) {
    const p = findProp(body, key);
    parts.push(p ? text.slice(p.value.start, p.value.end) : '');
  }
  return parts.join('\u0000');
}

function bodyOf(value: A.ResourceValue): A.ObjectExpression | undefined {
  if (value.kind === 'Object') return value;
  if (value.kind === 'If') return value.body.kind === 'Object' ? value.body : undefined;
  if (value.kind === 'For') {
    const b = value.body;
    if (b.kind === 'Object') return b;
    if (b.kind === 'If' && b.body.kind === 'Object') return b.body;
  }
  return undefined;
}

function findProp(obj: A.ObjectExpression, name: string): A.ObjectProperty | undefined {
  const lower = name.toLowerCase();
  for (const p of obj.properties) {
    if (p.kind !== 'ObjectProperty') continue;
    const k = p.key.kind === 'Identifier' ? p.key.name : p.key.kind === 'String' ? p.key.value : null;
    if (k !== null && k.toLowerCase() === lower) return p;
  }
  return undefined;
}

/** How a value reads inside `'${...}'` (Bicep compiles interpolation to ARM's format()). */
function interpolated(v: Value): Value {
  if (typeof v === 'string' || typeof v === 'number' || v instanceof Unknown) return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return '';
  return JSON.stringify(v);
}

/** `scope: someResource` (an extension resource): a scope with an ID that is no resource group. */
function isResourceScope(scope: Value | undefined): boolean {
  if (!isObject(scope)) return false;
  const type = getProp(scope, 'type');
  return getProp(scope, 'id') !== undefined && !(typeof type === 'string' && /^microsoft\.resources\/(resourcegroups|subscriptions)$/i.test(type));
}

/**
 * Sub-resources declared inline (backendAddressPools, frontendIPConfigurations, probes...) have
 * IDs that follow from the parent's: `<parent id>/<collection>/<name>`. References such as
 * `lb.properties.backendAddressPools[0].id` read them.
 */
function withImpliedIds(props: ValueObject, parentId: Value): ValueObject {
  const out: ValueObject = { ...props };
  for (const [key, value] of Object.entries(props)) {
    if (!Array.isArray(value)) continue;
    if (!value.some((x) => isObject(x) && typeof getProp(x, 'name') !== 'undefined' && getProp(x, 'id') === undefined)) continue;
    out[key] = value.map((item) => {
      if (!isObject(item) || getProp(item, 'id') !== undefined) return item;
      const name = getProp(item, 'name');
      if (name === undefined) return item;
      return { ...item, id: joinParts([parentId, `/${key}/`, name]) };
    });
  }
  return out;
}
