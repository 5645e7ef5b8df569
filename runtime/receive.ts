// Selective receive over a process's mailbox.
// The scan keeps its place between wake-ups (`prev` is the last message it rejected), so a
// blocked receive never rescans what it already rejected, and `call` starts after a marker:
// a reply cannot be older than its request. Naive rescanning is O(n²) (DESIGN.md).

import { matches, type Match } from "./pattern.js";
import type { Process, MessageNode } from "./process.js";
import { budget, WAIT } from "./reductions.js";
import { scheduler } from "./scheduler.js";

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as Function;

/** Runs a handler; a generator handler runs inside the process with `yield*`. */
type HandlerResult<R> = R extends Generator<unknown, infer T, unknown> ? T : R;

/** A receive clause that matches a pattern: `on(pattern, handler?)`. */
export class On<R> {
  constructor(
    readonly pattern: unknown,
    readonly handler: ((msg: never) => unknown) | undefined,
  ) {}
  /** Carries the clause's result type for inference only. */
  declare readonly __result?: R;
}

/** The timeout clause: `after(ms, handler?)`, last in a receive. */
export class After<R> {
  constructor(
    readonly ms: number,
    readonly handler: (() => unknown) | undefined,
  ) {}
  declare readonly __result?: R;
}

export type Clause<R = unknown> = On<R> | After<R>;
export type ClauseResult<C> = C extends On<infer R> | After<infer R> ? R : never;
/** What `yield*` on a receive, call or sleep gives back. */
export type Receive<T> = Generator<unknown, T, unknown>;

/** A clause that matches `pattern`; without a handler the receive returns the message itself. */
export function on<const P>(pattern: P): On<Match<P>>;
export function on<const P, R>(pattern: P, handler: (msg: Match<P>) => R): On<HandlerResult<R>>;
export function on(pattern: unknown, handler?: (msg: never) => unknown): On<unknown> {
  return new On(pattern, handler);
}

/** The timeout clause: runs when no clause matched for `ms` milliseconds; `after(0)` polls. */
export function after(ms: number): After<undefined>;
export function after<R>(ms: number, handler: () => R): After<HandlerResult<R>>;
export function after(ms: number, handler?: () => unknown): After<unknown> {
  if (typeof ms !== "number" || Number.isNaN(ms) || ms < 0) {
    throw new TypeError(`after: the timeout must be a number of milliseconds >= 0 (or Infinity), got ${String(ms)}`);
  }
  return new After(ms, handler);
}

/** Waits in `p`'s mailbox, scanning after `prev` (null: from the oldest message). */
export function* waitFor(p: Process, prev: MessageNode | null, clauses: readonly Clause[]): Receive<unknown> {
  budget.r--;
  const takeAny = clauses.length === 0;
  let n = clauses.length;
  let timeout: After<unknown> | undefined;
  if (n > 0 && clauses[n - 1] instanceof After) timeout = clauses[--n] as After<unknown>;
  for (let i = 0; i < n; i++) {
    if (!(clauses[i] instanceof On)) throw new TypeError(`receive: clause ${i + 1} is not on(...); after(...) must come last`);
  }
  let node = prev === null ? p.head : prev.next;
  for (;;) {
    for (; node !== null; prev = node, node = node.next) {
      const msg = node.msg;
      let clause: On<unknown> | undefined;
      if (takeAny) clause = ANY;
      else {
        for (let i = 0; i < n; i++) {
          const c = clauses[i] as On<unknown>;
          if (matches(c.pattern, msg)) {
            clause = c;
            break;
          }
        }
        if (clause === undefined) continue;
      }
      p.unlink(prev, node);
      p.timedOut = false;
      if (p.timer !== null) scheduler.cancelTimer(p);
      scheduler.stats.receives++;
      const handler = clause.handler as ((msg: unknown) => unknown) | undefined;
      if (handler === undefined) return msg;
      if (handler instanceof GeneratorFunction) return yield* handler(msg) as Receive<unknown>;
      return handler(msg);
    }
    if (p.timedOut) {
      p.timedOut = false;
      return yield* runTimeout(timeout!);
    }
    if (timeout !== undefined && p.timer === null) {
      if (timeout.ms === 0) return yield* runTimeout(timeout);
      if (timeout.ms !== Infinity) scheduler.armTimer(p, timeout.ms);
    }
    p.status = "waiting";
    yield WAIT;
    node = prev === null ? p.head : prev.next;
  }
}

const ANY = new On<unknown>(undefined, undefined);

function* runTimeout(clause: After<unknown>): Receive<unknown> {
  const handler = clause.handler;
  if (handler === undefined) return undefined;
  if (handler instanceof GeneratorFunction) return yield* handler() as Receive<unknown>;
  return handler();
}
