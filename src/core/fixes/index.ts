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
