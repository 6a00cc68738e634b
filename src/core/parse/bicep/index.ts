/**
 * Bicep parsing for the engine: a hand-written lexer and recursive-descent parser for .bicep and
 * .bicepparam files, with exact UTF-16 offsets, error recovery for half-typed code, and an
 * incremental re-parse. Pure TypeScript: no editor API and no Node built-ins.
 */
import type { Token } from './tokens';
import { Lexer } from './lexer';
import { TokenType } from './tokens';

export type * from './ast';
export { parseBicep, reparseBicep, type BicepEdit, type BicepParseOptions } from './reparse';
export { decoratorArguments, decoratorName, findDecorator, findProperty, forEachChild, propertyName, shiftOffsets, walk } from './walk';
export { Token, TokenType } from './tokens';

/** The tokens of a text, NewLines included, up to and with the EndOfFile token (trivia is skipped). */
export function tokenizeBicep(text: string): Token[] {
  const lexer = new Lexer(text, 0, { diagnostics: [], comments: [], pragmas: [] });
  const tokens: Token[] = [];
  for (;;) {
    const t = lexer.next();
    tokens.push(t);
    if (t.type === TokenType.EndOfFile) return tokens;
  }
}
