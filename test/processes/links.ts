// The process functions of test/links.test.ts, named for every scheduler of the harness
// (test/processes/define.ts), so that links and exit signals cross scheduler threads.

import { _, exit, link, on, Pid, processFlag, receive, self, send, sleep, unlink } from "../../runtime/api.js";
import { defineProcesses } from "./define.js";
import { waitForever } from "./common.js";

/** Links to `p`, then crashes a millisecond later. */
export function* linkThenCrash(p: Pid): Generator<unknown, void, unknown> {
  link(p);
  yield* sleep(1);
  throw new Error("linker fails");
}

/** Links to `p`, then ends normally a millisecond later. */
export function* linkThenEnd(p: Pid): Generator<unknown, void, unknown> {
  link(p);
  yield* sleep(1);
}

/** Links to `p`, unlinks, then crashes. */
export function* linkUnlinkThenCrash(p: Pid): Generator<unknown, void, unknown> {
  link(p);
  unlink(p);
  yield* sleep(1);
  throw new Error("after unlink");
}

/** Links to `p` and waits. */
export function* linkAndWait(p: Pid): Generator<unknown, void, unknown> {
  link(p);
  yield* waitForever();
}

/** Traps exits, tells `parent` it is ready, and sends it the first EXIT message it gets. */
export function* trapAndReport(parent: Pid): Generator<unknown, void, unknown> {
  processFlag("trapExit", true);
  send(parent, "ready");
  const msg = yield* receive(on(["EXIT", Pid, _]));
  send(parent, ["got", msg]);
}

/** Traps exits and waits. */
export function* trapForever(): Generator<unknown, void, unknown> {
  processFlag("trapExit", true);
  yield* waitForever();
}

/** Sends itself an exit signal, which ends it when its slice does. */
export function* exitSelf(): Generator<unknown, void, unknown> {
  exit(self(), "myself");
  yield* waitForever();
}

defineProcesses(import.meta.url, { linkThenCrash, linkThenEnd, linkUnlinkThenCrash, linkAndWait, trapAndReport, trapForever, exitSelf });
