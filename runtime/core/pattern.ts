// Patterns for selective receive, and the types that let TypeScript infer what a clause receives.

import { Pid, Ref, samePid, sameRef } from "./terms.js";

/** Matches anything, like Erlang's `_`. */
export const _: unique symbol = Symbol("_") as never;
export type Wildcard = typeof _;

/** A guard usable anywhere inside a pattern: it matches when the predicate returns true. */
export class Guard<T> {
  constructor(readonly test: (value: unknown) => boolean) {}
  /** Only carries the guarded type for inference. */
  declare readonly __type?: T;
}

/** `where(predicate)`: a guard; a type predicate narrows the matched type. */
export function where<T>(predicate: (value: unknown) => value is T): Guard<T>;
export function where<T = unknown>(predicate: (value: T) => boolean): Guard<T>;
export function where(predicate: (value: never) => boolean): Guard<unknown> {
  return new Guard(predicate as (value: unknown) => boolean);
}

/** The type of the messages a pattern matches. */
export type Match<P> = P extends Wildcard
  ? unknown
  : P extends NumberConstructor
    ? number
    : P extends StringConstructor
      ? string
      : P extends BooleanConstructor
        ? boolean
        : P extends typeof Pid
          ? Pid
          : P extends typeof Ref
            ? Ref
            : P extends Guard<infer T>
              ? T
              : P extends Pid | Ref
                ? P
                : P extends readonly unknown[]
                  ? { -readonly [K in keyof P]: Match<P[K]> }
                  : P extends object
                    ? { -readonly [K in keyof P]: Match<P[K]> }
                    : P;

/**
 * Whether `value` matches `pattern` (see docs/api.md for the rules). It branches on the pattern's
 * type first, so that each comparison sees one kind of value: a literal compared with `===` before
 * the branch was V8's generic equality, a call on every element of every pattern
 * (docs/performance.md, "Mailbox nodes reused").
 */
export function matches(pattern: unknown, value: unknown): boolean {
  switch (typeof pattern) {
    case "string":
      return value === pattern;
    case "number":
      return value === pattern;
    case "object":
      return pattern !== null ? pattern === value || matchesObject(pattern, value) : value === null;
    case "symbol":
      return pattern === _ || pattern === value;
    case "function":
      if (pattern === Pid) return value instanceof Pid;
      if (pattern === Ref) return value instanceof Ref;
      if (pattern === Number) return typeof value === "number";
      if (pattern === String) return typeof value === "string";
      if (pattern === Boolean) return typeof value === "boolean";
      return pattern === value;
    default:
      return pattern === value;
  }
}

/** matches for a pattern that is an object: an array, a guard, a pid, a ref or a plain object. */
function matchesObject(pattern: object, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value) || value.length !== pattern.length) return false;
    for (let i = 0; i < pattern.length; i++) if (!matches(pattern[i], value[i])) return false;
    return true;
  }
  if (pattern instanceof Guard) return pattern.test(value);
  if (pattern instanceof Pid) return value instanceof Pid && samePid(pattern, value);
  if (pattern instanceof Ref) return value instanceof Ref && sameRef(pattern, value);
  if (Object.getPrototypeOf(pattern) === Object.prototype) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    for (const key in pattern) {
      // Own keys only: an inherited key (toString, or a prototype a message smuggled in) is not part of the message.
      if (!Object.hasOwn(value, key)) return false;
      if (!matches((pattern as Record<string, unknown>)[key], (value as Record<string, unknown>)[key])) return false;
    }
    return true;
  }
  return false;
}
