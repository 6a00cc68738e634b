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

const SOURCE_SUFFIX = / \[(?:with|in) [^\]]*\]$/;

/**
 * One finding per place, rule and statement: evaluations that say the same thing (the same
 * members and chance) are merged and their parameter sources listed together; evaluations that
 * differ (2 members with dev, 4 with prod) stay separate findings.
 */
export function mergeFindings(findings: Finding[]): Finding[] {
  const byPlace = new Map<string, Finding>();
  for (const f of findings) {
    const statement = f.message.replace(SOURCE_SUFFIX, '');
    const key = `${f.ruleId}\u0000${f.span.file}\u0000${f.span.start}\u0000${statement}`;
    const prior = byPlace.get(key);
    if (!prior) {
      byPlace.set(key, f);
      continue;
    }
    const a = prior.facts.parameterSource;
    const b = f.facts.parameterSource;
    if (a === undefined || b === undefined || a.split(', ').includes(b)) {
      // The defaults make it prone too: no parameter file needs naming.
      if (b === undefined && a !== undefined) byPlace.set(key, f);
      continue;
    }
    const merged = `${a}, ${b}`;
    byPlace.set(key, { ...prior, message: `${statement} [with ${merged.replace(/environment /g, '')}]`, facts: { ...prior.facts, parameterSource: merged } });
  }
  const merged = [...byPlace.values()];
  // One rule in a module, made hairpin-prone by several calls: its fix must reach every call.
  const sitesAt = new Map<string, CallSite[]>();
  const siteKey = (f: Finding): string => {
    const site = ruleSite(f);
    return `${f.ruleId}\u0000${site.file}\u0000${site.start}\u0000${f.facts.lbRule}`;
  };
  for (const f of findings) {
    if (!f.fixTarget?.callSites) continue;
    const key = siteKey(f);
    const list = sitesAt.get(key) ?? [];
    if (!sitesAt.has(key)) sitesAt.set(key, list);
    for (const site of f.fixTarget.callSites) list.push(site);
  }
  return merged.map((f) => {
    const sites = sitesAt.get(siteKey(f));
    if (!sites || !f.fixTarget) return f;
    const seen = new Set<string>();
    const unique = sites.filter((s) => {
      const k = `${s.file}\u0000${s.offset}\u0000${s.rule}`;
      return !seen.has(k) && !!seen.add(k);
    });
    f.fixTarget.callSites = unique; // (the findings are this analysis's own; copying would make the lazy targets)
    return f;
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
