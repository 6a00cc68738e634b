/** collectGarbage (src/node/gc.ts): a full collection between a one-shot command's phases. */
import assert from 'node:assert/strict';
import { setImmediate } from 'node:timers/promises';
import { describe, it } from 'node:test';

import { collectGarbage } from '../../src/node/gc';

describe('collectGarbage', () => {
  it('collects what nothing refers to any more, each time it is called', async () => {
    for (let round = 0; round < 2; round++) {
      const ref = ((): WeakRef<object> => new WeakRef({ payload: new Array(1000).fill(round) }))();
      // (A WeakRef keeps its target to the end of the job that made it.)
      await setImmediate();
      collectGarbage();
      assert.equal(ref.deref(), undefined, `round ${round}`);
    }
  });
});
