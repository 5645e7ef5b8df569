// The supervised worker of test/supervisor.test.ts, named for every scheduler of the harness
// (test/processes/define.ts), so that a supervisor's children run on other scheduler threads.

import { exit, processFlag, receive, self, send, type Pid } from "../../runtime/api.js";
import { defineProcesses } from "./define.js";

/**
 * A worker that reports its start and, if it traps exits, how it stopped; "crash" makes it throw,
 * "stop" return, ["exit", reason] exit with that reason.
 */
export function* worker(id: string, report: Pid, trap: boolean): Generator<unknown, void, unknown> {
  if (trap) processFlag("trapExit", true);
  send(report, ["started", id, self()]);
  for (;;) {
    const msg = yield* receive();
    if (msg === "crash") throw new Error(`${id} crashed`);
    if (msg === "stop") return;
    if (Array.isArray(msg) && msg[0] === "exit") exit(msg[1]);
    if (Array.isArray(msg) && msg[0] === "EXIT") {
      send(report, ["stopped", id, msg[2]]);
      exit(msg[2]);
    }
  }
}

defineProcesses(import.meta.url, { worker });
