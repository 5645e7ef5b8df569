// The process functions of test/monitors.test.ts, named for every scheduler of the harness
// (test/processes/define.ts), so that monitors, DOWN messages and calls cross scheduler threads.

import { _, call, CallExitError, exit, on, receive, reply, send, sleep, type From, type Pid } from "../../runtime/api.js";
import { defineProcesses } from "./define.js";

/** Ends with reason "finished" a millisecond after it started. */
export function* finishSoon(): Generator<unknown, void, unknown> {
  yield* sleep(1);
  exit("finished");
}

/** Fails with a TypeError a millisecond after it started. */
export function* failWithTypeError(): Generator<unknown, void, unknown> {
  yield* sleep(1);
  (null as unknown as { toString(): string }).toString();
}

/**
 * Answers calls with their request, except "die" (it crashes) and "hang" (never answered); with
 * `report`, tells it of each "hang" it took, so that a test can wait until callers wait.
 */
export function* slowServer(report?: Pid): Generator<unknown, void, unknown> {
  for (;;) {
    const [, from, request] = (yield* receive(on(["$call", _, _]))) as [string, From, unknown];
    if (request === "die") throw new Error("server died on request");
    if (request === "hang") {
      if (report !== undefined) send(report, "hanging");
      continue;
    }
    reply(from, request);
  }
}

/** Calls `server` with "hang" and tells `parent` how the call ended. */
export function* hangingCaller(server: Pid, parent: Pid, k: number): Generator<unknown, void, unknown> {
  try {
    yield* call(server, "hang", 60_000);
  } catch (error) {
    send(parent, ["caller", k, error instanceof CallExitError ? error.reason : String(error)]);
  }
}

/** Answers one call, then crashes. */
export function* replyOnceThenDie(): Generator<unknown, void, unknown> {
  const [, from] = (yield* receive(on(["$call", _, _]))) as [string, From, unknown];
  reply(from, "last words");
  throw new Error("then died");
}

defineProcesses(import.meta.url, { finishSoon, failWithTypeError, slowServer, hangingCaller, replyOnceThenDie });
