// Process functions that several test files spawn, named for every scheduler of the harness
// (test/processes/define.ts).

import { on, receive, sleep } from "../../runtime/api.js";
import { defineProcesses } from "./define.js";

/** Waits for a message nobody sends. */
export function* waitForever(): Generator<unknown, void, unknown> {
  yield* receive(on("never"));
}

/** Crashes with `message` a millisecond after it started. */
export function* crashSoon(message: string): Generator<unknown, void, unknown> {
  yield* sleep(1);
  throw new Error(message);
}

/** Ends at once, normally. */
export function* endAtOnce(): Generator<unknown, void, unknown> {}

/** Ends normally a millisecond after it started. */
export function* endSoon(): Generator<unknown, void, unknown> {
  yield* sleep(1);
}

/** Gives up one slice, then crashes: it races whatever its spawner does next. */
export function* crashAfterASlice(message: string): Generator<unknown, void, unknown> {
  yield undefined;
  throw new Error(message);
}

defineProcesses(import.meta.url, { waitForever, crashSoon, endAtOnce, endSoon, crashAfterASlice });
