/**
 * A recursive-descent parser for Bicep and .bicepparam files, following the official parser's
 * grammar, newline rules and recovery points (Azure/bicep, Bicep.Core/Parsing). Where a part
 * cannot be parsed, the parser records a diagnostic, skips to a token that can end that part
 * (usually the end of the line) and puts an `Error` node in its place, so the rest of the
 * declaration and the declarations after it still come through. Two additions to the official
 * recovery keep typing in the editor calm: a missing `}`, `]` or `)` is reported where it is
 * missing, keeping the object or array parsed so far; and a line that plainly starts a new
 * top-level declaration (`var x`, `param x`, `output x`, `@...` or `resource x` at column 0, ...)
 * ends any bracket left open above it.
 *
 * Every loop consumes a token or ends, and nesting is capped, so any input parses in linear time.
 */
import type * as A from './ast';
import { Lexer, multilineContentStart, type LexSink } from './lexer';
import { DECLARATION_KEYWORDS, FLAG_MULTILINE, FLAG_UNTERMINATED, multilineDollars, Token, TokenType, binaryPrecedence, operatorText, tokenSet, type TokenSet } from './tokens';

/** Expression flags: objects and arrays may appear (not inside `${}`), and child resources may (in a resource body). */
const NONE = 0;
const ALLOW_COMPLEX = 1;
const ALLOW_RESOURCES = 2;

/** How deep expressions and types may nest before the parser gives up on that part. */
const MAX_DEPTH = 200;

const T = TokenType;
const T_NEWLINE = tokenSet(T.NewLine);
const T_IDENTIFIER_OR_NEWLINE = tokenSet(T.Identifier, T.NewLine);
const T_ASSIGNMENT_OR_NEWLINE = tokenSet(T.Assignment, T.NewLine);
const T_STRING_OR_NEWLINE = tokenSet(T.StringComplete, T.StringLeftPiece, T.NewLine);
const T_LEFT_BRACE_OR_NEWLINE = tokenSet(T.LeftBrace, T.NewLine);
const T_PARAM_TYPE = tokenSet(T.Assignment, T.LeftBrace, T.NewLine);
const T_OPERAND = tokenSet(T.StringRightPiece, T.RightBrace, T.RightParen, T.RightSquare, T.NewLine);
const T_TERNARY_TRUE = tokenSet(T.Colon, T.StringRightPiece, T.RightBrace, T.RightParen, T.RightSquare, T.NewLine);
const T_PAREN_ITEM = tokenSet(T.StringRightPiece, T.RightBrace, T.RightParen, T.RightSquare, T.NewLine, T.Comma);
const T_PAREN_CLOSE = tokenSet(T.StringRightPiece, T.RightBrace, T.RightSquare, T.NewLine);
const T_ARGUMENT = tokenSet(T.NewLine, T.Comma, T.RightParen);
const T_TYPE_ARGUMENT = tokenSet(T.NewLine, T.Comma, T.RightChevron);
const T_NEWLINE_OR_RIGHT_PAREN = tokenSet(T.NewLine, T.RightParen);
const T_OBJECT_ELEMENT = tokenSet(T.NewLine, T.RightBrace);
const T_OBJECT_KEY = tokenSet(T.Colon, T.NewLine, T.RightBrace);
const T_ARRAY_ELEMENT = tokenSet(T.NewLine, T.RightSquare);
const T_OBJECT_SPREAD = tokenSet(T.Comma, T.NewLine, T.RightBrace);
const T_ARRAY_SPREAD = tokenSet(T.Comma, T.NewLine, T.RightSquare);
const T_FOR_HEAD = tokenSet(T.RightSquare, T.NewLine);
const T_FOR_ITERABLE = tokenSet(T.Colon, T.RightSquare, T.NewLine);
const T_IF_CONDITION = tokenSet(T.LeftBrace, T.NewLine);
const T_IF_CONDITION_IN_FOR = tokenSet(T.RightSquare, T.LeftBrace, T.NewLine);
const T_INTERPOLATION = tokenSet(T.StringMiddlePiece, T.StringRightPiece, T.NewLine);
const T_UNION_MEMBER = tokenSet(T.NewLine, T.Pipe, T.RightBrace, T.RightParen, T.RightSquare, T.Comma, T.Assignment);
const T_IMPORT_ALIAS = tokenSet(T.Comma, T.NewLine);
const T_FUNC_PARAMETER_TYPE = tokenSet(T.NewLine, T.Comma, T.RightParen);

/** The declaration keywords of each kind of file. */
const BICEP_KEYWORDS = new Set(['targetScope', 'metadata', 'param', 'var', 'resource', 'module', 'output', 'type', 'func', 'import', 'extension', 'assert', 'test']);
const BICEPPARAM_KEYWORDS = new Set(['using', 'extends', 'param', 'var', 'import', 'extension', 'extensionConfig', 'type']);

/** A failed expectation: unwinds to the nearest recovery point, which records it as a diagnostic. */
class ParseFailure {
  constructor(
    readonly start: number,
    readonly end: number,
    readonly message: string,
  ) {}
}

/** Elements separated by new lines or commas (arrays, objects), or by commas (calls; new lines are tolerated too). */
const enum ListMode {
  Items,
  Arguments,
}

type Recovered<N> = N | A.ErrorNode;

function isString(t: Token): boolean {
  return t.type === T.StringComplete || t.type === T.StringLeftPiece;
}

function isKeyword(t: Token, keyword: string): boolean {
  return t.type === T.Identifier && t.value === keyword;
}

/** A zero-width error or missing name before which the next error is not reported again. */
function isEmptyError(node: A.Node | Token | null): boolean {
  if (node === null || node instanceof Token) return false;
  return node.start === node.end && (node.kind === 'Error' || (node.kind === 'Identifier' && node.name === ''));
}

function isError(node: A.Node | Token): node is A.ErrorNode {
  return !(node instanceof Token) && node.kind === 'Error';
}

export class Parser {
  private readonly tokens: Token[] = [];
  private index = 0;
  /** The end of the last token consumed that is not a NewLine. */
  private lastEnd: number;
  private depth = 0;
  private readonly lexer: Lexer;
  private readonly diagnostics: A.Diagnostic[];

  constructor(
    private readonly text: string,
    start: number,
    private readonly fileKind: A.BicepFileKind,
    sink: LexSink,
  ) {
    this.lexer = new Lexer(text, start, sink);
    this.diagnostics = sink.diagnostics;
    this.lastEnd = start;
  }

  // ------------------------------------------------------------ tokens

  private peek(): Token {
    return this.index < this.tokens.length ? this.tokens[this.index] : this.fill(this.index);
  }

  private peekAt(offset: number): Token {
    const i = this.index + offset;
    return i < this.tokens.length ? this.tokens[i] : this.fill(i);
  }

  private fill(i: number): Token {
    const tokens = this.tokens;
    while (tokens.length <= i) {
      if (tokens.length > 0 && tokens[tokens.length - 1].type === T.EndOfFile) return tokens[tokens.length - 1];
      tokens.push(this.lexer.next());
    }
    return tokens[i];
  }

  /** The first token at or after the current one that is not a NewLine. */
  private peekPastNewLines(): Token {
    let i = 0;
    while (this.peekAt(i).type === T.NewLine) i++;
    return this.peekAt(i);
  }

  private advance(): Token {
    const t = this.peek();
    if (t.type !== T.EndOfFile) {
      this.index++;
      if (t.type !== T.NewLine) this.lastEnd = t.end;
    }
    return t;
  }

  private check(type: TokenType): boolean {
    return this.peek().type === type;
  }

  private consumeIf(type: TokenType): boolean {
    if (this.peek().type !== type) return false;
    this.advance();
    return true;
  }

  private consumeNewLines(): void {
    while (this.peek().type === T.NewLine) this.advance();
  }

  /** The token before the one at `offset` is a NewLine (or there is none: a parse starts at a line start). */
  private afterNewLine(offset = 0): boolean {
    return this.index + offset === 0 || this.peekAt(offset - 1).type === T.NewLine;
  }

  private atColumnZero(t: Token): boolean {
    const before = t.start > 0 ? this.text.charCodeAt(t.start - 1) : 10;
    return before === 10 || before === 13;
  }

  /**
   * The current token is the first of its line and plainly starts a top-level declaration, which
   * no object, array or argument list can contain: a bracket above it was left open.
   */
  private atDeclarationStart(offset = 0): boolean {
    if (!this.afterNewLine(offset)) return false;
    const t = this.peekAt(offset);
    if (t.type === T.At) return this.atColumnZero(t);
    if (t.type !== T.Identifier || !DECLARATION_KEYWORDS.has(t.value)) return false;
    const next = this.peekAt(offset + 1);
    switch (t.value) {
      case 'resource':
        return next.type === T.Identifier && this.atColumnZero(t);
      case 'targetScope':
        return next.type === T.Assignment;
      case 'import':
        return next.type === T.LeftBrace || next.type === T.Asterisk || isString(next);
      case 'extension':
      case 'using':
      case 'extends':
        return next.type === T.Identifier || isString(next);
      default:
        return next.type === T.Identifier;
    }
  }

  // ------------------------------------------------------------ diagnostics and recovery

  private report(start: number, end: number, message: string): void {
    this.diagnostics.push({ start, end, message });
  }

  /** A failure at a token; a NewLine or the end of the file gets a zero-width span at its start. */
  private failure(t: Token, message: string): ParseFailure {
    const zeroWidth = t.type === T.NewLine || t.type === T.EndOfFile;
    return new ParseFailure(t.start, zeroWidth ? t.start : t.end, message);
  }

  private reportAt(t: Token, message: string): void {
    const f = this.failure(t, message);
    this.report(f.start, f.end, f.message);
  }

  /**
   * Reports at the current token; when it is the first of its line, at the end of the line
   * before instead (the token may start the next statement, which must own what is reported in it).
   */
  private reportHere(message: string): void {
    const t = this.peek();
    if (t.type !== T.NewLine && t.type !== T.EndOfFile && this.afterNewLine()) this.report(this.lastEnd, this.lastEnd, message);
    else this.reportAt(t, message);
  }

  private fail(t: Token, message: string): never {
    throw this.failure(t, message);
  }

  /** A zero-width Error where something is missing: right after the last token consumed. */
  private gap(): A.ErrorNode {
    return { kind: 'Error', start: this.lastEnd, end: this.lastEnd };
  }

  private missingIdentifier(span: A.Span): A.Identifier {
    return { kind: 'Identifier', name: '', start: span.start, end: span.end };
  }

  /**
   * Runs `parse`; if it fails, records the failure (unless `suppress`), skips to one of the
   * `terminators` (not consuming it) and returns an Error node over everything it passed.
   */
  private recover<N>(parse: () => N, suppress: boolean, terminators: TokenSet): N | A.ErrorNode {
    const mark = this.index;
    try {
      return parse();
    } catch (e) {
      return this.skipAfterFailure(e, mark, suppress, terminators);
    }
  }

  /** `recover` for a parser method taking one argument, without allocating a closure (for the hot paths). */
  private attempt<X, N>(parse: (this: Parser, arg: X) => N, arg: X, suppress: boolean, terminators: TokenSet): N | A.ErrorNode {
    const mark = this.index;
    try {
      return parse.call(this, arg);
    } catch (e) {
      return this.skipAfterFailure(e, mark, suppress, terminators);
    }
  }

  /** An expression, or an Error node (recovered) where it could not be parsed. */
  private recoverExpression(flags: number, suppress: boolean, terminators: TokenSet): A.Expression {
    return this.attempt(this.expression, flags, suppress, terminators);
  }

  /** Reports `message` at `t` (unless `suppress`) and skips to one of `terminators`. */
  private skipWithError(t: Token, message: string, suppress: boolean, terminators: TokenSet): A.ErrorNode {
    return this.skipAfterFailure(this.failure(t, message), this.index, suppress, terminators);
  }

  /** `recover` for a single expected token. */
  private recoverToken(type: TokenType, message: string, suppress: boolean, terminators: TokenSet): Token | A.ErrorNode {
    const t = this.peek();
    if (t.type === type) return this.advance();
    return this.skipWithError(t, message, suppress, terminators);
  }

  private skipAfterFailure(e: unknown, mark: number, suppress: boolean, terminators: TokenSet): A.ErrorNode {
    if (!(e instanceof ParseFailure)) throw e;
    // A failure on the first token of a new declaration follows a bracket left open above it,
    // which is reported already; the declaration is not skipped.
    if (this.atDeclarationStart()) return this.gap();
    const before = this.index;
    for (let t = this.peek(); t.type !== T.EndOfFile && terminators[t.type] !== 1 && !this.atDeclarationStart(); t = this.peek()) this.advance();
    if (!suppress) {
      // Failing on the first token of a line that is left for the caller: the gap is at the end of the line before.
      if (this.index === before && this.afterNewLine() && this.peek().start === e.start) this.reportHere(e.message);
      else this.report(e.start, e.end, e.message);
    }
    let first = mark;
    while (first < this.index && this.tokens[first].type === T.NewLine) first++;
    return first < this.index ? { kind: 'Error', start: this.tokens[first].start, end: this.lastEnd } : this.gap();
  }

  private expect(type: TokenType, message: string): Token {
    const t = this.peek();
    if (t.type !== type) this.fail(t, message);
    return this.advance();
  }

  private expectKeyword(keyword: string, message: string): Token {
    const t = this.peek();
    if (!isKeyword(t, keyword)) this.fail(t, message);
    return this.advance();
  }

  private identifier(t: Token): A.Identifier {
    return { kind: 'Identifier', name: t.value, start: t.start, end: t.end };
  }

  private expectIdentifier(message: string): A.Identifier {
    return this.identifier(this.expect(T.Identifier, message));
  }

  private identifierWithRecovery(message: string, suppress: boolean, terminators: TokenSet): A.Identifier {
    const r = this.recoverToken(T.Identifier, message, suppress, terminators);
    return r instanceof Token ? this.identifier(r) : this.missingIdentifier(r);
  }

  /** An identifier, or (reported) a zero-width missing one without consuming anything. */
  private identifierOrGap(message: string): A.Identifier {
    if (this.check(T.Identifier)) return this.identifier(this.advance());
    this.reportHere(message);
    return this.missingIdentifier(this.gap());
  }

  /**
   * The closing bracket of an object, array, argument list or loop. When the file ends or a new
   * declaration starts first, it is reported missing where it should be and nothing is skipped;
   * otherwise tokens are skipped to one of `terminators`.
   */
  private close(type: TokenType, text: string, suppress: boolean, terminators: TokenSet): void {
    const t = this.peek();
    if (t.type === type) {
      this.advance();
    } else if (t.type === T.EndOfFile || this.atDeclarationStart()) {
      if (!suppress) this.report(this.lastEnd, this.lastEnd, `Expected '${text}' here.`);
    } else {
      this.skipWithError(t, `Expected '${text}' here.`, suppress, terminators);
    }
  }

  /** After a declaration or decorator: the end of the line (or file). Anything else is reported and skipped. */
  private endOfLine(message: string): void {
    const t = this.peek();
    if (t.type === T.NewLine) {
      this.advance();
      return;
    }
    if (t.type === T.EndOfFile || this.afterNewLine()) return;
    this.reportAt(t, message);
    while (this.peek().type !== T.NewLine && this.peek().type !== T.EndOfFile) this.advance();
    this.advance();
  }

  // ------------------------------------------------------------ program and declarations

  /**
   * Parses top-level statements until the end of the file, or until `stopAt` says yes to the
   * first token of a statement (used to re-join an earlier parse).
   */
  parseProgram(stopAt?: (t: Token) => boolean): A.Statement[] {
    const statements: A.Statement[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type === T.EndOfFile) break;
      if (t.type === T.NewLine) {
        this.advance();
        continue;
      }
      if (stopAt !== undefined && stopAt(t)) break;
      const before = this.index;
      statements.push(this.statement());
      if (this.index === before) this.advance(); // never happens; a guard against looping forever
      this.endOfLine('Expected a new line after the declaration.');
    }
    return statements;
  }

  /** One top-level statement (or, should anything go wrong inside, the skipped line). */
  private statement(): A.Statement {
    const statement = this.recover(() => this.statementUnsafe(), false, T_NEWLINE);
    return statement.kind === 'Error' ? { kind: 'ErrorStatement', start: statement.start, end: statement.end } : statement;
  }

  private statementUnsafe(): A.Statement {
    const start = this.peek().start;
    const decorators = this.decorators();
    const t = this.peek();
    const declaration = t.type === T.Identifier ? this.declaration(t, start, decorators) : null;
    if (declaration !== null) return declaration;
    if (decorators.length > 0) {
      // Reported on the decorators: the token after them starts the next statement.
      this.report(start, this.lastEnd, 'Expected a declaration after the decorators.');
      return { kind: 'MissingDeclaration', decorators, start, end: this.lastEnd };
    }
    const skipped = this.skipWithError(t, 'Expected a declaration (such as param, var, resource, module or output).', false, T_NEWLINE);
    return { kind: 'ErrorStatement', start: skipped.start, end: skipped.end };
  }

  private declaration(t: Token, start: number, decorators: A.Decorator[]): A.Declaration | null {
    const keyword = t.value;
    if (this.fileKind !== 'any') {
      const allowed = this.fileKind === 'bicep' ? BICEP_KEYWORDS : BICEPPARAM_KEYWORDS;
      if (!allowed.has(keyword)) {
        if (!BICEP_KEYWORDS.has(keyword) && !BICEPPARAM_KEYWORDS.has(keyword)) return null;
        this.reportAt(t, `A ${keyword} declaration is not allowed in a .${this.fileKind} file.`);
      }
    }
    switch (keyword) {
      case 'targetScope':
        this.advance();
        return { kind: 'TargetScopeDeclaration', decorators, value: this.assignedValue(false), start, end: this.lastEnd };
      case 'metadata':
      case 'assert': {
        this.advance();
        const name = this.identifierWithRecovery(`Expected the ${keyword} name.`, false, T_ASSIGNMENT_OR_NEWLINE);
        const value = this.assignedValue(isEmptyError(name));
        const kind = keyword === 'metadata' ? 'MetadataDeclaration' : 'AssertDeclaration';
        return { kind, decorators, name, value, start, end: this.lastEnd };
      }
      case 'param':
        return this.parameter(start, decorators);
      case 'var':
        return this.variable(start, decorators);
      case 'resource':
        return this.resource(start, decorators);
      case 'module':
        return this.module(start, decorators);
      case 'output':
        return this.output(start, decorators);
      case 'type':
        return this.typeDeclaration(start, decorators);
      case 'func':
        return this.func(start, decorators);
      case 'import':
        return this.importDeclaration(start, decorators);
      case 'extension':
        this.advance();
        return this.extensionRest('extension', start, decorators);
      case 'extensionConfig':
        return this.extensionConfig(start, decorators);
      case 'test':
        return this.test(start, decorators);
      case 'using':
        return this.using(start, decorators);
      case 'extends': {
        this.advance();
        const path = this.recover(() => this.requiredString('Expected the path of the base parameters file.'), false, T_NEWLINE);
        return { kind: 'ExtendsDeclaration', decorators, path, start, end: this.lastEnd };
      }
      default:
        return null;
    }
  }

  /** `= expression` (the `=` may be missing: reported unless `suppress`). */
  private assignedValue(suppress: boolean): A.Expression {
    const assignment = this.recoverToken(T.Assignment, "Expected '=' here.", suppress, T_NEWLINE);
    return this.recoverExpression(ALLOW_COMPLEX, isEmptyError(assignment), T_NEWLINE);
  }

  private decorators(): A.Decorator[] {
    const decorators: A.Decorator[] = [];
    while (this.check(T.At)) {
      const at = this.advance();
      const expression = this.recover(() => this.decoratorExpression(), false, T_NEWLINE);
      decorators.push({ kind: 'Decorator', expression, start: at.start, end: this.lastEnd });
      const next = this.peek();
      if (!this.afterNewLine() && (next.type === T.At || (next.type === T.Identifier && DECLARATION_KEYWORDS.has(next.value)))) {
        // `@secure() param p string` on one line: reported, but the declaration is not skipped.
        this.reportAt(next, 'Expected a new line after the decorator.');
      } else {
        this.endOfLine('Expected a new line after the decorator.');
      }
      this.consumeNewLines();
    }
    return decorators;
  }

  private decoratorExpression(): A.Expression {
    const name = this.expectIdentifier('Expected a decorator name.');
    let current: A.Expression = this.check(T.LeftParen) ? this.callRest(null, name, ALLOW_COMPLEX) : name;
    while (this.check(T.Dot)) {
      this.advance();
      const property = this.identifierOrGap('Expected a function or property name.');
      current = this.check(T.LeftParen)
        ? this.callRest(current, property, ALLOW_COMPLEX)
        : { kind: 'PropertyAccess', object: current, property, safe: false, start: current.start, end: this.lastEnd };
    }
    return current;
  }

  private parameter(start: number, decorators: A.Decorator[]): A.ParamDeclaration | A.ParamAssignment {
    this.advance();
    const name = this.identifierWithRecovery('Expected the parameter name.', false, T_IDENTIFIER_OR_NEWLINE);
    if (this.fileKind === 'bicepparam' || (this.fileKind === 'any' && this.check(T.Assignment))) {
      return { kind: 'ParamAssignment', decorators, name, value: this.assignedValue(isEmptyError(name)), start, end: this.lastEnd };
    }
    const type = this.recover(() => this.type(false), isEmptyError(name), T_PARAM_TYPE);
    let defaultValue: A.Expression | null = null;
    const t = this.peek();
    if (t.type === T.Assignment) {
      this.advance();
      defaultValue = this.recoverExpression(ALLOW_COMPLEX, false, T_NEWLINE);
    } else if (t.type !== T.NewLine && t.type !== T.EndOfFile) {
      this.skipWithError(t, "Expected '=' (a default value) or a new line.", isEmptyError(type), T_NEWLINE);
    }
    return { kind: 'ParamDeclaration', decorators, name, type, defaultValue, start, end: this.lastEnd };
  }

  private variable(start: number, decorators: A.Decorator[]): A.VarDeclaration {
    this.advance();
    const name = this.identifierWithRecovery('Expected the variable name.', false, T_IDENTIFIER_OR_NEWLINE);
    const next = this.peek().type;
    const type =
      next === T.EndOfFile || next === T.NewLine || next === T.Assignment
        ? null
        : this.recover(() => this.type(false), isEmptyError(name), T_ASSIGNMENT_OR_NEWLINE);
    const value = this.assignedValue(isEmptyError(type ?? name));
    return { kind: 'VarDeclaration', decorators, name, type, value, start, end: this.lastEnd };
  }

  private output(start: number, decorators: A.Decorator[]): A.OutputDeclaration {
    this.advance();
    const name = this.identifierWithRecovery('Expected the output name.', false, T_IDENTIFIER_OR_NEWLINE);
    const type = this.recover(() => this.type(true), isEmptyError(name), T_ASSIGNMENT_OR_NEWLINE);
    const value = this.assignedValue(isEmptyError(type));
    return { kind: 'OutputDeclaration', decorators, name, type, value, start, end: this.lastEnd };
  }

  private typeDeclaration(start: number, decorators: A.Decorator[]): A.TypeDeclaration {
    this.advance();
    const name = this.identifierWithRecovery('Expected the type name.', false, T_ASSIGNMENT_OR_NEWLINE);
    this.recoverToken(T.Assignment, "Expected '=' here.", isEmptyError(name), T_NEWLINE);
    const value = this.recover(() => this.typeExpression(), isEmptyError(name), T_PARAM_TYPE);
    return { kind: 'TypeDeclaration', decorators, name, value, start, end: this.lastEnd };
  }

  /** A resource, module or test: `keyword name 'string' [existing] = value`. */
  private resource(start: number, decorators: A.Decorator[]): A.ResourceDeclaration {
    this.advance();
    const name = this.identifierWithRecovery('Expected the resource name.', false, T_STRING_OR_NEWLINE);
    const type = this.recover(() => this.requiredString('Expected the resource type string.'), isEmptyError(name), T_ASSIGNMENT_OR_NEWLINE);
    const existing = isKeyword(this.peek(), 'existing');
    if (existing) this.advance();
    const value = this.resourceValue(type, ALLOW_COMPLEX | ALLOW_RESOURCES, true);
    return { kind: 'ResourceDeclaration', decorators, name, type, existing, value, start, end: this.lastEnd };
  }

  private module(start: number, decorators: A.Decorator[]): A.ModuleDeclaration {
    this.advance();
    const name = this.identifierWithRecovery('Expected the module name.', false, T_STRING_OR_NEWLINE);
    const path = this.recover(() => this.requiredString('Expected the module path string.'), isEmptyError(name), T_ASSIGNMENT_OR_NEWLINE);
    const value = this.resourceValue(path, ALLOW_COMPLEX, false);
    return { kind: 'ModuleDeclaration', decorators, name, path, value, start, end: this.lastEnd };
  }

  /** `= {...}`, `= if (...) {...}` or `= [for ...]` of a resource or module. */
  private resourceValue(before: A.Node, flags: number, newLinesOnlyAfterAssignment: boolean): A.ResourceValue {
    const assignment = this.recoverToken(T.Assignment, "Expected '=' here.", isEmptyError(before), T_LEFT_BRACE_OR_NEWLINE);
    if ((!newLinesOnlyAfterAssignment || !isError(assignment)) && isKeyword(this.peekPastNewLines(), 'if')) this.consumeNewLines();
    return this.recover(
      () => {
        const t = this.peek();
        if (isKeyword(t, 'if')) return this.ifCondition(flags, false);
        if (t.type === T.LeftBrace) return this.object(flags);
        if (t.type === T.LeftSquare) return this.forExpression(flags, true);
        return this.fail(t, "Expected '{', '[for ...]' or 'if (...)' here.");
      },
      isEmptyError(assignment),
      T_NEWLINE,
    );
  }

  private test(start: number, decorators: A.Decorator[]): A.TestDeclaration {
    this.advance();
    const name = this.identifierWithRecovery('Expected the test name.', false, T_STRING_OR_NEWLINE);
    const path = this.recover(() => this.requiredString('Expected the path string of the file to test.'), isEmptyError(name), T_ASSIGNMENT_OR_NEWLINE);
    const assignment = this.recoverToken(T.Assignment, "Expected '=' here.", isEmptyError(path), T_LEFT_BRACE_OR_NEWLINE);
    const value = this.recover(() => this.object(ALLOW_COMPLEX), isEmptyError(assignment), T_NEWLINE);
    return { kind: 'TestDeclaration', decorators, name, path, value, start, end: this.lastEnd };
  }

  private func(start: number, decorators: A.Decorator[]): A.FuncDeclaration {
    this.advance();
    const name = this.identifierWithRecovery('Expected the function name.', false, T_ASSIGNMENT_OR_NEWLINE);
    const lambda = this.recover(() => this.typedLambda(), isEmptyError(name), T_NEWLINE);
    if (lambda.kind === 'Error') {
      return { kind: 'FuncDeclaration', decorators, name, parameters: [], returnType: lambda, body: this.gap(), start, end: this.lastEnd };
    }
    return { kind: 'FuncDeclaration', decorators, name, ...lambda.value, start, end: this.lastEnd };
  }

  /** `(a string, b int) string => body` */
  private typedLambda(): { kind: 'TypedLambda'; value: Pick<A.FuncDeclaration, 'parameters' | 'returnType' | 'body'> } {
    const open = this.peek();
    if (open.type !== T.LeftParen) this.fail(open, "Expected '(' and the function's parameters.");
    const list = this.parenthesized(() => this.funcParameter(), true);
    const parameters = list.items.filter((p): p is A.FuncParameter => p.kind === 'FuncParameter');
    const returnType = this.recover(() => this.type(false), false, T_NEWLINE_OR_RIGHT_PAREN);
    const arrow = this.recoverToken(T.Arrow, "Expected '=>' here.", false, T_NEWLINE_OR_RIGHT_PAREN);
    const body = this.lambdaBody(!isError(arrow));
    return { kind: 'TypedLambda', value: { parameters, returnType, body } };
  }

  private funcParameter(): A.FuncParameter {
    const name = this.identifierOrGap('Expected a parameter name.');
    const type = this.recover(() => this.type(false), false, T_FUNC_PARAMETER_TYPE);
    return { kind: 'FuncParameter', name, type, start: name.start, end: this.lastEnd };
  }

  private importDeclaration(start: number, decorators: A.Decorator[]): A.ImportDeclaration | A.ExtensionDeclaration {
    this.advance();
    const t = this.peek();
    // The older `import 'provider@version'` form declares an extension.
    if (isString(t)) return this.extensionRest('import', start, decorators);
    let symbols: A.ImportedSymbol[] | null = null;
    let wildcard: A.Identifier | null = null;
    if (t.type === T.LeftBrace) {
      symbols = [];
      const list = symbols;
      this.recover(() => this.importedSymbols(list), false, T_NEWLINE);
    } else if (t.type === T.Asterisk) {
      const alias = this.recover(() => this.wildcardImport(), false, T_NEWLINE);
      wildcard = alias.kind === 'Identifier' ? alias : this.missingIdentifier(alias);
    } else {
      this.reportAt(t, "Expected '{' (the names to import) or '* as name'.");
      if (t.type !== T.NewLine && t.type !== T.EndOfFile && t.type !== T.Identifier) this.advance();
    }
    const path = this.recover(
      () => {
        this.expectKeyword('from', "Expected 'from' and the path of the file to import from.");
        return this.recover(() => this.requiredString('Expected the path string of the file to import from.'), false, T_NEWLINE);
      },
      false,
      T_NEWLINE,
    );
    return { kind: 'ImportDeclaration', decorators, symbols, wildcard, path, start, end: this.lastEnd };
  }

  private importedSymbols(out: A.ImportedSymbol[]): void {
    this.advance();
    this.elements(T.RightBrace, ListMode.Items, () => out.push(this.importedSymbol()));
    this.close(T.RightBrace, '}', false, T_NEWLINE);
  }

  private importedSymbol(): A.ImportedSymbol {
    const t = this.peek();
    let name: A.Identifier | A.StringExpression | A.ErrorNode;
    if (t.type === T.Identifier) {
      name = this.identifier(this.advance());
    } else if (isString(t)) {
      name = this.interpolableString();
      if (name.expressions.length > 0) this.report(name.start, name.end, 'The name to import must be a constant string.');
    } else {
      this.reportAt(t, 'Expected the name of a symbol to import.');
      this.advance();
      name = { kind: 'Error', start: t.start, end: t.end };
    }
    let alias: A.Identifier | null = null;
    if (isKeyword(this.peek(), 'as')) {
      this.advance();
      alias = this.identifierWithRecovery('Expected the local name after as.', false, T_IMPORT_ALIAS);
    } else if (name.kind === 'String') {
      this.report(name.start, name.end, "A quoted name to import needs a local name: add 'as name'.");
    }
    return { kind: 'ImportedSymbol', name, alias, start: t.start, end: this.lastEnd };
  }

  private wildcardImport(): A.Identifier {
    this.advance();
    this.expectKeyword('as', "Expected 'as' and a namespace name after '*'.");
    return this.expectIdentifier('Expected the namespace name.');
  }

  /** After `extension` (or the older `import`): `name|'spec' [with {...}] [as alias]`. */
  private extensionRest(keyword: 'extension' | 'import', start: number, decorators: A.Decorator[]): A.ExtensionDeclaration {
    const specification =
      this.peek().type === T.Identifier
        ? this.identifier(this.advance())
        : this.recover(() => this.requiredString('Expected the extension name or its reference string.'), false, T_NEWLINE);
    let config: A.ObjectExpression | A.ErrorNode | null = null;
    let alias: A.Identifier | null = null;
    const next = this.peek();
    if (next.type !== T.NewLine && next.type !== T.EndOfFile && !isKeyword(next, 'as')) {
      config = this.recover(() => this.withClause('Expected with, as or a new line.'), isEmptyError(specification), T_NEWLINE);
    }
    const last = this.peek();
    if (last.type !== T.NewLine && last.type !== T.EndOfFile) {
      const r = this.recover(
        () => {
          this.expectKeyword('as', "Expected 'as' and an alias, or a new line.");
          return this.expectIdentifier('Expected the alias name.');
        },
        isEmptyError(config),
        T_NEWLINE,
      );
      alias = r.kind === 'Identifier' ? r : this.missingIdentifier(r);
    }
    return { kind: 'ExtensionDeclaration', decorators, keyword, specification, config, alias, start, end: this.lastEnd };
  }

  private withClause(message: string): A.ObjectExpression {
    this.expectKeyword('with', message);
    return this.object(ALLOW_COMPLEX);
  }

  private extensionConfig(start: number, decorators: A.Decorator[]): A.ExtensionConfigAssignment {
    this.advance();
    const name = this.identifierWithRecovery('Expected the extension alias.', false, T_IDENTIFIER_OR_NEWLINE);
    const config = this.recover(() => this.withClause("Expected 'with' and the configuration object."), isEmptyError(name), T_NEWLINE);
    return { kind: 'ExtensionConfigAssignment', decorators, name, config, start, end: this.lastEnd };
  }

  private using(start: number, decorators: A.Decorator[]): A.UsingDeclaration {
    this.advance();
    const t = this.peek();
    let path: A.StringExpression | A.ErrorNode | null;
    if (isKeyword(t, 'none')) {
      this.advance();
      path = null;
    } else if (isString(t)) {
      path = this.recover(() => this.requiredString('Expected the path string of the Bicep file.'), false, T_NEWLINE);
    } else {
      this.reportAt(t, "Expected the path string of the Bicep file, or 'none'.");
      path = this.gap();
    }
    const next = this.peek();
    const config =
      next.type === T.NewLine || next.type === T.EndOfFile
        ? null
        : this.recover(() => this.withClause("Expected 'with' or a new line."), isEmptyError(path), T_NEWLINE);
    return { kind: 'UsingDeclaration', decorators, path, config, start, end: this.lastEnd };
  }

  // ------------------------------------------------------------ lists

  /**
   * The elements between an opening bracket (consumed) and its closing one (not consumed),
   * separated by new lines or commas. `parseOne` parses and keeps one element.
   */
  private elements(closing: TokenType, mode: ListMode, parseOne: () => void): void {
    if (this.check(closing)) return;
    this.consumeNewLines();
    let expectElement = true;
    for (;;) {
      const t = this.peek();
      if (t.type === T.EndOfFile || t.type === closing || this.atDeclarationStart()) return;
      if (!expectElement) {
        if (t.type === T.NewLine) {
          this.consumeNewLines();
        } else if (t.type === T.Comma) {
          this.advance();
          if (this.check(T.NewLine)) {
            if (mode === ListMode.Items) {
              this.reportAt(this.peek(), 'Separate the items either with commas or with new lines, not both.');
            }
            this.consumeNewLines();
          }
          if (mode === ListMode.Arguments && this.check(closing)) this.reportAt(this.peek(), 'Expected an argument after the comma.');
        } else {
          this.report(t.start, t.start, 'Expected a new line or a comma here.');
        }
        expectElement = true;
        continue;
      }
      const before = this.index;
      parseOne();
      if (this.index === before && t.type !== T.Comma) {
        // Nothing could start an element here: drop the token so the loop moves on.
        this.reportAt(t, 'Unexpected token.');
        this.advance();
      }
      expectElement = false;
    }
  }

  /** `( item, item ... )` (new lines allowed around items when `newLines`). */
  private parenthesized<N extends A.Node>(parseItem: () => N, newLines: boolean): { start: number; items: Recovered<N>[] } {
    const open = this.advance();
    const items: Recovered<N>[] = [];
    if (newLines) this.consumeNewLines();
    while (!this.check(T.RightParen)) {
      if (newLines && this.atDeclarationStart()) break;
      items.push(this.recover(parseItem, false, T_PAREN_ITEM));
      if (newLines) this.consumeNewLines();
      if (!this.check(T.Comma)) break;
      this.advance();
      if (newLines) this.consumeNewLines();
    }
    this.close(T.RightParen, ')', items.length > 0 && isEmptyError(items[items.length - 1]), T_PAREN_CLOSE);
    return { start: open.start, items };
  }

  /** The single item of a parenthesized list (an error when there are none or several). */
  private singleItem<N extends A.Node>(list: { start: number; items: Recovered<N>[] }): Recovered<N> {
    if (list.items.length === 1) return list.items[0];
    if (list.items.length === 0) {
      this.report(list.start, this.lastEnd, 'Expected one expression between the parentheses.');
      return { kind: 'Error', start: list.start + 1, end: list.start + 1 };
    }
    const first = list.items[0];
    const last = list.items[list.items.length - 1];
    this.report(first.start, last.end, 'Expected one expression between the parentheses, not a list.');
    return { kind: 'Error', start: first.start, end: last.end };
  }

  // ------------------------------------------------------------ expressions

  private enter(): void {
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      this.fail(this.peek(), 'The expression is nested too deeply.');
    }
  }

  expression(flags: number): A.Expression {
    this.enter();
    try {
      const condition = this.binary(flags);
      if (this.peekPastNewLines().type !== T.Question) return condition;
      this.consumeNewLines();
      this.advance();
      const whenTrue = this.recoverExpression(flags, false, T_TERNARY_TRUE);
      if (!isError(whenTrue) && this.peekPastNewLines().type === T.Colon) this.consumeNewLines();
      const colon = this.recoverToken(T.Colon, "Expected ':' here.", isEmptyError(whenTrue), T_OPERAND);
      const whenFalse = this.recoverExpression(flags, isEmptyError(colon), T_OPERAND);
      return { kind: 'Ternary', condition, whenTrue, whenFalse, start: condition.start, end: this.lastEnd };
    } finally {
      this.depth--;
    }
  }

  /**
   * Binary operators by precedence, left-associative (`a - b - c` is `(a - b) - c`): operands and
   * operators on two stacks, an operator applied once one that binds no tighter follows it.
   */
  private binary(flags: number): A.Expression {
    const operands: A.Expression[] = [this.unary(flags)];
    const operators: Token[] = [];
    for (;;) {
      const op = this.peek();
      const precedence = binaryPrecedence(op.type);
      if (precedence < 0) break;
      while (operators.length > 0 && binaryPrecedence(operators[operators.length - 1].type) >= precedence) this.applyOperator(operands, operators);
      operators.push(this.advance());
      operands.push(this.attempt(this.unary, flags, false, T_OPERAND));
    }
    while (operators.length > 0) this.applyOperator(operands, operators);
    return operands[0];
  }

  private applyOperator(operands: A.Expression[], operators: Token[]): void {
    const op = operators.pop() as Token;
    const right = operands.pop() as A.Expression;
    const left = operands.pop() as A.Expression;
    operands.push({ kind: 'Binary', operator: operatorText(op.type) as A.BinaryOperator, left, right, start: left.start, end: right.end });
  }

  private unary(flags: number): A.Expression {
    const op = this.peek();
    if (op.type !== T.Exclamation && op.type !== T.Minus) return this.member(flags);
    this.advance();
    const operand = this.attempt(this.member, flags, false, T_OPERAND);
    return { kind: 'Unary', operator: op.type === T.Minus ? '-' : '!', operand, start: op.start, end: this.lastEnd };
  }

  private member(flags: number): A.Expression {
    let current = this.primary(flags);
    for (;;) {
      const t = this.peek();
      const start = current.start;
      switch (t.type) {
        case T.LeftSquare: {
          this.advance();
          const safe = this.consumeIf(T.Question);
          const fromEnd = this.consumeIf(T.Hat);
          let index: A.Expression;
          if (this.check(T.RightSquare)) {
            this.reportAt(this.peek(), 'Expected an index between the brackets.');
            index = this.gap();
          } else {
            index = this.expression(flags);
          }
          this.expect(T.RightSquare, "Expected ']' here.");
          current = { kind: 'IndexAccess', object: current, index, safe, fromEnd, start, end: this.lastEnd };
          continue;
        }
        case T.Dot: {
          this.advance();
          const safe = this.consumeIf(T.Question);
          current = this.propertyOrCall(current, safe, flags);
          continue;
        }
        case T.Question: {
          // `a?.b`: safe access spelled the other way round.
          const dot = this.peekAt(1);
          if (dot.type !== T.Dot || dot.start !== t.end || this.peekAt(2).type !== T.Identifier) return current;
          this.advance();
          this.advance();
          current = this.propertyOrCall(current, true, flags);
          continue;
        }
        case T.DoubleColon: {
          this.advance();
          const name = this.identifierOrGap('Expected the name of a child resource.');
          current = { kind: 'ResourceAccess', object: current, name, start, end: this.lastEnd };
          continue;
        }
        case T.Exclamation:
          this.advance();
          current = { kind: 'NonNull', expression: current, start, end: this.lastEnd };
          continue;
        default:
          return current;
      }
    }
  }

  /** After `object.`: a property access or an instance/namespace function call. */
  private propertyOrCall(object: A.Expression, safe: boolean, flags: number): A.Expression {
    const name = this.identifierOrGap('Expected a property or function name.');
    if (!this.check(T.LeftParen)) return { kind: 'PropertyAccess', object, property: name, safe, start: object.start, end: this.lastEnd };
    if (safe) this.report(name.start, name.end, 'Safe access (.?) cannot be used to call a function.');
    return this.callRest(object, name, flags);
  }

  private callRest(object: A.Expression | null, name: A.Identifier, flags: number): A.CallExpression {
    this.advance();
    const args: A.Expression[] = [];
    this.elements(T.RightParen, ListMode.Arguments, () => args.push(this.recoverExpression(flags, false, T_ARGUMENT)));
    this.close(T.RightParen, ')', false, T_PAREN_CLOSE);
    return { kind: 'Call', object, name, arguments: args, start: (object ?? name).start, end: this.lastEnd };
  }

  private primary(flags: number): A.Expression {
    const t = this.peek();
    switch (t.type) {
      case T.Integer:
      case T.TrueKeyword:
      case T.FalseKeyword:
      case T.NullKeyword:
        return this.literal();
      case T.StringComplete:
      case T.StringLeftPiece:
        return this.interpolableString();
      case T.MultilineString:
        return this.multilineString();
      case T.LeftBrace:
        if ((flags & ALLOW_COMPLEX) === 0) this.fail(t, 'Objects are not allowed here.');
        return this.object(flags);
      case T.LeftSquare:
        if ((flags & ALLOW_COMPLEX) === 0) this.fail(t, 'Arrays are not allowed here.');
        return isKeyword(this.peekPastNewLinesAfterCurrent(), 'for') ? this.forExpression(flags, false) : this.array();
      case T.LeftParen:
        return this.parenthesizedOrLambda(flags);
      case T.Identifier: {
        const name = this.identifier(this.advance());
        if (this.check(T.LeftParen)) return this.callRest(null, name, flags);
        if (this.check(T.Arrow)) return this.lambdaRest(name.start, [name]);
        return name;
      }
      default:
        return this.fail(t, 'Expected an expression here.');
    }
  }

  /** The first token after the current one that is not a NewLine. */
  private peekPastNewLinesAfterCurrent(): Token {
    let i = 1;
    while (this.peekAt(i).type === T.NewLine) i++;
    return this.peekAt(i);
  }

  private literal(): A.IntegerLiteral | A.BooleanLiteral | A.NullLiteral {
    const t = this.advance();
    switch (t.type) {
      case T.TrueKeyword:
      case T.FalseKeyword:
        return { kind: 'Boolean', value: t.type === T.TrueKeyword, start: t.start, end: t.end };
      case T.NullKeyword:
        return { kind: 'Null', start: t.start, end: t.end };
      default:
        if (t.value.length > 19 && (t.value.length > 20 || t.value > '18446744073709551615')) {
          this.report(t.start, t.end, 'The integer is too large.');
        }
        return { kind: 'Integer', value: Number(t.value), text: t.value, start: t.start, end: t.end };
    }
  }

  private contentSpan(t: Token): A.Span {
    const unterminated = (t.flags & FLAG_UNTERMINATED) !== 0;
    if ((t.flags & FLAG_MULTILINE) !== 0) {
      // A piece of a `$'''` string: the opening is `$...'''` (then maybe a dropped line break), a hole is `$...{`.
      const dollars = multilineDollars(t.flags);
      const start = t.type === T.MultilineString || t.type === T.StringLeftPiece ? multilineContentStart(this.text, t.start + dollars, t.end) : t.start + 1;
      const end = t.type === T.StringLeftPiece || t.type === T.StringMiddlePiece ? t.end - dollars - 1 : unterminated ? t.end : t.end - 3;
      return { start, end };
    }
    switch (t.type) {
      case T.StringLeftPiece:
      case T.StringMiddlePiece:
        return { start: t.start + 1, end: t.end - 2 };
      case T.MultilineString: {
        const end = unterminated ? t.end : t.end - 3;
        return { start: multilineContentStart(this.text, t.start, end), end };
      }
      default:
        if (t.start === t.end) return { start: t.start, end: t.end };
        return { start: t.start + 1, end: unterminated ? t.end : t.end - 1 };
    }
  }

  private requiredString(message: string): A.StringExpression {
    if (!isString(this.peek())) this.fail(this.peek(), message);
    return this.interpolableString();
  }

  /** A single-quoted string: its pieces and the expressions in its `${}` holes. */
  private interpolableString(): A.StringExpression {
    const first = this.advance();
    const segments = [first.value];
    const segmentSpans = [this.contentSpan(first)];
    const expressions: A.Expression[] = [];
    if (first.type === T.StringLeftPiece) {
      for (;;) {
        let expression = this.recoverExpression(NONE, false, T_INTERPOLATION);
        const after = this.peek().type;
        if (after !== T.StringMiddlePiece && after !== T.StringRightPiece && after !== T.NewLine && after !== T.EndOfFile) {
          const skipped = this.skipWithError(this.peek(), "Expected '}' to end the interpolation.", false, T_INTERPOLATION);
          expression = { kind: 'Error', start: expression.start, end: skipped.end };
        }
        expressions.push(expression);
        const piece = this.peek();
        if (piece.type === T.StringMiddlePiece || piece.type === T.StringRightPiece) {
          this.advance();
          segments.push(piece.value);
          segmentSpans.push(this.contentSpan(piece));
          if (piece.type === T.StringRightPiece) break;
          continue;
        }
        // The line or file ended inside `${`; the lexer reported a line end already.
        if (piece.type === T.EndOfFile) this.reportAt(piece, 'The string is not terminated.');
        segments.push('');
        segmentSpans.push({ start: this.lastEnd, end: this.lastEnd });
        break;
      }
    }
    const value = expressions.length === 0 ? segments[0] : null;
    const multiline = (first.flags & FLAG_MULTILINE) !== 0;
    return { kind: 'String', segments, segmentSpans, expressions, multiline, value, start: first.start, end: this.lastEnd };
  }

  private multilineString(): A.StringExpression {
    const t = this.advance();
    return {
      kind: 'String',
      segments: [t.value],
      segmentSpans: [this.contentSpan(t)],
      expressions: [],
      multiline: true,
      value: t.value,
      start: t.start,
      end: t.end,
    };
  }

  private object(flags: number): A.ObjectExpression {
    const open = this.peek();
    if (open.type !== T.LeftBrace) this.fail(open, "Expected '{' here.");
    this.enter();
    try {
      return this.objectRest(flags);
    } finally {
      this.depth--;
    }
  }

  /** After `{` (resources nest through here, so `object` counts the depth). */
  private objectRest(flags: number): A.ObjectExpression {
    const open = this.advance();
    const properties: (A.ObjectProperty | A.SpreadElement)[] = [];
    const resources: A.ResourceDeclaration[] = [];
    this.elements(T.RightBrace, ListMode.Items, () => {
      const member = this.attempt(this.objectMember, flags, false, T_OBJECT_ELEMENT);
      if (member === null || member.kind === 'Error') return;
      if (member.kind === 'ResourceDeclaration') resources.push(member);
      else properties.push(member);
    });
    this.close(T.RightBrace, '}', false, T_NEWLINE);
    return { kind: 'Object', properties, resources, start: open.start, end: this.lastEnd };
  }

  private objectMember(flags: number): A.ObjectProperty | A.SpreadElement | A.ResourceDeclaration | null {
    const t = this.peek();
    if ((flags & ALLOW_RESOURCES) !== 0 && (t.type === T.At || (isKeyword(t, 'resource') && this.peekAt(1).type === T.Identifier))) {
      return this.childResource();
    }
    if (t.type === T.Ellipsis) return this.spread(T_OBJECT_SPREAD);
    const key = t.type === T.Identifier ? this.identifier(this.advance()) : this.recover(() => this.propertyKey(), false, T_OBJECT_KEY);
    const colon = this.recoverToken(T.Colon, "Expected ':' here.", isEmptyError(key), T_OBJECT_ELEMENT);
    const value = this.recoverExpression(ALLOW_COMPLEX, isEmptyError(colon), T_OBJECT_ELEMENT);
    return { kind: 'ObjectProperty', key, value, start: key.start, end: this.lastEnd };
  }

  /** A resource declared inside a resource body (with its decorators). */
  private childResource(): A.ResourceDeclaration | null {
    const start = this.peek().start;
    const decorators = this.decorators();
    if (isKeyword(this.peek(), 'resource')) return this.resource(start, decorators);
    this.reportHere('Expected a resource declaration after the decorators.');
    return null;
  }

  private propertyKey(): A.Identifier | A.StringExpression {
    const t = this.peek();
    if (t.type === T.Identifier) return this.identifier(this.advance());
    if (isString(t)) return this.interpolableString();
    return this.fail(t, 'Expected a property name.');
  }

  private spread(terminators: TokenSet): A.SpreadElement {
    const ellipsis = this.advance();
    const expression = this.recoverExpression(ALLOW_COMPLEX, false, terminators);
    return { kind: 'Spread', expression, start: ellipsis.start, end: this.lastEnd };
  }

  private array(): A.ArrayExpression {
    const open = this.advance();
    const items: (A.Expression | A.SpreadElement)[] = [];
    this.elements(T.RightSquare, ListMode.Items, () =>
      items.push(this.check(T.Ellipsis) ? this.spread(T_ARRAY_SPREAD) : this.recoverExpression(ALLOW_COMPLEX, false, T_ARRAY_ELEMENT)),
    );
    this.close(T.RightSquare, ']', false, T_NEWLINE);
    return { kind: 'Array', items, start: open.start, end: this.lastEnd };
  }

  private parenthesizedOrLambda(flags: number): A.Expression {
    const list = this.parenthesized(() => this.expression(flags), true);
    if (this.check(T.Arrow)) {
      const parameters: A.Identifier[] = [];
      for (const item of list.items) {
        if (item.kind === 'Identifier') parameters.push(item);
        else this.report(item.start, item.end, 'Expected a parameter name.');
      }
      return this.lambdaRest(list.start, parameters);
    }
    return { kind: 'Parenthesized', expression: this.singleItem(list), start: list.start, end: this.lastEnd };
  }

  private lambdaRest(start: number, parameters: A.Identifier[]): A.LambdaExpression {
    this.advance();
    return { kind: 'Lambda', parameters, body: this.lambdaBody(true), start, end: this.lastEnd };
  }

  /** After `=>`: the body may start on the next line, unless that line starts a declaration. */
  private lambdaBody(newLinesAllowed: boolean): A.Expression {
    let ahead = 0;
    while (this.peekAt(ahead).type === T.NewLine) ahead++;
    const next = this.peekAt(ahead);
    const declaration = (next.type === T.Identifier && DECLARATION_KEYWORDS.has(next.value)) || this.atDeclarationStart(ahead);
    if (newLinesAllowed && !declaration) this.consumeNewLines();
    return this.recoverExpression(ALLOW_COMPLEX, false, T_NEWLINE_OR_RIGHT_PAREN);
  }

  /** `[for item in xs: body]`, `[for (item, i) in xs: body]`. */
  private forExpression(flags: number, resourceContext: boolean): A.ForExpression {
    const open = this.advance();
    this.consumeNewLines();
    this.expectKeyword('for', "Expected 'for' here.");
    let item: A.Identifier;
    let index: A.Identifier | null = null;
    let variablesBroken = false;
    const t = this.peek();
    if (t.type === T.Identifier) {
      item = this.identifier(this.advance());
    } else if (t.type === T.LeftParen) {
      const block = this.parenthesized(() => this.expression(NONE), false);
      const names = block.items.filter((n): n is A.Identifier => n.kind === 'Identifier');
      variablesBroken = names.length !== 2 || block.items.length !== 2;
      if (variablesBroken) this.report(block.start, this.lastEnd, 'Expected two names: (item, index).');
      item = names[0] ?? this.missingIdentifier({ start: block.start + 1, end: block.start + 1 });
      index = names[1] ?? null;
    } else {
      this.reportAt(t, "Expected the loop variable, or '(item, index)'.");
      item = this.missingIdentifier(this.gap());
      variablesBroken = true;
    }
    const inKeyword = this.recover(() => this.expectKeyword('in', "Expected 'in' here."), variablesBroken, T_FOR_HEAD);
    const iterable = this.recoverExpression(ALLOW_COMPLEX, isEmptyError(inKeyword), T_FOR_ITERABLE);
    const colon = this.recoverToken(T.Colon, "Expected ':' here.", isEmptyError(iterable), T_FOR_HEAD);
    const body = this.recover(() => this.forBody(flags, resourceContext), isEmptyError(colon), T_FOR_HEAD);
    if (!isError(body)) this.consumeNewLines();
    this.close(T.RightSquare, ']', isEmptyError(body), T_FOR_HEAD);
    return { kind: 'For', item, index, iterable, body, start: open.start, end: this.lastEnd };
  }

  private forBody(flags: number, resourceContext: boolean): A.Expression | A.IfCondition {
    if (!resourceContext) return this.expression(flags | ALLOW_COMPLEX);
    const t = this.peek();
    if (t.type === T.LeftBrace) return this.object(flags);
    if (isKeyword(t, 'if')) return this.ifCondition(flags, true);
    return this.fail(t, "Expected '{' or 'if (...)' here.");
  }

  /** `if (condition) { body }` of a resource or module. */
  private ifCondition(flags: number, insideFor: boolean): A.IfCondition {
    const keyword = this.advance();
    const condition = this.recover(
      () => {
        if (!this.check(T.LeftParen)) this.fail(this.peek(), "Expected '(' and the condition.");
        return this.singleItem(this.parenthesized(() => this.expression(flags & ~ALLOW_RESOURCES), true));
      },
      false,
      insideFor ? T_IF_CONDITION_IN_FOR : T_IF_CONDITION,
    );
    const body = this.recover(() => this.object(flags), isError(condition), insideFor ? T_FOR_HEAD : T_NEWLINE);
    return { kind: 'If', condition, body, start: keyword.start, end: this.lastEnd };
  }

  // ------------------------------------------------------------ types

  /** The type of a parameter or output: a type expression, or `resource 'type@version'`. */
  private type(allowBareResource: boolean): A.TypeExpression {
    const t = this.peek();
    if (!isKeyword(t, 'resource') || this.peekAt(1).type === T.LeftChevron) return this.typeExpression();
    this.advance();
    const type =
      allowBareResource && !isString(this.peek())
        ? null
        : this.recover(() => this.requiredString('Expected the resource type string.'), false, T_ASSIGNMENT_OR_NEWLINE);
    return { kind: 'ResourceType', type, start: t.start, end: this.lastEnd };
  }

  private atUnionSeparator(): boolean {
    return this.check(T.Pipe) || (this.check(T.NewLine) && this.peekAt(1).type === T.Pipe);
  }

  private typeExpression(): A.TypeExpression {
    this.enter();
    try {
      let start = this.peek().start;
      const leadingPipe = this.atUnionSeparator();
      if (leadingPipe) {
        this.consumeNewLines();
        start = this.advance().start;
      }
      const first = this.unaryType();
      if (!leadingPipe && !this.atUnionSeparator()) return first;
      const members: A.TypeExpression[] = [first];
      while (this.atUnionSeparator()) {
        this.consumeNewLines();
        this.advance();
        if (this.check(T.NewLine)) {
          this.reportAt(this.peek(), "Expected a type after '|'.");
          members.push(this.gap());
        } else {
          members.push(this.recover(() => this.unaryType(), false, T_UNION_MEMBER));
        }
      }
      return { kind: 'UnionType', members, start, end: this.lastEnd };
    } finally {
      this.depth--;
    }
  }

  private unaryType(): A.TypeExpression {
    let current: A.TypeExpression;
    const op = this.peek();
    if (op.type === T.Exclamation || op.type === T.Minus) {
      this.advance();
      const operand = this.attempt(this.memberType, undefined, false, T_OPERAND);
      current = { kind: 'UnaryType', operator: op.type === T.Minus ? '-' : '!', operand, start: op.start, end: this.lastEnd };
    } else {
      current = this.memberType();
    }
    for (;;) {
      const t = this.peek().type;
      if (t === T.Question) {
        this.advance();
        current = { kind: 'NullableType', type: current, start: current.start, end: this.lastEnd };
      } else if (t === T.Exclamation) {
        this.advance();
        current = { kind: 'NonNullableType', type: current, start: current.start, end: this.lastEnd };
      } else {
        return current;
      }
    }
  }

  private memberType(): A.TypeExpression {
    let current = this.primaryType();
    for (;;) {
      const start = current.start;
      if (this.check(T.LeftSquare)) {
        this.advance();
        if (this.check(T.RightSquare)) {
          this.advance();
          current = { kind: 'ArrayType', element: current, start, end: this.lastEnd };
        } else if (this.check(T.Asterisk)) {
          this.advance();
          this.expect(T.RightSquare, "Expected ']' here.");
          current = { kind: 'TypeItemsAccess', object: current, start, end: this.lastEnd };
        } else {
          const index = this.expression(NONE);
          this.expect(T.RightSquare, "Expected ']' here.");
          current = { kind: 'TypeIndexAccess', object: current, index, start, end: this.lastEnd };
        }
      } else if (this.check(T.Dot)) {
        this.advance();
        if (this.check(T.Asterisk)) {
          this.advance();
          current = { kind: 'TypeAdditionalPropertiesAccess', object: current, start, end: this.lastEnd };
          continue;
        }
        const property = this.identifierOrGap('Expected a property name.');
        current = this.check(T.LeftChevron)
          ? this.parameterizedType(current, property)
          : { kind: 'TypePropertyAccess', object: current, property, start, end: this.lastEnd };
      } else {
        return current;
      }
    }
  }

  private primaryType(): A.TypeExpression {
    const t = this.peek();
    switch (t.type) {
      case T.Integer:
      case T.TrueKeyword:
      case T.FalseKeyword:
      case T.NullKeyword:
        return this.literal();
      case T.StringComplete:
      case T.StringLeftPiece:
        return this.interpolableString();
      case T.MultilineString:
        return this.multilineString();
      case T.LeftBrace:
        return this.objectType();
      case T.LeftSquare:
        return this.tupleType();
      case T.LeftParen: {
        const list = this.parenthesized(() => this.typeExpression(), false);
        return { kind: 'ParenthesizedType', type: this.singleItem(list), start: list.start, end: this.lastEnd };
      }
      case T.Identifier: {
        const name = this.identifier(this.advance());
        return this.check(T.LeftChevron) ? this.parameterizedType(null, name) : name;
      }
      default:
        return this.fail(t, 'Expected a type here.');
    }
  }

  /** `name<T, ...>`, e.g. `resourceInput<'Microsoft.Network/loadBalancers@2024-05-01'>`. */
  private parameterizedType(object: A.TypeExpression | null, name: A.Identifier): A.ParameterizedType {
    this.advance();
    const args: A.TypeExpression[] = [];
    this.elements(T.RightChevron, ListMode.Arguments, () => args.push(this.recover(() => this.typeExpression(), false, T_TYPE_ARGUMENT)));
    this.close(T.RightChevron, '>', false, T_PAREN_CLOSE);
    return { kind: 'ParameterizedType', object, name, arguments: args, start: (object ?? name).start, end: this.lastEnd };
  }

  private objectType(): A.ObjectType {
    const open = this.advance();
    const properties: (A.ObjectTypeProperty | A.ObjectTypeAdditionalProperties)[] = [];
    this.elements(T.RightBrace, ListMode.Items, () => {
      const member = this.recover(() => this.objectTypeMember(), false, T_OBJECT_ELEMENT);
      if (member.kind !== 'Error') properties.push(member);
    });
    this.close(T.RightBrace, '}', false, T_NEWLINE);
    return { kind: 'ObjectType', properties, start: open.start, end: this.lastEnd };
  }

  private objectTypeMember(): A.ObjectTypeProperty | A.ObjectTypeAdditionalProperties {
    const decorators = this.decorators();
    const additional = this.check(T.Asterisk);
    const key = additional ? this.advance() : this.recover(() => this.propertyKey(), false, T_OBJECT_KEY);
    const start = decorators.length > 0 ? decorators[0].start : key.start;
    const colon = this.recoverToken(T.Colon, "Expected ':' here.", isEmptyError(key), T_OBJECT_ELEMENT);
    const value = this.recover(() => this.typeExpression(), isEmptyError(colon), T_OBJECT_ELEMENT);
    if (key instanceof Token) return { kind: 'ObjectTypeAdditionalProperties', decorators, value, start, end: this.lastEnd };
    return { kind: 'ObjectTypeProperty', decorators, key, value, start, end: this.lastEnd };
  }

  private tupleType(): A.TupleType {
    const open = this.advance();
    const items: A.TupleTypeItem[] = [];
    this.elements(T.RightSquare, ListMode.Items, () => {
      const start = this.peek().start;
      const item = this.recover(
        (): A.TupleTypeItem => {
          const decorators = this.decorators();
          return { kind: 'TupleTypeItem', decorators, value: this.typeExpression(), start, end: this.lastEnd };
        },
        false,
        T_ARRAY_ELEMENT,
      );
      if (item.kind !== 'Error') items.push(item);
    });
    this.close(T.RightSquare, ']', false, T_NEWLINE);
    return { kind: 'TupleType', items, start: open.start, end: this.lastEnd };
  }
}
