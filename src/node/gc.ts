/**
 * A full garbage collection, asked for between two phases of a one-shot command. V8 sizes the
 * old generation from its last full collection, and the analysis of a large template has one early
 * (at about a third of what it keeps): the garbage of the rest of the analysis then stays until
 * the process ends, and whatever the command builds next (the topology's nodes) is added on top of
 * it. Collecting once between the phases lets that be built in the space the garbage held.
 *
 * Node gives `gc` only to code run with `--expose-gc`; the flag set at run time gives it to the
 * contexts made after, as the `expose-gc` package does. Where that is refused, nothing is done.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

let collect: (() => void) | null | undefined;

export function collectGarbage(): void {
  if (collect === undefined) {
    collect = null;
    try {
      v8.setFlagsFromString('--expose-gc');
      const gc: unknown = vm.runInNewContext('gc');
      if (typeof gc === 'function') collect = gc as () => void;
    } catch {
      // not offered: collections happen as V8 decides
    }
  }
  // Twice: a collection asked for while V8's incremental marking is under way finishes that
  // marking, which keeps what was made since it began (allocated as live); the second starts afresh.
  collect?.();
  collect?.();
}
