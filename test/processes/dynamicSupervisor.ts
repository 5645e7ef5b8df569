// The pool workers of test/dynamicSupervisor.test.ts, named for every scheduler of the harness
// (test/processes/define.ts), so that a dynamic supervisor's children run on other scheduler threads.

import { receive, self, send, type Pid } from "../../runtime/api.js";
import { defineProcesses } from "./define.js";

/** A pool worker: reports ["started", name, pid]; "crash" makes it throw, "stop" return. */
export function* poolWorker(report: Pid, name: string): Generator<unknown, void, unknown> {
  send(report, ["started", name, self()]);
  for (;;) {
    const msg = yield* receive();
    if (msg === "crash") throw new Error(`${name} crashed`);
    if (msg === "stop") return;
  }
}

/** A worker that waits; the one named w4321 reports its starts. */
export function* quiet(report: Pid, name: string): Generator<unknown, void, unknown> {
  if (name === "w4321") send(report, ["started", name, self()]);
  yield* receive();
}

defineProcesses(import.meta.url, { poolWorker, quiet });
