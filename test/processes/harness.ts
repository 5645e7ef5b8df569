// The process functions of test/harness.test.ts, named for every scheduler of the harness.

import { schedulerId, send, type Pid } from "../../runtime/api.js";
import { defineProcesses } from "./define.js";

/** Tells `parent` which scheduler it runs on. */
export function* reportScheduler(parent: Pid): Generator<unknown, void, unknown> {
  send(parent, ["on", schedulerId()]);
}

defineProcesses(import.meta.url, { reportScheduler });
