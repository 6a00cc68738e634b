import type { NetworkGraph, RuleNode } from '../graph/model';
import type { SourceSpan } from '../source';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface RelatedLocation {
  span: SourceSpan;
  message: string;
}

/** What a hairpin finding states, for machines (CLI JSON, SARIF properties, fixes, the preview). */
export interface HairpinFacts {
  loadBalancer: string;
  lbRule: string;
  /** The frontend's private IP when the template fixes it; null when it is dynamic or unknown. */
  frontendIp: string | null;
  frontendName: string;
  /** Frontend port; 0 with protocol All is an HA ports rule. */
  frontendPort: number | null;
  protocol: string | null;
  haPorts: boolean;
  /** Backend instances behind the rule; null when some count is unknown. */
  members: number | null;
  /** Instances known for sure (a lower bound when `members` is null). */
  membersKnown: number;
  /** Chance that one connection from a member to the frontend fails (1/N); null when N is unknown. */
  failureChance: number | null;
  /** What in the members' own configuration names the frontend (the finding is then an error). */
  evidence?: string[];
  /** The NVA vendors of the members, when every member is a network virtual appliance. */
  appliances?: string[];
  /** Set when the finding is about an inbound NAT rule or NAT pool (`lbRule` is then its name). */
  inboundNat?: 'rule' | 'pool';
  /** The last frontend port of a NAT pool's (or a NAT rule's) port range. */
  frontendPortEnd?: number | null;
  /** Set on the copy of a module's finding shown where the module is called. */
  viaModule?: string;
  /** Where parameter values came from (a parameter file), when not the defaults. */
  parameterSource?: string;
}

/**
 * Where a floating-IP fix would change the template: the `enableFloatingIP` value when it is
 * written, otherwise the rule's `properties` object to add it to; or why no such fix is offered.
 */
export interface FloatingIpTarget {
  value?: SourceSpan;
  /** Set when the value is written in a module: a computed value there comes from its caller. */
  module?: string;
  /**
   * A rule built in a module from its callers' data: where the module is called (every call that
   * makes this finding), the rule's name, and the module file (which must read `enableFloatingIP`
   * from that data).
   */
  callSites?: CallSite[];
  /** The compute resources behind the rule, for the guest configuration of the VIP. */
  guests?: GuestTarget[];
  properties?: SourceSpan;
  refused?: string;
  /** The load balancer's declaration (strict-JSON suppressions go into its `comments`). */
  loadBalancer?: SourceSpan;
  /** The rule's backend members, for the secondary-NIC and NVA fixes. */
  members?: MemberTarget[];
  /** What the NGINX NVA fix needs beyond the members. */
  nva?: NvaTarget;
}

/** The load balancer and the rules an NGINX NVA in front of this rule's frontend mirrors. */
export interface NvaTarget {
  /** The hairpin-prone rules on the same frontend, this one first (clients move to the NVA for all of them). */
  rules: RuleTarget[];
  /** The load balancer is declared through a module or linked template. */
  lbViaModule: boolean;
  /** The load balancer is made by a copy or for loop. */
  lbInLoop: boolean;
  /** The load balancer's symbolic name (Bicep). */
  lbSymbolicName?: string;
}

/** One load-balancing rule as the NVA fix mirrors it. */
export interface RuleTarget {
  name: string;
  protocol: string | null;
  frontendPort: number | null;
  backendPort: number | null;
  /** Its probe's protocol (Tcp, Http, Https) when it has a probe. */
  probeProtocol: string | null;
  /** Its probe's port and HTTP request path, when written. */
  probePort?: number | null;
  probePath?: string | null;
  /** Where a finding on the rule is reported (its suppression goes there). */
  span: SourceSpan;
  members: MemberTarget[];
}

export interface CallSite {
  file: string;
  offset: number;
  rule: string;
  moduleFile: string;
}

/** A declaration a fix edits or refers to. */
export interface DeclarationTarget {
  span: SourceSpan;
  /** Its symbolic name (Bicep). */
  symbolicName?: string;
  /** Made by a copy or for loop (one declaration for several resources). */
  inLoop: boolean;
  /** Declared through a module or a linked template. */
  viaModule: boolean;
}

/** One backend member of a rule, as the fixes see it. */
export interface MemberTarget {
  kind: 'nic' | 'vm-nic-config' | 'scale-set' | 'ip-address' | 'module';
  name: string;
  /** The private IP when the template fixes it. */
  ip: string | null;
  /** Where that IP is written (the ipConfiguration's privateIPAddress, or the pool entry's ipAddress). */
  ipSpan?: SourceSpan;
  /** The subnet's address prefix when its virtual network is declared (e.g. 10.2.1.0/24). */
  subnetPrefix: string | null;
  /** The ipConfiguration's `subnet` value as written. */
  subnet?: SourceSpan;
  /** The ipConfiguration object as written, and its index in its list. */
  ipConfig?: SourceSpan;
  ipConfigIndex?: number;
  /** The NIC, VM or scale set that declares the ipConfiguration. */
  resource?: DeclarationTarget;
  /** The VM a NIC is attached to, and the OS its declaration tells. */
  vm?: DeclarationTarget & { os: 'linux' | 'windows' | undefined; customScript?: string; fixedBy?: string[] };
  /** The VM's `networkInterfaces` entry that attaches this member's NIC (`{ id: ... }`). */
  vmNicReference?: SourceSpan;
  /** Instances this member stands for (null when unknown). */
  instances: number | null;
  /** The member's virtual network when it is declared: its declaration, address space and subnet prefixes (null where not evaluated). */
  network?: { vnet: DeclarationTarget; addressSpace: (string | null)[]; subnetPrefixes: (string | null)[] };
}

/** A VM or scale set that must hold the frontend IP on its loopback after floating IP is on. */
export interface GuestTarget {
  kind: 'vm' | 'scale-set';
  /** The resource declaration. */
  span: SourceSpan;
  /** Its symbolic name (Bicep). */
  symbolicName?: string;
  /** The OS its image and osProfile say, when they say it. */
  os: 'linux' | 'windows' | undefined;
  /** Declared in a loop (one declaration for several members). */
  inLoop: boolean;
  /** Declared through a module or a linked template (edited in that file). */
  viaModule: boolean;
  /** A CustomScript extension the machine already has (Azure allows one per machine). */
  customScript?: string;
  /** The product's own extensions the machine already has (from earlier fixes). */
  fixedBy?: string[];
}

/** A finding is plain data: adapters turn it into diagnostics, SARIF results or text. */
export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  span: SourceSpan;
  related: RelatedLocation[];
  facts: HairpinFacts;
  /** What the fixes need to know (plain data, made on the fixes' side from the finding's subject). */
  fixTarget?: FloatingIpTarget;
}

/**
 * The graph node a finding is about. Not part of the finding's plain data (not enumerable: it is
 * neither copied nor serialized); the engine reads it to make the fix targets.
 */
export type FindingSubject = { kind: 'lb-rule'; rule: RuleNode };

const SUBJECT = Symbol('subject');

/** The finding, with the graph node it is about attached (see FindingSubject). */
export function withSubject<F extends Finding>(finding: F, subject: FindingSubject): F {
  Object.defineProperty(finding, SUBJECT, { value: subject, enumerable: false, configurable: true });
  return finding;
}

/**
 * Where the rule a finding is about is written: the finding's own place, or, for a finding
 * reported where a module (or linked template) is called, the rule in the module (its first
 * related location).
 */
export function ruleSite(f: Finding): SourceSpan {
  return f.facts.viaModule !== undefined && f.related[0] ? f.related[0].span : f.span;
}

/** The finding without its graph node, so that it no longer holds the graph (see analyzeEstateForReport). */
export function withoutSubject<F extends Finding>(finding: F): F {
  delete (finding as Finding & { [SUBJECT]?: FindingSubject })[SUBJECT];
  return finding;
}

export function subjectOf(finding: Finding): FindingSubject | undefined {
  return (finding as Finding & { [SUBJECT]?: FindingSubject })[SUBJECT];
}

export interface RuleContext {
  /** Label of the parameter source the graph was evaluated with, if any. */
  parameterSource?: string;
}

export interface Rule {
  id: string;
  title: string;
  /** What the rule finds and why it matters, in a sentence or two (SARIF's fullDescription and help). */
  summary: string;
  defaultSeverity: Severity;
  /** Path of the docs page in the repository, e.g. `docs/rules/hairpin-prone-rule.md`. */
  docsPath: string;
  /** How the topology preview draws the rule's findings: `hairpin-loop`, the failing packet walk through the rule. */
  topology?: 'hairpin-loop';
  check(graph: NetworkGraph, context: RuleContext): Finding[];
}

/**
 * Where a rule's page is: in the repository and in every package (the extension opens it offline;
 * the npm package ships docs/rules). No web address is given: the project has no published home yet.
 */
export function docsPathOf(rule: Pick<Rule, 'docsPath'>): string {
  return rule.docsPath;
}
