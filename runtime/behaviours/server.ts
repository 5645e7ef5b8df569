// A server process in the style of Erlang's gen_server and Elixir's GenServer: a loop that carries
// a state and handles calls, casts and other messages, one at a time (docs/api.md, "Server
// processes"). The state of each running server is kept where the inspector can show it.

import { demonitor, exit, makeRef, monitor, on, Pid, receive, Ref, reply, self, send, spawn, spawnLink, _, type From, type Receive } from "../api.js";
import { crashReason, ProcessExit } from "../core/exitReason.js";
import type { Process } from "../core/process.js";
import { preview } from "../core/receive.js";
import { budget, PREEMPT } from "../core/reductions.js";

/** What a handler may return: a value, or a generator (it may wait with yield*) that returns it. */
export type MaybeWaiting<T> = T | Generator<unknown, T, unknown>;

/** Ends the server with `reason` (terminate runs first); a call's `reply` is sent before. */
export type Stop<S> = { stop: unknown; state?: S; reply?: unknown };
/** Keeps the server running with `state` without replying now: answer later with `reply(from, v)`. */
export type NoReply<S> = { noreply: S };

export interface ServerSpec<S, Args extends unknown[] = []> {
  /** Shown as the process's function in the visualizer. */
  name?: string;
  /** The initial state; or `{ stop: reason }` (the server ends with that reason), or `"ignore"` (it ends normally). */
  init(...args: Args): MaybeWaiting<S | { stop: unknown } | "ignore">;
  /** A `call`: returns `[reply, newState]`, `{ noreply: state }` (reply later) or `{ stop, reply?, state? }`. */
  handleCall?(request: any, state: S, from: From): MaybeWaiting<[unknown, S] | NoReply<S> | Stop<S>>;
  /** A `cast`: returns the new state (or `{ noreply: state }`, or `{ stop, state? }`). */
  handleCast?(message: any, state: S): MaybeWaiting<S | NoReply<S> | Stop<S>>;
  /** Any other message: returns the new state (or `{ noreply: state }`, or `{ stop, state? }`). */
  handleInfo?(message: any, state: S): MaybeWaiting<S | NoReply<S> | Stop<S>>;
  /** Runs before the server ends: after a `stop`, a throwing callback, or an exit signal it traps. */
  terminate?(reason: unknown, state: S): MaybeWaiting<unknown>;
}

/** The state of every running server, by process: read by the inspector. */
export const serverStates = new WeakMap<Process, { state: unknown }>();

/** Thrown by startServerLink when the server's init stopped or crashed; `reason` is why. */
export class ServerStartError extends Error {
  override name = "ServerStartError";
  constructor(
    readonly reason: unknown,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts a server process: `init(...args)` makes the first state; `call(pid, request)` reaches
 * handleCall, `cast(pid, message)` handleCast, anything else handleInfo. It returns at once; init
 * runs in the new process. The spec stays on the spawning scheduler (it holds functions); the
 * arguments are copied like any spawn's.
 */
export function startServer<S, Args extends unknown[]>(spec: ServerSpec<S, Args>, ...args: Args): Pid {
  return spawn(serverLoop(spec), currentOrUndefined(), undefined, ...args);
}

/**
 * Starts a server linked to the caller and waits until its init has run, like OTP's
 * `gen_server:start_link`: gives its pid, `"ignore"` when init ignored, and throws
 * ServerStartError when init stopped or crashed (the server has then ended with that reason, which
 * reaches the caller through the link like any exit). Supervisors start servers this way.
 */
export function startServerLink<S, Args extends unknown[]>(spec: ServerSpec<S, Args>, ...args: Args): Receive<Pid | "ignore"> {
  const ack = makeRef();
  const pid = spawnLink(serverLoop(spec), self(), ack, ...args);
  return awaitInit(spec, pid, ack);
}

function* awaitInit(spec: ServerSpec<any, any>, pid: Pid, ack: Ref): Generator<unknown, Pid | "ignore", unknown> {
  const ref = monitor(pid);
  const answer = yield* receive(on(["$started", ack, _]), on(["DOWN", ref, "process", _, _]));
  if (answer[0] === "DOWN") {
    const reason = answer[4];
    throw new ServerStartError(reason, `${spec.name ?? "server"} ${String(pid)} did not start: its init ${describeStop(reason)}`);
  }
  demonitor(ref, { flush: true });
  return answer[2] === "ignore" ? "ignore" : pid;
}

function describeStop(reason: unknown): string {
  if (typeof reason === "object" && reason !== null && typeof (reason as { message?: unknown }).message === "string") {
    return `failed: ${(reason as { message: string }).message}`;
  }
  return `stopped with reason ${preview(reason)}`;
}

function serverLoop<S, Args extends unknown[]>(spec: ServerSpec<S, Args>) {
  const name = spec.name ?? "server";
  const loop = function* (parent: Pid | undefined, ack: Ref | undefined, ...initArgs: Args): Generator<unknown, void, unknown> {
    const me = self();
    const started = yield* guard("init", initArgs, () => spec.init(...initArgs));
    if (started === "ignore") {
      if (parent !== undefined && ack !== undefined) send(parent, ["$started", ack, "ignore"]);
      exit("normal");
    }
    // A stopping init tells its starter through the starter's monitor, with the reason.
    if (isStop(started)) exit(started.stop);
    if (parent !== undefined && ack !== undefined) send(parent, ["$started", ack, "ok"]);
    const box = { state: started as S };
    serverStates.set(me as Process, box);
    for (;;) {
      // Runtime code is not instrumented by the loader, so this loop counts its own reductions.
      if (--budget.r <= 0) yield PREEMPT;
      const msg = yield* receive();
      let result: unknown;
      if (Array.isArray(msg) && msg.length === 3 && msg[0] === "$call" && spec.handleCall !== undefined) {
        const from = msg[1] as From;
        result = yield* guard("handleCall", msg[2], () => spec.handleCall!(msg[2], box.state, from), spec, box);
        if (Array.isArray(result) && result.length === 2) {
          box.state = result[1] as S;
          reply(from, result[0]);
          continue;
        }
        if (isStop(result) && "reply" in result) reply(from, result.reply);
        else if (!isStop(result) && !isNoReply(result)) {
          badReturn("handleCall", msg[2], result, "[reply, newState], { noreply: state } or { stop: reason, reply?, state? }");
        }
      } else if (Array.isArray(msg) && msg.length === 2 && msg[0] === "$cast" && spec.handleCast !== undefined) {
        result = yield* guard("handleCast", msg[1], () => spec.handleCast!(msg[1], box.state), spec, box);
      } else if (isExit(msg) && (samePidOrUndefined(msg[1], parent) || spec.handleInfo === undefined)) {
        // Like OTP: an exit signal from the parent (or one the server cannot hand to handleInfo)
        // ends a trapping server, after terminate; "normal" from anyone else is ignored.
        if (msg[2] === "normal" && !samePidOrUndefined(msg[1], parent)) continue;
        yield* terminate(spec, msg[2], box.state);
        exit(msg[2]);
      } else if (spec.handleInfo !== undefined) {
        result = yield* guard("handleInfo", msg, () => spec.handleInfo!(msg, box.state), spec, box);
      } else {
        // Like OTP: a message the server has no handler for is reported, not left to pile up.
        console.error(`${me} (${name}) has no handler for the message ${preview(msg)}`);
        continue;
      }
      if (isStop(result)) {
        if ("state" in result) box.state = result.state as S;
        yield* terminate(spec, result.stop, box.state);
        exit(result.stop);
      }
      box.state = (isNoReply(result) ? result.noreply : result) as S;
    }
  };
  Object.defineProperty(loop, "name", { value: name });
  return loop;
}

/**
 * Runs a callback. If it throws, the server ends with a crash whose message names the callback
 * and the message it was handling, after terminate (when the server had a state); `exit(reason)`
 * in a callback ends the server with that reason, also after terminate, as in OTP.
 */
function* guard<T>(
  callback: string,
  message: unknown,
  run: () => MaybeWaiting<T>,
  spec?: ServerSpec<any, any>,
  box?: { state: unknown },
): Generator<unknown, T, unknown> {
  try {
    return yield* settle(run());
  } catch (thrown) {
    if (thrown instanceof ProcessExit) {
      if (spec !== undefined) yield* terminate(spec, thrown.reason, box!.state);
      throw thrown;
    }
    const error = namedError(callback, message, thrown);
    if (spec !== undefined) yield* terminate(spec, crashReason(error), box!.state);
    throw error;
  }
}

/** Runs terminate; if it throws, the server ends with that crash instead. */
function* terminate(spec: ServerSpec<any, any>, reason: unknown, state: unknown): Generator<unknown, void, unknown> {
  if (spec.terminate === undefined) return;
  try {
    yield* settle(spec.terminate(reason, state));
  } catch (thrown) {
    if (thrown instanceof ProcessExit) throw thrown;
    throw namedError("terminate", reason, thrown);
  }
}

/** The error a throwing callback ends the server with: the same name and frames, a message that says where. */
function namedError(callback: string, message: unknown, thrown: unknown): Error {
  const what = callback === "init" ? `init(${(message as unknown[]).map((a) => preview(a)).join(", ")})` : `${callback}(${preview(message)})`;
  if (!(thrown instanceof Error)) {
    return new Error(`${what} threw ${preview(thrown)}`);
  }
  const text = `${what} threw: ${thrown.message}`;
  const error = new Error(text, { cause: thrown });
  error.name = thrown.name;
  const stack = typeof thrown.stack === "string" ? thrown.stack : "";
  const frames = stack.indexOf("\n    at ");
  error.stack = `${thrown.name}: ${text}${frames >= 0 ? stack.slice(frames) : ""}`;
  return error;
}

function badReturn(callback: string, message: unknown, result: unknown, expected: string): never {
  throw new TypeError(`${callback}(${preview(message)}) returned ${preview(result)}; expected ${expected}`);
}

/** `{ stop: reason }`, optionally with `state` and `reply`: a plain object with exactly those keys. */
function isStop(value: unknown): value is Stop<unknown> {
  if (!isPlainObject(value) || !Object.hasOwn(value, "stop")) return false;
  for (const key of Object.keys(value)) if (key !== "stop" && key !== "state" && key !== "reply") return false;
  return true;
}

/** `{ noreply: state }`: a plain object with exactly that key. */
function isNoReply(value: unknown): value is NoReply<unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === "noreply";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isExit(msg: unknown): msg is ["EXIT", Pid, unknown] {
  return Array.isArray(msg) && msg.length === 3 && msg[0] === "EXIT" && msg[1] instanceof Pid;
}

function samePidOrUndefined(a: Pid, b: Pid | undefined): boolean {
  return b !== undefined && a.id === b.id;
}

function currentOrUndefined(): Pid | undefined {
  try {
    return self();
  } catch {
    return undefined;
  }
}

/** Sends an asynchronous request that the server handles with handleCast. */
export function cast(dest: Pid | string, message: unknown): void {
  send(dest, ["$cast", message]);
}

function* settle<T>(value: MaybeWaiting<T>): Generator<unknown, T, unknown> {
  if (Object.prototype.toString.call(value) === "[object Generator]") return yield* value as Generator<unknown, T, unknown>;
  return value as T;
}
