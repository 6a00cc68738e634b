/**
 * The analysis worker (dist/analysis-worker.js): the workspace's parse, evaluation and rules run
 * here, on a `worker_threads` thread, so the extension host's event loop never waits for them.
 * The host has it list the local workspace folders and read their files (as the CLI does), sends
 * the editors' texts, and asks for analyses; this sends back what it found and read, diagnostics
 * and summaries as plain data (see analysis-protocol.ts).
 */
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { ruleById } from '../core/rules';
import { Workspace } from '../core/workspace';
import { readIntoWorkspace } from '../node/read';
import { collectFiles, globExcluder } from '../node/walk';
import { applyChanges, WorkerReports, type FromWorker, type ReadOutcome, type ReadRequest, type ToWorker } from './analysis-protocol';

const port = parentPort;
if (!port) throw new Error('analysis-worker.js runs as a worker thread of the extension');
const workspace = new Workspace();
const reports = new WorkerReports((id) => ruleById(id) !== undefined);
/**
 * The text the host holds of each file, as it holds it (what it sent, or what this read and told it):
 * an editor's edits arrive as changes to it. (The same strings as the workspace's, but for a
 * byte-order mark the workspace drops.)
 */
const hostTexts = new Map<string, string>();

/** Reads a local file into the workspace as the CLI does; what the host needs to know of it. */
function read(file: ReadRequest): ReadOutcome {
  hostTexts.delete(file.path);
  const set = readIntoWorkspace(workspace, file.path, file.fsPath);
  if (!set.ok) {
    workspace.removeFile(file.path);
    return { path: file.path, error: set.message };
  }
  if (workspace.isInert(file.path)) return { path: file.path, inert: true };
  const text = workspace.source(file.path)?.text ?? '';
  hostTexts.set(file.path, text);
  return { path: file.path, text };
}

/**
 * The candidate files of local workspace folders, each walked with its own exclusions. Always
 * answers: if the walk throws, the host lists the folders through VS Code's file search instead.
 */
function list(m: Extract<ToWorker, { type: 'list' }>): FromWorker {
  try {
    const errors: { file: string; message: string }[] = [];
    const files = m.folders.map((f) => {
      const walk = collectFiles([f.fsPath], { excluded: globExcluder(f.exclude), followLinks: f.followLinks });
      errors.push(...walk.errors);
      return walk.files;
    });
    return { type: 'listed', id: m.id, files, errors };
  } catch (e) {
    return { type: 'listed', id: m.id, files: null, errors: [{ file: m.folders.map((f) => f.fsPath).join(', '), message: `could not be walked: ${(e as Error).message}` }] };
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'set') {
    hostTexts.set(m.path, m.text);
    workspace.setFile(m.path, m.text);
  } else if (m.type === 'edit') {
    const before = hostTexts.get(m.path);
    const after = before === undefined ? undefined : applyChanges(before, m.changes, m.length);
    if (after === undefined) {
      hostTexts.delete(m.path);
      port.postMessage({ type: 'resync', path: m.path } satisfies FromWorker);
    } else {
      hostTexts.set(m.path, after);
      workspace.setFile(m.path, after);
    }
  } else if (m.type === 'list') port.postMessage(list(m));
  else if (m.type === 'read') port.postMessage({ type: 'read', batch: m.batch, files: m.files.map(read) } satisfies FromWorker);
  else if (m.type === 'setInert') {
    hostTexts.delete(m.path);
    workspace.setInertTemplate(m.path);
  } else if (m.type === 'remove') {
    hostTexts.delete(m.path);
    workspace.removeFile(m.path);
  } else {
    const t0 = performance.now();
    let reply: FromWorker;
    try {
      const analysis = workspace.analyze();
      if (m.full) reports.reset();
      reply = { type: 'analysis', generation: m.generation, ...reports.report(workspace, analysis, m.rules), ms: performance.now() - t0 };
    } catch (e) {
      // (The next report is then a full one: see WorkerReports.)
      reply = { type: 'failed', generation: m.generation, error: (e as Error).stack ?? String(e) };
    }
    port.postMessage(reply);
  }
});
