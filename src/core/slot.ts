/**
 * Something kept with an object (a value's origin, a body's link tokens) as a property of the
 * object itself, under a symbol, not enumerable: JSON, `Object.keys`, spreads, `Object.assign` and
 * structured clones never see it. Not a WeakMap: one table of every value of a large workspace
 * (hundreds of thousands) made each edit's entries cost more as the workspace grew (the table's
 * growth and the collector's passes over its entries), and its entries cost more memory than a
 * property. An object that cannot take a property (frozen) keeps it in a WeakMap.
 */
export class ObjectSlot<T> {
  private readonly key: symbol;
  private readonly frozen = new WeakMap<object, T>();

  constructor(name: string) {
    this.key = Symbol(name);
  }

  get(o: object): T | undefined {
    return Object.prototype.hasOwnProperty.call(o, this.key) ? (o as Record<symbol, T | undefined>)[this.key] : this.frozen.get(o);
  }

  set(o: object, value: T): void {
    if (Object.prototype.hasOwnProperty.call(o, this.key)) (o as Record<symbol, T | undefined>)[this.key] = value;
    else if (Object.isExtensible(o)) Object.defineProperty(o, this.key, { value, writable: true, configurable: true, enumerable: false });
    else this.frozen.set(o, value);
  }

  delete(o: object): void {
    if (Object.prototype.hasOwnProperty.call(o, this.key)) (o as Record<symbol, T | undefined>)[this.key] = undefined;
    else this.frozen.delete(o);
  }
}
