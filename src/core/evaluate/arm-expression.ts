/**
 * The ARM template expression language: `[concat(parameters('a'), '-x')[0].name]`.
 * A hand-written lexer and recursive-descent parser; offsets are relative to the start of the
 * expression text (the characters between the outer brackets).
 */

export type Expr =
  | { kind: 'string'; value: string; start: number; end: number }
  | { kind: 'number'; value: number; start: number; end: number }
  | { kind: 'literal'; value: boolean | null; start: number; end: number }
  | { kind: 'call'; name: string; args: Expr[]; start: number; end: number }
  | { kind: 'member'; object: Expr; name: string; start: number; end: number }
  | { kind: 'index'; object: Expr; index: Expr; start: number; end: number };

export type ParseResult = { ok: true; expr: Expr } | { ok: false; message: string; offset: number };

/** What a JSON string value in a template means. */
export type TemplateString =
  | { kind: 'literal'; value: string }
  | { kind: 'expression'; text: string; /** offset of `text` within the JSON string's content */ offset: number };

/** `[...]` is an expression, `[[...]` is the literal `[...]`, anything else is a literal. */
export function classifyTemplateString(s: string): TemplateString {
  if (s.length >= 2 && s.startsWith('[') && s.endsWith(']')) {
    if (s.startsWith('[[')) return { kind: 'literal', value: s.slice(1) };
    return { kind: 'expression', text: s.slice(1, -1), offset: 1 };
  }
  return { kind: 'literal', value: s };
}

type Tok =
  | { t: 'ident'; v: string; s: number; e: number }
  | { t: 'string'; v: string; s: number; e: number }
  | { t: 'number'; v: number; s: number; e: number }
  | { t: 'punct'; v: '(' | ')' | ',' | '.' | '[' | ']'; s: number; e: number }
  | { t: 'eof'; s: number; e: number };

class ExprSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const MAX_DEPTH = 200;

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ExprSyntaxError('unterminated string', start);
        const d = src[i] as string;
        if (d === "'") {
          if (src[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += d;
        i++;
      }
      toks.push({ t: 'string', v, s: start, e: i });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      i++;
      while (i < src.length && /[0-9]/.test(src[i] as string)) i++;
      if (src[i] === '.' && /[0-9]/.test(src[i + 1] ?? '')) {
        i++;
        while (i < src.length && /[0-9]/.test(src[i] as string)) i++;
      }
      toks.push({ t: 'number', v: Number(src.slice(start, i)), s: start, e: i });
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      i++;
      while (i < src.length && /[A-Za-z0-9_$]/.test(src[i] as string)) i++;
      toks.push({ t: 'ident', v: src.slice(start, i), s: start, e: i });
      continue;
    }
    if (c === '(' || c === ')' || c === ',' || c === '.' || c === '[' || c === ']') {
      toks.push({ t: 'punct', v: c, s: start, e: i + 1 });
      i++;
      continue;
    }
    throw new ExprSyntaxError(`unexpected character '${c}'`, start);
  }
  toks.push({ t: 'eof', s: src.length, e: src.length });
  return toks;
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.pos] as Tok;
  }
  private next(): Tok {
    return this.toks[this.pos++] as Tok;
  }
  private isPunct(v: string): boolean {
    const t = this.peek();
    return t.t === 'punct' && t.v === v;
  }
  private expect(v: string): Tok {
    const t = this.next();
    if (t.t !== 'punct' || t.v !== v) throw new ExprSyntaxError(`expected '${v}'`, t.s);
    return t;
  }

  parseTop(): Expr {
    const e = this.parseExpr();
    const t = this.peek();
    if (t.t !== 'eof') throw new ExprSyntaxError('unexpected text after the expression', t.s);
    return e;
  }

  private parseExpr(): Expr {
    if (++this.depth > MAX_DEPTH) throw new ExprSyntaxError('expression nested too deeply', this.peek().s);
    let e = this.parsePrimary();
    for (let links = 0; ; links++) {
      // Each link is one level of recursion when the chain is evaluated.
      if (links > MAX_DEPTH) throw new ExprSyntaxError('property/index chain is too long', this.peek().s);
      if (this.isPunct('.')) {
        this.next();
        const id = this.next();
        if (id.t !== 'ident') throw new ExprSyntaxError('expected a property name after "."', id.s);
        e = { kind: 'member', object: e, name: id.v, start: e.start, end: id.e };
      } else if (this.isPunct('[')) {
        this.next();
        const index = this.parseExpr();
        const close = this.expect(']');
        e = { kind: 'index', object: e, index, start: e.start, end: close.e };
      } else break;
    }
    this.depth--;
    return e;
  }

  private parsePrimary(): Expr {
    const t = this.next();
    switch (t.t) {
      case 'string':
        return { kind: 'string', value: t.v, start: t.s, end: t.e };
      case 'number':
        return { kind: 'number', value: t.v, start: t.s, end: t.e };
      case 'ident': {
        let name = t.v;
        // A user-defined function: namespace.member(...)
        const a = this.toks[this.pos];
        const b = this.toks[this.pos + 1];
        const c = this.toks[this.pos + 2];
        if (a?.t === 'punct' && a.v === '.' && b?.t === 'ident' && c?.t === 'punct' && c.v === '(') {
          name = `${t.v}.${b.v}`;
          this.pos += 2;
        }
        if (this.isPunct('(')) {
          this.next();
          const args: Expr[] = [];
          if (!this.isPunct(')')) {
            for (;;) {
              args.push(this.parseExpr());
              if (this.isPunct(',')) {
                this.next();
                continue;
              }
              break;
            }
          }
          const close = this.expect(')');
          return { kind: 'call', name, args, start: t.s, end: close.e };
        }
        const lower = t.v.toLowerCase();
        if (lower === 'true' || lower === 'false') return { kind: 'literal', value: lower === 'true', start: t.s, end: t.e };
        if (lower === 'null') return { kind: 'literal', value: null, start: t.s, end: t.e };
        throw new ExprSyntaxError(`'${t.v}' must be a function call, e.g. ${t.v}(...)`, t.s);
      }
      case 'eof':
        throw new ExprSyntaxError('expression ends too early', t.s);
      default:
        throw new ExprSyntaxError(`unexpected '${t.v}'`, t.s);
    }
  }
}

/** Parses an expression (the text between the outer brackets). Never throws. */
export function parseExpression(text: string): ParseResult {
  try {
    const toks = lex(text);
    return { ok: true, expr: new Parser(toks).parseTop() };
  } catch (e) {
    if (e instanceof ExprSyntaxError) return { ok: false, message: e.message, offset: e.offset };
    return { ok: false, message: String(e), offset: 0 };
  }
}

/** Parse results by text: templates repeat the same expressions many times. */
const cache = new Map<string, ParseResult>();
export function parseExpressionCached(text: string): ParseResult {
  let r = cache.get(text);
  if (!r) {
    if (cache.size > 50_000) cache.clear();
    r = parseExpression(text);
    cache.set(text, r);
  }
  return r;
}
