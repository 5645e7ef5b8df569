// A tiny harness that runs processes on the scheduler of the test's own thread, without a worker
// or the loader, so that semantic and property tests run fast. Loops here are not instrumented;
// preemption and the loader are tested through the CLI (cli.test.ts).

import { formatReason, spawn } from "../runtime/api.js";
import type { Process } from "../runtime/core/process.js";
import { seededRandom } from "../runtime/core/random.js";
import { scheduler } from "../runtime/core/scheduler.js";

export interface RunResult<T> {
  value: T;
  /** Processes that crashed during the run, with their reasons. */
  crashes: { pid: string; reason: unknown }[];
}

/**
 * Runs `body` as a process and resolves when it returns (or rejects with an Error carrying its crash `reason`). With a
 * seed, like `--seed`: seeded slice budgets and virtual time (the thread's Date and performance.now
 * stay real here; the CLI's scheduler thread makes them virtual too).
 */
export function runProcess<T>(body: () => Generator<unknown, T, unknown>, options: { seed?: number } = {}): Promise<RunResult<T>> {
  scheduler.random = options.seed === undefined ? undefined : seededRandom(options.seed);
  scheduler.useVirtualTime(options.seed !== undefined);
  const crashes: RunResult<T>["crashes"] = [];
  return new Promise((resolve, reject) => {
    let value: T;
    let root: Process | undefined;
    const stop = scheduler.observe({
      exited(p, reason, crashed) {
        if (crashed) crashes.push({ pid: String(p), reason });
        if (p !== root) return;
        stop();
        // A crash reason is a term; the test sees it as an Error whose message is the crash's stack.
        if (crashed) reject(Object.assign(new Error(formatReason(reason)), { reason }));
        else resolve({ value, crashes });
      },
    });
    root = spawn(function* () {
      value = yield* body();
    }) as Process;
  });
}

/** Lets the other processes run: a bare yield gives up the rest of the slice. */
export function* yieldSlice(): Generator<undefined, void, unknown> {
  yield undefined;
}
