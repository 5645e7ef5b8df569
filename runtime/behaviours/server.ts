// A server process in the style of Elixir's GenServer: a loop that carries a state and handles
// calls, casts and other messages, one at a time. The state of each running server is kept
// where the inspector can show it.

import { receive, reply, self, send, spawn, type From } from "../api.js";
import type { Process } from "../core/process.js";
import { budget, PREEMPT } from "../core/reductions.js";
import type { Pid } from "../core/terms.js";

/** What a handler may return: a value, or a generator (it may wait with yield*) that returns it. */
export type MaybeWaiting<T> = T | Generator<unknown, T, unknown>;

export interface ServerSpec<S, Args extends unknown[] = []> {
  /** Shown as the process's function in the visualizer. */
  name?: string;
  /** The initial state. */
  init(...args: Args): MaybeWaiting<S>;
  /** A `call`: returns `[reply, newState]`. */
  handleCall?(request: any, state: S, from: From): MaybeWaiting<[unknown, S]>;
  /** A `cast`: returns the new state. */
  handleCast?(message: any, state: S): MaybeWaiting<S>;
  /** Any other message: returns the new state. */
  handleInfo?(message: any, state: S): MaybeWaiting<S>;
}

/** The state of every running server, by process: read by the inspector. */
export const serverStates = new WeakMap<Process, { state: unknown }>();

/**
 * Starts a server process: `init(...args)` makes the first state; `call(pid, request)` reaches
 * handleCall, `cast(pid, message)` handleCast, anything else handleInfo. The spec stays on the
 * spawning scheduler (it holds functions); the arguments are copied like any spawn's.
 */
export function startServer<S, Args extends unknown[]>(spec: ServerSpec<S, Args>, ...args: Args): Pid {
  const loop = function* (...initArgs: Args): Generator<unknown, void, unknown> {
    const box = { state: yield* settle(spec.init(...initArgs)) };
    const me = self();
    serverStates.set(me as Process, box);
    for (;;) {
      // Runtime code is not instrumented by the loader, so this loop counts its own reductions.
      if (--budget.r <= 0) yield PREEMPT;
      const msg = yield* receive();
      if (Array.isArray(msg) && msg.length === 3 && msg[0] === "$call" && spec.handleCall !== undefined) {
        const [answer, next] = yield* settle(spec.handleCall(msg[2], box.state as S, msg[1] as From));
        box.state = next;
        reply(msg[1] as From, answer);
      } else if (Array.isArray(msg) && msg.length === 2 && msg[0] === "$cast" && spec.handleCast !== undefined) {
        box.state = yield* settle(spec.handleCast(msg[1], box.state as S));
      } else if (spec.handleInfo !== undefined) {
        box.state = yield* settle(spec.handleInfo(msg, box.state as S));
      } else {
        // Like OTP: a message the server has no handler for is reported, not left to pile up.
        console.error(`${me} (${spec.name ?? "server"}) has no handler for the message ${describe(msg)}`);
      }
    }
  };
  Object.defineProperty(loop, "name", { value: spec.name ?? "server" });
  return spawn(loop, ...args);
}

/** Sends an asynchronous request that the server handles with handleCast. */
export function cast(dest: Pid | string, message: unknown): void {
  send(dest, ["$cast", message]);
}

function* settle<T>(value: MaybeWaiting<T>): Generator<unknown, T, unknown> {
  if (Object.prototype.toString.call(value) === "[object Generator]") return yield* value as Generator<unknown, T, unknown>;
  return value as T;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
