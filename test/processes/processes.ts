// The process functions of test/processes.test.ts, named for every scheduler of the harness
// (test/processes/define.ts).

import { receive, send, type Pid } from "../../runtime/api.js";
import { defineProcesses } from "./define.js";

/** Sends `parent` twice each number it gets. */
export function* doubler(parent: Pid): Generator<unknown, void, unknown> {
  for (;;) {
    const n = (yield* receive()) as number;
    send(parent, n * 2);
  }
}

defineProcesses(import.meta.url, { doubler });
