/**
 * The messages between the topology panel (extension host) and its webview, typed once for both
 * sides. The webview starts with `ready`; the panel answers with `update`; after drawing it, the
 * webview reports `rendered` with what it drew and how long the layout and the drawing took.
 */
import type { PathKind, TopologyModel } from './model';

export const TOPOLOGY_VIEW_TYPE = 'ilbHairpin.topology';

export type Scope = 'file' | 'workspace';

/** What the webview keeps with setState (and the serializer gets back after a reload). */
export interface TopologyState {
  scope: Scope;
  file?: string;
  environment?: string;
  selectedRule?: string;
  path?: PathKind;
  /** Pan and zoom. */
  view?: { x: number; y: number; k: number };
  /** The legend is open (it starts closed). */
  legend?: boolean;
  /** The packet walk's height in pixels, as the person dragged it (else sized to fit). */
  walkHeight?: number;
}

export type ToWebview =
  | {
      type: 'update';
      /** Increases with every update; `rendered` names the one it drew. */
      version: number;
      model: TopologyModel;
      /** Set when the panel wants this rule selected (the "Show topology" action of a finding). */
      select?: { rule: string; path?: PathKind };
      /** Set when the picture is for another file or scope: fit it to the view again. */
      refit?: boolean;
    }
  | { type: 'exported'; message: string };

export interface RenderedReport {
  version: number;
  nodes: number;
  edges: number;
  groups: number;
  marks: number;
  /** Milliseconds the layout by elkjs took, measured in the webview. */
  layoutMs: number;
  /** Milliseconds building the SVG and putting it in the page took. */
  renderMs: number;
}

export type FromWebview =
  | { type: 'ready'; state: TopologyState | undefined }
  | ({ type: 'rendered' } & RenderedReport)
  | { type: 'reveal'; node: string }
  | { type: 'select'; rule: string | null; path?: PathKind }
  | { type: 'scope'; scope: Scope; environment?: string }
  | { type: 'export'; format: 'svg' | 'mermaid'; target: 'file' | 'clipboard'; svg?: string }
  | { type: 'error'; message: string };

const PATH_KINDS: readonly PathKind[] = ['failing', 'floating-ip', 'secondary-nic', 'nginx-nva', 'app-gateway'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const optionalPath = (v: unknown): boolean => v === undefined || PATH_KINDS.includes(v as PathKind);

/** Checks a message from the webview before the extension acts on it. */
export function isFromWebview(v: unknown): v is FromWebview {
  if (!isRecord(v)) return false;
  switch (v.type) {
    case 'ready':
      return v.state === undefined || isRecord(v.state);
    case 'rendered':
      return ['version', 'nodes', 'edges', 'groups', 'marks', 'layoutMs', 'renderMs'].every((k) => typeof v[k] === 'number');
    case 'reveal':
      return typeof v.node === 'string';
    case 'select':
      return (v.rule === null || typeof v.rule === 'string') && optionalPath(v.path);
    case 'scope':
      return (v.scope === 'file' || v.scope === 'workspace') && (v.environment === undefined || typeof v.environment === 'string');
    case 'export':
      return (v.format === 'svg' || v.format === 'mermaid') && (v.target === 'file' || v.target === 'clipboard') && (v.svg === undefined || typeof v.svg === 'string');
    case 'error':
      return typeof v.message === 'string';
    default:
      return false;
  }
}

export function isPathKind(v: unknown): v is PathKind {
  return PATH_KINDS.includes(v as PathKind);
}
