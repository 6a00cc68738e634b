/**
 * The user's settings for the rules: a severity (or `off`) per rule id, and globs of files to
 * leave out. The same map comes from VS Code's `ilbHairpin.rules` / `ilbHairpin.exclude` and from
 * the workspace file `.ilb-hairpin.json` (`{ "rules": {...}, "exclude": [...] }`), which the CLI
 * reads too (`--config FILE`). Plain data in, plain data out.
 */
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { RULES } from './rules';
import type { Severity } from './rules/types';

export const CONFIG_FILE = '.ilb-hairpin.json';

export type RuleLevel = 'error' | 'warning' | 'information' | 'hint' | 'off';
export const RULE_LEVELS: readonly RuleLevel[] = ['error', 'warning', 'information', 'hint', 'off'];

export interface RuleSettings {
  /** Rule id -> its severity, or `off`. */
  rules: Record<string, RuleLevel>;
  /** Globs (`**`, `*`, `?`) of paths, relative to the workspace folder, that are not analyzed. */
  exclude: string[];
}

export const NO_SETTINGS: RuleSettings = { rules: {}, exclude: [] };

const LEVEL_SEVERITY: Record<Exclude<RuleLevel, 'off'>, Severity> = { error: 'error', warning: 'warning', information: 'info', hint: 'hint' };

/** Findings (or report findings) with the settings' severities; rules set `off` are left out. */
export function applyRuleSettings<F extends { ruleId: string; severity: Severity }>(findings: readonly F[], settings: RuleSettings): F[] {
  const out: F[] = [];
  for (const f of findings) {
    const level = settings.rules[f.ruleId];
    if (level === 'off') continue;
    out.push(level ? { ...f, severity: LEVEL_SEVERITY[level] } : f);
  }
  return out;
}

/**
 * The settings a `.ilb-hairpin.json` text states, and what is wrong in it (an unknown rule id, a
 * level that is none of error, warning, information, hint, off; not JSON). What is wrong is left out.
 */
export function parseSettings(text: string): { settings: RuleSettings; problems: string[] } {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true }) as unknown;
  const problems = errors.map((e) => `not valid JSON at offset ${e.offset}: ${printParseErrorCode(e.error)}`);
  const settings: RuleSettings = { rules: {}, exclude: [] };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    if (!problems.length) problems.push('expected an object with "rules" and "exclude"');
    return { settings, problems };
  }
  const o = value as Record<string, unknown>;
  problems.push(...readRules(o['rules'], settings));
  const exclude = o['exclude'];
  if (exclude !== undefined) {
    if (Array.isArray(exclude) && exclude.every((g) => typeof g === 'string')) settings.exclude = exclude as string[];
    else problems.push('"exclude" must be a list of glob strings');
  }
  for (const k of Object.keys(o)) if (k !== 'rules' && k !== 'exclude' && k !== '$schema') problems.push(`unknown setting "${k}" (known: rules, exclude)`);
  return { settings, problems };
}

/** `ilbHairpin.rules` as VS Code gives it: the valid entries into `settings`, and what is wrong. */
export function readRules(rules: unknown, settings: RuleSettings): string[] {
  const problems: string[] = [];
  if (rules === undefined || rules === null) return problems;
  if (typeof rules !== 'object' || Array.isArray(rules)) return ['"rules" must be an object of rule id -> level'];
  const ids = new Set(RULES.map((r) => r.id));
  for (const [id, level] of Object.entries(rules as Record<string, unknown>)) {
    if (!ids.has(id)) problems.push(`unknown rule "${id}" (rules: ${[...ids].join(', ')})`);
    else if (typeof level !== 'string' || !RULE_LEVELS.includes(level as RuleLevel)) problems.push(`rule "${id}": "${String(level)}" is none of ${RULE_LEVELS.join(', ')}`);
    else settings.rules[id] = level as RuleLevel;
  }
  return problems;
}

/** A glob as a regular expression over `/`-separated relative paths: `**` any folders, `*` and `?` within one name. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  const g = glob.replace(/\\/g, '/').replace(/^\.\//, '');
  for (let i = 0; i < g.length; i++) {
    const c = g[i] as string;
    if (c === '*' && g[i + 1] === '*') {
      const slash = g[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A pattern without a folder matches at any depth (as .gitignore and files.exclude do); a folder matches what is under it.
  const anchored = g.includes('/') ? `^${re}` : `^(?:.*/)?${re}`;
  return new RegExp(`${anchored}(?:/.*)?$`);
}

/** Is this path (relative to the workspace folder, `/` separators) excluded by the settings? */
export function isExcluded(relativePath: string, settings: RuleSettings): boolean {
  return settings.exclude.some((g) => globToRegExp(g).test(relativePath));
}
