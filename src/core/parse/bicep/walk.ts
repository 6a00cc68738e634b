/** Walking the Bicep tree, and small lookups an evaluator needs often. */
import type * as A from './ast';

function isNode(value: unknown): value is A.Node {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

/** Calls `visit` for each direct child node of `node`, in source order. */
export function forEachChild(node: A.Node, visit: (child: A.Node) => void): void {
  const children: A.Node[] = [];
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) children.push(item);
    } else if (isNode(value)) {
      children.push(value);
    }
  }
  children.sort((a, b) => a.start - b.start || a.end - b.end);
  for (const child of children) visit(child);
}

/** Visits `node` and its descendants depth-first; `visit` returning false skips a node's children. */
export function walk(node: A.Node, visit: (node: A.Node, parent: A.Node | null) => boolean | void, parent: A.Node | null = null): void {
  if (visit(node, parent) === false) return;
  forEachChild(node, (child) => walk(child, visit, node));
}

/**
 * Moves every offset in `value` (a node, span or list of them, and all they contain) by `delta`,
 * in place.
 */
export function shiftOffsets(value: object, delta: number): void {
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === 'object' && item !== null) shiftOffsets(item, delta);
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const v = record[key];
    if (typeof v === 'number') {
      if (key === 'start' || key === 'end') record[key] = v + delta;
    } else if (typeof v === 'object' && v !== null) {
      shiftOffsets(v, delta);
    }
  }
}

/** The name of a decorator: `description` for `@description('x')` and `@sys.description('x')`. */
export function decoratorName(decorator: A.Decorator): string {
  const e = decorator.expression;
  switch (e.kind) {
    case 'Identifier':
      return e.name;
    case 'Call':
      return e.name.name;
    case 'PropertyAccess':
      return e.property.name;
    default:
      return '';
  }
}

/** The arguments of a decorator (none for `@secure` written without parentheses). */
export function decoratorArguments(decorator: A.Decorator): A.Expression[] {
  return decorator.expression.kind === 'Call' ? decorator.expression.arguments : [];
}

/** The first decorator of that name on a declaration. */
export function findDecorator(declaration: { decorators: A.Decorator[] }, name: string): A.Decorator | undefined {
  return declaration.decorators.find((d) => decoratorName(d) === name);
}

/** The key of a property as text, or null when it is interpolated or missing. */
export function propertyName(property: A.ObjectProperty): string | null {
  const key = property.key;
  if (key.kind === 'Identifier') return key.name === '' ? null : key.name;
  if (key.kind === 'String') return key.value;
  return null;
}

/** The last property of that name (Bicep objects keep the last of duplicate keys); `ignoreCase` for ARM-style lookups. */
export function findProperty(object: A.ObjectExpression, name: string, ignoreCase = false): A.ObjectProperty | undefined {
  const wanted = ignoreCase ? name.toLowerCase() : name;
  let found: A.ObjectProperty | undefined;
  for (const p of object.properties) {
    if (p.kind !== 'ObjectProperty') continue;
    const key = propertyName(p);
    if (key !== null && (ignoreCase ? key.toLowerCase() : key) === wanted) found = p;
  }
  return found;
}
