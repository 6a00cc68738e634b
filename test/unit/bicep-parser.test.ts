/**
 * The Bicep parser: every construct of the current language, exact offsets (UTF-16), operator
 * precedence, error recovery while typing, the syntax samples and the corpus without diagnostics,
 * no throw and no hang on garbage and truncations, and re-parses equal to full parses.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type TreeSitterParser from 'web-tree-sitter';

import {
  TokenType,
  decoratorArguments,
  decoratorName,
  findDecorator,
  findProperty,
  forEachChild,
  parseBicep,
  propertyName,
  reparseBicep,
  tokenizeBicep,
  walk,
  type BicepFileKind,
  type BicepParseResult,
  type Declaration,
  type Diagnostic,
  type Expression,
  type Node,
  type ObjectExpression,
  type Program,
  type Statement,
  type TypeExpression,
} from '../../src/core/parse/bicep';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const SHARED = path.resolve(REPO_ROOT, '../shared');
const SYNTAX_DIR = path.join(SHARED, 'bicep-syntax');
const CORPUS_DIR = path.join(SHARED, 'corpus');
/** The Bicep compiler's own valid samples (see its README). */
const BASELINES_DIR = path.join(SHARED, 'bicep-baselines');
const NO_BASELINES = !fs.existsSync(BASELINES_DIR) && `${BASELINES_DIR} is not present (the Bicep compiler's baselines): skipped`;
const HANG_GUARD = { timeout: 120_000 };

// ---------------------------------------------------------------- helpers

function bicepFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...bicepFiles(full));
    else if (/\.bicep(param)?$/.test(entry.name)) found.push(full);
  }
  return found.sort();
}

function fileKindOf(file: string): BicepFileKind {
  return file.endsWith('.bicepparam') ? 'bicepparam' : 'bicep';
}

/** Where a diagnostic is, as `line:column` (1-based) and message, for readable failures. */
function describeDiagnostics(text: string, diagnostics: Diagnostic[]): string {
  return diagnostics
    .map((d) => {
      const before = text.slice(0, d.start).split('\n');
      return `${before.length}:${before[before.length - 1].length + 1} ${d.message}`;
    })
    .join('\n');
}

/** Parses text that must have no diagnostics. */
function parseClean(text: string, fileKind: BicepFileKind = 'bicep'): Program {
  const r = parseBicep(text, { fileKind });
  assert.deepEqual(r.diagnostics, [], describeDiagnostics(text, r.diagnostics));
  return r.program;
}

function only<S extends Statement['kind']>(text: string, kind: S, fileKind: BicepFileKind = 'bicep'): Extract<Statement, { kind: S }> {
  const program = parseClean(text, fileKind);
  assert.equal(program.statements.length, 1, 'one statement');
  const s = program.statements[0];
  assert.equal(s.kind, kind);
  return s as Extract<Statement, { kind: S }>;
}

/** The value of `var x = <source>`. */
function expr(source: string): Expression {
  return only(`var x = ${source}`, 'VarDeclaration').value;
}

/** The type of `param p <source>`. */
function typeOf(source: string): TypeExpression {
  return only(`param p ${source}`, 'ParamDeclaration').type;
}

/** A compact rendering of an expression or type, to check structure (and so precedence) at a glance. */
function show(node: Node | null): string {
  if (node === null) return '_';
  switch (node.kind) {
    case 'Identifier':
      return node.name === '' ? '<missing>' : node.name;
    case 'Integer':
      return node.text;
    case 'Boolean':
      return String(node.value);
    case 'Null':
      return 'null';
    case 'String':
      return node.expressions.length === 0
        ? JSON.stringify(node.value)
        : `(str ${node.segments.map((s, i) => JSON.stringify(s) + (i < node.expressions.length ? ' ' + show(node.expressions[i]) : '')).join(' ')})`;
    case 'Unary':
    case 'UnaryType':
      return `(${node.operator} ${show(node.operand)})`;
    case 'Binary':
      return `(${node.operator} ${show(node.left)} ${show(node.right)})`;
    case 'Ternary':
      return `(? ${show(node.condition)} ${show(node.whenTrue)} ${show(node.whenFalse)})`;
    case 'Parenthesized':
      return `(paren ${show(node.expression)})`;
    case 'ParenthesizedType':
      return `(paren ${show(node.type)})`;
    case 'PropertyAccess':
      return `(${node.safe ? '.?' : '.'} ${show(node.object)} ${show(node.property)})`;
    case 'TypePropertyAccess':
      return `(. ${show(node.object)} ${show(node.property)})`;
    case 'IndexAccess':
      return `([${node.safe ? '?' : ''}${node.fromEnd ? '^' : ''}] ${show(node.object)} ${show(node.index)})`;
    case 'TypeIndexAccess':
      return `([] ${show(node.object)} ${show(node.index)})`;
    case 'ResourceAccess':
      return `(:: ${show(node.object)} ${show(node.name)})`;
    case 'NonNull':
      return `(! ${show(node.expression)})`;
    case 'Call':
      return `(call ${node.object ? show(node.object) + '.' : ''}${show(node.name)}${node.arguments.map((a) => ' ' + show(a)).join('')})`;
    case 'Lambda':
      return `(=> (${node.parameters.map(show).join(' ')}) ${show(node.body)})`;
    case 'Array':
      return `[${node.items.map(show).join(' ')}]`;
    case 'Object':
      return `{${[...node.properties.map(show), ...node.resources.map((r) => `resource ${r.name.name}`)].join(' ')}}`;
    case 'ObjectProperty':
      return `${show(node.key)}: ${show(node.value)}`;
    case 'Spread':
      return `...${show(node.expression)}`;
    case 'For':
      return `(for ${show(node.item)}${node.index ? ' ' + show(node.index) : ''} in ${show(node.iterable)}: ${show(node.body)})`;
    case 'If':
      return `(if ${show(node.condition)} ${show(node.body)})`;
    case 'Error':
      return '<error>';
    case 'ArrayType':
      return `${show(node.element)}[]`;
    case 'UnionType':
      return `(| ${node.members.map(show).join(' ')})`;
    case 'NullableType':
      return `${show(node.type)}?`;
    case 'NonNullableType':
      return `${show(node.type)}!`;
    case 'ObjectType':
      return `{${node.properties.map((p) => (p.kind === 'ObjectTypeProperty' ? show(p.key) : '*') + ': ' + show(p.value)).join(' ')}}`;
    case 'TupleType':
      return `[${node.items.map((i) => show(i.value)).join(' ')}]`;
    case 'ParameterizedType':
      return `${node.object ? show(node.object) + '.' : ''}${show(node.name)}<${node.arguments.map(show).join(' ')}>`;
    case 'TypeItemsAccess':
      return `${show(node.object)}[*]`;
    case 'TypeAdditionalPropertiesAccess':
      return `${show(node.object)}.*`;
    case 'ResourceType':
      return `(resource ${show(node.type)})`;
    default:
      return `<${node.kind}>`;
  }
}

/** Every node lies inside its parent, with start <= end, inside the text. */
function assertWellFormed(program: Program, text: string): void {
  walk(program, (node, parent) => {
    assert.ok(node.start >= 0 && node.start <= node.end && node.end <= text.length, `${node.kind} [${node.start}, ${node.end}]`);
    if (parent) {
      assert.ok(
        node.start >= parent.start && node.end <= parent.end,
        `${node.kind} [${node.start}, ${node.end}] lies outside its parent ${parent.kind} [${parent.start}, ${parent.end}]`,
      );
    }
  });
}

function slice(text: string, span: { start: number; end: number }): string {
  return text.slice(span.start, span.end);
}

/** A small deterministic random number generator (tests must not depend on luck). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 0x100000000;
  };
}

function names(program: Program): string[] {
  return program.statements.map((s) => ('name' in s ? `${s.kind}:${s.name.name}` : s.kind));
}

// ---------------------------------------------------------------- tokens and offsets

describe('bicep lexer: tokens, offsets and trivia', () => {
  it('gives exact UTF-16 offsets to every token, non-ASCII text included', () => {
    const text = "var s = 'ä😀' // ü\n  output o string = s";
    const tokens = tokenizeBicep(text);
    assert.deepEqual(
      tokens.map((t) => [TokenType[t.type], slice(text, t)]),
      [
        ['Identifier', 'var'],
        ['Identifier', 's'],
        ['Assignment', '='],
        ['StringComplete', "'ä😀'"],
        ['NewLine', '\n'],
        ['Identifier', 'output'],
        ['Identifier', 'o'],
        ['Identifier', 'string'],
        ['Assignment', '='],
        ['Identifier', 's'],
        ['EndOfFile', ''],
      ],
    );
    const str = tokens[3];
    assert.deepEqual([str.start, str.end, str.value], [8, 13, 'ä😀']);
    const program = parseClean(text);
    const output = program.statements[1];
    assert.equal(output.kind, 'OutputDeclaration');
    assert.equal(output.start, text.indexOf('output'));
    assert.equal(output.end, text.length);
    assert.deepEqual(program.comments, [{ start: text.indexOf('//'), end: text.indexOf('\n'), block: false }]);
  });

  it('reads a non-ASCII name as a name, with a diagnostic (Bicep names are ASCII)', () => {
    const text = "var ü = 'ä😀'\nvar y = 1";
    const r = parseBicep(text);
    const [v, y] = r.program.statements;
    assert.ok(v.kind === 'VarDeclaration' && y.kind === 'VarDeclaration');
    assert.deepEqual([v.name.name, v.name.start, v.name.end], ['ü', 4, 5]);
    assert.ok(v.value.kind === 'String');
    assert.deepEqual([v.value.start, v.value.end, v.value.value], [8, 13, 'ä😀']);
    assert.deepEqual(v.value.segmentSpans, [{ start: 9, end: 12 }]);
    assert.deepEqual([y.start, y.name.start], [14, 18]);
    assert.equal(r.diagnostics.length, 1);
    assert.deepEqual([r.diagnostics[0].start, r.diagnostics[0].end], [4, 5]);
  });

  it('merges a run of line breaks into one NewLine token, and CRLF counts as a line break', () => {
    const text = 'var a = 1\r\n\r\nvar b = 2\rvar c = 3';
    const types = tokenizeBicep(text).map((t) => t.type);
    assert.equal(types.filter((t) => t === TokenType.NewLine).length, 2);
    assert.deepEqual(names(parseClean(text)), ['VarDeclaration:a', 'VarDeclaration:b', 'VarDeclaration:c']);
  });

  it('skips comments and keeps them beside the tree', () => {
    const text = '/* block\n comment */ param p string // trailing\n// line\nvar v = /* inline */ 1';
    const program = parseClean(text);
    assert.deepEqual(names(program), ['ParamDeclaration:p', 'VarDeclaration:v']);
    assert.deepEqual(
      program.comments.map((c) => [slice(text, c), c.block]),
      [
        ['/* block\n comment */', true],
        ['// trailing', false],
        ['// line', false],
        ['/* inline */', true],
      ],
    );
  });

  it('keeps #disable-next-line and #disable-diagnostics pragmas as trivia on the program', () => {
    const text = '#disable-next-line no-unused-params BCP081\nparam p string\n  #disable-diagnostics BCP037 // why\nvar v = 1';
    const program = parseClean(text);
    assert.deepEqual(names(program), ['ParamDeclaration:p', 'VarDeclaration:v']);
    assert.deepEqual(
      program.pragmas.map((p) => [p.directive, p.codes.map((c) => c.code), slice(text, p)]),
      [
        ['disable-next-line', ['no-unused-params', 'BCP081'], '#disable-next-line no-unused-params BCP081'],
        ['disable-diagnostics', ['BCP037'], '#disable-diagnostics BCP037'],
      ],
    );
    assert.equal(slice(text, program.pragmas[0].codes[1]), 'BCP081');
  });

  it('reports a pragma without codes, and a # that is not at a line start', () => {
    const r = parseBicep('#disable-next-line\nvar a = 1 #disable-next-line x');
    assert.equal(r.diagnostics.length, 3);
    assert.match(r.diagnostics[0].message, /diagnostic code/);
  });

  it('cooks escapes, \\u{...} and keeps multi-line strings raw', () => {
    const s = expr("'a\\n\\r\\t\\\\\\'\\$\\u{1F600}\\u{e9}b'");
    assert.ok(s.kind === 'String');
    assert.equal(s.value, "a\n\r\t\\'$😀éb");
    const m = expr("'''\nline 1\n  it's ${raw} \\n\n'''");
    assert.ok(m.kind === 'String');
    assert.equal(m.multiline, true);
    assert.equal(m.value, "line 1\n  it's ${raw} \\n\n");
    assert.equal(expr("'''x''''").kind === 'String' && (expr("'''x''''") as { value: string }).value, "x'");
  });

  it("interpolated multi-line strings: N leading '$' make N '$' before '{' a hole, fewer are text", () => {
    const text = "var s = $$'''\n${a} $${b} $$$${c}\n'''";
    const s = only(text, 'VarDeclaration').value;
    assert.ok(s.kind === 'String');
    assert.equal(s.multiline, true);
    assert.deepEqual(s.segments, ['${a} ', ' $$', '\n']);
    assert.deepEqual(s.segmentSpans.map((span) => slice(text, span)), ['${a} ', ' $$', '\n']);
    assert.deepEqual(s.expressions.map(show), ['b', 'c']);
    assert.equal(s.value, null);
    assert.deepEqual(
      tokenizeBicep(text).map((t) => [TokenType[t.type], slice(text, t)]),
      [
        ['Identifier', 'var'],
        ['Identifier', 's'],
        ['Assignment', '='],
        ['StringLeftPiece', "$$'''\n${a} $${"],
        ['Identifier', 'b'],
        ['StringMiddlePiece', '} $$$${'],
        ['Identifier', 'c'],
        ['StringRightPiece', "}\n'''"],
        ['EndOfFile', ''],
      ],
    );
    // No hole: one raw segment, no escapes; quotes and braces inside, a quote just before the end.
    const plain = expr("$'''a\\n '{x}' $ {y}''''");
    assert.ok(plain.kind === 'String');
    assert.deepEqual([plain.multiline, plain.value, plain.expressions.length], [true, "a\\n '{x}' $ {y}'", 0]);
    assert.equal(show(expr("$''''''")), '""');
    assert.equal(show(expr("$'''${'x${1}'}{${f('}')}}'''")), '(str "" (str "x" 1 "") "{" (call f "}") "}")');
    assert.equal(show(expr("$'''a'''  == 'a'")), '(== "a" "a")');
  });

  it('interpolated multi-line strings: unterminated, a line break in a hole, a lone $', () => {
    recovering("var a = $'''x${1\nvar b = 2", ['VarDeclaration:a', 'VarDeclaration:b']);
    const open = parseBicep("var a = $'''x${1}y");
    assert.match(open.diagnostics[0].message, /multi-line string is not terminated/);
    const hole = parseBicep("var a = $'''x${1\n'''");
    assert.match(hole.diagnostics[0].message, /interpolation is not closed/);
    const lone = parseBicep('var a = $');
    assert.ok(lone.diagnostics.some((d) => /Unexpected character '\$'/.test(d.message)));
  });

  it('reports a bad escape at the escape', () => {
    const text = "var s = 'a\\qb'";
    const r = parseBicep(text);
    assert.equal(r.diagnostics.length, 1);
    assert.equal(slice(text, r.diagnostics[0]), '\\q');
  });
});

// ---------------------------------------------------------------- declarations

describe('bicep parser: declarations', () => {
  it('targetScope and metadata', () => {
    const ts = only("targetScope = 'subscription'", 'TargetScopeDeclaration');
    assert.equal(show(ts.value), '"subscription"');
    const md = only("metadata description = 'x'", 'MetadataDeclaration');
    assert.equal(md.name.name, 'description');
    assert.equal(show(md.value), '"x"');
  });

  it('param: types, nullable, default values and decorators', () => {
    const text = "@description('Location')\n@sys.minLength(1)\n@secure()\n@allowed([\n  'a'\n  'b'\n])\nparam location string = resourceGroup().location";
    const p = only(text, 'ParamDeclaration');
    assert.equal(p.start, 0);
    assert.deepEqual([p.name.name, slice(text, p.name)], ['location', 'location']);
    assert.equal(show(p.type), 'string');
    assert.equal(show(p.defaultValue), '(. (call resourceGroup) location)');
    assert.deepEqual(p.decorators.map(decoratorName), ['description', 'minLength', 'secure', 'allowed']);
    assert.equal(show(p.decorators[1].expression), '(call sys.minLength 1)');
    assert.equal(show(decoratorArguments(p.decorators[3])[0]), '["a" "b"]');
    assert.equal(show(decoratorArguments(findDecorator(p, 'description')!)[0]), '"Location"');
    assert.equal(slice(text, p.decorators[0]), "@description('Location')");

    assert.equal(show(typeOf('string[]')), 'string[]');
    assert.equal(show(typeOf('string?')), 'string?');
    assert.equal(show(typeOf("'a' | 'b' = 'a'")), '(| "a" "b")');
    assert.equal(show(typeOf('1 | -1 | true | null')), '(| 1 (- 1) true null)');
    assert.equal(show(typeOf('myType[]?')), 'myType[]?');
    assert.equal(show(typeOf('types.config')), '(. types config)');
    assert.equal(show(typeOf("resourceInput<'Microsoft.Storage/storageAccounts@2023-01-01'>.properties")), '(. resourceInput<"Microsoft.Storage/storageAccounts@2023-01-01"> properties)');
    assert.equal(show(typeOf("resourceOutput<'A.B/c@2020-01-01'>")), 'resourceOutput<"A.B/c@2020-01-01">');
    assert.equal(show(typeOf("resourceInput<'A.B/c@2020-01-01'>.tags?")), '(. resourceInput<"A.B/c@2020-01-01"> tags)?');
    assert.equal(show(typeOf("resource 'A.B/c@2020-01-01'")), '(resource "A.B/c@2020-01-01")');
    assert.equal(show(typeOf('{\n  a: string\n  b: int?\n  *: bool\n}')), '{a: string b: int? *: bool}');
    assert.equal(show(typeOf('[string, int]')), '[string int]');
    assert.equal(show(typeOf('t[*]')), 't[*]');
    assert.equal(show(typeOf('t.*')), 't.*');
    assert.equal(show(typeOf('t[0]')), '([] t 0)');
    assert.equal(show(typeOf('(string | int)[]')), '(paren (| string int))[]');
  });

  it('var, typed var', () => {
    const v = only("var x string = 'a'", 'VarDeclaration');
    assert.equal(show(v.type), 'string');
    assert.equal(show(v.value), '"a"');
    assert.equal(only('var y = 1', 'VarDeclaration').type, null);
  });

  it('resource: type string, existing, body, scope, parent and a nested child', () => {
    const text = [
      "resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {",
      "  name: 'sa'",
      "  resource blob 'blobServices' = {",
      "    name: 'default'",
      '  }',
      '}',
      "resource kv 'Microsoft.KeyVault/vaults@2023-02-01' existing = {",
      "  name: 'kv'",
      "  scope: resourceGroup(subscription().subscriptionId, 'rg')",
      '}',
      "resource sub 'Microsoft.Network/virtualNetworks/subnets@2023-04-01' existing = {",
      '  parent: vnet',
      "  name: 'default'",
      '}',
    ].join('\n');
    const [sa, kv, sub] = parseClean(text).statements;
    assert.ok(sa.kind === 'ResourceDeclaration' && kv.kind === 'ResourceDeclaration' && sub.kind === 'ResourceDeclaration');
    assert.equal(sa.name.name, 'sa');
    assert.ok(sa.type.kind === 'String');
    assert.equal(sa.type.value, 'Microsoft.Storage/storageAccounts@2023-01-01');
    assert.equal(sa.existing, false);
    assert.ok(sa.value.kind === 'Object');
    assert.equal(show(sa.value), '{name: "sa" resource blob}');
    const blob = sa.value.resources[0];
    assert.equal(blob.type.kind === 'String' && blob.type.value, 'blobServices');
    assert.equal(show(blob.value), '{name: "default"}');
    assert.equal(kv.existing, true);
    assert.ok(kv.value.kind === 'Object');
    assert.equal(show(findProperty(kv.value, 'scope')!.value), '(call resourceGroup (. (call subscription) subscriptionId) "rg")');
    assert.ok(sub.value.kind === 'Object');
    assert.equal(show(findProperty(sub.value, 'PARENT', true)!.value), 'vnet');
    assert.equal(slice(text, sa), text.slice(0, text.indexOf('\nresource kv')));
  });

  it('resource: if conditions, for loops, filtered loops with index, @batchSize', () => {
    const cond = only("resource r 'A.B/c@2020-01-01' = if (deploy && x > 1) {\n  name: 'r'\n}", 'ResourceDeclaration');
    assert.equal(show(cond.value), '(if (&& deploy (> x 1)) {name: "r"})');
    const cond2 = only("resource r 'A.B/c@2020-01-01' =\n  if (deploy) {\n  name: 'r'\n}", 'ResourceDeclaration');
    assert.equal(show(cond2.value), '(if deploy {name: "r"})');
    const loop = only("resource r 'A.B/c@2020-01-01' = [for i in range(0, n): {\n  name: 'r${i}'\n}]", 'ResourceDeclaration');
    assert.equal(show(loop.value), '(for i in (call range 0 n): {name: (str "r" i "")})');
    const filtered = only(
      "@batchSize(2)\nresource r 'A.B/c@2020-01-01' = [for (item, i) in items: if (item.enabled) {\n  name: item.name\n}]",
      'ResourceDeclaration',
    );
    assert.equal(show(filtered.value), '(for item i in items: (if (. item enabled) {name: (. item name)}))');
    assert.equal(show(filtered.decorators[0].expression), '(call batchSize 2)');
  });

  it('module: path, scope, condition and loop', () => {
    const m = only("module m 'br:myreg.azurecr.io/bicep/modules/x:v1' = {\n  scope: resourceGroup('rg')\n  name: 'm'\n}", 'ModuleDeclaration');
    assert.equal(m.path.kind === 'String' && m.path.value, 'br:myreg.azurecr.io/bicep/modules/x:v1');
    assert.equal(show(m.value), '{scope: (call resourceGroup "rg") name: "m"}');
    const c = only("module m './m.bicep' = if (on) {\n  name: 'm'\n}", 'ModuleDeclaration');
    assert.equal(c.value.kind, 'If');
    const l = only("module m './m.bicep' = [for x in xs: {\n  name: x\n}]", 'ModuleDeclaration');
    assert.equal(l.value.kind, 'For');
  });

  it('output: typed, resource, loops', () => {
    assert.equal(show(only('output id string = lb.id', 'OutputDeclaration').type), 'string');
    const r = only("output r resource 'A.B/c@2020-01-01' = r", 'OutputDeclaration');
    assert.equal(show(r.type), '(resource "A.B/c@2020-01-01")');
    assert.equal(show(only('output r resource = r', 'OutputDeclaration').type), '(resource _)');
    const loop = only('output names array = [for n in nics: n.name]', 'OutputDeclaration');
    assert.equal(show(loop.value), '(for n in nics: (. n name))');
    assert.equal(show(only('output o object? = null', 'OutputDeclaration').type), 'object?');
  });

  it('type declarations with @export and @discriminator, object types with decorated members', () => {
    const t = only("@export()\n@discriminator('kind')\ntype u = aType | bType", 'TypeDeclaration');
    assert.deepEqual(t.decorators.map(decoratorName), ['export', 'discriminator']);
    assert.equal(show(t.value), '(| aType bType)');
    const o = only("type storageConfig = {\n  @description('n')\n  name: string\n  sku: 'Standard_LRS' | 'Premium_LRS'\n  tags: object?\n}", 'TypeDeclaration');
    assert.equal(show(o.value), '{name: string sku: (| "Standard_LRS" "Premium_LRS") tags: object?}');
    assert.ok(o.value.kind === 'ObjectType' && o.value.properties[0].kind === 'ObjectTypeProperty');
    assert.deepEqual(o.value.properties[0].decorators.map(decoratorName), ['description']);
    const lead = only("type t =\n  | 'a'\n  | 'b'", 'TypeDeclaration');
    assert.equal(show(lead.value), '(| "a" "b")');
  });

  it('func declarations', () => {
    const f = only("func buildName(prefix string, i int) string => '${prefix}-${i}'", 'FuncDeclaration');
    assert.equal(f.name.name, 'buildName');
    assert.deepEqual(f.parameters.map((p) => `${p.name.name}:${show(p.type)}`), ['prefix:string', 'i:int']);
    assert.equal(show(f.returnType), 'string');
    assert.equal(show(f.body), '(str "" prefix "-" i "")');
    const g = only('func none() int =>\n  1', 'FuncDeclaration');
    assert.deepEqual([g.parameters.length, show(g.body)], [0, '1']);
  });

  it('import and extension declarations', () => {
    const star = only("import * as types from './types.bicep'", 'ImportDeclaration');
    assert.deepEqual([star.wildcard?.name, star.symbols, star.path.kind === 'String' && star.path.value], ['types', null, './types.bicep']);
    const sym = only("import { a, b as c, 'd.e' as f } from 'br/public:x:1.0'", 'ImportDeclaration');
    assert.deepEqual(
      sym.symbols?.map((s) => `${show(s.name)}${s.alias ? ' as ' + s.alias.name : ''}`),
      ['a', 'b as c', '"d.e" as f'],
    );
    const multi = only("import {\n  a\n  b\n} from './t.bicep'", 'ImportDeclaration');
    assert.equal(multi.symbols?.length, 2);
    const ext = only('extension microsoftGraphV1', 'ExtensionDeclaration');
    assert.deepEqual([ext.keyword, show(ext.specification), ext.config, ext.alias], ['extension', 'microsoftGraphV1', null, null]);
    const ext2 = only("extension 'br:mcr.microsoft.com/bicep/ext:1.0' with {\n  a: 1\n} as k8s", 'ExtensionDeclaration');
    assert.equal(show(ext2.config), '{a: 1}');
    assert.equal(ext2.alias?.name, 'k8s');
    const legacy = only("import 'az@1.0.0' as az", 'ExtensionDeclaration');
    assert.deepEqual([legacy.keyword, legacy.alias?.name], ['import', 'az']);
  });

  it('assert and test declarations', () => {
    assert.equal(show(only('assert a = length(p) > 0', 'AssertDeclaration').value), '(> (call length p) 0)');
    const t = only("test t './x.bicep' = {\n  params: {}\n}", 'TestDeclaration');
    assert.deepEqual([t.name.name, t.path.kind === 'String' && t.path.value, show(t.value)], ['t', './x.bicep', '{params: {}}']);
  });

  it('.bicepparam files: using, using none, extends, param assignments, var, import, extensionConfig', () => {
    const text = "using './main.bicep' with {\n  mode: 'x'\n}\nextends './base.bicepparam'\nimport { a } from './t.bicep'\nparam location = 'westus'\nvar prefix = 'p'\nparam name = '${prefix}-x'\nextensionConfig k8s with {\n  ns: 'default'\n}";
    const program = parseClean(text, 'bicepparam');
    assert.deepEqual(names(program), [
      'UsingDeclaration',
      'ExtendsDeclaration',
      'ImportDeclaration',
      'ParamAssignment:location',
      'VarDeclaration:prefix',
      'ParamAssignment:name',
      'ExtensionConfigAssignment:k8s',
    ]);
    const using = program.statements[0];
    assert.ok(using.kind === 'UsingDeclaration');
    assert.equal(using.path?.kind === 'String' && using.path.value, './main.bicep');
    assert.equal(show(using.config), '{mode: "x"}');
    assert.equal(only('using none', 'UsingDeclaration', 'bicepparam').path, null);
    // Without a file kind both languages are accepted; `param x = v` is then an assignment.
    assert.equal(parseBicep("param a = 1\nparam b string = 'x'").program.statements.map((s) => s.kind).join(), 'ParamAssignment,ParamDeclaration');
  });

  it('reports declarations of the other kind of file when the kind is given', () => {
    const r = parseBicep("using './main.bicep'\nresource r 'A.B/c@2020-01-01' = {}", { fileKind: 'bicepparam' });
    assert.equal(r.diagnostics.length, 1);
    assert.match(r.diagnostics[0].message, /resource declaration is not allowed in a \.bicepparam file/);
    assert.equal(r.program.statements[1].kind, 'ResourceDeclaration');
    const b = parseBicep('param x = 1', { fileKind: 'bicep' });
    assert.equal(b.diagnostics.length, 1, 'a parameter needs a type in a .bicep file');
    assert.equal(b.program.statements[0].kind, 'ParamDeclaration');
  });
});

// ---------------------------------------------------------------- expressions

describe('bicep parser: expressions', () => {
  it('operator precedence: * / % over + - over comparisons over == over && over || over ??, ternary lowest', () => {
    const cases: [string, string][] = [
      ['1 + 2 * 3', '(+ 1 (* 2 3))'],
      ['1 * 2 + 3', '(+ (* 1 2) 3)'],
      ['a % b - c / d', '(- (% a b) (/ c d))'],
      ['a + b < c - d', '(< (+ a b) (- c d))'],
      ['a < b == c >= d', '(== (< a b) (>= c d))'],
      ['a == b && c != d', '(&& (== a b) (!= c d))'],
      ['a =~ b || c !~ d', '(|| (=~ a b) (!~ c d))'],
      ['a || b && c', '(|| a (&& b c))'],
      ['a && b || c', '(|| (&& a b) c)'],
      ['a ?? b || c', '(?? a (|| b c))'],
      ['a || b ?? c', '(?? (|| a b) c)'],
      ['5 % 2 == 1 && !true || false', '(|| (&& (== (% 5 2) 1) (! true)) false)'],
      ['a ?? b ? c : d', '(? (?? a b) c d)'],
      ['a <= b ? c + 1 : d * 2', '(? (<= a b) (+ c 1) (* d 2))'],
      ['-a.b + -1', '(+ (- (. a b)) (- 1))'],
      ['!a.b[0]', '(! ([] (. a b) 0))'],
      ['(a + b) * c', '(* (paren (+ a b)) c)'],
    ];
    for (const [source, expected] of cases) assert.equal(show(expr(source)), expected, source);
  });

  it('associativity: binary operators to the left, the ternary to the right', () => {
    assert.equal(show(expr('a - b - c')), '(- (- a b) c)');
    assert.equal(show(expr('a / b * c')), '(* (/ a b) c)');
    assert.equal(show(expr('a ?? b ?? c')), '(?? (?? a b) c)');
    assert.equal(show(expr('a && b && c')), '(&& (&& a b) c)');
    assert.equal(show(expr('a ? b : c ? d : e')), '(? a b (? c d e))');
    assert.equal(show(expr('a ? b ? c : d : e')), '(? a (? b c d) e)');
    assert.equal(show(expr("cond\n  ? 'a'\n  : 'b'")), '(? cond "a" "b")');
  });

  it('member access, safe access, index, non-null, child resources, from-end index', () => {
    assert.equal(show(expr('a.b[0].c.d')), '(. (. ([] (. a b) 0) c) d)');
    assert.equal(show(expr('foo.?bar')), '(.? foo bar)');
    assert.equal(show(expr('foo?.bar')), '(.? foo bar)');
    assert.equal(show(expr('foo[?0]')), '([?] foo 0)');
    assert.equal(show(expr('foo!.bar')), '(. (! foo) bar)');
    assert.equal(show(expr('vnet::subnet.id')), '(. (:: vnet subnet) id)');
    assert.equal(show(expr('xs[^1]')), '([^] xs 1)');
    assert.equal(show(expr("o['key']")), '([] o "key")');
  });

  it('calls: plain, namespaced, instance, multi-line with and without commas', () => {
    assert.equal(show(expr("sys.concat('a','b')")), '(call sys.concat "a" "b")');
    assert.equal(show(expr('az.resourceGroup().location')), '(. (call az.resourceGroup) location)');
    assert.equal(show(expr('stg.listKeys().keys[0].value')), '(. ([] (. (call stg.listKeys) keys) 0) value)');
    assert.equal(show(expr('concat(\n  [1]\n  [2]\n)')), '(call concat [1] [2])');
    assert.equal(show(expr('concat(\n  [1],\n  [2]\n)')), '(call concat [1] [2])');
    assert.equal(show(expr('f()')), '(call f)');
  });

  it('lambdas', () => {
    assert.equal(show(expr('map(items, x => x.id)')), '(call map items (=> (x) (. x id)))');
    assert.equal(show(expr('filter(items, (x, i) => i > 0)')), '(call filter items (=> (x i) (> i 0)))');
    assert.equal(show(expr('() => 1')), '(=> () 1)');
    assert.equal(show(expr('reduce(xs, 0, (cur, next) => cur + next)')), '(call reduce xs 0 (=> (cur next) (+ cur next)))');
    const lambda = expr('x => x');
    assert.ok(lambda.kind === 'Lambda');
    assert.deepEqual(lambda.parameters.map((p) => [p.start, p.end]), [[8, 9]]);
  });

  it('objects and arrays, single-line and multi-line, with spreads', () => {
    assert.equal(show(expr('{ a: 1, b: 2 }')), '{a: 1 b: 2}');
    assert.equal(show(expr('{\n  a: 1\n  b: 2\n}')), '{a: 1 b: 2}');
    assert.equal(show(expr('{\n  a: 1, b: 2\n  c: 3\n}')), '{a: 1 b: 2 c: 3}');
    assert.equal(show(expr('{ }')), '{}');
    assert.equal(show(expr('{}')), '{}');
    assert.equal(show(expr('[]')), '[]');
    assert.equal(show(expr('[1, 2, 3]')), '[1 2 3]');
    assert.equal(show(expr('[1, 2,]')), '[1 2]');
    assert.equal(show(expr("[\n  'abc'\n  'def'\n]")), '["abc" "def"]');
    assert.equal(show(expr("['abc', 'def'\n'ghi']")), '["abc" "def" "ghi"]');
    assert.equal(show(expr('{\n  ...base\n  c: 3\n}')), '{...base c: 3}');
    assert.equal(show(expr('[...a, 1]')), '[...a 1]');
    assert.equal(show(expr("{\n  'my-key': 1\n  '${k}': 2\n}")), '{"my-key": 1 (str "" k ""): 2}');
    assert.equal(show(expr('[for n in range(0, 3): n * 2]')), '(for n in (call range 0 3): (* n 2))');
    assert.equal(show(expr('[\n  for n in xs: {\n    v: n\n  }\n]')), '(for n in xs: {v: n})');
    assert.equal(show(expr('null')), 'null');
    assert.equal(show(expr('-1')), '(- 1)');
    assert.equal(show(expr('true')), 'true');
  });

  it('keeps the spans of property keys and values', () => {
    const text = "var o = {\n  name: 'x'\n  'a-b': [1]\n}";
    const o = only(text, 'VarDeclaration').value as ObjectExpression;
    const [p1, p2] = o.properties;
    assert.ok(p1.kind === 'ObjectProperty' && p2.kind === 'ObjectProperty');
    assert.deepEqual([slice(text, p1), slice(text, p1.key), slice(text, p1.value)], ["name: 'x'", 'name', "'x'"]);
    assert.deepEqual([slice(text, p2.key), propertyName(p2), slice(text, p2.value)], ["'a-b'", 'a-b', '[1]']);
    assert.equal(slice(text, o), text.slice(8));
  });

  it('strings with interpolation: cooked segments, their spans and the expressions', () => {
    const text = "var s = 'it\\'s ${'nested ${x}'} \\${notinterp}'";
    const s = only(text, 'VarDeclaration').value;
    assert.ok(s.kind === 'String');
    assert.deepEqual(s.segments, ["it's ", ' ${notinterp}']);
    assert.deepEqual(s.segmentSpans.map((span) => slice(text, span)), ["it\\'s ", ' \\${notinterp}']);
    assert.equal(show(s.expressions[0]), '(str "nested " x "")');
    assert.equal(s.value, null);
    const t = expr("'${a}${b.c}'");
    assert.ok(t.kind === 'String');
    assert.deepEqual(t.segments, ['', '', '']);
    assert.equal(show(t), '(str "" a "" (. b c) "")');
  });
});

// ---------------------------------------------------------------- error recovery

/** Parses and checks the kinds (and names) of the statements that come through. */
function recovering(text: string, expected: string[]): BicepParseResult {
  const r = parseBicep(text);
  assert.deepEqual(names(r.program), expected);
  assert.ok(r.diagnostics.length > 0, 'the problem is reported');
  assertWellFormed(r.program, text);
  return r;
}

describe('bicep parser: recovery while typing', () => {
  it('a half-typed property: reported at the end of its line, the rest of the object and file intact', () => {
    const text = "var a = 1\nresource r 'A.B/c@2020-01-01' = {\n  name: \n  location: 'x'\n}\nvar b = 2";
    const r = recovering(text, ['VarDeclaration:a', 'ResourceDeclaration:r', 'VarDeclaration:b']);
    assert.deepEqual(r.diagnostics.map((d) => [d.start, d.end]), [[text.indexOf(': \n') + 2, text.indexOf(': \n') + 2]]);
    const res = r.program.statements[1];
    assert.ok(res.kind === 'ResourceDeclaration' && res.value.kind === 'Object');
    assert.equal(show(res.value), '{name: <error> location: "x"}');
  });

  it('a missing value', () => {
    const text = 'var a = 1\nvar x =\nvar b = 2';
    const r = recovering(text, ['VarDeclaration:a', 'VarDeclaration:x', 'VarDeclaration:b']);
    assert.deepEqual(r.diagnostics.map((d) => d.start), [text.indexOf('\nvar b')]);
    const x = r.program.statements[1];
    assert.ok(x.kind === 'VarDeclaration');
    assert.equal(x.value.kind, 'Error');
  });

  it('an unclosed string', () => {
    const text = "var a = 1\nvar s = 'abc\nvar b = 2";
    const r = recovering(text, ['VarDeclaration:a', 'VarDeclaration:s', 'VarDeclaration:b']);
    assert.deepEqual(r.diagnostics.map((d) => slice(text, d)), ["'abc"]);
    const s = r.program.statements[1];
    assert.ok(s.kind === 'VarDeclaration' && s.value.kind === 'String');
    assert.equal(s.value.value, 'abc');
    const interp = recovering("var s = 'a${b\nvar c = 1", ['VarDeclaration:s', 'VarDeclaration:c']);
    assert.equal(interp.diagnostics.length, 1);
  });

  it("a missing '}': reported where it belongs, the declarations after it are their own", () => {
    const text = "var a = 1\nresource r 'A.B/c@2020-01-01' = {\n  name: 'r'\n  properties: {\n    x: 1\n  }\n\nvar b = 2\noutput o string = b";
    const r = recovering(text, ['VarDeclaration:a', 'ResourceDeclaration:r', 'VarDeclaration:b', 'OutputDeclaration:o']);
    const at = text.indexOf('  }\n') + 3;
    assert.deepEqual(r.diagnostics.map((d) => [d.start, d.end, d.message]), [[at, at, "Expected '}' here."]]);
    assert.equal(show((r.program.statements[1] as Extract<Statement, { kind: 'ResourceDeclaration' }>).value), '{name: "r" properties: {x: 1}}');
    recovering("resource r 'A.B/c@2020-01-01' = {\n  name: 'r'\n\nresource s 'A.B/c@2020-01-01' = {\n  name: 's'\n}", [
      'ResourceDeclaration:r',
      'ResourceDeclaration:s',
    ]);
    recovering('var x = [\n  1\n@description(\'d\')\nparam p string', ['VarDeclaration:x', 'ParamDeclaration:p']);
    recovering("var x = concat('a',\nvar y = 1", ['VarDeclaration:x', 'VarDeclaration:y']);
  });

  it('stray tokens', () => {
    const text = 'var a = 1\n)\nvar b = 2 ]\nvar c = 3';
    const r = recovering(text, ['VarDeclaration:a', 'ErrorStatement', 'VarDeclaration:b', 'VarDeclaration:c']);
    assert.deepEqual(r.diagnostics.map((d) => slice(text, d)), [')', ']']);
    const inObject = recovering('var o = {\n  a: 1 )\n  b: 2\n}\nvar z = 0', ['VarDeclaration:o', 'VarDeclaration:z']);
    assert.equal(show((inObject.program.statements[0] as Extract<Statement, { kind: 'VarDeclaration' }>).value), '{a: 1 <error>: <error> b: 2}');
  });

  it('a half-typed decorator stays with the next declaration', () => {
    const text = "var a = 1\n@\nparam p string\n@desc(\nparam q string\n@description('x')";
    const r = recovering(text, ['VarDeclaration:a', 'ParamDeclaration:p', 'ParamDeclaration:q', 'MissingDeclaration']);
    assert.deepEqual(r.diagnostics.map((d) => d.start), [text.indexOf('@\n') + 1, text.indexOf('(\n') + 1, text.lastIndexOf('@')]);
    const p = r.program.statements[1];
    assert.ok(p.kind === 'ParamDeclaration');
    assert.equal(p.decorators.length, 1);
    assert.equal(p.decorators[0].expression.kind, 'Error');
    const sameLine = recovering('@secure() @minLength(3) param pw string\nvar b = 1', ['ParamDeclaration:pw', 'VarDeclaration:b']);
    assert.deepEqual(sameLine.diagnostics.map((d) => d.start), [10, 24]);
    assert.equal((sameLine.program.statements[0] as Extract<Statement, { kind: 'ParamDeclaration' }>).decorators.length, 2);
  });

  it("a resource with nothing after '='", () => {
    const text = "var a = 1\nresource x 'A.B/c@2020-01-01' = \nvar b = 2";
    const r = recovering(text, ['VarDeclaration:a', 'ResourceDeclaration:x', 'VarDeclaration:b']);
    assert.deepEqual(r.diagnostics.map((d) => d.start), [text.indexOf('\nvar b')]);
    const x = r.program.statements[1];
    assert.ok(x.kind === 'ResourceDeclaration');
    assert.equal(x.value.kind, 'Error');
    assert.equal(x.type.kind === 'String' && x.type.value, 'A.B/c@2020-01-01');
  });

  it('more half-typed lines', () => {
    recovering('param\nvar b = 1', ['ParamDeclaration:', 'VarDeclaration:b']);
    recovering("resource\nresource r 'A.B/c@2020-01-01' = {}", ['ResourceDeclaration:', 'ResourceDeclaration:r']);
    recovering("resource r 'A.B/c@2020-\nvar b = 1", ['ResourceDeclaration:r', 'VarDeclaration:b']);
    recovering('var o = a.\nvar b = 1', ['VarDeclaration:o', 'VarDeclaration:b']);
    recovering('var o = f(a b)\nvar b = 1', ['VarDeclaration:o', 'VarDeclaration:b']);
    recovering('var x = a +\nvar b = 1', ['VarDeclaration:x', 'VarDeclaration:b']);
    recovering('var x = c ? 1\nvar b = 1', ['VarDeclaration:x', 'VarDeclaration:b']);
    recovering('var x = [for i in : i]\nvar b = 1', ['VarDeclaration:x', 'VarDeclaration:b']);
    recovering("module m = {\n  name: 'm'\n}\nvar b = 1", ['ModuleDeclaration:m', 'VarDeclaration:b']);
    recovering('output o = 1\nvar b = 1', ['OutputDeclaration:o', 'VarDeclaration:b']);
    recovering("import { a from './x.bicep'\nvar b = 1", ['ImportDeclaration', 'VarDeclaration:b']);
    recovering('type t = \nvar b = 1', ['TypeDeclaration:t', 'VarDeclaration:b']);
    recovering("var s = 'a' /* never closed\nvar b = 1", ['VarDeclaration:s']);
    recovering('var x = { : 1 }\nvar y = a + )', ['VarDeclaration:x', 'VarDeclaration:y']);
    recovering('func f(a string string => a\nvar b = 1', ['FuncDeclaration:f', 'VarDeclaration:b']);
  });

  it('reports an unexpected new line after a comma in an array (as Bicep does)', () => {
    const r = parseBicep('var a = [1,\n  2]');
    assert.equal(r.diagnostics.length, 1);
    assert.equal(show((r.program.statements[0] as Extract<Statement, { kind: 'VarDeclaration' }>).value), '[1 2]');
  });
});

// ---------------------------------------------------------------- real files

describe('bicep parser: the syntax samples and the corpus', () => {
  it('parses every syntax sample without diagnostics', () => {
    const files = bicepFiles(SYNTAX_DIR);
    assert.ok(files.length >= 50, `syntax samples found in ${SYNTAX_DIR}`);
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const r = parseBicep(text, { fileKind: fileKindOf(file) });
      assert.deepEqual(r.diagnostics, [], `${path.basename(file)}:\n${describeDiagnostics(text, r.diagnostics)}`);
      assert.ok(r.program.statements.length > 0 || /^\s*$/.test(text), path.basename(file));
      assertWellFormed(r.program, text);
    }
  });

  it('parses every .bicep and .bicepparam file of the corpus without diagnostics', () => {
    const files = bicepFiles(CORPUS_DIR);
    assert.ok(files.length >= 20, `corpus files found in ${CORPUS_DIR}`);
    let resources = 0;
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const r = parseBicep(text, { fileKind: fileKindOf(file) });
      assert.deepEqual(r.diagnostics, [], `${path.relative(CORPUS_DIR, file)}:\n${describeDiagnostics(text, r.diagnostics)}`);
      assert.ok(!r.program.statements.some((s) => s.kind === 'ErrorStatement' || s.kind === 'MissingDeclaration'));
      assertWellFormed(r.program, text);
      walk(r.program, (n) => {
        assert.notEqual(n.kind, 'Error', `${path.relative(CORPUS_DIR, file)}: an Error node at ${n.start}`);
        if (n.kind === 'ResourceDeclaration') resources++;
      });
    }
    assert.ok(resources > 100, 'the corpus declares many resources');
  });

  it("parses every .bicep and .bicepparam file of the Bicep compiler's baselines without diagnostics", { skip: NO_BASELINES }, () => {
    const files = bicepFiles(BASELINES_DIR);
    assert.ok(files.length >= 70, `baseline files found in ${BASELINES_DIR}`);
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const r = parseBicep(text, { fileKind: fileKindOf(file) });
      const name = path.relative(BASELINES_DIR, file);
      assert.deepEqual(r.diagnostics, [], `${name}:\n${describeDiagnostics(text, r.diagnostics)}`);
      assert.ok(!r.program.statements.some((s) => s.kind === 'ErrorStatement' || s.kind === 'MissingDeclaration'), name);
      assertWellFormed(r.program, text);
      walk(r.program, (n) => assert.notEqual(n.kind, 'Error', `${name}: an Error node at ${n.start}`));
    }
  });

  it("gives the baselines' statements and strings the spans tree-sitter-bicep gives them (where it parses the file)", { skip: NO_BASELINES }, async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const TreeSitter = require('web-tree-sitter') as typeof TreeSitterParser;
    await TreeSitter.init();
    const parser = new TreeSitter();
    parser.setLanguage(await TreeSitter.Language.load(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm')));
    let compared = 0;
    for (const file of bicepFiles(BASELINES_DIR)) {
      const text = fs.readFileSync(file, 'utf8');
      const tree = parser.parse(text);
      // tree-sitter-bicep 1.1.0 predates some of the language (e.g. `$'''` strings, some imports): those files are not compared.
      if (tree.rootNode.hasError) continue;
      // Its decorators are a statement of their own; ours belong to the declaration they decorate.
      const theirs: [number, number][] = [];
      let decoratorsStart: number | undefined;
      for (const n of tree.rootNode.namedChildren) {
        if (n.type === 'comment' || n.type === 'diagnostic_comment') continue;
        if (n.type === 'decorators') decoratorsStart = n.startIndex;
        else {
          theirs.push([decoratorsStart ?? n.startIndex, n.endIndex]);
          decoratorsStart = undefined;
        }
      }
      const program = parseBicep(text, { fileKind: fileKindOf(file) }).program;
      const ours = program.statements.map((s): [number, number] => [s.start, s.end]);
      assert.deepEqual(ours, theirs, path.relative(BASELINES_DIR, file));
      // Every string literal too (its `string` nodes that start with a quote; the others are type names).
      const ourStrings: string[] = [];
      walk(program, (n) => void (n.kind === 'String' && ourStrings.push(`${n.start}-${n.end}`)));
      const theirStrings: string[] = [];
      const visit = (n: TreeSitterParser.SyntaxNode): void => {
        if (n.type === 'string' && text[n.startIndex] === "'") theirStrings.push(`${n.startIndex}-${n.endIndex}`);
        n.children.forEach(visit);
      };
      visit(tree.rootNode);
      assert.deepEqual(ourStrings.sort(), theirStrings.sort(), `${path.relative(BASELINES_DIR, file)}: string spans`);
      compared++;
    }
    assert.ok(compared >= 60, `${compared} files compared`);
  });

  it('finds the load balancer rules of a real template', () => {
    const file = bicepFiles(CORPUS_DIR).find((f) => f.endsWith(path.join('internal-loadbalancer-create', 'main.bicep')));
    assert.ok(file);
    const program = parseClean(fs.readFileSync(file, 'utf8'));
    const lbs = program.statements.filter(
      (s): s is Extract<Declaration, { kind: 'ResourceDeclaration' }> =>
        s.kind === 'ResourceDeclaration' && s.type.kind === 'String' && (s.type.value ?? '').startsWith('Microsoft.Network/loadBalancers@'),
    );
    assert.equal(lbs.length, 1);
    const body = lbs[0].value;
    assert.ok(body.kind === 'Object');
    const properties = findProperty(body, 'properties')?.value;
    assert.ok(properties?.kind === 'Object');
    const rules = findProperty(properties, 'loadBalancingRules')?.value;
    assert.ok(rules?.kind === 'Array' && rules.items.length >= 1);
  });
});

// ---------------------------------------------------------------- robustness

describe('bicep parser: bounded on any input', () => {
  const realTexts = (): string[] => [...bicepFiles(CORPUS_DIR), ...bicepFiles(SYNTAX_DIR)].map((f) => fs.readFileSync(f, 'utf8'));

  it('every truncation of the real files at every 97th offset parses without throwing, well-formed', HANG_GUARD, () => {
    for (const text of realTexts()) {
      for (let end = 0; end <= text.length; end += 97) {
        const cut = text.slice(0, end);
        assertWellFormed(parseBicep(cut).program, cut);
      }
    }
  });

  it('random garbage parses without throwing, well-formed', HANG_GUARD, () => {
    const next = random(42);
    const alphabet = ["{", "}", "[", "]", "(", ")", "'", "'''", '"', '$', '${', ',', ':', '::', '.', '...', '?', '??', '!', '@', '=', '=>', '==', '<', '>', '|', '||', '&&', '*', '/', '+', '-', '%', '^', ' ', '\n', '\r\n', '\t', 'a', 'resource', 'param', 'var', 'for', 'in', 'if', 'x', '1', '#disable-next-line', '/*', '*/', '//', 'ü', '😀', '\\', '\\u{'];
    for (let i = 0; i < 400; i++) {
      let s = '';
      const length = Math.floor(next() * 300);
      for (let j = 0; j < length; j++) s += alphabet[Math.floor(next() * alphabet.length)];
      assertWellFormed(parseBicep(s).program, s);
    }
  });

  it('pathological nesting and repetition stay bounded', HANG_GUARD, () => {
    const inputs = [
      '['.repeat(50_000),
      'var x = ' + '('.repeat(50_000),
      'var x = ' + '{a:'.repeat(20_000),
      "var x = '" + '${\''.repeat(20_000),
      'var x = a' + '.b'.repeat(50_000),
      '@'.repeat(50_000),
      'var x = a' + ' ? b'.repeat(20_000),
      "type t = 'a'" + " | 'a'".repeat(20_000),
      'var x = [\n'.repeat(10_000),
      "resource r 'x' = {\n  ".repeat(5_000),
      '}'.repeat(50_000),
      'var x = ' + 'f('.repeat(20_000),
      'var x = ' + '!-'.repeat(20_000),
      'var x = ' + 'a => '.repeat(20_000),
    ];
    for (const input of inputs) {
      const r = parseBicep(input);
      assert.ok(r.program.end === input.length);
    }
  });
});

// ---------------------------------------------------------------- re-parse

describe('bicep parser: re-parse after an edit', () => {
  function applyEdit(text: string, edit: { start: number; end: number; text: string }): string {
    return text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  }

  it('equals a full parse for one-character edits, insertions and deletions', () => {
    const text = "var a = 1\nresource r 'A.B/c@2020-01-01' = {\n  name: 'r'\n}\nvar b = 'x'\noutput o int = a";
    const edits = [
      { start: text.indexOf("'r'") + 1, end: text.indexOf("'r'") + 2, text: 'Q' },
      { start: text.indexOf('name'), end: text.indexOf('name'), text: 'display' },
      { start: text.indexOf('var b'), end: text.indexOf('var b') + 4, text: '' },
      { start: 0, end: 0, text: '// header\n' },
      { start: text.length, end: text.length, text: '\nvar z = 0' },
      { start: text.indexOf('{'), end: text.indexOf('{') + 1, text: '' },
      { start: text.indexOf('var b'), end: text.indexOf('var b'), text: '/*' },
      { start: text.indexOf('var b'), end: text.indexOf('var b'), text: "'''" },
    ];
    for (const edit of edits) {
      const edited = applyEdit(text, edit);
      assert.deepEqual(reparseBicep(parseBicep(text), edit, edited), parseBicep(edited), JSON.stringify(edit));
    }
  });

  it('keeps the statements before the edit and, for a same-length edit, after it', () => {
    const text = "var a = 1\nvar b = 2\nvar c = 3\nvar d = 'x'\nvar e = 4\nvar f = 5";
    const previous = parseBicep(text);
    const before = previous.program.statements.slice();
    const at = text.indexOf("'x'") + 1;
    const next = reparseBicep(previous, { start: at, end: at + 1, text: 'y' }, applyEdit(text, { start: at, end: at + 1, text: 'y' }));
    assert.equal(next.program.statements[0], before[0], 'before the edit: the same node');
    assert.equal(next.program.statements[4], before[4], 'after the edit: the same node');
    assert.notEqual(next.program.statements[3], before[3], 'the edited statement is new');
  });

  it('equals a full parse for many random edits of real files (seeded)', HANG_GUARD, () => {
    const next = random(2024);
    const fragments = ['{', '}', '[', ']', '(', ')', "'", '\n', 'x', ' ', '${', '?', ':', '|', '=>', '@', '/*', '*/', '//', "'''", 'var y = 1\n', '\n? a : b', "\nresource c 'x' = {\n", '#disable-next-line x\n', '\r\n', '@d() ', '\n)', '(\n', ''];
    const files = [...bicepFiles(CORPUS_DIR).slice(0, 12), ...bicepFiles(SYNTAX_DIR)];
    let edits = 0;
    for (const file of files) {
      let text = fs.readFileSync(file, 'utf8');
      let result = parseBicep(text, { fileKind: fileKindOf(file) });
      for (let i = 0; i < 40; i++) {
        const start = Math.floor(next() * (text.length + 1));
        const end = Math.min(text.length, start + Math.floor(next() * (next() < 0.7 ? 3 : 40)));
        const edit = { start, end, text: fragments[Math.floor(next() * fragments.length)] };
        const edited = applyEdit(text, edit);
        result = reparseBicep(result, edit, edited);
        assert.deepEqual(result, parseBicep(edited, { fileKind: fileKindOf(file) }), `${path.basename(file)} edit ${JSON.stringify(edit)}`);
        text = edited;
        edits++;
      }
    }
    assert.ok(edits > 1000);
  });

  it("equals a full parse for random edits of the Bicep compiler's baselines (seeded)", { ...HANG_GUARD, skip: NO_BASELINES }, () => {
    const next = random(1847);
    const fragments = ["$'''", "$$'''", "'''", '${', '$${', '}', '$', "'", '\n', 'x', ' ', '{', '[', '(', ')', ']', '/*', '*/', ''];
    for (const file of bicepFiles(BASELINES_DIR)) {
      let text = fs.readFileSync(file, 'utf8');
      let result = parseBicep(text, { fileKind: fileKindOf(file) });
      // Every file gets a few edits; the interpolated multi-line strings get many.
      const count = path.basename(path.dirname(file)).startsWith('MultilineStrings') ? 200 : 6;
      for (let i = 0; i < count; i++) {
        const start = Math.floor(next() * (text.length + 1));
        const end = Math.min(text.length, start + Math.floor(next() * 4));
        const edit = { start, end, text: fragments[Math.floor(next() * fragments.length)] };
        const edited = applyEdit(text, edit);
        result = reparseBicep(result, edit, edited);
        assert.deepEqual(result, parseBicep(edited, { fileKind: fileKindOf(file) }), `${path.relative(BASELINES_DIR, file)} edit ${JSON.stringify(edit)}`);
        text = edited;
      }
    }
  });

  it('falls back to a full parse when the edit does not fit the previous text', () => {
    const previous = parseBicep('var a = 1');
    assert.deepEqual(reparseBicep(previous, { start: 50, end: 60, text: 'x' }, 'var b = 2'), parseBicep('var b = 2'));
  });
});

// ---------------------------------------------------------------- the tree

describe('bicep parser: the tree', () => {
  it('lists child nodes in source order and every node has a kind and a span', () => {
    const text = "@description('d')\nparam p string = 'x'";
    const p = only(text, 'ParamDeclaration');
    const kinds: string[] = [];
    forEachChild(p, (c) => kinds.push(c.kind));
    assert.deepEqual(kinds, ['Decorator', 'Identifier', 'Identifier', 'String']);
    let count = 0;
    walk(parseClean(fs.readFileSync(path.join(SYNTAX_DIR, 'forIndexIf.bicep'), 'utf8')), (n) => {
      assert.equal(typeof n.kind, 'string');
      assert.equal(typeof n.start, 'number');
      count++;
    });
    assert.ok(count > 10);
  });
});
