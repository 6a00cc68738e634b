/**
 * What the VS Code tree shows of a deployed scan, as plain data: subscriptions (read, partly read
 * or failed, and why), their load balancers, and each load balancer's findings.
 */
import { display } from '../evaluate/value';
import type { Finding, Severity } from '../rules/types';
import { loadBalancerShape, type LoadBalancerShape } from './drift';
import type { DeployedAnalysis, DeployedEstate, SubscriptionResult } from './estate';
import { portalUrl } from './clouds';

export interface DeployedFindingView {
  ruleId: string;
  severity: Severity;
  message: string;
  /** The load-balancing rule's resource ID. */
  resourceId: string;
  lbRule: string;
  /** One line for the tree: what fails, without the names the tree already shows. */
  headline: string;
  portal: string | undefined;
}

/** What a finding says in one line: the failure chance of a hairpin, else its message's first sentence. */
function headlineOf(f: Finding): string {
  const { members, failureChance } = f.facts;
  if (f.ruleId === 'hairpin-prone-rule' && members !== null && failureChance !== null && members > 0) {
    const who = `${members} member${members === 1 ? '' : 's'}`;
    return members === 1 ? `hairpin-prone, ${who}: every call from it to the frontend fails` : `hairpin-prone, ${who}: 1 in ${members} calls from a member to the frontend fail`;
  }
  const first = f.message.indexOf('. ');
  return first > 0 ? f.message.slice(0, first + 1) : f.message;
}

export interface DeployedLoadBalancerView {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  portal: string | undefined;
  findings: DeployedFindingView[];
  shape: LoadBalancerShape;
}

export interface DeployedSubscriptionView extends SubscriptionResult {
  loadBalancerViews: DeployedLoadBalancerView[];
}

export interface DeployedView {
  scope: string;
  source: DeployedEstate['source'];
  subscriptions: DeployedSubscriptionView[];
  notes: string[];
  requests: number;
}

const LB_OF = /^(\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/loadBalancers\/[^/]+)/i;

export function deployedView(estate: DeployedEstate, analysis: DeployedAnalysis | undefined): DeployedView {
  const subs = new Map<string, DeployedSubscriptionView>();
  for (const s of estate.subscriptions) subs.set(s.id.toLowerCase(), { ...s, loadBalancerViews: [] });
  const lbs = new Map<string, DeployedLoadBalancerView>();
  for (const { graph } of analysis?.graphs ?? []) {
    for (const lb of graph.loadBalancers) {
      const id = typeof lb.resource.id === 'string' ? lb.resource.id : undefined;
      const m = id ? LB_OF.exec(id) : null;
      if (!id || !m || lbs.has(id.toLowerCase())) continue;
      const subscriptionId = (m[2] as string).toLowerCase();
      const view: DeployedLoadBalancerView = { id, name: display(lb.name), subscriptionId, resourceGroup: m[3] as string, portal: portalUrl(estate.portal, id), findings: [], shape: loadBalancerShape(lb) };
      lbs.set(id.toLowerCase(), view);
      let sub = subs.get(subscriptionId);
      if (!sub) subs.set(subscriptionId, (sub = { id: subscriptionId, status: 'read', loadBalancers: 0, loadBalancerViews: [] }));
      sub.loadBalancerViews.push(view);
    }
  }
  for (const f of analysis?.findings ?? []) {
    const resourceId = f.span.resource?.id;
    const lbId = resourceId ? LB_OF.exec(resourceId)?.[1] : undefined;
    const lb = lbId ? lbs.get(lbId.toLowerCase()) : undefined;
    if (!lb || !resourceId) continue;
    lb.findings.push({ ruleId: f.ruleId, severity: f.severity, message: f.message, resourceId, lbRule: f.facts.lbRule, headline: headlineOf(f), portal: f.span.resource?.portal });
  }
  const order = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);
  for (const s of subs.values()) s.loadBalancerViews.sort(order);
  return { scope: estate.scope, source: estate.source, subscriptions: [...subs.values()], notes: [...estate.notes], requests: estate.requests };
}
