import * as vscode from 'vscode';
import { ruleCardsAt, type RuleCard } from '../core/rule-card';
import type { Severity } from '../core/rules/types';
import { documentPath, type DiagnosticsController } from './diagnostics';
import { docsTarget } from './docs';

const SEVERITY_WORD: Record<Severity, string> = { error: 'Error', warning: 'Warning', info: 'Information', hint: 'Hint' };

/** Markdown text with its special characters escaped (names and messages come from templates). */
function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

/** One card as Markdown: what the rule is, then every finding on it with its severity and rule page. */
export function cardMarkdown(card: RuleCard): string {
  const lines = [
    `**ILB Hairpin: ${md(card.kind)} ${md(card.rule)}** of load balancer ${md(card.loadBalancer)}${card.environment ? ` (${md(card.environment)})` : ''}`,
    '',
    `- Frontend: ${md(card.frontend)}`,
    `- Ports: ${md(card.ports)}`,
    ...(card.pools.length ? [`- Pool: ${md(card.pools.join(', '))}`] : []),
    `- Members (${md(card.memberCount)}): ${card.members.length ? md(card.members.join('; ')) : 'none'}`,
    `- Floating IP: ${md(card.floatingIp)}`,
    '',
  ];
  if (card.findings.length === 0) lines.push('No finding on this rule.');
  for (const f of card.findings) {
    lines.push(`- **${SEVERITY_WORD[f.severity]}** [${md(f.ruleId)}](${docsTarget(f.ruleId).toString()}): ${md(f.message)}`);
  }
  return lines.join('\n');
}

/** A hover on a load-balancing rule (or an inbound NAT rule) in an ARM template or Bicep file. */
export function registerRuleHover(context: vscode.ExtensionContext, diagnostics: DiagnosticsController): void {
  const selector: vscode.DocumentSelector = ['json', 'jsonc', 'arm-template', 'bicep'].flatMap((language) => [
    { language, scheme: 'file' },
    { language, scheme: 'untitled' },
  ]);
  context.subscriptions.push(
    vscode.languages.registerHoverProvider(selector, {
      provideHover(document, position) {
        // Only in a file that declares a load balancer (the worker's summary says which): elsewhere
        // a hover never asks the host's mirror for an analysis.
        const file = documentPath(document.uri, document.languageId);
        if (!diagnostics.summary?.lenses.has(file)) return undefined;
        const analysis = diagnostics.analysis;
        if (!analysis) return undefined;
        const cards = ruleCardsAt(analysis.graphs, diagnostics.shown(analysis), file, document.offsetAt(position));
        if (cards.length === 0) return undefined;
        const text = new vscode.MarkdownString(cards.map(cardMarkdown).join('\n\n---\n\n'));
        // The rule pages open through the command of docsTarget (as from the Problems panel).
        text.isTrusted = { enabledCommands: ['ilbHairpin.openRuleDocs'] };
        return new vscode.Hover(text);
      },
    }),
  );
}
