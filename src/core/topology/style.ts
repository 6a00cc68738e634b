/**
 * The topology's CSS, shared by the webview (where VS Code's theme variables are defined) and the
 * standalone SVG of the CLI and of exports (where the fallbacks apply: light, or dark when the
 * viewer prefers it). Classes only: the webview's Content Security Policy allows no inline styles.
 */
export const TOPOLOGY_CSS = `
.ilbh {
  --ilbh-bg: var(--vscode-editor-background, #ffffff);
  --ilbh-fg: var(--vscode-editor-foreground, #1f1f1f);
  --ilbh-muted: var(--vscode-descriptionForeground, #5f5f5f);
  --ilbh-node: var(--vscode-editorWidget-background, #f3f3f3);
  --ilbh-lb: var(--vscode-sideBar-background, #f8f8f8);
  --ilbh-line: var(--vscode-contrastBorder, var(--vscode-editorWidget-border, #8a8a8a));
  --ilbh-group: var(--vscode-contrastBorder, var(--vscode-panel-border, #b5b5b5));
  --ilbh-edge: var(--vscode-editorLineNumber-foreground, #6e7681);
  --ilbh-warn: var(--vscode-editorWarning-foreground, #b07800);
  --ilbh-error: var(--vscode-errorForeground, #d01c00);
  --ilbh-ok: var(--vscode-testing-iconPassed, #2e7d32);
  --ilbh-focus: var(--vscode-focusBorder, #0066cc);
  --ilbh-path: var(--vscode-charts-purple, #8e44ad);
  --ilbh-k-frontend: var(--vscode-charts-blue, #1a73e8);
  --ilbh-k-rule: var(--vscode-charts-purple, #8e44ad);
  --ilbh-k-nat: var(--vscode-charts-yellow, #b8860b);
  --ilbh-k-probe: var(--vscode-charts-green, #2e7d32);
  --ilbh-k-pool: var(--vscode-charts-orange, #d35400);
  --ilbh-k-member: var(--vscode-charts-blue, #1a73e8);
  --ilbh-font: var(--vscode-font-family, system-ui, -apple-system, 'Segoe UI', Ubuntu, sans-serif);
  --ilbh-mono: var(--vscode-editor-font-family, ui-monospace, Consolas, 'DejaVu Sans Mono', monospace);
  font-family: var(--ilbh-font);
}
@media (prefers-color-scheme: dark) {
  .ilbh {
    --ilbh-bg: var(--vscode-editor-background, #1e1e1e);
    --ilbh-fg: var(--vscode-editor-foreground, #d4d4d4);
    --ilbh-muted: var(--vscode-descriptionForeground, #a0a0a0);
    --ilbh-node: var(--vscode-editorWidget-background, #252526);
    --ilbh-lb: var(--vscode-sideBar-background, #1b1b1c);
    --ilbh-warn: var(--vscode-editorWarning-foreground, #cca700);
    --ilbh-error: var(--vscode-errorForeground, #f48771);
    --ilbh-ok: var(--vscode-testing-iconPassed, #73c991);
    --ilbh-focus: var(--vscode-focusBorder, #007fd4);
    --ilbh-path: var(--vscode-charts-purple, #b180d7);
  }
}
.ilbh .canvas { fill: var(--ilbh-bg); }
.ilbh text { fill: var(--ilbh-fg); font-family: var(--ilbh-font); }
.ilbh .tag { font-size: 10px; letter-spacing: 0.06em; fill: var(--ilbh-muted); font-weight: 600; }
.ilbh .label { font-size: 13px; font-weight: 700; }
.ilbh .detail { font-size: 11px; }
.ilbh .hairpin-text { font-size: 11px; font-weight: 700; fill: var(--ilbh-error); }
.ilbh .box { fill: var(--ilbh-node); stroke: var(--ilbh-line); stroke-width: 1; }
.ilbh .stripe { stroke: none; }
.ilbh .k-frontend .stripe { fill: var(--ilbh-k-frontend); }
.ilbh .k-rule .stripe { fill: var(--ilbh-k-rule); }
.ilbh .k-natRule .stripe { fill: var(--ilbh-k-nat); }
.ilbh .k-probe .stripe { fill: var(--ilbh-k-probe); }
.ilbh .k-pool .stripe { fill: var(--ilbh-k-pool); }
.ilbh .k-member .stripe { fill: var(--ilbh-k-member); }
.ilbh .k-loadBalancer .stripe { fill: var(--ilbh-fg); }
.ilbh .container > .box { fill: var(--ilbh-lb); stroke: var(--ilbh-line); stroke-width: 1.5; }
.ilbh .group > .box { fill: none; stroke: var(--ilbh-group); stroke-width: 1.2; stroke-dasharray: 6 4; }
.ilbh .group .label { font-size: 12px; }
.ilbh .node { cursor: pointer; outline: none; }
.ilbh .silhouettes { pointer-events: none; }
.ilbh .node.loop > .box, .ilbh .silhouette.loop > .box { stroke: var(--ilbh-warn); stroke-width: 2; stroke-dasharray: 5 3; }
.ilbh .node.hairpin > .box { stroke: var(--ilbh-error); stroke-width: 3.5; stroke-dasharray: 9 4; }
.ilbh .node.selected > .box { stroke: var(--ilbh-focus); stroke-width: 4; stroke-dasharray: none; }
.ilbh .node:focus-visible > .box, .ilbh .node:focus > .box { stroke: var(--ilbh-focus); stroke-width: 3; stroke-dasharray: none; }
.ilbh .node:hover > .box { stroke-width: 2.5; }
.ilbh .warn-icon { fill: var(--ilbh-error); stroke: none; }
.ilbh .warn-icon-mark { fill: var(--ilbh-bg); font-size: 10px; font-weight: 700; }
.ilbh .unknown-badge { fill: var(--ilbh-bg); stroke: var(--ilbh-muted); stroke-width: 1; }
.ilbh .unknown-mark { fill: var(--ilbh-muted); font-size: 10px; font-weight: 700; }
.ilbh .edge { fill: none; stroke: var(--ilbh-edge); stroke-width: 1.3; }
.ilbh .edge.e-rule-probe { stroke-dasharray: 2 3; }
.ilbh .edge.hairpin { stroke: var(--ilbh-warn); stroke-width: 2.2; stroke-dasharray: 7 3; }
.ilbh .arrow { fill: var(--ilbh-edge); }
.ilbh .arrow-hairpin { fill: var(--ilbh-warn); }
.ilbh .arrow-path { fill: var(--ilbh-path); }
.ilbh .arrow-fail { fill: var(--ilbh-error); }
.ilbh .arrow-ok { fill: var(--ilbh-ok); }
.ilbh.dim .node:not(.on-path), .ilbh.dim .silhouette, .ilbh.dim .edge, .ilbh.dim .heads, .ilbh.dim .container:not(.on-path) > .box { opacity: 0.45; }
.ilbh .overlay-line { fill: none; stroke: var(--ilbh-path); stroke-width: 3; }
.ilbh .overlay-line.fail { stroke: var(--ilbh-error); stroke-dasharray: 8 4; }
.ilbh .overlay-line.ok { stroke: var(--ilbh-ok); }
.ilbh .step-badge { fill: var(--ilbh-path); stroke: var(--ilbh-bg); stroke-width: 1.5; }
.ilbh .step-badge.fail { fill: var(--ilbh-error); }
.ilbh .step-badge.ok { fill: var(--ilbh-ok); }
.ilbh .step-number { fill: var(--ilbh-bg); font-size: 11px; font-weight: 700; }
.ilbh .chip > .box { fill: var(--ilbh-bg); stroke: var(--ilbh-path); stroke-width: 2; stroke-dasharray: 4 2; }
.ilbh .walk-title { font-size: 14px; font-weight: 700; }
.ilbh .walk-summary, .ilbh .walk-note { font-size: 12px; fill: var(--ilbh-fg); }
.ilbh .walk-unavailable { font-size: 12px; font-weight: 700; fill: var(--ilbh-warn); }
.ilbh .lane > .box { fill: var(--ilbh-node); stroke: var(--ilbh-line); }
.ilbh .lane.proposed > .box { stroke-dasharray: 5 3; stroke: var(--ilbh-path); stroke-width: 1.5; }
.ilbh .lifeline { stroke: var(--ilbh-line); stroke-width: 1; stroke-dasharray: 3 4; }
.ilbh .msg { stroke: var(--ilbh-path); stroke-width: 2; fill: none; }
.ilbh .msg.fail { stroke: var(--ilbh-error); stroke-dasharray: 7 4; }
.ilbh .msg.ok { stroke: var(--ilbh-ok); }
.ilbh .msg-label { font-size: 11.5px; }
.ilbh .packet { font-family: var(--ilbh-mono); font-size: 11px; fill: var(--ilbh-muted); }
.ilbh .verdict.fail { fill: var(--ilbh-error); font-weight: 700; font-size: 12px; }
.ilbh .verdict.ok { fill: var(--ilbh-ok); font-weight: 700; font-size: 12px; }
.ilbh .legend-box { fill: var(--ilbh-bg); stroke: var(--ilbh-line); }
.ilbh .legend-text { font-size: 11px; }
body.vscode-high-contrast .ilbh .box, body.vscode-high-contrast-light .ilbh .box { stroke-width: 2; }
body.vscode-high-contrast .ilbh .edge, body.vscode-high-contrast-light .ilbh .edge { stroke: var(--ilbh-fg); stroke-width: 1.6; }
body.vscode-high-contrast .ilbh .arrow, body.vscode-high-contrast-light .ilbh .arrow { fill: var(--ilbh-fg); }
body.vscode-high-contrast .ilbh .tag, body.vscode-high-contrast-light .ilbh .tag { fill: var(--ilbh-fg); }
body.vscode-high-contrast .ilbh.dim .node:not(.on-path), body.vscode-high-contrast-light .ilbh.dim .node:not(.on-path),
body.vscode-high-contrast .ilbh.dim .silhouette, body.vscode-high-contrast-light .ilbh.dim .silhouette { opacity: 0.7; }
`;
