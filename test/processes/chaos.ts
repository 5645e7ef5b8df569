// The clients and the killer of test/chaos.test.ts, named for every scheduler of the harness
// (test/processes/define.ts), so that they call and kill the pool's workers from other threads.

import { call, CallExitError, exit, send, sleep, whichChildren, type Pid } from "../../runtime/api.js";
import { defineProcesses } from "./define.js";

export const REQUESTS = 100;
export const KILLS = 40;

/** A client: each request checks a worker out and calls it, retrying when the worker died meanwhile. */
export function* client(id: number, report: Pid): Generator<unknown, void, unknown> {
  const answers: number[] = [];
  let retries = 0;
  for (let i = 0; i < REQUESTS; i++) {
    for (let attempt = 0; ; attempt++) {
      // A service that stopped answering fails the test, never hangs it.
      if (attempt === 1000) throw new Error(`client ${id}: request ${i} found no worker in 1000 attempts`);
      const worker = yield* call<Pid | undefined>("dispatcher", "checkout");
      if (worker === undefined) {
        yield* sleep(1);
        continue;
      }
      try {
        answers.push(yield* call<number>(worker, ["square", `${id}:${i}`, i]));
        break;
      } catch (error) {
        if (!(error instanceof CallExitError)) throw error;
        retries++;
      }
    }
  }
  send(report, ["client", id, answers, retries]);
}

/** Kills random running workers, one every few virtual milliseconds; reports how many it killed. */
export function* killer(seed: number, report: Pid): Generator<unknown, void, unknown> {
  let state = seed >>> 0 || 1;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  let kills = 0;
  for (let round = 0; kills < KILLS; round++) {
    if (round === 10_000) throw new Error(`killer: no worker to kill in ${round} rounds`);
    yield* sleep(random() * 3);
    const running = (yield* whichChildren("pool")).filter((c) => c.pid !== undefined);
    if (running.length === 0) continue;
    const victim = running[Math.floor(random() * running.length)]!.pid!;
    exit(victim, random() < 0.5 ? "kill" : "chaos");
    kills++;
  }
  send(report, ["killer", kills]);
}

defineProcesses(import.meta.url, { client, killer });
