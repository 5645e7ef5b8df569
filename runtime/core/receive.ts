// Selective receive over a process's mailbox.
// `yield* receive(...)` delegates to the process itself (Process.next calls stepReceive), so a
// waiting process costs no generator of its own. The scan keeps its place between wake-ups
// (`scanAfter`, the last message it rejected): a blocked receive never rescans what it already
// rejected, and `call` starts after a marker, since a reply cannot be older than its request.
// Naive rescanning is O(n²) (docs/architecture.md).

import path from "node:path";
import type { InstrumentedSite } from "../loader/instrument.js";
import { matches, type Match } from "./pattern.js";
import { Ref, sameRef } from "./terms.js";
import { crashLine, isCrashReason } from "./exitReason.js";
import { HandlerStack, TIMED_OUT, type MessageNode, type Process } from "./process.js";
import { budget, PREEMPT, WAIT } from "./reductions.js";
import { scheduler } from "./scheduler.js";
import { demonitor, flushDown, NOT_EXITED, signalsOf, unwatchCallee, type CallWatch } from "./signals.js";

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as Function;

/** What a handler gives back to the receive: a generator handler's return value. */
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

/** Thrown in the caller when a `call` gets no reply in time. */
export class CallTimeoutError extends Error {
  override name = "CallTimeoutError";
}

/**
 * Thrown in the caller when the callee of a `call` is not alive or exits before it replies; `reason`
 * is the callee's exit reason ("noproc" when it was not alive), like OTP's `gen_server:call` exit.
 */
export class CallExitError extends Error {
  override name = "CallExitError";
  constructor(
    readonly reason: unknown,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The wait of a `call`: the reply `["$reply", ref, value]` to this call's ref, the callee's exit,
 * which throws CallExitError, or the timeout, which throws CallTimeoutError. One object per call
 * instead of a list of clauses; it is also the call's watch on its callee (signals.ts).
 */
export class AwaitReply extends After<unknown> implements CallWatch {
  callee: Process | null = null;
  calleeExit: unknown = NOT_EXITED;

  constructor(
    readonly ref: Ref,
    ms: number,
    readonly dest: unknown,
    readonly request: unknown,
  ) {
    super(ms, undefined);
  }

  timeoutError(): CallTimeoutError {
    return new CallTimeoutError(`call to ${String(this.dest)} timed out after ${this.ms} ms with no reply to ${preview(this.request)}`);
  }

  exitError(): CallExitError {
    return callExitError(this.dest, this.calleeExit, this.request);
  }
}

/**
 * The wait of a call to a process on another scheduler: the call monitors its callee there (the
 * DOWN comes as an envelope, signals.ts), so that the callee's exit ends it, as OTP's
 * gen_server:call monitors its callee.
 */
export class AwaitRemoteReply extends AwaitReply {
  constructor(
    ref: Ref,
    ms: number,
    dest: unknown,
    request: unknown,
    /** The call's monitor of its callee. */
    readonly monitor: Ref,
  ) {
    super(ref, ms, dest, request);
  }
}

/** The error of a call whose callee `dest` exited with `reason` (or was not alive: "noproc"). */
export function callExitError(dest: unknown, reason: unknown, request: unknown): CallExitError {
  const why = reason === "noproc" ? "is not alive" : `exited with reason ${describeReason(reason)}`;
  return new CallExitError(reason, `call to ${String(dest)} failed: the process ${why} before replying to ${preview(request)}`);
}

function describeReason(reason: unknown): string {
  if (isCrashReason(reason)) return `${crashLine(reason)}${reason.at !== "" ? ` (at ${reason.at})` : ""}`;
  return preview(reason);
}

/** A short JSON rendering of a value for error messages. */
export function preview(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

function isReply(msg: unknown, ref: Ref): boolean {
  if (!Array.isArray(msg) || msg.length !== 3 || msg[0] !== "$reply") return false;
  const r = msg[1];
  return r === ref || (r instanceof Ref && sameRef(r, ref));
}

/** The clause a reply matches: the receive returns the reply's value. */
const REPLY_VALUE = new On<unknown>(undefined, (msg: [string, Ref, unknown]) => msg[2]);
/** What a remote call's wait matches when its callee's DOWN arrives first; take() throws. */
const CALLEE_DOWN = new On<unknown>(undefined, () => undefined);

function isDown(msg: unknown, ref: Ref): boolean {
  return Array.isArray(msg) && msg.length === 5 && msg[0] === "DOWN" && msg[1] instanceof Ref && sameRef(msg[1], ref);
}

export type Clause<R = unknown> = On<R> | After<R>;
export type ClauseResult<C> = C extends On<infer R> | After<infer R> ? R : never;
/** What `yield*` on a receive, call or sleep gives back. */
export type Receive<T> = Iterable<unknown, T, unknown>;

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

/**
 * Starts a receive in `p`: scanning after `scanAfter` (null: from the oldest message).
 * A single clause is kept as it is, not in an array: a parked process keeps its clauses.
 */
export function beginReceive(p: Process, scanAfter: MessageNode | null, clauses: readonly Clause[]): Receive<unknown> {
  const n = clauses.length;
  for (let i = 0; i < n; i++) {
    const c = clauses[i];
    if (c instanceof On || (c instanceof After && i === n - 1)) continue;
    throw new TypeError(
      c instanceof After ? `receive: clause ${i + 1} is after(...), which must come last` : `receive: clause ${i + 1} is not on(...) or after(...)`,
    );
  }
  return beginWait(p, scanAfter, n === 0 ? null : n === 1 ? clauses[0]! : clauses);
}

/** beginReceive for the runtime's own waits (a call, a sleep), whose one clause needs no checks. */
export function beginWait(p: Process, scanAfter: MessageNode | null, clauses: Clause | readonly Clause[] | null): Receive<unknown> {
  budget.r--;
  p.clauses = clauses;
  p.scanAfter = scanAfter;
  // The instrumented call site set budget.s just before this call (0 when it was not instrumented).
  p.waitSite = budget.s < scheduler.siteCount ? budget.s : 0;
  budget.s = 0;
  scheduler.unsteppedReceive = p;
  return p;
}

/**
 * The crash reason of a process that wrote `yield receive(...)` instead of `yield* receive(...)`:
 * the scheduler got the receive as a yielded value, and the process would have got undefined back.
 * The stack names the call's line from the loader's sites, since the process's own frame is gone.
 */
export function yieldedReceiveError(p: Process, sites: readonly InstrumentedSite[]): Error {
  const site = p.waitSite > 0 ? sites[p.waitSite - 1] : undefined;
  const name = site?.name ?? (p.clauses instanceof AwaitReply ? "call" : "receive");
  const error = new Error(`use yield* ${name}(...): without the star, yield ${name}(...) does not wait and gives undefined`);
  error.stack =
    site === undefined || site.line === 0
      ? `Error: ${error.message} (at a line the loader did not mark)`
      : `Error: ${error.message}\n    at ${path.resolve(site.file)}:${site.line}:${site.column}`;
  return error;
}

/** Yield* reads a result at once, so the two shapes it can see are shared, not allocated per step. */
const WAITING: IteratorYieldResult<unknown> = { done: false, value: WAIT };
const PREEMPTED: IteratorYieldResult<unknown> = { done: false, value: PREEMPT };

/**
 * One step of the receive `p` is in. Generator handlers run inside the receive: they are kept in
 * `p.signals.handlers`, and a step at depth d forwards to handler d. A handler may itself receive; that
 * inner receive is the one step that reaches the scan below, since only one receive scans at a time.
 */
export function stepReceive(p: Process, input: unknown): IteratorResult<unknown, unknown> {
  scheduler.unsteppedReceive = null;
  const stack = p.signals === null ? null : p.signals.handlers;
  if (stack !== null && stack.depth < stack.running.length) return stepHandler(stack, input);

  // The hot path of every receive: kept small, with the rarer work in the functions it calls, so
  // that V8 inlines it into Process.next (docs/performance.md, "Keep the receive step small").
  const clauses = p.clauses;
  let prev = p.scanAfter;
  let node = prev === null ? p.head : prev.next;
  for (; node !== null; prev = node, node = node.next) {
    if (clauses === null) return take(p, clauses, prev, node, undefined);
    const clause = matchingClause(clauses, node.msg);
    if (clause !== undefined) return take(p, clauses, prev, node, clause.handler as ((msg: unknown) => unknown) | undefined);
    // Scanning costs a reduction per message, so a long mailbox scan is preemptible too;
    // the scan goes on after this message in the next slice.
    if (--budget.r <= 0) {
      p.scanAfter = node;
      return PREEMPTED;
    }
  }
  p.scanAfter = prev;
  return noMatch(p, clauses);
}

/** Takes the matched message `node` (after `prev`) out of the mailbox and runs its handler, if any. */
function take(
  p: Process,
  clauses: Clause | readonly Clause[] | null,
  prev: MessageNode | null,
  node: MessageNode,
  handler: ((msg: unknown) => unknown) | undefined,
): IteratorResult<unknown, unknown> {
  const msg = node.msg;
  p.unlink(prev, node);
  endReceive(p);
  // Only a call's wait matches with these: the reply is in, so the call stops watching its callee.
  if (handler === REPLY_VALUE.handler) endCall(p, clauses as AwaitReply, prev);
  scheduler.took(p, node);
  if (handler === CALLEE_DOWN.handler) {
    const wait = clauses as AwaitReply;
    throw callExitError(wait.dest, (msg as unknown[])[4], wait.request);
  }
  if (handler === undefined) return { done: true, value: msg };
  return runHandler(p, handler, msg);
}

/** No message matched: the receive times out, its call fails, or the process waits. */
function noMatch(p: Process, clauses: Clause | readonly Clause[] | null): IteratorResult<unknown, unknown> {
  const timeout = timeoutOf(clauses);
  if (timeout instanceof AwaitReply && timeout.calleeExit !== NOT_EXITED) {
    // The callee exited and its reply is not in the mailbox: it never will be.
    endReceive(p);
    throw timeout.exitError();
  }
  if (p.timer === TIMED_OUT || (timeout !== undefined && timeout.ms === 0)) {
    endReceive(p);
    if (timeout instanceof AwaitReply) {
      endCall(p, timeout, undefined);
      throw timeout.timeoutError();
    }
    const handler = timeout!.handler;
    return handler === undefined ? { done: true, value: undefined } : runHandler(p, handler, undefined);
  }
  if (timeout !== undefined && p.timer === null && timeout.ms !== Infinity) scheduler.armTimer(p, timeout.ms);
  scheduler.park(p);
  return WAITING;
}

function matchingClause(clauses: Clause | readonly Clause[], msg: unknown): On<unknown> | undefined {
  if (clauses instanceof On) return matches(clauses.pattern, msg) ? clauses : undefined;
  if (clauses instanceof After) {
    if (!(clauses instanceof AwaitReply)) return undefined;
    if (isReply(msg, clauses.ref)) return REPLY_VALUE;
    return clauses instanceof AwaitRemoteReply && isDown(msg, clauses.monitor) ? CALLEE_DOWN : undefined;
  }
  for (let i = 0; i < clauses.length; i++) {
    const c = clauses[i];
    if (c instanceof On && matches(c.pattern, msg)) return c;
  }
  return undefined;
}

/**
 * A call got its reply (the message before it was `after`) or timed out (undefined): it stops
 * watching its callee, here or on another scheduler. A DOWN of the call's monitor can only follow
 * the reply, since an earlier one would have ended the call, so the flush looks after it, and a
 * timed-out call rejected every message after its request: no DOWN is there to flush.
 */
function endCall(p: Process, wait: AwaitReply, after: MessageNode | null | undefined): void {
  if (wait instanceof AwaitRemoteReply) {
    demonitor(scheduler, p, wait.monitor, false);
    if (after !== undefined) flushDown(scheduler, p, wait.monitor, after);
  } else unwatchCallee(wait);
}

function timeoutOf(clauses: Clause | readonly Clause[] | null): After<unknown> | undefined {
  if (clauses === null || clauses instanceof On) return undefined;
  if (clauses instanceof After) return clauses;
  const last = clauses[clauses.length - 1];
  return last instanceof After ? last : undefined;
}

/** Forwards a step to the handler at the current depth; the handler's own receives go deeper. */
function stepHandler(stack: HandlerStack, input: unknown): IteratorResult<unknown, unknown> {
  const depth = stack.depth;
  stack.depth = depth + 1;
  let result: IteratorResult<unknown, unknown>;
  try {
    result = stack.running[depth]!.next(input);
  } catch (error) {
    // The handler is finished; the process may catch this and receive again.
    stack.running.length = depth;
    throw error;
  } finally {
    stack.depth = depth;
  }
  if (!result.done) return result;
  stack.running.pop();
  return { done: true, value: result.value };
}

function endReceive(p: Process): void {
  if (p.timer !== null) scheduler.cancelTimer(p);
  p.scanAfter = null;
}

function runHandler(p: Process, handler: (msg: unknown) => unknown, msg: unknown): IteratorResult<unknown, unknown> {
  // A call's reply is the common case: its value, without asking whether the handler is a generator.
  if (handler === REPLY_VALUE.handler) return { done: true, value: (msg as [string, Ref, unknown])[2] };
  if (!(handler instanceof GeneratorFunction)) return { done: true, value: handler(msg) };
  (signalsOf(p).handlers ??= new HandlerStack()).running.push(handler(msg) as Iterator<unknown, unknown, unknown>);
  return stepReceive(p, undefined);
}
