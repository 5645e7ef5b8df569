// The process functions of test/receive.test.ts, named for every scheduler of the harness
// (test/processes/define.ts), so that selective receive, timeouts and calls see messages and
// replies that crossed scheduler threads.

import { _, From, on, receive, reply, send, sleep, type Pid } from "../../runtime/api.js";
import { defineProcesses } from "./define.js";

/** Sends `msg` to `to` after `ms` milliseconds. */
export function* sendLater(to: Pid, ms: number, msg: unknown): Generator<unknown, void, unknown> {
  yield* sleep(ms);
  send(to, msg);
}

/** Sends 0..n-1 to `to`, giving up its slice every ten, then "done". */
export function* countTo(to: Pid, n: number): Generator<unknown, void, unknown> {
  for (let i = 0; i < n; i++) {
    send(to, i);
    if (i % 10 === 0) yield;
  }
  send(to, "done");
}

/** Answers one call with ["echo", request]. */
export function* echoOneCall(): Generator<unknown, void, unknown> {
  yield* receive(on(["$call", From, _], ([, from, request]) => reply(from, ["echo", request])));
}

/** Sends each number it receives with its sender, `[from, n]`, back to the sender. */
export function* echoNumbers(): Generator<unknown, void, unknown> {
  for (;;) {
    const [from, n] = (yield* receive(on([_, Number]))) as [Pid, number];
    send(from, n);
  }
}

/** Answers each call of a number `ms` with `ms`, after sleeping that long. */
export function* sleepyServer(): Generator<unknown, void, unknown> {
  for (;;) {
    yield* receive(
      on(["$call", From, Number], function* ([, from, ms]) {
        yield* sleep(ms);
        reply(from, ms);
      }),
    );
  }
}

defineProcesses(import.meta.url, { sendLater, countTo, echoOneCall, echoNumbers, sleepyServer });
