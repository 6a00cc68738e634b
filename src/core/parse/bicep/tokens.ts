/** Bicep tokens. Keywords other than `true`, `false` and `null` are identifiers whose meaning depends on where they stand. */

export enum TokenType {
  EndOfFile,
  NewLine,
  Identifier,
  Integer,
  /** `'text'` */
  StringComplete,
  /** `'text${` */
  StringLeftPiece,
  /** `}text${` */
  StringMiddlePiece,
  /** `}text'` */
  StringRightPiece,
  /** `'''text'''`, or `$'''text'''` with no hole (FLAG_MULTILINE) */
  MultilineString,
  TrueKeyword,
  FalseKeyword,
  NullKeyword,
  At,
  LeftBrace,
  RightBrace,
  LeftParen,
  RightParen,
  LeftSquare,
  RightSquare,
  Comma,
  Dot,
  Question,
  Colon,
  Semicolon,
  Assignment,
  Plus,
  Minus,
  Asterisk,
  Slash,
  Modulo,
  Exclamation,
  LeftChevron,
  RightChevron,
  LessThanOrEqual,
  GreaterThanOrEqual,
  Equals,
  NotEquals,
  EqualsInsensitive,
  NotEqualsInsensitive,
  LogicalAnd,
  LogicalOr,
  DoubleQuestion,
  DoubleColon,
  Arrow,
  Pipe,
  Ellipsis,
  Hat,
  Unrecognized,
}

export const TOKEN_TYPE_COUNT = TokenType.Unrecognized + 1;

/** Set on a string token that has no closing quote (or `${`). */
export const FLAG_UNTERMINATED = 1;

/**
 * Set on a piece of an interpolated multi-line string (`$'''...${x}...'''`): the MultilineString
 * token of one with no hole, or its StringLeftPiece, StringMiddlePiece and StringRightPiece. The
 * number of leading `$` (which is also the number of `$` before the `{` of each hole) is in the
 * bits above: see `multilineDollars`.
 */
export const FLAG_MULTILINE = 2;
const DOLLAR_SHIFT = 2;

/** The flags of a piece of a multi-line string with `dollars` leading `$` (0: not interpolated). */
export function multilineFlags(dollars: number, unterminated: boolean): number {
  return FLAG_MULTILINE | (dollars << DOLLAR_SHIFT) | (unterminated ? FLAG_UNTERMINATED : 0);
}

/** The number of `$` that open the multi-line string a token belongs to (0 for a plain `'''` string). */
export function multilineDollars(flags: number): number {
  return flags >>> DOLLAR_SHIFT;
}

/**
 * One token. `value` is the name of an identifier and the cooked text of a string piece (escapes
 * resolved; best effort when the piece is malformed); '' for the rest.
 */
export class Token {
  constructor(
    public readonly type: TokenType,
    public readonly start: number,
    public readonly end: number,
    public readonly value: string,
    public readonly flags: number,
  ) {}
}

/** A set of token types, for the recovery terminators. */
export type TokenSet = Uint8Array;

export function tokenSet(...types: TokenType[]): TokenSet {
  const set = new Uint8Array(TOKEN_TYPE_COUNT);
  for (const t of types) set[t] = 1;
  return set;
}

/** How tightly a binary operator binds (higher binds tighter); -1 for tokens that are not binary operators. */
export function binaryPrecedence(type: TokenType): number {
  switch (type) {
    case TokenType.Asterisk:
    case TokenType.Slash:
    case TokenType.Modulo:
      return 100;
    case TokenType.Plus:
    case TokenType.Minus:
      return 90;
    case TokenType.LeftChevron:
    case TokenType.LessThanOrEqual:
    case TokenType.RightChevron:
    case TokenType.GreaterThanOrEqual:
      return 80;
    case TokenType.Equals:
    case TokenType.NotEquals:
    case TokenType.EqualsInsensitive:
    case TokenType.NotEqualsInsensitive:
      return 70;
    case TokenType.LogicalAnd:
      return 50;
    case TokenType.LogicalOr:
      return 40;
    case TokenType.DoubleQuestion:
      return 30;
    default:
      return -1;
  }
}

const OPERATOR_TEXT: Partial<Record<TokenType, string>> = {
  [TokenType.Asterisk]: '*',
  [TokenType.Slash]: '/',
  [TokenType.Modulo]: '%',
  [TokenType.Plus]: '+',
  [TokenType.Minus]: '-',
  [TokenType.LeftChevron]: '<',
  [TokenType.LessThanOrEqual]: '<=',
  [TokenType.RightChevron]: '>',
  [TokenType.GreaterThanOrEqual]: '>=',
  [TokenType.Equals]: '==',
  [TokenType.NotEquals]: '!=',
  [TokenType.EqualsInsensitive]: '=~',
  [TokenType.NotEqualsInsensitive]: '!~',
  [TokenType.LogicalAnd]: '&&',
  [TokenType.LogicalOr]: '||',
  [TokenType.DoubleQuestion]: '??',
  [TokenType.Exclamation]: '!',
};

/** The source text of an operator token. */
export function operatorText(type: TokenType): string {
  return OPERATOR_TEXT[type] ?? '';
}

/** Keywords that start a declaration (after them, a lambda body on the next line is not looked for). */
export const DECLARATION_KEYWORDS: ReadonlySet<string> = new Set([
  'metadata',
  'targetScope',
  'param',
  'var',
  'resource',
  'module',
  'output',
  'type',
  'func',
  'import',
  'extension',
  'assert',
  'test',
  'using',
  'extends',
  'extensionConfig',
]);
