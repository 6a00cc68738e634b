/**
 * What an analysis makes after each edit carries no accessors of its own: V8 keeps a hidden class
 * for each object whose getters are closures made for it, and its young-generation collections
 * keep that hidden class, and what the closures reach (the whole analysis of the edit), until a
 * full collection. Every edit's analysis then outlived the next edit and was promoted to the old
 * generation. The getters are shared (on a prototype, or one function for every object) and the
 * values are still plain to every reader.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { Workspace } from '../../src/core/workspace';
import type { FloatingIpTarget } from '../../src/core/rules/types';
import { SEED_LAB } from './helpers';

const text = fs.readFileSync(SEED_LAB, 'utf8');

/** The seed lab after an edit of a name in it (the load balancer's findings are made again). */
function analyses(): [ReturnType<Workspace['analyze']>, ReturnType<Workspace['analyze']>] {
  const ws = new Workspace();
  ws.setFile(SEED_LAB, text);
  const first = ws.analyze();
  const edited = text.replace('"contentVersion": "1.0.0.0"', '"contentVersion": "1.0.0.1"');
  assert.notEqual(edited, text, 'the fixture has the text the test edits');
  ws.setFile(SEED_LAB, edited);
  return [first, ws.analyze()];
}

function targetOf(a: ReturnType<Workspace['analyze']>): FloatingIpTarget {
  const target = a.findings.find((f) => f.ruleId === 'hairpin-prone-rule')?.fixTarget;
  assert.ok(target, 'the hairpin-prone rule has a fix target');
  return target;
}

describe('objects made after each edit', () => {
  it("a fix target's lazy members, guests and NVA: one getter for every target, plain values to spreads, JSON and setters", () => {
    const [first, second] = analyses();
    const a = targetOf(first);
    const b = targetOf(second);
    assert.notEqual(a, b, 'the edit made the target again');
    for (const key of ['members', 'guests', 'nva'] as const) {
      const da = Object.getOwnPropertyDescriptor(a, key);
      const db = Object.getOwnPropertyDescriptor(b, key);
      assert.ok(da?.get && da.enumerable, `${key} is an enumerable accessor`);
      assert.equal(da.get, db?.get, `${key}: the same getter for both targets`);
      assert.equal(da.set, db?.set, `${key}: the same setter for both targets`);
    }
    const members = a.members;
    assert.ok(members && members.length > 0, 'the members are made when asked for');
    assert.equal(a.members, members, 'and once');
    const copy = { ...b };
    assert.deepEqual(Object.keys(copy).filter((k) => k === 'members' || k === 'guests' || k === 'nva').sort(), ['guests', 'members', 'nva']);
    assert.deepEqual(copy.members, b.members, 'a spread copies the values');
    assert.deepEqual(JSON.parse(JSON.stringify(b)).members, JSON.parse(JSON.stringify(b.members)), 'JSON has them');
    b.guests = [];
    assert.deepEqual(b.guests, [], 'a value set is kept');
    assert.ok((a.guests ?? []).length > 0, "and is the target's own");
  });

  it("an analysis's environments have no accessors of their own; their graph and findings are made when asked for", () => {
    const [first, second] = analyses();
    for (const a of [first, second]) {
      const env = a.graphs[0];
      assert.ok(env, 'one environment');
      for (const key of ['graph', 'findings']) assert.equal(Object.getOwnPropertyDescriptor(env, key)?.get, undefined, `${key} is no own accessor`);
      assert.equal(env.graph.loadBalancers.length, 1);
      assert.equal(env.graph, env.graph, 'the graph is made once');
      assert.deepEqual(
        env.findings?.map((f) => f.ruleId),
        a.findings.map((f) => f.ruleId),
      );
    }
  });
});
