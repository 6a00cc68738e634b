// The synchronous core of elkjs (its "fake worker"): see elk.ts.
declare module 'elkjs/lib/elk-worker.min.js' {
  export class Worker {
    constructor(url?: string);
    onmessage: (message: { data: { id: number; data?: unknown; error?: unknown } }) => void;
    dispatcher: { saveDispatch(event: { data: Record<string, unknown> }): void };
    postMessage(message: unknown): void;
  }
}
