/**
 * The quick fixes by strategy: one entry point for the editor and the CLI, so both apply the
 * same edits.
 */
import type { Finding } from '../rules/types';
import { floatingIpFix } from './floating-ip';
import { floatingIpLoopbackFix } from './loopback';
import { nginxNvaFix } from './nginx-nva';
import { secondaryNicFix } from './secondary-nic';
import type { FixResult, FixStrategy, TextOf } from './types';

export interface FixOptions {
  /** The backend VMs' OS when their declarations do not tell it. */
  os?: 'linux' | 'windows';
}

/** Every strategy, in the order the editor offers them. */
export const FIX_STRATEGIES: readonly FixStrategy[] = ['floating-ip', 'floating-ip-loopback', 'secondary-nic', 'nginx-nva'];

/** The strategies that fix a rule's findings (by rule id; none for a rule without fixes). */
const FIXES_BY_RULE: Record<string, readonly FixStrategy[]> = {
  'hairpin-prone-rule': FIX_STRATEGIES,
};

export function fixesFor(ruleId: string): readonly FixStrategy[] {
  return FIXES_BY_RULE[ruleId] ?? [];
}

/**
 * The complete fixes, safest first: once applied, each keeps every client served. Floating IP
 * alone is not among them (a guest that does not hold the VIP drops what the rule delivers), and
 * neither is a proxy scaffold (clients must be moved to it).
 */
const SAFEST_FIRST: readonly FixStrategy[] = ['floating-ip-loopback', 'secondary-nic'];

/** The fix to mark preferred among those that apply as they stand; none when no complete fix does. */
export function preferredFix(applicable: readonly FixStrategy[]): FixStrategy | undefined {
  return SAFEST_FIRST.find((s) => applicable.includes(s));
}

export function computeFix(strategy: FixStrategy, finding: Finding, textOf: TextOf, options: FixOptions = {}): FixResult {
  switch (strategy) {
    case 'floating-ip':
      return floatingIpFix(finding, textOf);
    case 'floating-ip-loopback':
      return floatingIpLoopbackFix(finding, textOf, options.os);
    case 'secondary-nic':
      return secondaryNicFix(finding, textOf, options.os);
    case 'nginx-nva':
      return nginxNvaFix(finding, textOf);
  }
}
