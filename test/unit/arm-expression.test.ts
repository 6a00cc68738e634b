import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { classifyTemplateString, parseExpression, parseExpressionCached, type Expr } from '../../src/core/evaluate/arm-expression';

function parse(text: string): Expr {
  const r = parseExpression(text);
  assert.ok(r.ok, `"${text}" should parse: ${r.ok ? '' : `${r.message} at ${r.offset}`}`);
  return r.expr;
}

function fail(text: string): { message: string; offset: number } {
  const r = parseExpression(text);
  assert.equal(r.ok, false, `"${text}" should not parse`);
  if (r.ok) throw new Error('unreachable');
  assert.ok(r.offset >= 0 && r.offset <= text.length, `offset ${r.offset} lies within "${text}"`);
  return r;
}

/** A compact rendering of a tree, to compare shapes without offsets. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'string':
      return JSON.stringify(e.value);
    case 'number':
      return String(e.value);
    case 'literal':
      return String(e.value);
    case 'call':
      return `${e.name}(${e.args.map(show).join(', ')})`;
    case 'member':
      return `${show(e.object)}.${e.name}`;
    case 'index':
      return `${show(e.object)}[${show(e.index)}]`;
  }
}

describe('classifyTemplateString', () => {
  it('[...] is an expression; the text between the brackets is parsed', () => {
    assert.deepEqual(classifyTemplateString("[parameters('a')]"), { kind: 'expression', text: "parameters('a')", offset: 1 });
  });

  it('[[ escapes: the string is the literal without the first bracket', () => {
    assert.deepEqual(classifyTemplateString("[[parameters('a')]"), { kind: 'literal', value: "[parameters('a')]" });
  });

  it('strings that do not both start with [ and end with ] are literals', () => {
    assert.deepEqual(classifyTemplateString('10.0.0.4'), { kind: 'literal', value: '10.0.0.4' });
    assert.deepEqual(classifyTemplateString('[not closed'), { kind: 'literal', value: '[not closed' });
    assert.deepEqual(classifyTemplateString('not opened]'), { kind: 'literal', value: 'not opened]' });
    assert.deepEqual(classifyTemplateString(''), { kind: 'literal', value: '' });
  });
});

describe('parseExpression: literals', () => {
  it('strings, with offsets covering the quotes', () => {
    const e = parse("'abc'");
    assert.deepEqual(e, { kind: 'string', value: 'abc', start: 0, end: 5 });
  });

  it("'' inside a string is one quote", () => {
    assert.deepEqual(parse("'it''s'"), { kind: 'string', value: "it's", start: 0, end: 7 });
    assert.equal(show(parse("''''")), JSON.stringify("'"));
    assert.equal(show(parse("''")), '""');
  });

  it('integers, negative numbers and decimals', () => {
    assert.deepEqual(parse('42'), { kind: 'number', value: 42, start: 0, end: 2 });
    assert.deepEqual(parse('-5'), { kind: 'number', value: -5, start: 0, end: 2 });
    assert.equal(show(parse('add(-1, -20)')), 'add(-1, -20)');
    assert.equal(show(parse('1.5')), '1.5');
  });

  it('true, false and null, in any case', () => {
    assert.deepEqual(parse('true'), { kind: 'literal', value: true, start: 0, end: 4 });
    assert.deepEqual(parse('FALSE'), { kind: 'literal', value: false, start: 0, end: 5 });
    assert.deepEqual(parse('Null'), { kind: 'literal', value: null, start: 0, end: 4 });
  });

  it('characters that would be syntax outside a string are plain inside one', () => {
    assert.equal(show(parse("concat('[', '(a, b)', '.x', ']')")), 'concat("[", "(a, b)", ".x", "]")');
  });
});

describe('parseExpression: calls and chains', () => {
  it('nested calls with argument offsets', () => {
    const e = parse("concat('a', parameters('b'))");
    assert.equal(show(e), 'concat("a", parameters("b"))');
    assert.ok(e.kind === 'call');
    const inner = e.args[1] as Expr;
    assert.equal(inner.start, 12);
    assert.equal(inner.end, 27);
    assert.equal(e.end, 28);
  });

  it('calls without arguments, and whitespace anywhere between tokens', () => {
    assert.equal(show(parse('resourceGroup()')), 'resourceGroup()');
    assert.equal(show(parse("  concat ( 'a' ,\n\t'b' )  ")), 'concat("a", "b")');
  });

  it('.prop and [index] chains bind left to right', () => {
    assert.equal(show(parse("variables('x')[0].name")), 'variables("x")[0].name');
    const e = parse("reference('r').outputs['a-b'].value[2]");
    assert.equal(show(e), 'reference("r").outputs["a-b"].value[2]');
    assert.equal(e.kind, 'index');
  });

  it('an index can be any expression', () => {
    assert.equal(show(parse("parameters('ports')[copyIndex('rules')]")), 'parameters("ports")[copyIndex("rules")]');
  });

  it('ns.fn() is one user-defined function call', () => {
    const e = parse("contoso.uniqueName('web', 2)");
    assert.ok(e.kind === 'call');
    assert.equal(e.name, 'contoso.uniqueName');
    assert.equal(e.args.length, 2);
    assert.equal(show(parse('contoso.names().first')), 'contoso.names().first');
  });

  it('a member chain on a call result is not mistaken for a user function', () => {
    assert.equal(show(parse('resourceGroup().location')), 'resourceGroup().location');
    assert.equal(parse('resourceGroup().location').kind, 'member');
  });

  it('deep but reasonable nesting parses', () => {
    let text = "'x'";
    for (let i = 0; i < 50; i++) text = `concat(${text}, 'y')`;
    const e = parse(text);
    assert.ok(e.kind === 'call' && e.name === 'concat');
  });
});

describe('parseExpression: broken expressions return ok:false with an offset', () => {
  it('unclosed parenthesis: at the end of the text', () => {
    const r = fail("concat('a'");
    assert.equal(r.offset, 10);
    assert.match(r.message, /\)/);
  });

  it('trailing junk: at the junk', () => {
    const r = fail("concat('a') x");
    assert.equal(r.offset, 12);
    assert.match(r.message, /after/);
  });

  it('unterminated string: at its opening quote', () => {
    const r = fail("concat('a', 'bc)");
    assert.equal(r.offset, 12);
    assert.match(r.message, /unterminated/);
  });

  it('a bare identifier must be a call', () => {
    const r = fail('foo');
    assert.equal(r.offset, 0);
    assert.match(r.message, /foo/);
    assert.equal(fail("concat(bar, 'x')").offset, 7);
  });

  it('other malformed shapes', () => {
    assert.equal(fail('').offset, 0);
    assert.equal(fail('concat(,)').offset, 7);
    assert.equal(fail("f(1 2)").offset, 4);
    assert.equal(fail('f()..x').offset, 4);
    assert.equal(fail('f()[').offset, 4);
    assert.equal(fail("f()[0").offset, 5);
    assert.equal(fail('#').offset, 0);
    assert.equal(fail("concat('a'))").offset, 11);
    assert.equal(fail('- 1').offset, 0);
  });

  it('nesting past the limit is an error, not a stack overflow', () => {
    const text = 'f('.repeat(5000) + ')'.repeat(5000);
    const r = fail(text);
    assert.match(r.message, /deep/);
  });

  it('never throws on arbitrary text (seeded fuzz)', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ["'", '(', ')', ',', '.', '[', ']', 'a', 'concat', 'x', '1', '-', ' ', '$', '"', '\\', '\u00e9', '{'];
    for (let i = 0; i < 3000; i++) {
      let s = '';
      const len = rand(16);
      for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
      const r = parseExpression(s);
      assert.equal(typeof r.ok, 'boolean');
      if (!r.ok) assert.ok(r.offset >= 0 && r.offset <= s.length, `offset ${r.offset} for ${JSON.stringify(s)}`);
    }
  });
});

describe('parseExpressionCached', () => {
  it('gives the same result as parseExpression, and the same object for the same text', () => {
    const a = parseExpressionCached("concat('cached', 1)");
    const b = parseExpressionCached("concat('cached', 1)");
    assert.equal(a, b);
    assert.deepEqual(a, parseExpression("concat('cached', 1)"));
  });
});
