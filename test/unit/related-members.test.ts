/**
 * A finding's related locations for the members behind a rule (rules/facts.ts, memberLocations):
 * members written once in a copy loop share one place, listed with their first names; at most 25
 * places are listed, then how many more. A template parsed strictly names places by its parsed
 * values (no member located but the listed ones); a template with comments (the tolerant parse)
 * by their spans: both give the same locations.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadOne, onlyFinding } from './fix-helpers';
import { loadBalancer, nic as nicResource, poolId, template } from './helpers';
import type { Finding } from '../../src/core/rules/types';

const POOL = poolId('ilb', 'be');

/** A NIC in the pool, or a copy loop of `copy` of them (named `name0`, `name1`, ...). */
const nic = (name: string, copy?: number): Record<string, unknown> =>
  copy ? nicResource(`[concat('${name}', copyIndex())]`, [POOL], { copy: { name: `${name}loop`, count: copy } }) : nicResource(name, [POOL]);

function templateText(nics: Record<string, unknown>[], comment = false): string {
  const text = template({ resources: [loadBalancer({ name: 'ilb', frontendIp: '10.0.0.100', rules: [{ name: 'http' }] }), ...nics] });
  // A comment after the template (same offsets): not strict JSON, so the tolerant parse reads it.
  return comment ? `${text}\n// the end\n` : text;
}

const members = (f: Finding): { at: string; message: string }[] =>
  f.related.filter((r) => /^(member: |and \d+ more member places$)/.test(r.message)).map((r) => ({ at: `${r.span.start}-${r.span.end}`, message: r.message }));

describe('related locations of the members behind a rule', () => {
  it('a copy loop of five NICs is one place: its first three names and how many more', () => {
    const text = templateText([nic('nic-', 5)]);
    const listed = members(onlyFinding(loadOne('/w/loop.json', text)));
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.message, 'member: NIC nic-0 (no VM attaches it in these templates), NIC nic-1 (no VM attaches it in these templates), NIC nic-2 (no VM attaches it in these templates) and 2 more');
    const [start, end] = (listed[0]?.at ?? '').split('-').map(Number) as [number, number];
    assert.equal(text.slice(start, end), JSON.stringify(POOL), 'at the pool reference written in the loop');
  });

  it('30 NICs written one by one: 25 places listed, each at its own reference, then "and 5 more member places"', () => {
    const text = templateText(Array.from({ length: 30 }, (_, i) => nic(`nic-${i}`)));
    const listed = members(onlyFinding(loadOne('/w/many.json', text)));
    assert.equal(listed.length, 26);
    assert.equal(listed[25]?.message, 'and 5 more member places');
    const starts = listed.map((l) => Number(l.at.split('-')[0]));
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b), 'in the order the template declares them');
    assert.equal(new Set(starts).size, 26, 'each at its own place');
    for (const l of listed) {
      const [start, end] = l.at.split('-').map(Number) as [number, number];
      assert.equal(text.slice(start, end), JSON.stringify(POOL));
    }
    assert.match(listed[0]?.message ?? '', /^member: NIC nic-0 /);
    assert.match(listed[24]?.message ?? '', /^member: NIC nic-24 /);
  });

  it('the same locations from the tolerant parse (a comment in the file), where places are spans', () => {
    for (const nics of [[nic('nic-', 5)], Array.from({ length: 30 }, (_, i) => nic(`nic-${i}`)), [nic('a-', 3), nic('b'), nic('c-', 40)]]) {
      const strict = members(onlyFinding(loadOne('/w/t.json', templateText(nics))));
      const tolerant = members(onlyFinding(loadOne('/w/t.json', templateText(nics, true))));
      assert.ok(strict.length > 0);
      assert.deepEqual(tolerant, strict);
    }
  });
});
