import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PURE_FUNCTIONS, callPure } from '../../src/core/evaluate/functions';
import { Unknown, type Value } from '../../src/core/evaluate/value';
import { buildResourceId, joinParts } from '../../src/core/evaluate/resources';

/** An Unknown standing for a parameter without a value. */
const U = new Unknown('no value for parameter x', "parameters('x')");

function call(name: string, ...args: Value[]): Value {
  const result = callPure(name, args);
  assert.notEqual(result, undefined, `${name} should be a pure function`);
  return result as Value;
}

function assertUnknown(v: Value, ...mentions: string[]): Unknown {
  assert.ok(v instanceof Unknown, `expected an Unknown, got ${JSON.stringify(v)}`);
  for (const m of mentions) {
    assert.ok(v.reason.toLowerCase().includes(m.toLowerCase()), `reason "${v.reason}" should mention "${m}"`);
  }
  return v;
}

/** The object parseCidr() returns. */
function cidrInfo(network: string, netmask: string, broadcast: string, firstUsable: string, lastUsable: string, cidr: number): Value {
  return { network, netmask, broadcast, firstUsable, lastUsable, cidr };
}

const show = (name: string, args: Value[]): string => `${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`;

interface Cases {
  /** [arguments, expected result]. */
  results: [Value[], Value][];
  /** Arguments holding an Unknown the result depends on: the result is that Unknown (or names it). */
  unknowns: Value[][];
  /** Wrong arguments: the result is an Unknown whose reason names the function. */
  bad: Value[][];
}

const CASES: Record<string, Cases> = {
  // ----- strings
  concat: {
    results: [
      [['a', 'b', 'c'], 'abc'],
      [[[1, 2], [3], []], [1, 2, 3]],
      [['vm', 1, true], 'vm1True'],
      [[[]], []],
      [[[U], [1]], [U, 1]],
    ],
    unknowns: [['a', U], [[1], U], [U, 'a']],
    bad: [['a', [1]], [[1], 'a'], ['a', null], [{}]],
  },
  format: {
    results: [
      [['{0}-{1}', 'a', 2], 'a-2'],
      [['Hello, {0}. Formatted number: {1:N0}', 'User', 8175133], 'Hello, User. Formatted number: 8,175,133'],
      [['{0:N}', 1234], '1,234.00'],
      [['{0:N1}', -1234567], '-1,234,567.0'],
      [['{0:D3}', 7], '007'],
      [['{0:D3}', -7], '-007'],
      [['{0:d}', 42], '42'],
      [['{0:x}', 255], 'ff'],
      [['{0:X4}', 255], '00FF'],
      [['{0:X}', -1], 'FFFFFFFFFFFFFFFF'],
      [['{0:F1}', 3], '3.0'],
      [['{0:000}', 5], '005'],
      [['{0:#}', 0], ''],
      [['{{{0}}}', 1], '{1}'],
      [['{0}', true], 'True'],
      [['{0}|{0}', 'x'], 'x|x'],
      [['{0,4}|{1,-3}|', 1, 'a'], '   1|a  |'],
      [['{0:D3}', 'text'], 'text'],
      [['{0}', [1, 'a']], '[1,"a"]'],
      [['{0}{1}', null, 'b'], 'b'],
      [['{1}', U, 'b'], 'b'],
      [['no items'], 'no items'],
    ],
    unknowns: [[U, 'a'], ['{0}', U], ['{0}', [U]]],
    bad: [['{1}', 'a'], ['{0', 'a'], ['}', 'a'], ['{0:Q}', 1], ['{x}', 1], [1], ['{0:D2}', 1.5]],
  },
  string: {
    results: [
      [[true], 'True'],
      [[false], 'False'],
      [[5], '5'],
      [[-5], '-5'],
      [['x'], 'x'],
      [[null], ''],
      [[{ valueA: 10, valueB: 'Example Text' }], '{"valueA":10,"valueB":"Example Text"}'],
      [[['a', 'b', 'c']], '["a","b","c"]'],
      [[{ a: [true, null] }], '{"a":[true,null]}'],
    ],
    unknowns: [[U], [[1, U]], [{ a: U }]],
    bad: [[], ['a', 'b']],
  },
  toLower: {
    results: [[['One Two Three'], 'one two three']],
    unknowns: [[U]],
    bad: [[1], [null]],
  },
  toUpper: {
    results: [[['One Two Three'], 'ONE TWO THREE']],
    unknowns: [[U]],
    bad: [[true], [['a']]],
  },
  trim: {
    results: [[['  one two three \t'], 'one two three']],
    unknowns: [[U]],
    bad: [[1]],
  },
  split: {
    results: [
      [['one,two,three', ','], ['one', 'two', 'three']],
      [['one;two,three', [',', ';']], ['one', 'two', 'three']],
      [['a--b-c', ['--', '-']], ['a', 'b', 'c']],
      [['a,,b', ','], ['a', '', 'b']],
      [['a', ','], ['a']],
      [['', ','], ['']],
      [['abc', ''], ['abc']],
    ],
    unknowns: [[U, ','], ['a', U], ['a,b', [',', U]]],
    bad: [[1, ','], ['a', 1], ['a', [1]]],
  },
  join: {
    results: [
      [[['a', 'b', 'c'], '-'], 'a-b-c'],
      [[[], ','], ''],
      [[['a', 1, true], ','], 'a,1,True'],
    ],
    unknowns: [[U, ','], [['a', U], ','], [['a'], U]],
    bad: [['a', ','], [[{}], ','], [['a'], 1]],
  },
  replace: {
    results: [
      [['123-123-1234', '-', ''], '1231231234'],
      [['123-123-1234', '1234', 'xxxx'], '123-123-xxxx'],
      [['aXbx', 'X', 'y'], 'aybx'],
    ],
    unknowns: [[U, 'a', 'b'], ['a', U, 'b'], ['a', 'a', U]],
    bad: [['a', '', 'b'], [1, 'a', 'b'], ['a', 'a', null]],
  },
  substring: {
    results: [
      [['one two three', 4, 3], 'two'],
      [['abc', 1], 'bc'],
      [['abc'], 'abc'],
      [['abc', 3, 0], ''],
      [['abc', 0, 3], 'abc'],
    ],
    unknowns: [[U, 0, 1], ['abc', U], ['abc', 0, U]],
    bad: [['1234567890', 0, 11], ['abc', -1, 1], ['abc', 4], ['abc', 1, -1], ['abc', '1'], [1, 0]],
  },
  padLeft: {
    results: [
      [['123', 10, '0'], '0000000123'],
      [[123, 5], '  123'],
      [['abcdef', 3, 'x'], 'abcdef'],
    ],
    unknowns: [[U, 3], ['a', U], ['a', 3, U]],
    bad: [['a', 3, 'ab'], ['a', 3, ''], ['a', '3'], [true, 3], ['a', -1], ['a', 2_000_000]],
  },
  startsWith: {
    results: [
      [['abcdef', 'ab'], true],
      [['abcdef', 'AB'], true],
      [['abcdef', 'e'], false],
      [['abc', ''], true],
    ],
    unknowns: [[U, 'a'], ['a', U]],
    bad: [[1, 'a'], ['a', null]],
  },
  endsWith: {
    results: [
      [['abcdef', 'ef'], true],
      [['abcdef', 'EF'], true],
      [['abcdef', 'e'], false],
    ],
    unknowns: [[U, 'a'], ['a', U]],
    bad: [['a', 1.5], [[], 'a']],
  },
  indexOf: {
    results: [
      [['test', 't'], 0],
      [['abcdef', 'CD'], 2],
      [['abcdef', 'z'], -1],
      [['a1b', 1], 1],
      [[['a', 'b', 'a'], 'a'], 0],
      [[[1, [2], { x: 3 }], { x: 3 }], 2],
      [[['A'], 'a'], -1],
      [[['a', U], 'a'], 0],
    ],
    unknowns: [[U, 'a'], ['a', U], [[U, 'a'], 'a']],
    bad: [[1, 'a'], ['a', {}]],
  },
  lastIndexOf: {
    results: [
      [['test', 't'], 3],
      [['abcabc', 'BC'], 4],
      [['abcdef', 'z'], -1],
      [[['a', 'b', 'a'], 'a'], 2],
      [[[U, 'a'], 'a'], 1],
    ],
    unknowns: [[U, 'a'], ['a', U], [['a', U], 'a']],
    bad: [[null, 'a'], ['a', []]],
  },
  base64: {
    results: [
      [['one, two, three'], 'b25lLCB0d28sIHRocmVl'],
      [[''], ''],
      [['a'], 'YQ=='],
      [['ab'], 'YWI='],
      [['é'], 'w6k='],
    ],
    unknowns: [[U]],
    bad: [[1]],
  },
  base64ToString: {
    results: [
      [['b25lLCB0d28sIHRocmVl'], 'one, two, three'],
      [['YQ=='], 'a'],
      [['YW Jj'], 'abc'],
      [[''], ''],
    ],
    unknowns: [[U]],
    bad: [['abc'], ['ab$='], ['=YQ='], ['YQ=a'], [1]],
  },
  uri: {
    results: [
      [['http://contoso.org/firstpath', 'myscript.sh'], 'http://contoso.org/myscript.sh'],
      [['http://contoso.org/firstpath/', 'myscript.sh'], 'http://contoso.org/firstpath/myscript.sh'],
      [['http://contoso.org/firstpath/azuredeploy.json', 'myscript.sh'], 'http://contoso.org/firstpath/myscript.sh'],
      [['http://contoso.org/firstpath/azuredeploy.json/', 'myscript.sh'], 'http://contoso.org/firstpath/azuredeploy.json/myscript.sh'],
      [['http://contoso.com/resources/', 'nested/azuredeploy.json'], 'http://contoso.com/resources/nested/azuredeploy.json'],
      [['http://contoso.org', 'a'], 'http://contoso.org/a'],
      [['https://a.example/c/d?x=1', '../e'], 'https://a.example/e'],
      [['https://a.example/c/d', './e/./f/../g'], 'https://a.example/c/e/g'],
      [['https://a.example/c/d', '/e?q'], 'https://a.example/e?q'],
      [['https://a.example/c/d?x#f', '?y'], 'https://a.example/c/d?y'],
      [['https://a.example/c', '//other.example/x'], 'https://other.example/x'],
      [['https://a.example/c', 'ftp://other.example/x/../y'], 'ftp://other.example/y'],
    ],
    unknowns: [[U, 'a'], ['http://a.example/', U]],
    bad: [['relative/path', 'a'], [1, 'a'], ['http://a.example/', 2]],
  },
  uriComponent: {
    results: [
      [['http://contoso.com/resources/nested/azuredeploy.json'], 'http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json'],
      [["a b!*'()~-._é"], 'a%20b%21%2A%27%28%29~-._%C3%A9'],
    ],
    unknowns: [[U]],
    bad: [[1]],
  },
  uriComponentToString: {
    results: [
      [['http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json'], 'http://contoso.com/resources/nested/azuredeploy.json'],
      [['a%20b%C3%A9'], 'a bé'],
    ],
    unknowns: [[U]],
    bad: [['%E0%A4%A'], [1]],
  },
  dataUri: {
    results: [[['Hello'], 'data:text/plain;charset=utf8;base64,SGVsbG8=']],
    unknowns: [[U]],
    bad: [[1]],
  },
  dataUriToString: {
    results: [
      [['data:;base64,SGVsbG8sIFdvcmxkIQ=='], 'Hello, World!'],
      [['data:text/plain;charset=utf8;base64,SGVsbG8='], 'Hello'],
      [['data:,a%20b'], 'a b'],
    ],
    unknowns: [[U]],
    bad: [['hello'], ['data:;base64,!!!!'], [1]],
  },
  uniqueString: {
    // Pinned: the value must stay stable across versions and runtimes.
    results: [
      [['a', 'b'], '6bzmlx4eziahe'],
      [['a-b'], '6bzmlx4eziahe'],
    ],
    unknowns: [[U], ['a', U]],
    bad: [[1], ['a', {}], []],
  },
  guid: {
    results: [[['a', 'b'], '43811927-2eb6-543e-a873-29c73bbee541']],
    unknowns: [[U], ['a', U]],
    bad: [[1], ['a', null], []],
  },

  // ----- strings and arrays
  length: {
    results: [
      [['One Two Three'], 13],
      [[['a', 'b', 'c']], 3],
      [[{ a: 1, b: 2, c: 3, d: 4 }], 4],
      [[[U, U]], 2],
      [[''], 0],
    ],
    unknowns: [[U]],
    bad: [[1], [null], [true]],
  },
  empty: {
    results: [
      [[[]], true],
      [[{}], true],
      [[''], true],
      [[null], true],
      [[[0]], false],
      [['a'], false],
      [[{ a: null }], false],
      [[[U]], false],
    ],
    unknowns: [[U]],
    bad: [[0], [false]],
  },
  contains: {
    results: [
      [['OneTwoThree', 'e'], true],
      [['OneTwoThree', 'z'], false],
      [['OneTwoThree', 'one'], false],
      [['a1', 1], true],
      [[{ one: 'a', two: 'b' }, 'one'], true],
      [[{ one: 'a' }, 'ONE'], true],
      [[{ one: 'a' }, 'a'], false],
      [[['one', 'two', 'three'], 'three'], true],
      [[['one'], 'One'], false],
      [[[[1, 2], { a: 1 }], { a: 1 }], true],
      [[[U, 'x'], 'x'], true],
    ],
    unknowns: [[U, 'a'], ['a', U], [[U], 'x'], [{ a: 1 }, U]],
    bad: [[1, 'a'], ['a', {}], [{ a: 1 }, []], [null, 'a']],
  },
  take: {
    results: [
      [[['one', 'two', 'three'], 2], ['one', 'two']],
      [['one two three', 2], 'on'],
      [['abc', -1], ''],
      [['abc', 10], 'abc'],
      [[[1], 0], []],
    ],
    unknowns: [[U, 1], ['abc', U]],
    bad: [[1, 1], ['abc', '1'], [{}, 1]],
  },
  skip: {
    results: [
      [[['one', 'two', 'three'], 2], ['three']],
      [['one two three', 4], 'two three'],
      [['abc', -1], 'abc'],
      [['abc', 10], ''],
      [[[1, 2], 10], []],
    ],
    unknowns: [[U, 1], [[1], U]],
    bad: [[null, 1], ['abc', 1.5]],
  },
  first: {
    results: [
      [[['one', 'two', 'three']], 'one'],
      [['One Two Three'], 'O'],
      [[''], ''],
      [[[]], null],
    ],
    unknowns: [[U], [[U, 1]]],
    bad: [[{}], [1]],
  },
  last: {
    results: [
      [[['one', 'two', 'three']], 'three'],
      [['One Two Three'], 'e'],
      [[''], ''],
      [[[]], null],
    ],
    unknowns: [[U], [[1, U]]],
    bad: [[{}], [null]],
  },

  // ----- arrays and objects
  array: {
    results: [
      [[1], [1]],
      [['efgh'], ['efgh']],
      [[{ a: 'b', c: 'd' }], [{ a: 'b', c: 'd' }]],
      [[[1, 2]], [1, 2]],
    ],
    unknowns: [[U]],
    bad: [[], [1, 2]],
  },
  createArray: {
    results: [
      [['a', 'b', 'c'], ['a', 'b', 'c']],
      [[1, 2, 3], [1, 2, 3]],
      [[[1]], [[1]]],
      [[], []],
      [[U, 1], [U, 1]],
    ],
    unknowns: [],
    bad: [],
  },
  createObject: {
    results: [
      [['intProp', 1, 'stringProp', 'abc', 'arrayProp', ['a']], { intProp: 1, stringProp: 'abc', arrayProp: ['a'] }],
      [[], {}],
      [['a', U], { a: U }],
      [['a', 1, 'A', 2], { a: 2 }],
      [['__proto__', 1], JSON.parse('{"__proto__":1}') as Value],
    ],
    unknowns: [[U, 1], ['a', 1, U, 2]],
    bad: [['a'], [1, 2], ['a', 1, 'b']],
  },
  union: {
    results: [
      [
        [{ one: 'a', two: 'b', three: 'c1' }, { three: 'c2', four: 'd', five: 'e' }],
        { one: 'a', two: 'b', three: 'c2', four: 'd', five: 'e' },
      ],
      [[['one', 'two', 'three'], ['three', 'four']], ['one', 'two', 'three', 'four']],
      // ARM's deep merge: nested objects merge, nested arrays are replaced.
      [
        [
          { property: { one: 'a', two: 'b', three: 'c1' }, nestedArray: [1, 2] },
          { property: { three: 'c2', four: 'd', five: 'e' }, nestedArray: [3, 4] },
        ],
        { property: { one: 'a', two: 'b', three: 'c2', four: 'd', five: 'e' }, nestedArray: [3, 4] },
      ],
      [
        [[['one', 'two'], ['three']], [['three'], ['four', 'two']]],
        [['one', 'two'], ['three'], ['four', 'two']],
      ],
      [[{ a: 1 }, { A: 2 }, { b: 3 }], { a: 2, b: 3 }],
      [[{ a: U }, { a: 1 }], { a: 1 }],
      [[{ a: U }, { a: { x: 1 } }], { a: U }],
      [[{ a: { x: U } }, { a: { y: 1 } }], { a: { x: U, y: 1 } }],
    ],
    unknowns: [[U, {}], [[1], [U]], [{}, U]],
    bad: [[{}, []], ['a', 'b'], [null, {}], [{}]],
  },
  intersection: {
    results: [
      [[{ one: 'a', two: 'b', three: 'c' }, { one: 'a', two: 'z', three: 'c' }], { one: 'a', three: 'c' }],
      [[['one', 'two', 'three'], ['two', 'three']], ['two', 'three']],
      [[[1, 1, 2], [1], [2, 1]], [1]],
      [[{ a: [1] }, { A: [1] }], { a: [1] }],
    ],
    unknowns: [[U, [1]], [[U], [1]], [{ a: U }, { a: 1 }]],
    bad: [[{}, []], [1, 2]],
  },
  range: {
    results: [
      [[1, 3], [1, 2, 3]],
      [[0, 0], []],
      [[-2, 2], [-2, -1]],
    ],
    unknowns: [[U, 1], [1, U]],
    bad: [[0, 10_001], [0, -1], ['0', 1], [2_147_483_647, 1]],
  },
  objectKeys: {
    results: [
      [[{ a: 1, b: 2 }], ['a', 'b']],
      [[{}], []],
    ],
    unknowns: [[U]],
    bad: [[[]], ['a']],
  },
  items: {
    results: [
      [
        [{ item002: { enabled: false }, item001: { enabled: true } }],
        [
          { key: 'item001', value: { enabled: true } },
          { key: 'item002', value: { enabled: false } },
        ],
      ],
      [[{}], []],
    ],
    unknowns: [[U]],
    bad: [[[1]], [null]],
  },
  tryGet: {
    results: [
      [[{ a: 1 }, 'a'], 1],
      [[{ a: 1 }, 'A'], 1],
      [[{ a: 1 }, 'b'], null],
      [[[1, 2], 1], 2],
      [[[1, 2], 5], null],
      [[[1, 2], -1], null],
      [[{ a: { b: [7] } }, 'a', 'b', 0], 7],
      [[{ a: null }, 'a', 'b'], null],
      [[null, 'a'], null],
    ],
    unknowns: [[U, 'a'], [{ a: 1 }, U], [{ a: U }, 'a', 'b'], [{ a: U }, 'a']],
    bad: [[{ a: 1 }, 0], [[1], 'a'], ['str', 'a'], [{ a: 1 }]],
  },
  json: {
    results: [
      [['{"a":"b"}'], { a: 'b' }],
      [['null'], null],
      [['[1,2,3]'], [1, 2, 3]],
      [['"test"'], 'test'],
      [['true'], true],
      [['3'], 3],
    ],
    unknowns: [[U]],
    bad: [['{a:1}'], [''], [1]],
  },
  coalesce: {
    results: [
      [[null, null, 'a', 'b'], 'a'],
      [[null], null],
      [[null, [], 1], []],
      [['x', U], 'x'],
    ],
    unknowns: [[null, U, 'a'], [U]],
    bad: [[]],
  },
  null: {
    results: [[[], null]],
    unknowns: [],
    bad: [[1]],
  },

  // ----- numbers
  add: {
    results: [
      [[5, 3], 8],
      [[-5, 3], -2],
    ],
    unknowns: [[U, 1], [1, U]],
    bad: [['1', 2], [1.5, 2], [2 ** 53 - 1, 1]],
  },
  sub: {
    results: [
      [[7, 3], 4],
      [[3, 7], -4],
    ],
    unknowns: [[U, 1], [1, U]],
    bad: [[1, null], [-(2 ** 53) + 1, 1]],
  },
  mul: {
    results: [
      [[5, 3], 15],
      [[-2, 3], -6],
    ],
    unknowns: [[U, 1], [1, U]],
    bad: [[1, true], [2 ** 40, 2 ** 20]],
  },
  div: {
    results: [
      [[8, 3], 2],
      [[-7, 2], -3],
      [[7, -2], -3],
      [[2 ** 53 - 1, 3], 3002399751580330],
    ],
    unknowns: [[U, 1], [1, U]],
    bad: [[1, 0], ['8', 2]],
  },
  mod: {
    results: [
      [[7, 3], 1],
      [[-7, 3], -1],
      [[-4, 2], 0],
    ],
    unknowns: [[U, 1], [1, U]],
    bad: [[1, 0], [1, 'a']],
  },
  min: {
    results: [
      [[[0, 3, 2, 5, 4]], 0],
      [[0, 3, 2, 5, 4], 0],
      [[7], 7],
    ],
    unknowns: [[1, U], [[1, U]]],
    bad: [[[]], ['a', 1], [[1, 'a']]],
  },
  max: {
    results: [
      [[[0, 3, 2, 5, 4]], 5],
      [[0, 3, 2, 5, 4], 5],
      [[-7], -7],
    ],
    unknowns: [[U, 1], [[U]]],
    bad: [[[]], [1, null]],
  },
  int: {
    results: [
      [['4'], 4],
      [[' -12 '], -12],
      [['+3'], 3],
      [['-0'], 0],
      [[7], 7],
    ],
    unknowns: [[U]],
    bad: [['4.5'], ['abc'], [1.5], [true], ['99999999999999999999']],
  },

  // ----- logic and comparison
  equals: {
    results: [
      [[1, 1], true],
      [['a', 'A'], false],
      [[1, '1'], false],
      [[[1, { a: 'b' }], [1, { a: 'b' }]], true],
      [[{ a: 1 }, { a: 1, b: 2 }], false],
      [[[1, U], [2, U]], false],
      [[[1, 2], [1, 2, U]], false],
      [[null, null], true],
    ],
    unknowns: [[U, 1], [1, U], [[1, U], [1, 2]], [{ a: U }, { a: 1 }]],
    bad: [[1], [1, 2, 3]],
  },
  not: {
    results: [
      [[false], true],
      [[true], false],
    ],
    unknowns: [[U]],
    bad: [['true'], [1]],
  },
  and: {
    results: [
      [[true, true], true],
      [[true, false], false],
      [[true, true, true], true],
      [[false, U], false],
      [[U, false], false],
    ],
    unknowns: [[true, U], [U, U]],
    bad: [[true, 'x'], [true], [false, 1]],
  },
  or: {
    results: [
      [[false, true], true],
      [[false, false], false],
      [[false, false, true], true],
      [[true, U], true],
      [[U, true], true],
    ],
    unknowns: [[false, U]],
    bad: [[false, 1], [true]],
  },
  if: {
    results: [
      [[true, 1, 2], 1],
      [[false, 1, 2], 2],
      [[true, 1, U], 1],
      [[U, 'same', 'same'], 'same'],
      [[U, { a: [1] }, { a: [1] }], { a: [1] }],
      // Both branches hold the same Unknown, so either way the result is that array.
      [[U, [U], [U]], [U]],
    ],
    unknowns: [[U, 1, 2], [false, 1, U], [U, [U], [1]]],
    bad: [['true', 1, 2], [1, 1, 2], [true, 1]],
  },
  bool: {
    results: [
      [['true'], true],
      [['FALSE'], false],
      [[1], true],
      [[0], false],
      [[true], true],
    ],
    unknowns: [[U]],
    bad: [['yes'], [null], [[]]],
  },
  true: {
    results: [[[], true]],
    unknowns: [],
    bad: [[1]],
  },
  false: {
    results: [[[], false]],
    unknowns: [],
    bad: [[false]],
  },
  greater: {
    results: [
      [[10, 5], true],
      [[5, 5], false],
      [['b', 'a'], true],
      // Ordinal: 'A' (65) sorts before 'a' (97).
      [['A', 'a'], false],
    ],
    unknowns: [[U, 1], [1, U]],
    bad: [[1, 'a'], [[], []], [null, 1]],
  },
  greaterOrEquals: {
    results: [
      [[5, 5], true],
      [[4, 5], false],
      [['a', 'a'], true],
    ],
    unknowns: [[U, 1], ['a', U]],
    bad: [['1', 1], [true, false]],
  },
  less: {
    results: [
      [[4, 5], true],
      [[5, 5], false],
      [['A', 'a'], true],
    ],
    unknowns: [[U, 1], [1, U]],
    bad: [[{}, 1]],
  },
  lessOrEquals: {
    results: [
      [[5, 5], true],
      [[6, 5], false],
      [['a', 'b'], true],
    ],
    unknowns: [[U, 1], [1, U]],
    bad: [[1, [1]]],
  },

  // ----- IPv4 CIDR
  parseCidr: {
    results: [
      [['10.144.0.0/20'], cidrInfo('10.144.0.0', '255.255.240.0', '10.144.15.255', '10.144.0.1', '10.144.15.254', 20)],
      [['10.144.1.5/20'], cidrInfo('10.144.0.0', '255.255.240.0', '10.144.15.255', '10.144.0.1', '10.144.15.254', 20)],
      [['192.168.1.0/31'], cidrInfo('192.168.1.0', '255.255.255.254', '192.168.1.1', '192.168.1.0', '192.168.1.1', 31)],
      [['10.0.0.7/32'], cidrInfo('10.0.0.7', '255.255.255.255', '10.0.0.7', '10.0.0.7', '10.0.0.7', 32)],
      [['0.0.0.0/0'], cidrInfo('0.0.0.0', '0.0.0.0', '255.255.255.255', '0.0.0.1', '255.255.255.254', 0)],
    ],
    unknowns: [[U]],
    bad: [['10.0.0.0'], ['10.0.0.256/24'], ['10.0.0.0/33'], ['10.0.0/8'], [1]],
  },
  cidrSubnet: {
    results: [
      [['10.144.0.0/20', 24, 0], '10.144.0.0/24'],
      [['10.144.0.0/20', 24, 4], '10.144.4.0/24'],
      [['10.144.0.0/20', 24, 15], '10.144.15.0/24'],
      [['10.144.0.0/20', 20, 0], '10.144.0.0/20'],
      [['10.0.0.0/8', 16, 255], '10.255.0.0/16'],
      [['10.0.0.0/24', 32, 255], '10.0.0.255/32'],
    ],
    unknowns: [[U, 24, 0], ['10.0.0.0/8', U, 0], ['10.0.0.0/8', 16, U]],
    bad: [['10.144.0.0/20', 19, 0], ['10.144.0.0/20', 33, 0], ['10.144.0.0/20', 24, 16], ['10.144.0.0/20', 24, -1], ['10.0.0.0/8', '16', 0]],
  },
  cidrHost: {
    results: [
      [['10.144.3.0/24', 0], '10.144.3.1'],
      [['10.144.3.0/24', 4], '10.144.3.5'],
      [['10.144.3.0/24', 253], '10.144.3.254'],
      [['10.0.0.0/31', 1], '10.0.0.1'],
      [['10.0.0.5/32', 0], '10.0.0.5'],
    ],
    unknowns: [[U, 0], ['10.0.0.0/24', U]],
    bad: [['10.144.3.0/24', 254], ['10.144.3.0/24', -1], ['10.0.0.5/32', 1], ['10.0.0.0/24', 'a']],
  },
};

/** Functions only known at deployment time, with arguments to call them with. */
const RUNTIME_ONLY: Record<string, Value[][]> = {
  utcNow: [[], ['u']],
  newGuid: [[]],
  dateTimeAdd: [['2020-04-07 14:53:14Z', 'P3Y'], ['2020-04-07 14:53:14Z', 'P3Y', 'yyyy'], [U, 'P3Y']],
};

/** Functions that accept any arguments at all, so no call is a bad one. */
const ACCEPTS_ANYTHING = new Set(['createArray']);

describe('pure functions: every function is covered', () => {
  it('has cases for exactly the functions in PURE_FUNCTIONS', () => {
    const covered = [...Object.keys(CASES), ...Object.keys(RUNTIME_ONLY)].map((n) => n.toLowerCase()).sort();
    assert.deepEqual(covered, [...PURE_FUNCTIONS.keys()].sort());
  });

  it('has result, Unknown and bad-argument cases for each function', () => {
    for (const [name, c] of Object.entries(CASES)) {
      const spec = PURE_FUNCTIONS.get(name.toLowerCase());
      assert.ok(spec, name);
      assert.ok(c.results.length > 0, `${name}: no result cases`);
      if (!ACCEPTS_ANYTHING.has(name)) assert.ok(c.bad.length > 0, `${name}: no bad-argument cases`);
      if (spec.maxArgs > 0 && !ACCEPTS_ANYTHING.has(name)) assert.ok(c.unknowns.length > 0, `${name}: no Unknown cases`);
    }
  });

  it('keys PURE_FUNCTIONS by lower-case name', () => {
    for (const [key, spec] of PURE_FUNCTIONS) {
      assert.equal(key, key.toLowerCase());
      assert.equal(spec.name, key);
    }
  });
});

for (const [name, c] of Object.entries(CASES)) {
  describe(`${name}()`, () => {
    it('computes ARM results', () => {
      for (const [args, expected] of c.results) assert.deepStrictEqual(call(name, ...args), expected, show(name, args));
    });

    if (c.unknowns.length > 0) {
      it('propagates an Unknown argument the result depends on', () => {
        for (const args of c.unknowns) {
          const result = assertUnknown(call(name, ...args));
          assert.ok(result === U || result.reason.includes(U.reason), `${show(name, args)} gave an unrelated Unknown: ${result.reason}`);
        }
      });
    }

    if (c.bad.length > 0) {
      it('returns an Unknown naming the function for bad arguments', () => {
        for (const args of c.bad) assertUnknown(call(name, ...args), `${name}()`);
      });
    }
  });
}

describe('runtime-only functions', () => {
  for (const [name, calls] of Object.entries(RUNTIME_ONLY)) {
    it(`${name}() is Unknown, known only at deployment time`, () => {
      for (const args of calls) assertUnknown(call(name, ...args), `${name}()`, 'deployment time');
    });
  }

  it('still checks their arity', () => {
    assertUnknown(call('newGuid', 'x'), 'newGuid() takes exactly 0 arguments, got 1');
    assertUnknown(call('dateTimeAdd', 'x'), 'dateTimeAdd() takes 2 to 3 arguments, got 1');
  });
});

describe('callPure', () => {
  it('looks names up case-insensitively', () => {
    assert.equal(call('CONCAT', 'a', 'b'), 'ab');
    assert.equal(call('toupper', 'a'), 'A');
    assert.equal(call('ToLower', 'A'), 'a');
  });

  it('returns undefined for functions that are not pure', () => {
    for (const name of ['parameters', 'variables', 'environment', 'resourceGroup', 'resourceId', 'copyIndex', 'reference', 'nope']) {
      assert.equal(callPure(name, []), undefined, name);
    }
  });

  it('reports wrong arity with the counts', () => {
    assertUnknown(call('concat'), 'concat() takes at least 1 argument, got 0');
    assertUnknown(call('not', true, false), 'not() takes exactly 1 argument, got 2');
    assertUnknown(call('substring'), 'substring() takes 1 to 3 arguments, got 0');
    assertUnknown(call('and', true), 'and() takes at least 2 arguments, got 1');
    assertUnknown(call('null', 1), 'null() takes exactly 0 arguments, got 1');
  });

  it('rejects too few and too many arguments for every function', () => {
    for (const [name, spec] of PURE_FUNCTIONS) {
      if (spec.minArgs > 0) assertUnknown(call(name, ...Array<Value>(spec.minArgs - 1).fill('a')), 'takes');
      if (spec.maxArgs !== Infinity) assertUnknown(call(name, ...Array<Value>(spec.maxArgs + 1).fill('a')), 'takes');
    }
  });

  it('calls through PURE_FUNCTIONS safely too', () => {
    const spec = PURE_FUNCTIONS.get('string');
    assert.ok(spec);
    assertUnknown(spec.fn([]), 'string() takes exactly 1 argument, got 0');
    assert.equal(spec.fn([true]), 'True');
  });
});

describe('pure functions never throw', () => {
  const POOL: Value[] = [null, true, -1, 0, 3, 1.5, 2 ** 60, '', 'a,B', '10.0.0.0/24', '{0}', [], [1, 'a', null], {}, { a: 1 }, U, [U], { k: U }];

  function isValue(v: unknown, depth = 0): boolean {
    if (depth > 50) return false;
    if (v === null || typeof v === 'boolean' || typeof v === 'string' || v instanceof Unknown) return true;
    if (typeof v === 'number') return Number.isFinite(v);
    if (Array.isArray(v)) return v.every((x) => isValue(x, depth + 1));
    if (typeof v === 'object') return Object.values(v as object).every((x) => isValue(x, depth + 1));
    return false;
  }

  function* argumentLists(count: number): Generator<Value[]> {
    if (count === 0) {
      yield [];
      return;
    }
    for (const rest of argumentLists(count - 1)) for (const v of POOL) yield [...rest, v];
  }

  it('returns a Value for every combination of odd arguments', () => {
    let calls = 0;
    for (const [name, spec] of PURE_FUNCTIONS) {
      for (let n = spec.minArgs; n <= Math.min(spec.maxArgs, spec.minArgs + 1, 3); n++) {
        for (const args of argumentLists(n)) {
          let result: Value | undefined;
          assert.doesNotThrow(() => {
            result = callPure(name, args);
          }, show(name, args));
          assert.ok(isValue(result), `${show(name, args)} returned ${String(result)}`);
          calls++;
        }
      }
    }
    assert.ok(calls > 10_000);
  });
});

describe('format() details', () => {
  it('leaves arguments no item refers to alone, Unknown or not', () => {
    assert.equal(call('format', '{0}', 'a', U), 'a');
  });

  it('names the missing argument', () => {
    assertUnknown(call('format', '{0} {2}', 'a', 'b'), 'format()', '{2}');
  });
});

describe('and() / or() / if() short-circuit around Unknowns', () => {
  it('and(false, <Unknown>) is false and or(true, <Unknown>) is true', () => {
    assert.equal(call('and', false, U), false);
    assert.equal(call('or', true, U), true);
  });

  it('returns the Unknown when nothing decides', () => {
    assert.equal(call('and', true, U, true), U);
    assert.equal(call('or', false, U), U);
  });

  it('if() with an Unknown condition is Unknown unless both branches are equal (keeping both branches)', () => {
    const v = call('if', U, 'a', 'b');
    assert.ok(v instanceof Unknown);
    assert.equal(v.reason, U.reason);
    assert.deepEqual(v.alternatives, ['a', 'b']);
    assert.deepEqual(call('if', U, [1, 2], [1, 2]), [1, 2]);
  });
});

describe('uniqueString() and guid()', () => {
  const inputs: string[][] = [['a'], ['b'], ['/subscriptions/0000/resourceGroups/rg'], ['rg', 'deployment'], ['']];

  it('uniqueString() gives 13 base32 characters, stable and input-dependent', () => {
    const seen = new Set<string>();
    for (const args of inputs) {
      const s = call('uniqueString', ...args);
      assert.match(String(s), /^[a-z2-7]{13}$/);
      assert.equal(call('uniqueString', ...args), s);
      seen.add(String(s));
    }
    assert.equal(seen.size, inputs.length);
  });

  it('guid() gives distinct version-5-shaped UUIDs, stable per input', () => {
    const seen = new Set<string>();
    for (const args of inputs) {
      const g = call('guid', ...args);
      assert.match(String(g), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(call('guid', ...args), g);
      seen.add(String(g));
    }
    assert.equal(seen.size, inputs.length);
  });
});

describe('encodings round-trip', () => {
  const texts = ['', 'a', 'Hello, World!', 'héllo ✓ 𝄞', '\uFEFFbom', 'x'.repeat(1000)];

  it('base64ToString(base64(s)) is s', () => {
    for (const s of texts) assert.equal(call('base64ToString', call('base64', s)), s);
  });

  it('dataUriToString(dataUri(s)) is s', () => {
    for (const s of texts) assert.equal(call('dataUriToString', call('dataUri', s)), s);
  });

  it('uriComponentToString(uriComponent(s)) is s', () => {
    for (const s of texts) assert.equal(call('uriComponentToString', call('uriComponent', s)), s);
  });
});

describe('CIDR functions and IPv6', () => {
  it('say that IPv6 is not evaluated', () => {
    assertUnknown(call('parseCidr', 'fdad:3236:5555::/48'), 'parseCidr()', 'IPv6', 'not evaluated');
    assertUnknown(call('cidrSubnet', 'fdad:3236:5555::/48', 52, 0), 'cidrSubnet()', 'IPv6', 'not evaluated');
    assertUnknown(call('cidrHost', 'fdad:3236:5555:3000::/52', 0), 'cidrHost()', 'IPv6', 'not evaluated');
  });

  it('cidrHost() walks the usable hosts of every subnet cidrSubnet() makes', () => {
    for (let i = 0; i < 4; i++) {
      const subnet = call('cidrSubnet', '10.1.0.0/24', 26, i);
      assert.equal(subnet, `10.1.0.${i * 64}/26`);
      assert.equal(call('cidrHost', subnet, 0), `10.1.0.${i * 64 + 1}`);
      assert.equal(call('cidrHost', subnet, 61), `10.1.0.${i * 64 + 62}`);
      assertUnknown(call('cidrHost', subnet, 62), 'cidrHost()');
    }
  });
});

describe('range() limit', () => {
  it('names the limit of 10000', () => {
    assertUnknown(call('range', 0, 10_001), 'range()', '10000');
    assert.equal((call('range', 0, 10_000) as Value[]).length, 10_000);
  });
});

describe('symbolic IDs', () => {
  it('one Unknown for a resourceId() met again, a new one when its symbol or reason differs', () => {
    const a = buildResourceId('resourceGroup', ['Microsoft.Network/loadBalancers', 'ilb']);
    const b = buildResourceId('resourceGroup', ['Microsoft.Network/loadBalancers', 'ilb']);
    const c = buildResourceId('resourceGroup', ['Microsoft.Network/loadBalancers', 'ilb2']);
    assert.ok(a instanceof Unknown && c instanceof Unknown);
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.equal(a.symbol, '/subscriptions/{subscription().subscriptionId}/resourceGroups/{resourceGroup().name}/providers/Microsoft.Network/loadBalancers/ilb');
    const first = joinParts(['/a/', new Unknown('one reason', 's', 's')]);
    const second = joinParts(['/a/', new Unknown('another reason', 's', 's')]);
    assert.ok(first instanceof Unknown && second instanceof Unknown);
    assert.equal(first.symbol, second.symbol);
    assert.notEqual(first, second);
    assert.deepEqual([first.reason, second.reason], ['one reason', 'another reason']);
  });
});
