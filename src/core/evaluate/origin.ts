import { ObjectSlot } from '../slot';
import type { SourceSpan } from '../source';

/**
 * Where an evaluated object or array was written. Evaluators register every object and array
 * they build from source; rules use it to point findings at the text a user wrote.
 */
export interface Origin {
  /** The span of the whole object/array literal. */
  span: SourceSpan;
  /** The span of the value of a property (case-insensitive key), or of the key when `key` is set. */
  property?(key: string, part?: 'key' | 'value'): SourceSpan | undefined;
  /** The span of an array element. */
  element?(index: number): SourceSpan | undefined;
  /**
   * Identical (===) for two origins exactly when they are the same place of the same text, known
   * without locating either (a value of a template's strict parse: the parsed value itself).
   */
  readonly place?: unknown;
}

/** An origin, or what makes one when a location is first asked for (most never are). */
export type OriginSource = Origin | (() => Origin);

/** Each value's origin, kept with the value (see ObjectSlot). */
const origins = new ObjectSlot<OriginSource>('origin');

export function setOrigin(value: object, origin: OriginSource): void {
  origins.set(value, origin);
}

/** Forgets a value's origin (a deployed resource whose analysis is done: see core/azure/resources). */
export function forgetOrigin(value: object): void {
  origins.delete(value);
}

export function originOf(value: unknown): Origin | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = origins.get(value);
  if (typeof o !== 'function') return o;
  const made = o();
  origins.set(value, made);
  return made;
}

/** The span of `obj[key]`'s value (or key), falling back to the object itself. */
export function propertySpan(obj: unknown, key: string, part: 'key' | 'value' = 'value'): SourceSpan | undefined {
  const o = originOf(obj);
  if (!o) return undefined;
  return o.property?.(key, part) ?? undefined;
}

export function spanOf(value: unknown): SourceSpan | undefined {
  return originOf(value)?.span;
}

/** The place of a value's origin (see Origin.place), when its origin has one. */
export function placeOf(value: unknown): unknown {
  return originOf(value)?.place;
}
