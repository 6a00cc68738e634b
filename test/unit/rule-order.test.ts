/**
 * The workspace joins its groups' findings in the registry's rule order (rules/index.ts,
 * inRuleOrder): the same list as a stable sort of the joined lists, in one pass.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RULES, byRuleOrder, inRuleOrder } from '../../src/core/rules';
import type { Finding } from '../../src/core/rules/types';

describe('findings in rule order', () => {
  it('equals the stable sort of the joined lists, for lists of every rule and of a rule the registry does not know', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const ids = [...RULES.map((r) => r.id), 'not-a-rule'];
    for (let round = 0; round < 200; round++) {
      let n = 0;
      const lists = Array.from({ length: random(6) }, () => Array.from({ length: random(8) }, () => ({ ruleId: ids[random(ids.length)], n: n++ }) as unknown as Finding));
      const sorted = lists.flat().sort(byRuleOrder);
      assert.deepEqual(inRuleOrder(lists), sorted);
    }
  });
});
