// The public API of Beamline: what user programs import from "beamline".
// It reads like Erlang for TypeScript users: spawn, send, receive, self, register, whereis.

import { copyArgs, copyTerm } from "./core/copy.js";
import { ProcessExit } from "./core/exitReason.js";
import { Process, type ProcessGenerator } from "./core/process.js";
import { after, AwaitRemoteReply, AwaitReply, beginReceive, beginWait, callExitError, preview, type Clause, type ClauseResult, type Receive } from "./core/receive.js";
import { budget } from "./core/reductions.js";
import { scheduler } from "./core/scheduler.js";
import type { Peers } from "./core/peers.js";
import * as signals from "./core/signals.js";
import { Pid, Ref } from "./core/terms.js";

export { Pid, Ref } from "./core/terms.js";
export { _, where, Guard, type Match } from "./core/pattern.js";
export { on, after, CallTimeoutError, CallExitError, type Clause, type Receive } from "./core/receive.js";
export { isCrashReason, formatReason, type CrashReason } from "./core/exitReason.js";
export { UnsendableError } from "./core/copy.js";
export { RegistryError } from "./core/registry.js";
export { startServer, startServerLink, cast, ServerStartError, type ServerSpec } from "./behaviours/server.js";
export {
  startSupervisor,
  whichChildren,
  countChildren,
  startChild,
  terminateChild,
  restartChild,
  deleteChild,
  SupervisorError,
  type ChildSpec,
  type ChildInfo,
  type ChildCounts,
  type SupervisorOptions,
} from "./behaviours/supervisor.js";
export { startDynamicSupervisor, type DynamicSupervisorOptions } from "./behaviours/dynamicSupervisor.js";
/** Used by the code the loader instruments; not part of the public API. */
export { budget as __beamline } from "./core/reductions.js";
/** Called by the loaded program with its top-level process functions (core/processFunctions.ts); not part of the public API. */
export function __beamlineDefine(functions: Record<string, Function>): void {
  scheduler.functions.define(functions);
}

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as Function;

/** A process function: a generator function run as a process. */
export type ProcessFunction<A extends unknown[]> = (...args: A) => Generator<unknown, unknown, unknown>;

/** Who sent a `call`: the caller's pid and the call's unique ref; hand it to `reply`. */
export type From = [Pid, Ref];
/** A pattern that matches a `From`, for `on(["$call", From, ...], ...)`. */
export const From = [Pid, Ref] as const;

/** Starts a process running `fn(...args)`; the arguments are copied (shared-nothing). */
export function spawn<A extends unknown[]>(fn: ProcessFunction<A>, ...args: A): Pid {
  const owner = placed(fn);
  if (owner >= 0) return spawnThere(owner, fn, args, null, null);
  return spawnHere("spawn", fn, args);
}

/**
 * Where the balancer starts `fn` (peers.ts, place): another scheduler's index, or -1 for this one
 * (always with one scheduler, and for a closure, which only this scheduler can run).
 */
function placed(fn: Function): number {
  const peers = scheduler.peers;
  if (peers === null || !(fn instanceof GeneratorFunction)) return -1;
  const owner = peers.place(fn);
  return owner === scheduler.index ? -1 : owner;
}

/** Starts a process on this scheduler. */
function spawnHere(what: string, fn: Function, args: unknown[]): Process {
  if (!(fn instanceof GeneratorFunction)) {
    throw new TypeError(`${what}: expected a generator function (function*), got ${describeFunction(fn)}`);
  }
  budget.r--;
  const site = budget.s;
  budget.s = 0;
  return scheduler.spawn(fn as (...args: unknown[]) => ProcessGenerator, args.length === 0 ? args : copyArgs(args), site);
}

/**
 * Starts a top-level process function on scheduler `owner` (0-based, not this one), linked to or
 * monitored by `spawner` from its first slice on (peers.ts, spawn).
 */
function spawnThere(owner: number, fn: Function, args: unknown[], spawner: Process | null, monitorRef: Ref | null): Pid {
  budget.r--;
  const site = budget.s;
  budget.s = 0;
  return scheduler.peers!.spawn(owner, scheduler.functions.nameFor(fn)!, args, site, spawner, monitorRef);
}

/**
 * Starts `fn(...args)` on scheduler `schedulerId` (1..schedulers()), for teaching and tests; spawn
 * lets the balancer choose. On another scheduler, `fn` must be a top-level function* of the program,
 * which every scheduler loads: a closure can start only on the scheduler that made it.
 */
export function spawnOn<A extends unknown[]>(schedulerId: number, fn: ProcessFunction<A>, ...args: A): Pid {
  const owner = chosen("spawnOn", schedulerId, fn);
  if (owner < 0) return spawnHere("spawnOn", fn, args);
  return spawnThere(owner, fn, args, null, null);
}

/** spawnOn and link at once, like spawnLink: the link exists before the child runs, on whichever scheduler. */
export function spawnLinkOn<A extends unknown[]>(schedulerId: number, fn: ProcessFunction<A>, ...args: A): Pid {
  const p = current("spawnLinkOn");
  const owner = chosen("spawnLinkOn", schedulerId, fn);
  return owner < 0 ? linkedHere("spawnLinkOn", p, fn, args) : linkedThere(p, owner, fn, args);
}

/** spawnOn and monitor at once, like spawnMonitor; returns the pid and the monitor's ref. */
export function spawnMonitorOn<A extends unknown[]>(schedulerId: number, fn: ProcessFunction<A>, ...args: A): [Pid, Ref] {
  const p = current("spawnMonitorOn");
  const owner = chosen("spawnMonitorOn", schedulerId, fn);
  return owner < 0 ? monitoredHere("spawnMonitorOn", p, fn, args) : monitoredThere(p, owner, fn, args);
}

/** The scheduler index (0-based) a spawnOn-like call names, or -1 for this one; a bad id or a closure for another scheduler throws. */
function chosen(what: string, schedulerId: number, fn: Function): number {
  const count = scheduler.count;
  if (!Number.isInteger(schedulerId) || schedulerId < 1 || schedulerId > count) {
    throw new RangeError(`${what}: the scheduler id must be an integer from 1 to ${count} (this run has ${count} scheduler${count === 1 ? "" : "s"}), got ${preview(schedulerId)}`);
  }
  if (schedulerId - 1 === scheduler.index) return -1;
  if (!(fn instanceof GeneratorFunction)) {
    throw new TypeError(`${what}: expected a generator function (function*), got ${describeFunction(fn)}`);
  }
  if (scheduler.functions.nameFor(fn) === undefined) {
    throw new TypeError(
      `${what}(${schedulerId}, ${fn.name || "an anonymous function*"}): only a top-level function* of the program can start on another scheduler, ` +
        `because each scheduler thread has its own copy of the program and finds the function by its name; ` +
        `a closure or a nested function can start only on the scheduler that made it (scheduler ${scheduler.index + 1})`,
    );
  }
  return schedulerId - 1;
}

/** This process's scheduler, 1..schedulers(), like Erlang's `erlang:system_info(scheduler_id)`. */
export function schedulerId(): number {
  current("schedulerId");
  return scheduler.index + 1;
}

/** How many schedulers this run has (`--schedulers N`, `+S N`). */
export function schedulers(): number {
  return scheduler.count;
}

/**
 * Spawns a process linked to the caller, atomically: the link exists before the child runs. The
 * balancer may start it on another scheduler, as spawn's; the link travels with the spawn.
 */
export function spawnLink<A extends unknown[]>(fn: ProcessFunction<A>, ...args: A): Pid {
  const p = current("spawnLink");
  const owner = placed(fn);
  return owner < 0 ? linkedHere("spawnLink", p, fn, args) : linkedThere(p, owner, fn, args);
}

/** Spawns a process monitored by the caller, atomically, placed as spawn's; returns its pid and the monitor's ref. */
export function spawnMonitor<A extends unknown[]>(fn: ProcessFunction<A>, ...args: A): [Pid, Ref] {
  const p = current("spawnMonitor");
  const owner = placed(fn);
  return owner < 0 ? monitoredHere("spawnMonitor", p, fn, args) : monitoredThere(p, owner, fn, args);
}

function linkedHere(what: string, p: Process, fn: Function, args: unknown[]): Pid {
  const child = spawnHere(what, fn, args);
  signals.link(scheduler, p, child);
  return child;
}

function linkedThere(p: Process, owner: number, fn: Function, args: unknown[]): Pid {
  const child = spawnThere(owner, fn, args, p, null);
  signals.linkedSpawn(scheduler, p, child);
  return child;
}

function monitoredHere(what: string, p: Process, fn: Function, args: unknown[]): [Pid, Ref] {
  const child = spawnHere(what, fn, args);
  return [child, signals.monitor(scheduler, p, child)];
}

function monitoredThere(p: Process, owner: number, fn: Function, args: unknown[]): [Pid, Ref] {
  const ref = scheduler.makeRef();
  const child = spawnThere(owner, fn, args, p, ref);
  return [child, signals.monitoredSpawn(scheduler, p, child, ref)];
}

/**
 * Links the caller and `pid` both ways: when either exits with a reason other than "normal", the
 * other gets an exit signal. Linking to a process that is not alive gives the caller an exit
 * signal with reason "noproc".
 */
export function link(pid: Pid): true {
  signals.link(scheduler, current("link"), anywhere("link", pid));
  return true;
}

/** Removes the link between the caller and `pid`, if there is one. */
export function unlink(pid: Pid): true {
  signals.unlink(scheduler, current("unlink"), anywhere("unlink", pid));
  return true;
}

/**
 * Monitors a process (by pid or registered name): the caller gets one
 * `["DOWN", ref, "process", pid, reason]` when it exits, at once with "noproc" if it is not alive.
 */
export function monitor(target: Pid | string): Ref {
  const p = current("monitor");
  if (typeof target === "string") return signals.monitor(scheduler, p, scheduler.registry.whereis(target) ?? target);
  // (A name another scheduler's process holds gives its plain Pid, which signals.monitor sends there.)
  return signals.monitor(scheduler, p, anywhere("monitor", target));
}

/** Stops a monitor; no DOWN for `ref` arrives after it. With `flush`, also removes a DOWN already in the mailbox. Returns whether the monitor was active. */
export function demonitor(ref: Ref, options: { flush?: boolean } = {}): boolean {
  if (!(ref instanceof Ref)) throw new TypeError(`demonitor: expected the Ref that monitor returned, got ${preview(ref)}`);
  return signals.demonitor(scheduler, current("demonitor"), ref, options.flush === true);
}

/** The process flags a program may set. */
export type ProcessFlag = "trapExit";

/**
 * Sets a flag of the calling process and returns its old value. `processFlag("trapExit", true)`:
 * exit signals arrive as `["EXIT", from, reason]` messages instead of ending the process
 * (except "kill").
 */
export function processFlag(flag: ProcessFlag, value: boolean): boolean {
  const p = current("processFlag");
  if (flag !== "trapExit") throw new TypeError(`processFlag: unknown flag ${preview(flag)}; the flag a process may set is "trapExit"`);
  if (typeof value !== "boolean") throw new TypeError(`processFlag("trapExit", value): value must be true or false, got ${preview(value)}`);
  const sig = signals.signalsOf(p);
  const old = sig.trapExit;
  sig.trapExit = value;
  scheduler.markChanged(p);
  return old;
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
  const peers = scheduler.peers;
  // Kept small, so that V8 inlines it into a process's loop: the other schedulers' case is apart.
  if (peers !== null && !(dest instanceof Process)) sendElsewhere(peers, dest, msg);
  else scheduler.deliver(resolve("send", dest), copyTerm(msg));
}

/** A send to a pid (or a name) of another scheduler, or a local pid that crossed and came back: by id (peers.ts). */
function sendElsewhere(peers: Peers, dest: Pid | string, msg: unknown): void {
  const to = typeof dest === "string" ? named("send", dest) : dest;
  if (to instanceof Process) scheduler.deliver(to, copyTerm(msg));
  else if (to instanceof Pid) peers.send(to, msg);
  else throw new TypeError(`send: expected a Pid or a registered name, got ${preview(dest)}`);
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
  return beginWait(p, p.tail, after(ms)) as Receive<undefined>;
}

/**
 * A synchronous call: sends `["$call", from, request]` and waits for `reply(from, value)`.
 * Throws CallTimeoutError when no reply comes within `timeoutMs`.
 */
export function call<T = unknown>(dest: Pid | string, request: unknown, timeoutMs = 5000): Receive<T> {
  const p = current("call");
  if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) throw new TypeError(`call: the timeout must be a number of milliseconds >= 0, got ${String(timeoutMs)}`);
  const peers = scheduler.peers;
  if (peers !== null && !(dest instanceof Process)) {
    const to = typeof dest === "string" ? scheduler.registry.whereis(dest) : dest;
    if (to instanceof Pid && !(to instanceof Process) && peers.ownerOf(to) !== scheduler.index) return remoteCall(p, peers, to, request, timeoutMs) as Receive<T>;
  }
  // Like OTP's gen_server:call, a callee that is not alive (or a name nobody holds) is an exit with "noproc".
  const target = typeof dest === "string" ? (scheduler.registry.whereis(dest) as Process | undefined) : local("call", dest);
  if (target === undefined || target.status === "exited") {
    throw callExitError(typeof dest === "string" ? `"${dest}" (no process is registered under that name)` : dest, "noproc", request);
  }
  const ref = scheduler.makeRef();
  // A reply can only arrive after the request, so the receive starts after today's last message.
  const marker = p.tail;
  budget.r--;
  scheduler.deliver(target, ["$call", [p, ref], copyTerm(request, "request")]);
  const wait = new AwaitReply(ref, timeoutMs, dest, request);
  // The call watches its callee, so that the callee's exit ends the wait at once (signals.ts).
  signals.watchCallee(wait, target);
  return beginWait(p, marker, wait) as Receive<T>;
}

/**
 * A call to a process on another scheduler: the request goes as an envelope, and the reply comes
 * back as one. The call monitors its callee, so the callee's exit ends it at once (receive.ts).
 */
function remoteCall(p: Process, peers: Peers, dest: Pid, request: unknown, timeoutMs: number): Receive<unknown> {
  const ref = scheduler.makeRef();
  const marker = p.tail;
  budget.r--;
  // The monitor goes first through the same ring, so the callee's scheduler knows it before the request.
  const monitor = signals.monitor(scheduler, p, dest);
  peers.send(dest, ["$call", [p, ref], request]);
  return beginWait(p, marker, new AwaitRemoteReply(ref, timeoutMs, dest, request, monitor));
}

/** Answers a `call`. */
export function reply(from: From, value: unknown): void {
  if (!Array.isArray(from) || !(from[0] instanceof Pid) || !(from[1] instanceof Ref)) {
    throw new TypeError(`reply: expected the caller's From ([Pid, Ref]) from a ["$call", from, request] message, got ${preview(from)}`);
  }
  budget.r--;
  const caller = from[0];
  const peers = scheduler.peers;
  if (peers !== null && !(caller instanceof Process)) peers.send(caller, ["$reply", from[1], value]);
  else scheduler.deliver(local("reply", caller), ["$reply", from[1], copyTerm(value, "reply")]);
}

/** Registers a process under a unique name. */
export function register(name: string, pid: Pid): void {
  const p = anywhere("register", pid);
  scheduler.registry.register(name, p);
  if (p instanceof Process) {
    // Another scheduler that finds the name addresses the process by id (peers.ts).
    scheduler.peers?.onPid(p);
    scheduler.markRenamed(p);
  }
}

/** Frees a registered name. */
export function unregister(name: string): void {
  const p = scheduler.registry.unregister(name);
  if (p instanceof Process) scheduler.markRenamed(p);
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
  const peers = scheduler.peers;
  if (peers !== null && pid instanceof Pid) return peers.isAlive(pid);
  return local("isAlive", pid).status !== "exited";
}

/**
 * `exit(reason)` ends the calling process with `reason` (an exception that unwinds it, so finally
 * blocks run). `exit(pid, reason)` sends `pid` an exit signal: a process that does not trap exits
 * ignores "normal" and ends with any other reason; a trapping one gets `["EXIT", self(), reason]`;
 * "kill" cannot be trapped and ends it with reason "killed".
 */
export function exit(reason: unknown): never;
export function exit(pid: Pid, reason: unknown): void;
export function exit(...args: unknown[]): void {
  if (args.length === 1) {
    const reason = args[0];
    if (reason instanceof Pid) {
      throw new TypeError(`exit(${reason}) has no reason: exit(pid, reason) signals another process (exit(pid, "kill") ends it), exit(reason) ends the caller`);
    }
    current("exit");
    throw new ProcessExit(copyTerm(reason, "reason"));
  }
  if (args.length !== 2) throw new TypeError(`exit: expected exit(reason) or exit(pid, reason), got ${args.length} arguments`);
  const p = current("exit");
  const target = anywhere("exit", args[0] as Pid);
  signals.exitSignal(scheduler, p, target, copyTerm(args[1], "reason"), false);
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
  if (typeof dest === "string") return named(what, dest) as Process;
  return local(what, dest);
}

/** The pid registered as `name`: a Process of this scheduler, or with several schedulers possibly another's Pid. */
function named(what: string, name: string): Pid {
  const p = scheduler.registry.whereis(name);
  if (p === undefined) throw new Error(`${what}: no process is registered as "${name}"`);
  return p;
}

/** A process on this scheduler, or the plain Pid of one on another scheduler. */
function anywhere(what: string, pid: Pid): Pid {
  const peers = scheduler.peers;
  if (peers !== null && pid instanceof Pid && !(pid instanceof Process) && peers.ownerOf(pid) !== scheduler.index) return pid;
  return local(what, pid);
}

function local(what: string, pid: Pid): Process {
  if (pid instanceof Process) return pid;
  if (pid instanceof Pid) {
    const peers = scheduler.peers;
    if (peers !== null) return crossedBack(what, pid, peers);
    const p = scheduler.find(pid.id);
    // A pid of a process that is gone behaves like a dead process.
    return p ?? deadProcess(pid);
  }
  throw new TypeError(`${what}: expected a Pid or a registered name, got ${preview(pid)}`);
}

/** A pid of this scheduler that came back from another one: addressable by id while alive. */
function crossedBack(what: string, pid: Pid, peers: Peers): Process {
  if (peers.ownerOf(pid) !== scheduler.index) {
    throw new Error(
      `${what}: ${pid} runs on scheduler ${peers.ownerOf(pid) + 1}, and ${what} works on processes of this scheduler (${scheduler.index + 1}) only (docs/api.md, "Several schedulers")`,
    );
  }
  const p = peers.pidFor(pid.id);
  return p instanceof Process ? p : deadProcess(pid);
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

