/**
 * elkjs, called synchronously. elkjs's public API wraps its layout engine (GWT-compiled ELK) in a
 * worker and hands results back through a Promise; without a real worker it uses an in-process
 * "fake worker" whose dispatcher does the work synchronously. Calling that dispatcher directly
 * gives the same layout without the Promise, so the CLI's synchronous commands and the webview
 * share one code path. If a future elkjs changes this, the check below says so clearly.
 */
import type { ElkNode } from 'elkjs/lib/elk-api';
import type * as ElkWorker from 'elkjs/lib/elk-worker.min.js';

let engine: { layout(graph: ElkNode): ElkNode } | undefined;

function createEngine(): { layout(graph: ElkNode): ElkNode } {
  // Loaded on first use, not at start: the CLI loads elkjs (most of its size, and its start-up
  // work) only for `topology`; its build keeps it in a file of its own (scripts/build.mjs).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Worker } = require('elkjs/lib/elk-worker.min.js') as typeof ElkWorker;
  const worker = new Worker();
  if (!worker.dispatcher || typeof worker.dispatcher.saveDispatch !== 'function') {
    throw new Error('this elkjs version has no synchronous dispatcher (elk-worker FakeWorker.dispatcher); pin elkjs 0.12');
  }
  let answer: { id: number; data?: unknown; error?: unknown } | undefined;
  worker.onmessage = (m) => {
    answer = m.data;
  };
  let id = 0;
  const call = (data: Record<string, unknown>): unknown => {
    answer = undefined;
    worker.dispatcher.saveDispatch({ data: { ...data, id: ++id } });
    if (!answer) throw new Error('elkjs answered asynchronously');
    const a = answer as { error?: unknown; data?: unknown };
    if (a.error !== undefined) {
      const e = a.error as { message?: string; g?: string };
      throw new Error(`elkjs: ${e.message ?? e.g ?? String(a.error)}`);
    }
    return a.data;
  };
  call({ cmd: 'register', algorithms: ['layered', 'rectpacking'] });
  return { layout: (graph) => call({ cmd: 'layout', graph, layoutOptions: {}, options: {} }) as ElkNode };
}

/** Starts the layout engine ahead of the first layout (the webview does so while it waits for its first model). */
export function startElk(): void {
  engine ??= createEngine();
}

/** Lays out an ELK JSON graph in place and returns it. */
export function elkLayout(graph: ElkNode): ElkNode {
  engine ??= createEngine();
  return engine.layout(graph);
}
