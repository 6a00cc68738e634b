/**
 * The Bicep lexer: turns text into tokens on demand, one `next()` at a time, so that a re-parse
 * can lex only the part of a file it needs. Whitespace, comments and pragmas are trivia: they are
 * skipped, and comments and pragmas are recorded on the side. A run of line breaks is one NewLine
 * token (newlines are significant in Bicep). Inside `${...}` of a string (single-line or
 * multi-line) a line break ends the string with an error, so after every NewLine token the lexer is
 * back in its plain state.
 *
 * Multi-line strings: `'''...'''` has no escapes and no interpolation. `$'''...'''` (any number N
 * of leading `$`) is interpolated: a hole opens at N `$` followed by `{`; any `$` before those N is
 * text, and so is a shorter run (with `$$'''`, `${x}` is text and `$${x}` a hole). Its pieces are
 * the single-line string's piece tokens flagged FLAG_MULTILINE, with N in the flags.
 */
import type { Comment, Diagnostic, Pragma, PragmaCode } from './ast';
import { FLAG_UNTERMINATED, multilineFlags, Token, TokenType } from './tokens';

/** Where the lexer writes what it finds beside the tokens. */
export interface LexSink {
  diagnostics: Diagnostic[];
  comments: Comment[];
  pragmas: Pragma[];
}

const CH_TAB = 9;
const CH_LF = 10;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_BANG = 33;
const CH_DQUOTE = 34;
const CH_HASH = 35;
const CH_DOLLAR = 36;
const CH_PERCENT = 37;
const CH_AMP = 38;
const CH_QUOTE = 39;
const CH_LPAREN = 40;
const CH_RPAREN = 41;
const CH_STAR = 42;
const CH_PLUS = 43;
const CH_COMMA = 44;
const CH_MINUS = 45;
const CH_DOT = 46;
const CH_SLASH = 47;
const CH_0 = 48;
const CH_9 = 57;
const CH_COLON = 58;
const CH_SEMI = 59;
const CH_LT = 60;
const CH_EQ = 61;
const CH_GT = 62;
const CH_QUESTION = 63;
const CH_AT = 64;
const CH_LSQUARE = 91;
const CH_BACKSLASH = 92;
const CH_RSQUARE = 93;
const CH_HAT = 94;
const CH_UNDERSCORE = 95;
const CH_LBRACE = 123;
const CH_PIPE = 124;
const CH_RBRACE = 125;
const CH_TILDE = 126;
const CH_BOM = 0xfeff;

/**
 * What an open `{` on the interpolation stack is: an object brace inside a hole, a `${` hole of a
 * single-line string, or (any N >= 1) a hole of a multi-line string opened by N `$`.
 */
const BRACE = -1;
const HOLE = 0;

const PRAGMA_DIRECTIVES = ['disable-next-line', 'disable-diagnostics', 'restore-diagnostics'] as const;

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", $: '$' };

const NON_ASCII_LETTER = /\p{L}/u;

function isNewLine(c: number): boolean {
  return c === CH_LF || c === CH_CR;
}

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

function isAsciiIdentifierStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === CH_UNDERSCORE;
}

function isNonAsciiLetter(c: number): boolean {
  return c >= 128 && NON_ASCII_LETTER.test(String.fromCharCode(c));
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

export class Lexer {
  private pos: number;
  private readonly stack: number[] = [];

  constructor(
    private readonly text: string,
    start: number,
    private readonly sink: LexSink,
  ) {
    this.pos = start;
  }

  next(): Token {
    this.skipTrivia();
    const text = this.text;
    const start = this.pos;
    if (start >= text.length) return new Token(TokenType.EndOfFile, text.length, text.length, '', 0);
    const c = text.charCodeAt(start);
    const c1 = start + 1 < text.length ? text.charCodeAt(start + 1) : 0;
    switch (c) {
      case CH_LF:
      case CH_CR:
        return this.newLine(start);
      case CH_LBRACE:
        if (this.stack.length > 0) this.stack.push(BRACE);
        return this.simple(TokenType.LeftBrace, start, 1);
      case CH_RBRACE:
        if (this.stack.length > 0) {
          const top = this.stack[this.stack.length - 1];
          if (top !== BRACE) {
            this.pos = start + 1;
            return top === HOLE ? this.stringPiece(start, false) : this.multilinePiece(start, top, false);
          }
          this.stack.pop();
        }
        return this.simple(TokenType.RightBrace, start, 1);
      case CH_LPAREN:
        return this.simple(TokenType.LeftParen, start, 1);
      case CH_RPAREN:
        return this.simple(TokenType.RightParen, start, 1);
      case CH_LSQUARE:
        return this.simple(TokenType.LeftSquare, start, 1);
      case CH_RSQUARE:
        return this.simple(TokenType.RightSquare, start, 1);
      case CH_AT:
        return this.simple(TokenType.At, start, 1);
      case CH_COMMA:
        return this.simple(TokenType.Comma, start, 1);
      case CH_SEMI:
        return this.simple(TokenType.Semicolon, start, 1);
      case CH_PLUS:
        return this.simple(TokenType.Plus, start, 1);
      case CH_MINUS:
        return this.simple(TokenType.Minus, start, 1);
      case CH_PERCENT:
        return this.simple(TokenType.Modulo, start, 1);
      case CH_STAR:
        return this.simple(TokenType.Asterisk, start, 1);
      case CH_SLASH:
        return this.simple(TokenType.Slash, start, 1);
      case CH_HAT:
        return this.simple(TokenType.Hat, start, 1);
      case CH_DOT:
        return c1 === CH_DOT && text.charCodeAt(start + 2) === CH_DOT
          ? this.simple(TokenType.Ellipsis, start, 3)
          : this.simple(TokenType.Dot, start, 1);
      case CH_QUESTION:
        return c1 === CH_QUESTION ? this.simple(TokenType.DoubleQuestion, start, 2) : this.simple(TokenType.Question, start, 1);
      case CH_COLON:
        return c1 === CH_COLON ? this.simple(TokenType.DoubleColon, start, 2) : this.simple(TokenType.Colon, start, 1);
      case CH_BANG:
        if (c1 === CH_EQ) return this.simple(TokenType.NotEquals, start, 2);
        if (c1 === CH_TILDE) return this.simple(TokenType.NotEqualsInsensitive, start, 2);
        return this.simple(TokenType.Exclamation, start, 1);
      case CH_LT:
        return c1 === CH_EQ ? this.simple(TokenType.LessThanOrEqual, start, 2) : this.simple(TokenType.LeftChevron, start, 1);
      case CH_GT:
        return c1 === CH_EQ ? this.simple(TokenType.GreaterThanOrEqual, start, 2) : this.simple(TokenType.RightChevron, start, 1);
      case CH_EQ:
        if (c1 === CH_EQ) return this.simple(TokenType.Equals, start, 2);
        if (c1 === CH_TILDE) return this.simple(TokenType.EqualsInsensitive, start, 2);
        if (c1 === CH_GT) return this.simple(TokenType.Arrow, start, 2);
        return this.simple(TokenType.Assignment, start, 1);
      case CH_AMP:
        return c1 === CH_AMP ? this.simple(TokenType.LogicalAnd, start, 2) : this.unrecognized(start);
      case CH_PIPE:
        return c1 === CH_PIPE ? this.simple(TokenType.LogicalOr, start, 2) : this.simple(TokenType.Pipe, start, 1);
      case CH_QUOTE:
        if (c1 === CH_QUOTE && text.charCodeAt(start + 2) === CH_QUOTE) return this.multilineString(start);
        this.pos = start + 1;
        return this.stringPiece(start, true);
      case CH_DOLLAR: {
        let p = start + 1;
        while (text.charCodeAt(p) === CH_DOLLAR) p++;
        if (text.startsWith("'''", p)) {
          this.pos = p + 3;
          return this.multilinePiece(start, p - start, true);
        }
        return this.unrecognized(start);
      }
      default:
        if (isDigit(c)) return this.integer(start);
        if (isAsciiIdentifierStart(c) || isNonAsciiLetter(c)) return this.identifier(start);
        return this.unrecognized(start);
    }
  }

  private simple(type: TokenType, start: number, length: number): Token {
    this.pos = start + length;
    return new Token(type, start, start + length, '', 0);
  }

  private diagnostic(start: number, end: number, message: string): void {
    this.sink.diagnostics.push({ start, end, message });
  }

  private newLine(start: number): Token {
    if (this.stack.length > 0) {
      // A line break inside `${...}` ends the string; the line break itself is lexed next time.
      const inMultiline = this.stack.some((s) => s > HOLE);
      this.diagnostic(
        start,
        start,
        inMultiline
          ? "The interpolation is not closed ('}' expected) before the end of the line."
          : 'The string is not terminated before the end of the line.',
      );
      this.stack.length = 0;
      return new Token(TokenType.StringRightPiece, start, start, '', FLAG_UNTERMINATED);
    }
    const text = this.text;
    let pos = start + 1;
    while (pos < text.length && isNewLine(text.charCodeAt(pos))) pos++;
    this.pos = pos;
    return new Token(TokenType.NewLine, start, pos, '', 0);
  }

  private integer(start: number): Token {
    const text = this.text;
    let pos = start + 1;
    while (pos < text.length && isDigit(text.charCodeAt(pos))) pos++;
    this.pos = pos;
    return new Token(TokenType.Integer, start, pos, text.slice(start, pos), 0);
  }

  private identifier(start: number): Token {
    const text = this.text;
    let pos = start;
    let nonAscii = false;
    for (; pos < text.length; pos++) {
      const c = text.charCodeAt(pos);
      if (isAsciiIdentifierStart(c) || isDigit(c)) continue;
      if (isNonAsciiLetter(c)) {
        nonAscii = true;
        continue;
      }
      break;
    }
    this.pos = pos;
    const name = text.slice(start, pos);
    if (nonAscii) this.diagnostic(start, pos, `The name '${name}' is not valid: Bicep names use only ASCII letters, digits and '_'.`);
    switch (name) {
      case 'true':
        return new Token(TokenType.TrueKeyword, start, pos, name, 0);
      case 'false':
        return new Token(TokenType.FalseKeyword, start, pos, name, 0);
      case 'null':
        return new Token(TokenType.NullKeyword, start, pos, name, 0);
      default:
        return new Token(TokenType.Identifier, start, pos, name, 0);
    }
  }

  private unrecognized(start: number): Token {
    const text = this.text;
    const c = text.charCodeAt(start);
    const pair = c >= 0xd800 && c <= 0xdbff && start + 1 < text.length && (text.charCodeAt(start + 1) & 0xfc00) === 0xdc00;
    const end = start + (pair ? 2 : 1);
    this.pos = end;
    this.diagnostic(
      start,
      end,
      c === CH_DQUOTE ? "Bicep strings use single quotes ('), not double quotes." : `Unexpected character '${text.slice(start, end)}'.`,
    );
    return new Token(TokenType.Unrecognized, start, end, '', 0);
  }

  /**
   * One piece of a single-quoted string, from just after its opening `'` (first piece) or `}`
   * (later pieces) to its closing `'` or `${`. Escapes are cooked into the token's value.
   */
  private stringPiece(start: number, first: boolean): Token {
    const text = this.text;
    let pos = this.pos;
    let value = '';
    let chunk = pos;
    for (;;) {
      if (pos >= text.length || isNewLine(text.charCodeAt(pos))) {
        this.diagnostic(
          start,
          pos,
          pos >= text.length ? 'The string is not terminated.' : 'The string is not terminated before the end of the line.',
        );
        value += text.slice(chunk, pos);
        return this.endString(first ? TokenType.StringComplete : TokenType.StringRightPiece, start, pos, value, FLAG_UNTERMINATED);
      }
      const c = text.charCodeAt(pos);
      if (c === CH_QUOTE) {
        value += text.slice(chunk, pos);
        return this.endString(first ? TokenType.StringComplete : TokenType.StringRightPiece, start, pos + 1, value, 0);
      }
      if (c === CH_DOLLAR && text.charCodeAt(pos + 1) === CH_LBRACE) {
        value += text.slice(chunk, pos);
        if (first) this.stack.push(HOLE);
        this.pos = pos + 2;
        return new Token(first ? TokenType.StringLeftPiece : TokenType.StringMiddlePiece, start, pos + 2, value, 0);
      }
      if (c !== CH_BACKSLASH) {
        pos++;
        continue;
      }
      value += text.slice(chunk, pos);
      const escape = this.escape(pos);
      value += escape.value;
      pos = chunk = escape.end;
    }
  }

  /**
   * One piece of an interpolated multi-line string opened by `dollars` `$`: from just after its
   * opening `$...'''` (first piece, where a first line break is not part of the value) or `}` (later
   * pieces) to its closing `'''` or to the `$...{` that opens a hole. No escapes.
   */
  private multilinePiece(start: number, dollars: number, first: boolean): Token {
    const text = this.text;
    const contentStart = first ? multilineContentStart(text, start + dollars, text.length) : this.pos;
    let pos = this.pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === CH_QUOTE && text.charCodeAt(pos + 1) === CH_QUOTE && text.charCodeAt(pos + 2) === CH_QUOTE) {
        let end = pos + 3;
        // The value may end with a quote: the last three quotes of a run close the string.
        while (end < text.length && text.charCodeAt(end) === CH_QUOTE) end++;
        const value = text.slice(contentStart, end - 3);
        const flags = multilineFlags(dollars, false);
        return first ? this.endString(TokenType.MultilineString, start, end, value, flags) : this.endString(TokenType.StringRightPiece, start, end, value, flags);
      }
      if (c !== CH_DOLLAR) {
        pos++;
        continue;
      }
      let run = pos + 1;
      while (run < text.length && text.charCodeAt(run) === CH_DOLLAR) run++;
      if (run - pos >= dollars && text.charCodeAt(run) === CH_LBRACE) {
        // The last `dollars` of the run open the hole; the ones before are text.
        if (first) this.stack.push(dollars);
        this.pos = run + 1;
        return new Token(first ? TokenType.StringLeftPiece : TokenType.StringMiddlePiece, start, run + 1, text.slice(contentStart, run - dollars), multilineFlags(dollars, false));
      }
      pos = run;
    }
    this.diagnostic(start, text.length, "The multi-line string is not terminated (''' expected).");
    const flags = multilineFlags(dollars, true);
    const value = text.slice(contentStart, text.length);
    return this.endString(first ? TokenType.MultilineString : TokenType.StringRightPiece, start, text.length, value, flags);
  }

  private endString(type: TokenType, start: number, end: number, value: string, flags: number): Token {
    if (type === TokenType.StringRightPiece) this.stack.pop();
    this.pos = end;
    return new Token(type, start, end, value, flags);
  }

  /** The escape sequence at `pos` (a backslash): its cooked value and where it ends. */
  private escape(pos: number): { value: string; end: number } {
    const text = this.text;
    const e = text.charCodeAt(pos + 1);
    if (pos + 1 >= text.length || isNewLine(e)) {
      this.diagnostic(pos, pos + 1, 'The escape sequence is not finished.');
      return { value: '', end: pos + 1 };
    }
    const simple = SIMPLE_ESCAPES[text[pos + 1]];
    if (simple !== undefined) return { value: simple, end: pos + 2 };
    if (text[pos + 1] === 'u' && text.charCodeAt(pos + 2) === CH_LBRACE) {
      let p = pos + 3;
      while (p < text.length && isHexDigit(text.charCodeAt(p))) p++;
      const digits = text.slice(pos + 3, p);
      const codePoint = digits.length > 0 && digits.length <= 8 ? parseInt(digits, 16) : -1;
      if (text.charCodeAt(p) === CH_RBRACE && codePoint >= 0 && codePoint <= 0x10ffff) {
        return { value: String.fromCodePoint(codePoint), end: p + 1 };
      }
      const end = text.charCodeAt(p) === CH_RBRACE ? p + 1 : p;
      this.diagnostic(pos, end, 'The Unicode escape is not valid: use \\u{...} with 1 to 6 hex digits (at most 10FFFF).');
      return { value: '', end };
    }
    const end = pos + 1 + (((e & 0xfc00) === 0xd800 && (text.charCodeAt(pos + 2) & 0xfc00) === 0xdc00) ? 2 : 1);
    this.diagnostic(pos, end, "The escape sequence is not recognized: use \\n, \\r, \\t, \\\\, \\', \\$ or \\u{...}.");
    return { value: text.slice(pos + 1, end), end };
  }

  /** `'''...'''`: no escapes and no interpolation; a line break right after the opening quotes is not part of the value. */
  private multilineString(start: number): Token {
    const text = this.text;
    const close = text.indexOf("'''", start + 3);
    let end: number;
    let contentEnd: number;
    let flags = 0;
    if (close < 0) {
      this.diagnostic(start, text.length, "The multi-line string is not terminated (''' expected).");
      end = contentEnd = text.length;
      flags = FLAG_UNTERMINATED;
    } else {
      end = close + 3;
      // The value may end with a quote: the last three quotes of a run close the string.
      while (end < text.length && text.charCodeAt(end) === CH_QUOTE) end++;
      contentEnd = end - 3;
    }
    this.pos = end;
    return new Token(TokenType.MultilineString, start, end, text.slice(multilineContentStart(text, start, contentEnd), contentEnd), flags);
  }

  private skipTrivia(): void {
    const text = this.text;
    let pos = this.pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === CH_SPACE || c === CH_TAB || c === CH_BOM) {
        pos++;
      } else if (c === CH_SLASH && text.charCodeAt(pos + 1) === CH_SLASH) {
        const start = pos;
        pos += 2;
        while (pos < text.length && !isNewLine(text.charCodeAt(pos))) pos++;
        this.sink.comments.push({ start, end: pos, block: false });
      } else if (c === CH_SLASH && text.charCodeAt(pos + 1) === CH_STAR) {
        const start = pos;
        const close = text.indexOf('*/', pos + 2);
        if (close < 0) {
          pos = text.length;
          this.diagnostic(start, pos, 'The comment is not terminated (*/ expected).');
        } else {
          pos = close + 2;
        }
        this.sink.comments.push({ start, end: pos, block: true });
      } else if (c === CH_HASH && this.atLineStart(pos)) {
        const end = this.pragma(pos);
        if (end === pos) break;
        pos = end;
      } else {
        break;
      }
    }
    this.pos = pos;
  }

  /** Only spaces and tabs stand between the start of the line and `pos`. */
  private atLineStart(pos: number): boolean {
    const text = this.text;
    let p = pos - 1;
    while (p >= 0 && (text.charCodeAt(p) === CH_SPACE || text.charCodeAt(p) === CH_TAB)) p--;
    return p < 0 || isNewLine(text.charCodeAt(p));
  }

  /** A pragma at `pos` (a `#` at the start of a line): records it and returns its end, or `pos` when it is not one. */
  private pragma(pos: number): number {
    const text = this.text;
    const directive = PRAGMA_DIRECTIVES.find((d) => text.startsWith(d, pos + 1));
    if (directive === undefined) return pos;
    let p = pos + 1 + directive.length;
    const after = p < text.length ? text.charCodeAt(p) : CH_LF;
    if (after !== CH_SPACE && after !== CH_TAB && !isNewLine(after)) return pos;
    const codes: PragmaCode[] = [];
    let end = p;
    for (;;) {
      while (p < text.length && (text.charCodeAt(p) === CH_SPACE || text.charCodeAt(p) === CH_TAB)) p++;
      if (p >= text.length || isNewLine(text.charCodeAt(p))) break;
      if (text.charCodeAt(p) === CH_SLASH && (text.charCodeAt(p + 1) === CH_SLASH || text.charCodeAt(p + 1) === CH_STAR)) break;
      const start = p;
      while (p < text.length && !isNewLine(text.charCodeAt(p)) && text.charCodeAt(p) !== CH_SPACE && text.charCodeAt(p) !== CH_TAB) p++;
      codes.push({ start, end: p, code: text.slice(start, p) });
      end = p;
    }
    if (codes.length === 0 && directive === 'disable-next-line') {
      this.diagnostic(pos, end, 'Expected at least one diagnostic code after #disable-next-line.');
    }
    this.sink.pragmas.push({ start: pos, end, directive, codes });
    return end;
  }
}

/**
 * Where the value of a multi-line string whose `'''` starts at `start` begins (a first line break is
 * dropped). For `$'''`, `start` is the offset of the quotes.
 */
export function multilineContentStart(text: string, start: number, contentEnd: number): number {
  let p = start + 3;
  if (p < contentEnd && text.charCodeAt(p) === CH_CR) p++;
  if (p < contentEnd && text.charCodeAt(p) === CH_LF) p++;
  return p;
}
