import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildTopology, ALL_ENVIRONMENTS } from '../core/topology/build';
import { layoutTopology } from '../core/topology/layout';
import type { TopologyLocation, TopologyModel } from '../core/topology/model';
import type { SourceSpan } from '../core/source';
import { renderTopologySvg } from '../core/topology/svg';
import { toDot, toMermaid } from '../core/topology/text-formats';
import { TOOL_NAME, TOOL_VERSION } from '../core/version';
import type { TopologyArgs } from './args';
import type { CliIo, LoadedWorkspace } from './io';

/**
 * `ilb-hairpin topology`: the preview's picture of the given files, as its JSON view model,
 * Mermaid, Graphviz DOT, or an SVG laid out by elkjs (the same renderer as the preview, with the
 * CSS embedded). Paths in ids and locations are relative to the working folder.
 */
export function topology(args: TopologyArgs, io: CliIo, load: (paths: readonly string[], cwd: string) => LoadedWorkspace): number {
  const { workspace, relative, readErrors } = load(args.paths, io.cwd);
  for (const e of readErrors) io.stderr(`ilb-hairpin: ${relative(e.file)}: ${e.message}\n`);
  const analysis = workspace.analyze();
  const locate = (span: SourceSpan): TopologyLocation | undefined => {
    const source = workspace.source(span.file);
    return source ? { file: relative(span.file), range: source.rangeOf(span) } : undefined;
  };
  const environments = analysis.graphs.map((g) => g.environment);
  if (args.environment !== undefined && args.environment !== ALL_ENVIRONMENTS && !environments.includes(args.environment)) {
    io.stderr(`ilb-hairpin: no environment '${args.environment}' (environments: ${environments.join(', ') || 'none'}).\n`);
    return 2;
  }
  const model = buildTopology(analysis, {
    scope: 'workspace',
    ...(args.environment !== undefined && args.environment !== ALL_ENVIRONMENTS ? { environment: args.environment } : {}),
    locate,
    fileName: relative,
  });
  return writeTopology(model, args, io, relative, readErrors.length ? 2 : 0);
}

/** Prints or writes the model in the asked format; `code` is the exit code when that succeeds. */
export function writeTopology(model: TopologyModel, args: TopologyArgs, io: CliIo, relative: (p: string) => string, code: number): number {
  let selectedRule: string | undefined;
  if (args.rule !== undefined) {
    selectedRule = selectRule(model, args.rule);
    if (!selectedRule) {
      const prone = model.marks.map((m) => model.nodes.find((x) => x.id === m.rule)?.label).filter(Boolean);
      io.stderr(`ilb-hairpin: no hairpin-prone rule named ${args.rule} (hairpin-prone: ${prone.join(', ') || 'none'}).\n`);
      return 2;
    }
  }
  let text: string;
  switch (args.format) {
    case 'json':
      text = JSON.stringify({ tool: { name: TOOL_NAME, version: TOOL_VERSION }, ...model }, null, 2) + '\n';
      break;
    case 'mermaid':
      text = toMermaid(model);
      break;
    case 'dot':
      text = toDot(model);
      break;
    case 'svg':
      text = renderTopologySvg(layoutTopology(model), { standalone: true, legend: true, walk: selectedRule !== undefined, ...(selectedRule ? { selectedRule } : {}) }) + '\n';
      break;
  }
  if (args.output !== undefined) {
    const file = path.resolve(io.cwd, args.output);
    try {
      fs.writeFileSync(file, text);
    } catch (e) {
      io.stderr(`ilb-hairpin: cannot write ${args.output}: ${(e as Error).message}\n`);
      return 2;
    }
    io.stderr(`Wrote ${relative(file)} (${model.nodes.length} nodes, ${model.edges.length} edges, ${model.marks.length} hairpin-prone rule${model.marks.length === 1 ? '' : 's'}).\n`);
  } else {
    io.stdout(text);
  }
  return code;
}

function selectRule(model: TopologyModel, name: string): string | undefined {
  return model.marks.find((m) => model.nodes.find((x) => x.id === m.rule)?.label === name)?.rule;
}
