import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildTopology, buildTopologyStream, ALL_ENVIRONMENTS } from '../core/topology/build';
import { layoutTopology } from '../core/topology/layout';
import type { TopologyLocation, TopologyModel, TopologyNode, TopologyStream } from '../core/topology/model';
import { normalizePath, type SourceSpan } from '../core/source';
import { renderTopologySvg } from '../core/topology/svg';
import { toDot, toMermaid } from '../core/topology/text-formats';
import { TOOL_NAME, TOOL_VERSION } from '../core/version';
import { decodeText } from '../core/decode';
import type { TopologyArgs } from './args';
import type { CliIo, LoadedWorkspace } from './io';
import { collectGarbage } from '../node/gc';

/**
 * `ilb-hairpin topology`: the preview's picture of the given files, as its JSON view model,
 * Mermaid, Graphviz DOT, or an SVG laid out by elkjs (the same renderer as the preview, with the
 * CSS embedded). Paths in ids and locations are relative to the working folder.
 */
export function topology(args: TopologyArgs, io: CliIo, load: (paths: readonly string[], cwd: string) => LoadedWorkspace): number {
  const { workspace, relative, readErrors, inputs } = load(args.paths, io.cwd);
  for (const e of readErrors) io.stderr(`ilb-hairpin: ${relative(e.file)}: ${e.message}\n`);
  const analysis = workspace.analyze();
  // The analysis's garbage is let go before the picture is built (see collectGarbage).
  collectGarbage();
  const locate = (span: SourceSpan): TopologyLocation | undefined => {
    const source = workspace.source(span.file);
    return source ? { file: relative(span.file), range: source.rangeOf(span) } : undefined;
  };
  const environments = analysis.graphs.map((g) => g.environment);
  if (args.environment !== undefined && args.environment !== ALL_ENVIRONMENTS && !environments.includes(args.environment)) {
    io.stderr(`ilb-hairpin: no environment '${args.environment}' (environments: ${environments.join(', ') || 'none'}).\n`);
    return 2;
  }
  const options = {
    scope: 'workspace' as const,
    ...(args.environment !== undefined && args.environment !== ALL_ENVIRONMENTS ? { environment: args.environment } : {}),
    locate,
    fileName: relative,
  };
  // JSON is written as the nodes are made (a pool of 40,000 members is never held whole); the
  // other formats lay out or sort the whole picture.
  const model = args.format === 'json' ? buildTopologyStream(analysis, options) : buildTopology(analysis, options);
  return writeTopology(model, args, io, relative, readErrors.length ? 2 : 0, inputs);
}

/**
 * Prints or writes the model in the asked format; `code` is the exit code when that succeeds (not
 * 0: something could not be read, and no file is written). `inputs` are the files read, never overwritten.
 */
export function writeTopology(model: TopologyModel | TopologyStream, args: TopologyArgs, io: CliIo, relative: (p: string) => string, code: number, inputs: readonly string[] = []): number {
  let selectedRule: string | undefined;
  if (args.rule !== undefined) {
    const picked = selectRule(model, args.rule);
    if (picked.length !== 1) {
      if (picked.length === 0) {
        const rules = nodesById(model.nodes, model.marks.map((m) => m.rule));
        const prone = model.marks.map((m) => rules.get(m.rule)?.label).filter(Boolean);
        io.stderr(`ilb-hairpin: no hairpin-prone rule named ${args.rule} (hairpin-prone: ${prone.join(', ') || 'none'}).\n`);
      } else {
        io.stderr(`ilb-hairpin: ${picked.length} hairpin-prone rules are named ${args.rule}; pick one with --rule FILE:RULE:\n`);
        const lbs = nodesById(model.nodes, picked.map((n) => n.parent ?? ''));
        for (const node of picked) {
          const lb = lbs.get(node.parent ?? '')?.label;
          const line = node.location ? `, line ${node.location.range.start.line + 1}` : '';
          io.stderr(`  --rule ${node.location?.file ?? '?'}:${node.label}   (${lb ? `load balancer ${lb}` : 'rule'}${line})\n`);
        }
      }
      return 2;
    }
    selectedRule = picked[0]?.id;
  }
  // JSON is made and written in pieces (a node or an edge at a time): for a 40,000-node model the
  // whole text at once would hold tens of MB twice more at the peak. The nodes and edges are
  // counted as they are written (a stream's are made as they are read).
  const counts = { nodes: 0, edges: 0 };
  const counted = <T>(items: Iterable<T>, key: keyof typeof counts): Iterable<T> => ({
    *[Symbol.iterator]() {
      counts[key] = 0;
      for (const item of items) {
        counts[key]++;
        yield item;
      }
    },
  });
  let text: string | Iterable<string>;
  switch (args.format) {
    case 'json':
      text = jsonPieces({ tool: { name: TOOL_NAME, version: TOOL_VERSION }, ...model, nodes: counted(model.nodes, 'nodes'), edges: counted(model.edges, 'edges') });
      break;
    case 'mermaid':
      text = toMermaid(whole(model, counts));
      break;
    case 'dot':
      text = toDot(whole(model, counts));
      break;
    case 'svg':
      text = renderTopologySvg(layoutTopology(whole(model, counts)), { standalone: true, legend: true, walk: selectedRule !== undefined, ...(selectedRule ? { selectedRule } : {}) }) + '\n';
      break;
  }
  if (args.output !== undefined) {
    const file = path.resolve(io.cwd, args.output);
    // Nothing is written on an error exit, and a written picture never replaces a template.
    if (code !== 0) {
      io.stderr(`ilb-hairpin: ${args.output} not written: some ${args.azure ? 'subscriptions' : 'files'} could not be read (above).\n`);
      return 2;
    }
    const refused = refuseOutput(file, inputs);
    if (refused) {
      io.stderr(`ilb-hairpin: will not write ${args.output}: ${refused}; choose another --output file.\n`);
      return 2;
    }
    try {
      if (typeof text === 'string') fs.writeFileSync(file, text);
      else {
        const fd = fs.openSync(file, 'w');
        try {
          writePieces(fd, text);
        } finally {
          fs.closeSync(fd);
        }
      }
    } catch (e) {
      io.stderr(`ilb-hairpin: cannot write ${args.output}: ${(e as Error).message}\n`);
      return 2;
    }
    io.stderr(`Wrote ${relative(file).startsWith('../') ? normalizePath(file) : relative(file)} (${counts.nodes} nodes, ${counts.edges} edges, ${model.marks.length} hairpin-prone rule${model.marks.length === 1 ? '' : 's'}).\n`);
  } else if (typeof text === 'string') {
    io.stdout(text);
  } else {
    for (const piece of batches(text)) io.stdout(piece);
  }
  return code;
}

/** The model with its nodes and edges in arrays (a stream's made), counted. */
function whole(model: TopologyModel | TopologyStream, counts: { nodes: number; edges: number }): TopologyModel {
  const nodes = [...model.nodes];
  const edges = [...model.edges];
  counts.nodes = nodes.length;
  counts.edges = edges.length;
  return { ...model, nodes, edges };
}

/** The nodes of these ids, found in one pass over the nodes. */
function nodesById(nodes: Iterable<TopologyNode>, ids: readonly string[]): Map<string, TopologyNode> {
  const wanted = new Set(ids);
  const out = new Map<string, TopologyNode>();
  for (const node of nodes) if (wanted.has(node.id) && !out.has(node.id)) out.set(node.id, node);
  return out;
}

/** An array, or an object that is iterable (a stream's nodes): written as a JSON array. */
function listOf(v: unknown): Iterable<unknown> | undefined {
  if (Array.isArray(v)) return v;
  return typeof v === 'object' && v !== null && typeof (v as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function' ? (v as Iterable<unknown>) : undefined;
}

/**
 * `JSON.stringify(value, null, 2) + '\n'` in pieces: the top-level arrays one element at a time.
 * The pieces joined are exactly that text (a test checks); a top-level iterable is written as the
 * array of its items.
 */
export function* jsonPieces(value: Record<string, unknown>): Generator<string> {
  const indent = (text: string, by: string): string => text.replace(/\n/g, `\n${by}`);
  // (Lists first: stringifying the model's arrays whole to test them would make the text this avoids.)
  const entries = Object.entries(value).filter(([, v]) => listOf(v) !== undefined || JSON.stringify(v) !== undefined);
  if (entries.length === 0) {
    yield '{}\n';
    return;
  }
  yield '{';
  let first = true;
  for (const [key, v] of entries) {
    yield `${first ? '' : ','}\n  ${JSON.stringify(key)}: `;
    first = false;
    const list = listOf(v);
    if (list) {
      let i = 0;
      for (const item of list) yield `${i++ ? ',' : '['}\n    ${indent(JSON.stringify(item ?? null, null, 2) ?? 'null', '    ')}`;
      yield i ? '\n  ]' : '[]';
    } else yield indent(JSON.stringify(v, null, 2) ?? 'null', '  ');
  }
  yield '\n}\n';
}

/**
 * Writes pieces to a file through one reused buffer of 1 MB: no string of them joined (a 1 MB
 * string is garbage that only a full collection frees, and a 40,000-node picture makes 40 of them).
 */
function writePieces(fd: number, pieces: Iterable<string>): void {
  const buffer = Buffer.allocUnsafe(1 << 20);
  let used = 0;
  for (const piece of pieces) {
    // (At most 3 bytes per UTF-16 code unit.)
    if (used + piece.length * 3 > buffer.length) {
      writeAll(fd, buffer.subarray(0, used));
      used = 0;
    }
    if (piece.length * 3 > buffer.length) writeAll(fd, Buffer.from(piece));
    else used += buffer.write(piece, used);
  }
  writeAll(fd, buffer.subarray(0, used));
}

/** Writes all of `bytes` (a write may take only part of them). */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; ) at += fs.writeSync(fd, bytes, at, bytes.length - at);
}

/** Pieces joined into writes of about 1 MB. */
function* batches(pieces: Iterable<string>): Generator<string> {
  let buffer: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    buffer.push(piece);
    size += piece.length;
    if (size >= 1 << 20) {
      yield buffer.join('');
      buffer = [];
      size = 0;
    }
  }
  if (buffer.length) yield buffer.join('');
}

/**
 * Why `--output` must not write to this file: it is one of the files read, or a template or
 * parameter file (by its name or its first bytes). Undefined when it may be written.
 */
export function refuseOutput(file: string, inputs: readonly string[]): string | undefined {
  const real = (p: string): string => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const target = real(file);
  let head = '';
  try {
    const st = fs.statSync(target);
    if (!st.isFile()) return undefined; // /dev/null, a FIFO: nothing to destroy
    const fd = fs.openSync(target, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const buf = Buffer.alloc(4096);
      const decoded = decodeText(buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)));
      head = decoded.ok ? decoded.text : '';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined; // not there (or unreadable): writing it destroys nothing
  }
  // A picture this command wrote before may be replaced, even when the folder scan read it.
  if (/^\s*\{\s*"tool"\s*:\s*\{\s*"name"\s*:\s*"ilb-hairpin"/.test(head)) return undefined;
  if (inputs.some((i) => real(i) === target)) return 'it is one of the scanned files';
  if (/\.(bicep|bicepparam)$/i.test(target)) return 'it is a Bicep file';
  if (/deployment(Template|Parameters)\.json|"contentVersion"\s*:|"resources"\s*:\s*\[/i.test(head)) return 'it is a deployment template or parameter file';
  return undefined;
}

/**
 * The hairpin-prone rules `--rule` names: `RULE`, or `FILE:RULE` where FILE is the declaring
 * file as printed (relative to the working folder) or a path ending in it.
 */
export function selectRule(model: Pick<TopologyStream, 'marks' | 'nodes'>, spec: string): TopologyNode[] {
  const rules = nodesById(model.nodes, model.marks.map((m) => m.rule));
  const prone = model.marks.map((m) => rules.get(m.rule)).filter((n): n is TopologyNode => n !== undefined);
  const seen = new Set<string>();
  const unique = prone.filter((n) => !seen.has(n.id) && seen.add(n.id));
  const byName = unique.filter((n) => n.label === spec);
  if (byName.length) return byName;
  const colon = spec.lastIndexOf(':');
  if (colon <= 0) return [];
  const file = spec.slice(0, colon).replace(/\\/g, '/').replace(/^\.\//, '');
  const name = spec.slice(colon + 1);
  return unique.filter((n) => {
    const at = n.location?.file;
    return n.label === name && at !== undefined && (at === file || at.endsWith(`/${file}`) || file.endsWith(`/${at}`));
  });
}
