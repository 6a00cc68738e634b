/**
 * The findings and problems of the workspace's graphs made one list: a finding that holds in
 * some environments only names them; evaluations that say the same thing are one finding with
 * their parameter sources listed.
 */
import type { EvaluationProblem } from '../evaluate/resources';
import { ruleSite, type CallSite, type Finding } from '../rules/types';

/**
 * A finding whose own deployment has no parameter file may still differ by environment (its
 * members come from another template's dev or prod evaluation). Those that are not the same in
 * every environment name the environments they hold in.
 */
export function labelEnvironments(perEnvironment: { environment: string; findings: Finding[] }[]): Finding[] {
  // One environment: every finding holds in all of them.
  if (perEnvironment.length === 1) return (perEnvironment[0] as { findings: Finding[] }).findings;
  const envsOf = new Map<string, Set<string>>();
  const keyOf = (f: Finding): string => `${f.ruleId}\u0000${f.span.file}\u0000${f.span.start}\u0000${f.message}`;
  for (const { environment, findings } of perEnvironment) {
    for (const f of findings) {
      if (f.facts.parameterSource) continue;
      const k = keyOf(f);
      envsOf.set(k, (envsOf.get(k) ?? new Set()).add(environment));
    }
  }
  return perEnvironment.flatMap(({ environment, findings }) =>
    findings.map((f) => {
      if (f.facts.parameterSource || (envsOf.get(keyOf(f))?.size ?? 0) === perEnvironment.length) return f;
      return { ...f, message: `${f.message} [in environment ${environment}]`, facts: { ...f.facts, parameterSource: `environment ${environment}` } };
    }),
  );
}

/**
 * The call sites a fix target was made with, before a merge gave it every call's: the workspace
 * keeps the findings of a group of deployments no edit reached, and merges them again.
 */
const ORIGINAL_SITES = new WeakMap<object, CallSite[] | undefined>();
function ownCallSites(target: NonNullable<Finding['fixTarget']>): CallSite[] | undefined {
  if (!ORIGINAL_SITES.has(target)) ORIGINAL_SITES.set(target, target.callSites);
  return ORIGINAL_SITES.get(target);
}

const SOURCE_SUFFIX = / \[(?:with|in) [^\]]*\]$/;

/**
 * One finding per place, rule and statement: evaluations that say the same thing (the same
 * members and chance) are merged and their parameter sources listed together; evaluations that
 * differ (2 members with dev, 4 with prod) stay separate findings.
 */
export function mergeFindings(findings: Finding[]): Finding[] {
  // By place first (a short key); the statements are compared only where two findings share a place.
  const places = new Map<string, Finding | Finding[]>();
  for (const f of findings) {
    const place = placeOf(f);
    const there = places.get(place);
    if (there === undefined) places.set(place, f);
    else if (Array.isArray(there)) there.push(f);
    else places.set(place, [there, f]);
  }
  const byPlace = new Map<string, Finding>();
  for (const [place, there] of places) {
    if (!Array.isArray(there)) {
      byPlace.set(place, there);
      continue;
    }
    for (const f of there) {
      const statement = f.message.replace(SOURCE_SUFFIX, '');
      mergeAt(byPlace, `${place}\u0000${statement}`, f, statement);
    }
  }
  return withAllCallSites(findings, [...byPlace.values()]);
}

/**
 * A finding's place and the place of the rule it fixes, made once per finding: after an edit the
 * workspace keeps the findings of every group the edit did not reach, and merges them again.
 */
const KEYS = new WeakMap<Finding, { place: string; site?: string }>();
function keysOf(f: Finding): { place: string; site?: string } {
  let k = KEYS.get(f);
  if (!k) KEYS.set(f, (k = { place: `${f.ruleId}\u0000${f.span.file}\u0000${f.span.start}` }));
  return k;
}
const placeOf = (f: Finding): string => keysOf(f).place;
function siteKey(f: Finding): string {
  const k = keysOf(f);
  if (k.site === undefined) {
    const site = ruleSite(f);
    k.site = `${f.ruleId}\u0000${site.file}\u0000${site.start}\u0000${f.facts.lbRule}`;
  }
  return k.site;
}

/** Adds a finding said at a place with a statement: merged into one said there before. */
function mergeAt(byPlace: Map<string, Finding>, key: string, f: Finding, statement: string): void {
  const prior = byPlace.get(key);
  if (!prior) {
    byPlace.set(key, f);
    return;
  }
  const a = prior.facts.parameterSource;
  const b = f.facts.parameterSource;
  if (a === undefined || b === undefined || a.split(', ').includes(b)) {
    // The defaults make it prone too: no parameter file needs naming.
    if (b === undefined && a !== undefined) byPlace.set(key, f);
    return;
  }
  const merged = `${a}, ${b}`;
  byPlace.set(key, { ...prior, message: `${statement} [with ${merged.replace(/environment /g, '')}]`, facts: { ...prior.facts, parameterSource: merged } });
}

/**
 * How many findings of a merge's input share each place and each fixed rule's site (findings with
 * a fix target only): what `replaceInMerge` needs to know that a finding merges with nothing.
 */
export interface MergeIndex {
  places: Map<string, number>;
  sites: Map<string, number>;
}

export function mergeIndex(findings: readonly Finding[]): MergeIndex {
  const places = new Map<string, number>();
  const sites = new Map<string, number>();
  for (const f of findings) {
    const p = placeOf(f);
    places.set(p, (places.get(p) ?? 0) + 1);
    if (!f.fixTarget) continue;
    const s = siteKey(f);
    sites.set(s, (sites.get(s) ?? 0) + 1);
  }
  return { places, sites };
}

/**
 * The last merge (`merged`: mergeFindings of the input `index` counts, less the suppressed
 * findings) with `old`, one group's findings in that input, replaced by `now`, that group's
 * findings after an edit: what merging the new input again and leaving out the suppressed would
 * give, without a pass over every finding. It holds only when the merge treats each of them alone
 * and in the same place of the order: the same rules in the same order, no place and no fixed
 * rule's site shared with another finding (old or new), each new one suppressed exactly when the
 * old one was. Otherwise undefined, and nothing is changed. On success `index` counts the new input.
 */
export function replaceInMerge(index: MergeIndex, merged: readonly Finding[], old: readonly Finding[], now: readonly Finding[], suppressed: (f: Finding) => boolean): Finding[] | undefined {
  if (old.length !== now.length) return undefined;
  const oldPlaces = new Set<string>();
  const oldSites = new Set<string>();
  for (let i = 0; i < old.length; i++) {
    const o = old[i] as Finding;
    const f = now[i] as Finding;
    if (o.ruleId !== f.ruleId) return undefined;
    const p = placeOf(o);
    if (index.places.get(p) !== 1) return undefined;
    oldPlaces.add(p);
    if (!o.fixTarget) continue;
    const s = siteKey(o);
    if (index.sites.get(s) !== 1) return undefined;
    oldSites.add(s);
  }
  const newPlaces = new Set<string>();
  const newSites = new Set<string>();
  for (const f of now) {
    const p = placeOf(f);
    if (newPlaces.has(p) || (index.places.has(p) && !oldPlaces.has(p))) return undefined;
    newPlaces.add(p);
    if (!f.fixTarget) continue;
    const s = siteKey(f);
    if (newSites.has(s) || (index.sites.has(s) && !oldSites.has(s))) return undefined;
    newSites.add(s);
  }
  const out = merged.slice();
  for (let i = 0; i < old.length; i++) {
    const o = old[i] as Finding;
    const f = now[i] as Finding;
    const hidden = suppressed(o);
    if (hidden !== suppressed(f)) return undefined;
    if (hidden) continue;
    const at = out.indexOf(o);
    if (at < 0) return undefined;
    out[at] = f;
  }
  for (const p of oldPlaces) index.places.delete(p);
  for (const p of newPlaces) index.places.set(p, 1);
  for (const s of oldSites) index.sites.delete(s);
  for (const s of newSites) index.sites.set(s, 1);
  // What withAllCallSites does to a fixed rule whose site no other finding shares.
  for (const f of now) {
    const own = f.fixTarget ? ownCallSites(f.fixTarget) : undefined;
    if (f.fixTarget && own) f.fixTarget.callSites = uniqueSites(own);
  }
  return out;
}

/** One rule in a module, made hairpin-prone by several calls: its fix must reach every call. */
function withAllCallSites(findings: Finding[], merged: Finding[]): Finding[] {
  // The call sites of each fixed rule, as the findings' own lists (not copied: usually one list).
  const sitesAt = new Map<string, CallSite[][]>();
  for (const f of findings) {
    const own = f.fixTarget ? ownCallSites(f.fixTarget) : undefined;
    if (!own) continue;
    const key = siteKey(f);
    const lists = sitesAt.get(key);
    if (lists) lists.push(own);
    else sitesAt.set(key, [own]);
  }
  return merged.map((f) => {
    const lists = sitesAt.get(siteKey(f));
    if (!lists || !f.fixTarget) return f;
    f.fixTarget.callSites = lists.length === 1 ? uniqueSites(lists[0] as CallSite[]) : distinctSites(lists.flat()); // (the findings are this analysis's own; copying would make the lazy targets)
    return f;
  });
}

/** A finding's own call sites without repeats, made once per list: a kept finding is merged again after every edit. */
const UNIQUE_SITES = new WeakMap<CallSite[], CallSite[]>();
function uniqueSites(sites: CallSite[]): CallSite[] {
  let unique = UNIQUE_SITES.get(sites);
  if (!unique) UNIQUE_SITES.set(sites, (unique = distinctSites(sites)));
  return unique;
}

function distinctSites(sites: CallSite[]): CallSite[] {
  const seen = new Set<string>();
  return sites.filter((s) => {
    const k = `${s.file}\u0000${s.offset}\u0000${s.rule}`;
    return !seen.has(k) && !!seen.add(k);
  });
}

export function dedupeProblems(problems: EvaluationProblem[]): EvaluationProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.span.file}\u0000${p.span.start}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
