/**
 * The Bicep syntax tree. Every node has `kind` (the discriminant) and exact `start`/`end` offsets
 * in UTF-16 code units (`end` exclusive). Comments and pragmas are not nodes of the tree; they are
 * listed beside it on the program. A part that could not be parsed is an `Error` node (often
 * zero-width) and the reason is in the parse result's diagnostics. No node object is shared by two
 * parents, so a tree can be walked (or shifted) without visiting a node twice.
 */

export interface Span {
  start: number;
  end: number;
}

export interface Diagnostic extends Span {
  message: string;
}

/** `#disable-next-line codes...`, `#disable-diagnostics codes...` or `#restore-diagnostics codes...`. */
export interface Pragma extends Span {
  directive: 'disable-next-line' | 'disable-diagnostics' | 'restore-diagnostics';
  codes: PragmaCode[];
}

export interface PragmaCode extends Span {
  code: string;
}

export interface Comment extends Span {
  /** `/* ... *\/` (true) or `// ...` (false). */
  block: boolean;
}

/** `bicep` and `bicepparam` restrict the declarations to those of that kind of file; `any` accepts both. */
export type BicepFileKind = 'bicep' | 'bicepparam' | 'any';

export interface Program extends Span {
  kind: 'Program';
  fileKind: BicepFileKind;
  statements: Statement[];
  pragmas: Pragma[];
  comments: Comment[];
}

// ---------------------------------------------------------------- shared pieces

/** A name. `name` is '' when the name is missing (the parser recovered; see the diagnostics). */
export interface Identifier extends Span {
  kind: 'Identifier';
  name: string;
}

/** A part that could not be parsed: the skipped tokens, or a zero-width gap where something is missing. */
export interface ErrorNode extends Span {
  kind: 'Error';
}

/** `@name`, `@name(args)` or `@ns.name(args)`; `expression` is an Identifier, Call or PropertyAccess. */
export interface Decorator extends Span {
  kind: 'Decorator';
  expression: Expression;
}

// ---------------------------------------------------------------- statements

interface DeclarationBase extends Span {
  decorators: Decorator[];
}

export interface TargetScopeDeclaration extends DeclarationBase {
  kind: 'TargetScopeDeclaration';
  value: Expression;
}

export interface MetadataDeclaration extends DeclarationBase {
  kind: 'MetadataDeclaration';
  name: Identifier;
  value: Expression;
}

export interface ParamDeclaration extends DeclarationBase {
  kind: 'ParamDeclaration';
  name: Identifier;
  type: TypeExpression;
  defaultValue: Expression | null;
}

/** `param name = value` of a .bicepparam file. */
export interface ParamAssignment extends DeclarationBase {
  kind: 'ParamAssignment';
  name: Identifier;
  value: Expression;
}

export interface VarDeclaration extends DeclarationBase {
  kind: 'VarDeclaration';
  name: Identifier;
  type: TypeExpression | null;
  value: Expression;
}

/** The value of a resource or module: a body, `if (cond) body`, or a `[for ...]` loop (or an error). */
export type ResourceValue = ObjectExpression | IfCondition | ForExpression | ErrorNode;

export interface ResourceDeclaration extends DeclarationBase {
  kind: 'ResourceDeclaration';
  name: Identifier;
  /** The type string, e.g. `'Microsoft.Network/loadBalancers@2023-04-01'` (or `'blobServices'` for a nested child). */
  type: StringExpression | ErrorNode;
  existing: boolean;
  value: ResourceValue;
}

export interface ModuleDeclaration extends DeclarationBase {
  kind: 'ModuleDeclaration';
  name: Identifier;
  path: StringExpression | ErrorNode;
  value: ResourceValue;
}

export interface OutputDeclaration extends DeclarationBase {
  kind: 'OutputDeclaration';
  name: Identifier;
  /** A type, or `resource ['type']` (a ResourceType). */
  type: TypeExpression;
  value: Expression;
}

export interface TypeDeclaration extends DeclarationBase {
  kind: 'TypeDeclaration';
  name: Identifier;
  value: TypeExpression;
}

export interface FuncParameter extends Span {
  kind: 'FuncParameter';
  name: Identifier;
  type: TypeExpression;
}

export interface FuncDeclaration extends DeclarationBase {
  kind: 'FuncDeclaration';
  name: Identifier;
  parameters: FuncParameter[];
  returnType: TypeExpression;
  body: Expression;
}

export interface ImportedSymbol extends Span {
  kind: 'ImportedSymbol';
  /** The exported name (a quoted name needs an alias). */
  name: Identifier | StringExpression | ErrorNode;
  alias: Identifier | null;
}

/** `import {a, b as c} from 'path'` (symbols) or `import * as ns from 'path'` (wildcard). */
export interface ImportDeclaration extends DeclarationBase {
  kind: 'ImportDeclaration';
  symbols: ImportedSymbol[] | null;
  /** The namespace name of `import * as ns`. */
  wildcard: Identifier | null;
  path: StringExpression | ErrorNode;
}

/** `extension name|'spec' [with {...}] [as alias]`; also the older `import 'spec' ...` form. */
export interface ExtensionDeclaration extends DeclarationBase {
  kind: 'ExtensionDeclaration';
  keyword: 'extension' | 'import';
  specification: Identifier | StringExpression | ErrorNode;
  config: ObjectExpression | ErrorNode | null;
  alias: Identifier | null;
}

/** `extensionConfig alias with {...}` of a .bicepparam file. */
export interface ExtensionConfigAssignment extends DeclarationBase {
  kind: 'ExtensionConfigAssignment';
  name: Identifier;
  config: ObjectExpression | ErrorNode;
}

export interface AssertDeclaration extends DeclarationBase {
  kind: 'AssertDeclaration';
  name: Identifier;
  value: Expression;
}

export interface TestDeclaration extends DeclarationBase {
  kind: 'TestDeclaration';
  name: Identifier;
  path: StringExpression | ErrorNode;
  value: ObjectExpression | ErrorNode;
}

/** `using 'main.bicep' [with {...}]`; `path` is null for `using none`. */
export interface UsingDeclaration extends DeclarationBase {
  kind: 'UsingDeclaration';
  path: StringExpression | ErrorNode | null;
  config: ObjectExpression | ErrorNode | null;
}

export interface ExtendsDeclaration extends DeclarationBase {
  kind: 'ExtendsDeclaration';
  path: StringExpression | ErrorNode;
}

/** Decorators with no declaration after them. */
export interface MissingDeclaration extends DeclarationBase {
  kind: 'MissingDeclaration';
}

/** A line that is not a declaration (skipped; see the diagnostics). */
export interface ErrorStatement extends Span {
  kind: 'ErrorStatement';
}

export type Declaration =
  | TargetScopeDeclaration
  | MetadataDeclaration
  | ParamDeclaration
  | ParamAssignment
  | VarDeclaration
  | ResourceDeclaration
  | ModuleDeclaration
  | OutputDeclaration
  | TypeDeclaration
  | FuncDeclaration
  | ImportDeclaration
  | ExtensionDeclaration
  | ExtensionConfigAssignment
  | AssertDeclaration
  | TestDeclaration
  | UsingDeclaration
  | ExtendsDeclaration
  | MissingDeclaration;

export type Statement = Declaration | ErrorStatement;

// ---------------------------------------------------------------- expressions

/**
 * A string literal. `segments` are the cooked text pieces (escapes resolved) around the
 * interpolations: `segments.length === expressions.length + 1`. `segmentSpans` are the raw text
 * spans of the pieces (without quotes, `${` and `}`). `value` is the whole string when there is
 * no interpolation, else null. Multi-line strings have no escapes: `'''...'''` has one segment,
 * `$'''...${x}...'''` (any number of `$`) has holes like a single-line string.
 */
export interface StringExpression extends Span {
  kind: 'String';
  segments: string[];
  segmentSpans: Span[];
  expressions: Expression[];
  multiline: boolean;
  value: string | null;
}

export interface IntegerLiteral extends Span {
  kind: 'Integer';
  /** As a JS number (exact up to 2^53); `text` has the digits as written. */
  value: number;
  text: string;
}

export interface BooleanLiteral extends Span {
  kind: 'Boolean';
  value: boolean;
}

export interface NullLiteral extends Span {
  kind: 'Null';
}

export interface ObjectProperty extends Span {
  kind: 'ObjectProperty';
  /** `name:` (Identifier) or `'quoted name':` (String, possibly interpolated). */
  key: Identifier | StringExpression | ErrorNode;
  value: Expression;
}

export interface SpreadElement extends Span {
  kind: 'Spread';
  expression: Expression;
}

export interface ObjectExpression extends Span {
  kind: 'Object';
  /** Properties and spreads, in source order. */
  properties: (ObjectProperty | SpreadElement)[];
  /** Child resources declared inside a resource body. */
  resources: ResourceDeclaration[];
}

export interface ArrayExpression extends Span {
  kind: 'Array';
  items: (Expression | SpreadElement)[];
}

export type UnaryOperator = '!' | '-';

export interface UnaryExpression extends Span {
  kind: 'Unary';
  operator: UnaryOperator;
  operand: Expression;
}

export type BinaryOperator =
  | '??'
  | '||'
  | '&&'
  | '=='
  | '!='
  | '=~'
  | '!~'
  | '<'
  | '<='
  | '>'
  | '>='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%';

export interface BinaryExpression extends Span {
  kind: 'Binary';
  operator: BinaryOperator;
  left: Expression;
  right: Expression;
}

export interface TernaryExpression extends Span {
  kind: 'Ternary';
  condition: Expression;
  whenTrue: Expression;
  whenFalse: Expression;
}

export interface ParenthesizedExpression extends Span {
  kind: 'Parenthesized';
  expression: Expression;
}

/** `a.b`, `a.?b` (safe) and `a?.b` (safe). */
export interface PropertyAccess extends Span {
  kind: 'PropertyAccess';
  object: Expression;
  property: Identifier;
  safe: boolean;
}

/** `a[i]`, `a[?i]` (safe), `a[^i]` (from the end). */
export interface IndexAccess extends Span {
  kind: 'IndexAccess';
  object: Expression;
  index: Expression;
  safe: boolean;
  fromEnd: boolean;
}

/** `parent::child` (a nested resource by its symbolic name). */
export interface ResourceAccess extends Span {
  kind: 'ResourceAccess';
  object: Expression;
  name: Identifier;
}

/** `a!` (non-null assertion). */
export interface NonNullAssertion extends Span {
  kind: 'NonNull';
  expression: Expression;
}

/**
 * `name(args)`, `ns.name(args)` (e.g. `sys.concat`, `az.resourceGroup`) and instance functions
 * such as `stg.listKeys()`: `object` is what stands before the dot, or null.
 */
export interface CallExpression extends Span {
  kind: 'Call';
  object: Expression | null;
  name: Identifier;
  arguments: Expression[];
}

export interface LambdaExpression extends Span {
  kind: 'Lambda';
  parameters: Identifier[];
  body: Expression;
}

/** `[for item in xs: body]`, `[for (item, i) in xs: body]`; in a resource/module the body may be an IfCondition. */
export interface ForExpression extends Span {
  kind: 'For';
  item: Identifier;
  index: Identifier | null;
  iterable: Expression;
  body: Expression | IfCondition;
}

/** `if (condition) { body }` of a resource or module (`condition` is the expression inside the parentheses). */
export interface IfCondition extends Span {
  kind: 'If';
  condition: Expression;
  body: ObjectExpression | ErrorNode;
}

export type Expression =
  | StringExpression
  | IntegerLiteral
  | BooleanLiteral
  | NullLiteral
  | Identifier
  | ObjectExpression
  | ArrayExpression
  | UnaryExpression
  | BinaryExpression
  | TernaryExpression
  | ParenthesizedExpression
  | PropertyAccess
  | IndexAccess
  | ResourceAccess
  | NonNullAssertion
  | CallExpression
  | LambdaExpression
  | ForExpression
  | ErrorNode;

// ---------------------------------------------------------------- types

/** `T[]` */
export interface ArrayType extends Span {
  kind: 'ArrayType';
  element: TypeExpression;
}

/** `'a' | 'b'` (a leading `|` is allowed). */
export interface UnionType extends Span {
  kind: 'UnionType';
  members: TypeExpression[];
}

export interface ObjectTypeProperty extends Span {
  kind: 'ObjectTypeProperty';
  decorators: Decorator[];
  key: Identifier | StringExpression | ErrorNode;
  value: TypeExpression;
}

/** `*: T` inside an object type. */
export interface ObjectTypeAdditionalProperties extends Span {
  kind: 'ObjectTypeAdditionalProperties';
  decorators: Decorator[];
  value: TypeExpression;
}

export interface ObjectType extends Span {
  kind: 'ObjectType';
  properties: (ObjectTypeProperty | ObjectTypeAdditionalProperties)[];
}

export interface TupleTypeItem extends Span {
  kind: 'TupleTypeItem';
  decorators: Decorator[];
  value: TypeExpression;
}

export interface TupleType extends Span {
  kind: 'TupleType';
  items: TupleTypeItem[];
}

/** `-1` as a literal type (or `!T`). */
export interface UnaryType extends Span {
  kind: 'UnaryType';
  operator: UnaryOperator;
  operand: TypeExpression;
}

export interface ParenthesizedType extends Span {
  kind: 'ParenthesizedType';
  type: TypeExpression;
}

/** `T.name`, e.g. `types.storageConfig` or `resourceInput<'...'>.properties`. */
export interface TypePropertyAccess extends Span {
  kind: 'TypePropertyAccess';
  object: TypeExpression;
  property: Identifier;
}

/** `T[0]` (the type of one tuple item). */
export interface TypeIndexAccess extends Span {
  kind: 'TypeIndexAccess';
  object: TypeExpression;
  index: Expression;
}

/** `T?` */
export interface NullableType extends Span {
  kind: 'NullableType';
  type: TypeExpression;
}

/** `T!` */
export interface NonNullableType extends Span {
  kind: 'NonNullableType';
  type: TypeExpression;
}

/** `resourceInput<'type@version'>`, `sys.resourceOutput<...>`: `object` is what stands before the dot, or null. */
export interface ParameterizedType extends Span {
  kind: 'ParameterizedType';
  object: TypeExpression | null;
  name: Identifier;
  arguments: TypeExpression[];
}

/** `T[*]` (the type of the items). */
export interface TypeItemsAccess extends Span {
  kind: 'TypeItemsAccess';
  object: TypeExpression;
}

/** `T.*` (the type of the additional properties). */
export interface TypeAdditionalPropertiesAccess extends Span {
  kind: 'TypeAdditionalPropertiesAccess';
  object: TypeExpression;
}

/** `resource 'type@version'` as the type of a parameter or output; `type` is null in `output x resource = ...`. */
export interface ResourceType extends Span {
  kind: 'ResourceType';
  type: StringExpression | ErrorNode | null;
}

/**
 * A type. Names (`string`, `myType`) are Identifiers; literal types are String, Integer, Boolean
 * and Null nodes (`-1` is a UnaryType).
 */
export type TypeExpression =
  | Identifier
  | StringExpression
  | IntegerLiteral
  | BooleanLiteral
  | NullLiteral
  | UnaryType
  | ParenthesizedType
  | TypePropertyAccess
  | TypeIndexAccess
  | ArrayType
  | UnionType
  | ObjectType
  | TupleType
  | NullableType
  | NonNullableType
  | ParameterizedType
  | TypeItemsAccess
  | TypeAdditionalPropertiesAccess
  | ResourceType
  | ErrorNode;

export type Node =
  | Program
  | Statement
  | Expression
  | TypeExpression
  | Decorator
  | ObjectProperty
  | SpreadElement
  | IfCondition
  | FuncParameter
  | ImportedSymbol
  | ObjectTypeProperty
  | ObjectTypeAdditionalProperties
  | TupleTypeItem;

export type NodeKind = Node['kind'];

export interface BicepParseResult {
  program: Program;
  /** Lexical and syntax problems, sorted by position. */
  diagnostics: Diagnostic[];
}
