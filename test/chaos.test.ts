// Chaos (issue 14): a supervised pool, a dynamic supervisor of workers beside a dispatcher and a
// ledger under one supervisor, runs while a killer ends random workers. Clients check a worker out
// of the dispatcher and call it; a call whose worker died throws CallExitError and the client
// retries, as the design says. Every request must be answered, correctly, and every message to a
// live process must arrive: each handled request reaches the ledger exactly once.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  _,
  after,
  call,
  cast,
  exit,
  on,
  Pid,
  processFlag,
  receive,
  register,
  self,
  sleep,
  spawnLink,
  startDynamicSupervisor,
  startServerLink,
  startChild,
  startSupervisor,
  whichChildren,
  type From,
} from "../runtime/api.js";
import type { Process } from "../runtime/core/process.js";
import { supervisorSnapshot } from "../runtime/behaviours/supervisor.js";
import { runProcess } from "./harness.js";
import { client, KILLS, killer, REQUESTS } from "./processes/chaos.js";

const POOL_SIZE = 8;
const CLIENTS = 4;

/**
 * A worker takes a while over each request (so that kills catch requests in flight), then squares
 * the number and tells the ledger, in the same step, that it handled the request.
 */
const workerSpec = {
  name: "worker",
  init: () => 0,
  *handleCall(request: ["square", string, number], handled: number, _from: From): Generator<unknown, [unknown, number], unknown> {
    yield* sleep(0.5);
    cast("ledger", ["done", request[1]]);
    return [request[2] * request[2], handled + 1];
  },
};

/** The ledger counts the requests the workers handled, by request id. */
const ledgerSpec = {
  name: "ledger",
  init: () => {
    register("ledger", self());
    return new Map<string, number>();
  },
  handleCast: (msg: ["done", string], seen: Map<string, number>) => seen.set(msg[1], (seen.get(msg[1]) ?? 0) + 1),
  handleCall: (_req: "seen", seen: Map<string, number>): [unknown, Map<string, number>] => [[...seen], seen],
};

/** The dispatcher hands out running workers round robin, or undefined while none runs. */
const dispatcherSpec = {
  name: "dispatcher",
  init: () => {
    register("dispatcher", self());
    return 0;
  },
  *handleCall(_req: "checkout", next: number): Generator<unknown, [unknown, number], unknown> {
    const running = (yield* whichChildren("pool")).filter((c) => c.pid !== undefined);
    if (running.length === 0) return [undefined, next];
    return [running[next % running.length]!.pid, next + 1];
  },
};

/**
 * Starts the pool's dynamic supervisor under the name "pool", with its workers. A plain function
 * that gives a generator: the supervisor runs it to the pid (a function* would be the child's body).
 */
function startPool(): Generator<unknown, Pid, unknown> {
  return startPoolAndWorkers();
}

function* startPoolAndWorkers(): Generator<unknown, Pid, unknown> {
  const pool = startDynamicSupervisor({ name: "pool", start: [startServerLink, workerSpec], intensity: 1000, period: 1e9 });
  register("pool", pool);
  for (let i = 0; i < POOL_SIZE; i++) yield* startChild(pool);
  return pool;
}

for (const seed of [1, 2, 3, 4, 5]) {
  test(`issue 14: chaos (seed ${seed}): a supervised pool keeps answering every request while random workers are killed, and no message to a live process is lost`, async () => {
    const { value } = await runProcess(
      function* () {
        processFlag("trapExit", true);
        const me = self();
        const top = startSupervisor({
          name: "service",
          strategy: "one_for_one",
          intensity: 0,
          children: [
            { id: "ledger", start: [startServerLink, ledgerSpec] },
            { id: "pool", type: "supervisor", start: [startPool] },
            { id: "dispatcher", start: [startServerLink, dispatcherSpec] },
          ],
        });
        // The supervisor answers once its init has started every child, so the names are taken then.
        yield* whichChildren(top);
        // Linked, so that a client or the killer that crashes fails the test at once.
        for (let c = 0; c < CLIENTS; c++) spawnLink(client, c, me);
        spawnLink(killer, seed, me);
        const results: [number, number[], number][] = [];
        let kills = -1;
        while (results.length < CLIENTS || kills < 0) {
          const msg = yield* receive(on(["client", Number, _, Number]), on(["killer", Number]), on(["EXIT", _, _]));
          if (msg[0] === "EXIT" && msg[2] === "normal") continue;
          if (msg[0] === "EXIT" && msg[2] !== "normal") assert.fail(`a process linked to the test ended: ${String(msg[1])} ${JSON.stringify(msg[2])}`);
          if (msg[0] === "killer") kills = msg[1] as number;
          else results.push([msg[1] as number, msg[2] as number[], msg[3] as number]);
        }
        const seen = yield* call<[string, number][]>("ledger", "seen");
        const pool = (yield* whichChildren(top)).find((c) => c.id === "pool")!.pid!;
        const poolSnapshot = supervisorSnapshot(pool as Process)!;
        const workers = yield* whichChildren(pool);
        exit(top, "shutdown");
        yield* receive(on(["EXIT", top, _]), after(60_000, () => assert.fail("the service did not shut down")));
        return { results, kills, seen, poolRestarts: poolSnapshot.restarts, workers: workers.filter((w) => w.pid !== undefined).length };
      },
      { seed },
    );
    const expected = Array.from({ length: REQUESTS }, (_, i) => i * i);
    for (const [, answers] of value.results) assert.deepEqual(answers, expected);
    // Each request was handled exactly once by a worker that lived to tell the ledger.
    const seen = new Map(value.seen);
    assert.equal(seen.size, CLIENTS * REQUESTS);
    for (const [id, times] of seen) assert.equal(times, 1, `request ${id} was handled ${times} times`);
    assert.equal(value.kills, KILLS);
    assert.equal(value.poolRestarts, KILLS, "every killed worker was restarted");
    assert.equal(value.workers, POOL_SIZE);
    // The kills caught requests in flight, which the clients retried.
    assert.ok(value.results.reduce((n, r) => n + r[2], 0) > 0, "no kill caught a request in flight: the test tested nothing");
  });
}
