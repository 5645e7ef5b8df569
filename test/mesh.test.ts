// Issue 15: the mesh between schedulers (runtime/mesh/) over real worker threads and shared
// memory: every envelope arrives exactly once and in each sender's order, with two and four
// threads, also when rings so small that they spill and cut envelopes; a sleeping peer wakes on a
// send. The threads run test/meshPeer.ts.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { Mesh } from "../runtime/mesh/mesh.js";
import { createMeshBuffers, ringDoorbell, sleepingSlot, type MeshBuffers } from "../runtime/mesh/meshBuffers.js";
import type { ExchangeJob, ExchangeResult, SleepJob } from "./meshPeer.js";

const PEER = new URL("./meshPeer.ts", import.meta.url);
/** tsx's loader hooks do not reach worker threads from the command line in Node 20; the thread registers them itself. */
const BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(PEER.href)}); });`;

/** A pool of peer threads, each running one job at a time. */
class Peers {
  readonly workers: Worker[] = [];

  constructor(n: number) {
    for (let i = 0; i < n; i++) this.workers.push(new Worker(BOOTSTRAP, { eval: true }));
  }

  run<T>(i: number, job: ExchangeJob | SleepJob): Promise<T> {
    const worker = this.workers[i];
    return new Promise<T>((resolve, reject) => {
      const onMessage = (reply: { ok: boolean; result: T; error: string }): void => {
        worker.off("error", reject);
        if (reply.ok) resolve(reply.result);
        else reject(new Error(reply.error));
      };
      worker.once("message", onMessage);
      worker.once("error", reject);
      worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

let peers: Peers;
before(() => {
  peers = new Peers(4);
});
after(() => peers.close());

interface Plan {
  count: number;
  ringBytes: number;
  /** sends[from][to] */
  sends: number[][];
  batch: number;
  textLengths: number[];
  spinMicros: number;
  blockMicros?: number;
}

async function exchange(plan: Plan): Promise<ExchangeResult[]> {
  const buffers: MeshBuffers = createMeshBuffers(plan.count, plan.ringBytes);
  const results = await Promise.all(
    Array.from({ length: plan.count }, (_, self) =>
      peers.run<ExchangeResult>(self, {
        kind: "exchange",
        buffers,
        self,
        sends: plan.sends[self],
        expect: plan.sends.map((row) => row[self]),
        batch: plan.batch,
        textLengths: plan.textLengths,
        spinMicros: plan.spinMicros,
        blockMicros: plan.blockMicros ?? 0,
      }),
    ),
  );
  results.forEach((result, self) => {
    assert.deepEqual(result.errors, [], `scheduler ${self} saw no loss, duplicate or reordering`);
    assert.deepEqual(
      result.received,
      plan.sends.map((row, from) => (from === self ? 0 : row[self])),
      `scheduler ${self} received every envelope`,
    );
  });
  return results;
}

function square(count: number, n: number): number[][] {
  return Array.from({ length: count }, (_, from) => Array.from({ length: count }, (_, to) => (from === to ? 0 : n)));
}

test("issue 15: two scheduler threads exchange 20,000 envelopes each way, each pair in order", { timeout: 120_000 }, async () => {
  await exchange({ count: 2, ringBytes: 64 * 1024, sends: square(2, 20_000), batch: 64, textLengths: [0, 5, 40], spinMicros: 50 });
});

test("issue 15: four scheduler threads, every pair in order, rings small enough to spill", { timeout: 120_000 }, async () => {
  const results = await exchange({ count: 4, ringBytes: 256, sends: square(4, 3_000), batch: 100, textLengths: [3, 200], spinMicros: 20 });
  assert.ok(results.some((r) => r.spilled > 0), "the rings were small enough that envelopes spilled");
});

test("issue 15: schedulers that block briefly in Atomics.wait before waitAsync still get every envelope, in order", { timeout: 120_000 }, async () => {
  await exchange({ count: 4, ringBytes: 512, sends: square(4, 2_000), batch: 30, textLengths: [3, 90], spinMicros: 0, blockMicros: 300 });
});

test("issue 15: an envelope larger than the whole ring is cut into records and arrives whole", { timeout: 120_000 }, async () => {
  await exchange({ count: 2, ringBytes: 64, sends: square(2, 50), batch: 7, textLengths: [1000, 1, 70_000], spinMicros: 0 });
});

test("issue 15: every envelope arrives exactly once and in per-sender order, over random plans with spilling rings (fast-check)", { timeout: 300_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 2, max: 4 }).chain((count) =>
        fc.record({
          count: fc.constant(count),
          ringBytes: fc.constantFrom(32, 64, 256, 4096),
          sends: fc.array(fc.array(fc.nat({ max: 400 }), { minLength: count, maxLength: count }), { minLength: count, maxLength: count }),
          batch: fc.integer({ min: 1, max: 300 }),
          textLengths: fc.array(fc.nat({ max: 300 }), { minLength: 1, maxLength: 4 }),
          spinMicros: fc.constantFrom(0, 10, 50),
          blockMicros: fc.constantFrom(0, 0, 200),
        }),
      ),
      async (plan) => {
        plan.sends.forEach((row, from) => (row[from] = 0));
        await exchange(plan);
      },
    ),
    { numRuns: 25 },
  );
});

for (const [how, blockMicros] of [["waitAsync", 0], ["a blocking Atomics.wait of its blockMicros", 300_000_000]] as const) {
test(`issue 15: a scheduler asleep on its doorbell (${how}) wakes when a peer sends, and the peer rang exactly once`, { timeout: 60_000 }, async () => {
  const buffers = createMeshBuffers(2, 1024);
  const woken = peers.run<{ texts: unknown[] }>(1, { kind: "sleep", buffers, self: 1, blockMicros });
  const control = new Int32Array(buffers.control);
  // The peer says it sleeps before it waits; send only then, so that the doorbell is what wakes it.
  while (Atomics.load(control, sleepingSlot(1)) === 0) await new Promise((resolve) => setImmediate(resolve));
  const mesh = new Mesh(buffers, 0);
  mesh.begin(1).term({ hello: "sleeper" });
  mesh.end();
  mesh.flush();
  assert.deepEqual((await woken).texts, [{ hello: "sleeper" }]);
  assert.equal(mesh.stats[1].doorbells, 1);
  assert.equal(mesh.stats[1].sent, 1);
});
}

test("issue 15: the main thread's ringDoorbell wakes a sleeping scheduler that has no envelope", { timeout: 60_000 }, async () => {
  const buffers = createMeshBuffers(2, 1024);
  const woken = peers.run<{ texts: unknown[] }>(1, { kind: "sleep", buffers, self: 1 });
  const control = new Int32Array(buffers.control);
  while (Atomics.load(control, sleepingSlot(1)) === 0) await new Promise((resolve) => setImmediate(resolve));
  ringDoorbell(buffers, 1);
  assert.deepEqual((await woken).texts, []);
});
