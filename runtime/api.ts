// The public API of Beamline: what user programs import from "beamline".
// It reads like Erlang for TypeScript users: spawn, send, receive, self, register, whereis.

import { copyArgs, copyTerm } from "./core/copy.js";
import { Process, type ProcessGenerator } from "./core/process.js";
import { after, AwaitReply, beginReceive, preview, type Clause, type ClauseResult, type Receive } from "./core/receive.js";
import { budget } from "./core/reductions.js";
import { scheduler } from "./core/scheduler.js";
import { Pid, Ref } from "./core/terms.js";

export { Pid, Ref } from "./core/terms.js";
export { _, where, Guard, type Match } from "./core/pattern.js";
export { on, after, CallTimeoutError, type Clause, type Receive } from "./core/receive.js";
export { UnsendableError } from "./core/copy.js";
export { RegistryError } from "./core/registry.js";
export { startServer, cast, type ServerSpec } from "./behaviours/server.js";
/** Used by the code the loader instruments; not part of the public API. */
export { budget as __beamline } from "./core/reductions.js";

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as Function;

/** A process function: a generator function run as a process. */
export type ProcessFunction<A extends unknown[]> = (...args: A) => Generator<unknown, unknown, unknown>;

/** Who sent a `call`: the caller's pid and the call's unique ref; hand it to `reply`. */
export type From = [Pid, Ref];
/** A pattern that matches a `From`, for `on(["$call", From, ...], ...)`. */
export const From = [Pid, Ref] as const;

/** Starts a process running `fn(...args)`; the arguments are copied (shared-nothing). */
export function spawn<A extends unknown[]>(fn: ProcessFunction<A>, ...args: A): Pid {
  if (!(fn instanceof GeneratorFunction)) {
    throw new TypeError(`spawn: expected a generator function (function*), got ${describeFunction(fn)}`);
  }
  budget.r--;
  const site = budget.s;
  budget.s = 0;
  return scheduler.spawn(fn as (...args: unknown[]) => ProcessGenerator, args.length === 0 ? args : copyArgs(args), site);
}

/** The pid of the calling process. */
export function self(): Pid {
  return current("self");
}

/** A new unique reference. */
export function makeRef(): Ref {
  return scheduler.makeRef();
}
/** Erlang's spelling of makeRef. */
export const make_ref = makeRef;

/** Sends a deep copy of `msg` to a pid or a registered name. Sending to a dead pid does nothing, like the BEAM. */
export function send(dest: Pid | string, msg: unknown): void {
  budget.r--;
  scheduler.deliver(resolve("send", dest), copyTerm(msg));
}

/**
 * Waits for the oldest message that matches one of the clauses and returns its clause's result.
 * Messages that match nothing stay in the mailbox in order. With no clause, takes the oldest message.
 */
export function receive(): Receive<unknown>;
export function receive<C extends Clause<unknown>[]>(...clauses: C): Receive<ClauseResult<C[number]>>;
export function receive(...clauses: Clause<unknown>[]): Receive<unknown> {
  return beginReceive(current("receive"), null, clauses);
}

/** Suspends the process for `ms` milliseconds; messages stay in the mailbox. */
export function sleep(ms: number): Receive<undefined> {
  const p = current("sleep");
  return beginReceive(p, p.tail, [after(ms)]) as Receive<undefined>;
}

/**
 * A synchronous call: sends `["$call", from, request]` and waits for `reply(from, value)`.
 * Throws CallTimeoutError when no reply comes within `timeoutMs`.
 */
export function call<T = unknown>(dest: Pid | string, request: unknown, timeoutMs = 5000): Receive<T> {
  const p = current("call");
  const target = resolve("call", dest);
  if (target.status === "exited") throw new Error(`call: ${target} is not alive`);
  if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) throw new TypeError(`call: the timeout must be a number of milliseconds >= 0, got ${String(timeoutMs)}`);
  const ref = scheduler.makeRef();
  // A reply can only arrive after the request, so the receive starts after today's last message.
  const marker = p.tail;
  budget.r--;
  scheduler.deliver(target, ["$call", [p, ref], copyTerm(request, "request")]);
  return beginReceive(p, marker, [new AwaitReply(ref, timeoutMs, dest, request)]) as Receive<T>;
}

/** Answers a `call`. */
export function reply(from: From, value: unknown): void {
  if (!Array.isArray(from) || !(from[0] instanceof Pid) || !(from[1] instanceof Ref)) {
    throw new TypeError(`reply: expected the caller's From ([Pid, Ref]) from a ["$call", from, request] message, got ${preview(from)}`);
  }
  budget.r--;
  scheduler.deliver(local("reply", from[0]), ["$reply", from[1], copyTerm(value, "reply")]);
}

/** Registers a process under a unique name. */
export function register(name: string, pid: Pid): void {
  const p = local("register", pid);
  scheduler.registry.register(name, p);
  scheduler.markRenamed(p);
}

/** Frees a registered name. */
export function unregister(name: string): void {
  const p = scheduler.registry.whereis(name);
  scheduler.registry.unregister(name);
  if (p !== undefined) scheduler.markRenamed(p);
}

/** The pid registered under `name`, or undefined. */
export function whereis(name: string): Pid | undefined {
  return scheduler.registry.whereis(name);
}

/** All registered names. */
export function registered(): string[] {
  return scheduler.registry.registered();
}

/** Whether a process is alive. */
export function isAlive(pid: Pid): boolean {
  return local("isAlive", pid).status !== "exited";
}

/** Stops a process with a reason, like Erlang's `exit(Pid, Reason)` from another process. */
export function exit(pid: Pid, reason: unknown = "killed"): void {
  scheduler.kill(local("exit", pid), reason);
}

/** The reductions a slice may run before its process is preempted (`--reductions`, default 2000); with `--seed` each slice gets a random budget up to it. */
export function reductionBudget(): number {
  return scheduler.reductionBudget;
}

function current(what: string): Process {
  const p = scheduler.current;
  if (p === null) throw new Error(`${what}() was called outside a process; call it from a process function (function*) started by spawn or main`);
  return p;
}

function resolve(what: string, dest: Pid | string): Process {
  if (typeof dest === "string") {
    const p = scheduler.registry.whereis(dest);
    if (p === undefined) throw new Error(`${what}: no process is registered as "${dest}"`);
    return p;
  }
  return local(what, dest);
}

function local(what: string, pid: Pid): Process {
  if (pid instanceof Process) return pid;
  if (pid instanceof Pid) {
    const p = scheduler.find(pid.id);
    // A pid of a process that is gone behaves like a dead process.
    return p ?? deadProcess(pid);
  }
  throw new TypeError(`${what}: expected a Pid or a registered name, got ${preview(pid)}`);
}

function deadProcess(pid: Pid): Process {
  const p = new Process(pid.id, deadProcess as never, []);
  p.status = "exited";
  return p;
}

function describeFunction(fn: unknown): string {
  if (typeof fn !== "function") return preview(fn);
  const kind = fn.constructor?.name === "AsyncFunction" ? "an async function" : "a plain function";
  return `${kind}${fn.name ? ` (${fn.name})` : ""}; processes are generator functions so that they can wait with yield*`;
}

