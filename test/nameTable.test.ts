// The node-wide name table (runtime/core/nameTable.ts): unique names across real threads, found at
// once by every thread, freed for others; its capacity and name-length limits are clear errors.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { createNameTableBuffer, MAX_NAME_BYTES, NameTable, RegistryError } from "../runtime/core/nameTable.js";
import type { ThreadData } from "./nameTableThread.js";

/** Runs a scenario of nameTableThread.ts on `threads` real worker threads; resolves with what each posted. */
async function onThreads(scenario: ThreadData["scenario"], threads: number, rounds: number, table: SharedArrayBuffer, stable: ThreadData["stable"] = []): Promise<unknown[]> {
  const barrier = new SharedArrayBuffer(12);
  // The thread's module is TypeScript; tsx loads it in the worker too.
  const script = new URL("./nameTableThread.ts", import.meta.url).href;
  const code = `import("tsx/esm/api").then(({ tsImport }) => tsImport(${JSON.stringify(script)}, ${JSON.stringify(import.meta.url)}))`;
  const workers: Worker[] = [];
  try {
    return await Promise.all(
      Array.from({ length: threads }, (_, index) => {
        const workerData: ThreadData = { scenario, index, threads, rounds, table, barrier, stable };
        const worker = new Worker(code, { eval: true, workerData });
        workers.push(worker);
        return new Promise<unknown>((resolve, reject) => {
          worker.once("message", resolve);
          worker.once("error", reject);
          worker.once("exit", (code) => reject(new Error(`thread ${index} exited with ${code} before it reported`)));
        });
      }),
    );
  } finally {
    // Also when one thread failed: the others may wait for it at the barrier.
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

test("issue 15: threads racing to register one name: exactly one wins, and every thread sees the same holder", async () => {
  const threads = 4;
  const rounds = 300;
  const table = createNameTableBuffer(threads);
  const results = (await onThreads("race", threads, rounds, table)) as { result: number; seen: number; id: number }[][];
  for (let round = 0; round < rounds; round++) {
    const tries = results.map((r) => r[round]!);
    const winners = tries.filter((t) => t.result === 0);
    assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(tries)}`);
    const winner = winners[0]!.id;
    for (const t of tries) {
      if (t.result !== 0) assert.equal(t.result, winner, `round ${round}: a loser was told another holder`);
      assert.equal(t.seen, winner, `round ${round}: whereis disagreed about the holder`);
    }
  }
  assert.equal(new NameTable(table).size, rounds);
});

test("issue 15: a pid holds at most one name, even when threads name it at once", async () => {
  const threads = 4;
  const rounds = 300;
  const table = new NameTable(createNameTableBuffer(threads));
  const results = (await onThreads("one-name", threads, rounds, table.buffer)) as number[][];
  for (let round = 0; round < rounds; round++) {
    const tries = results.map((r) => r[round]!);
    assert.deepEqual(tries.filter((r) => r === 0).length, 1, `round ${round}: ${tries}`);
    assert.ok(tries.every((r) => r === 0 || r === -1), `round ${round}: ${tries}`);
    assert.match(table.nameOf(round + 1)!, new RegExp(`^one-${round}-\\d$`));
  }
});

test("issue 15: whereis on thread B right after register on thread A finds it; unregister and exit free it for B", async () => {
  const table = createNameTableBuffer(2);
  const [a, b] = (await onThreads("handoff", 2, 200, table)) as string[][];
  assert.deepEqual(a, []);
  assert.deepEqual(b, []);
  assert.equal(new NameTable(table).size, 0);
});

test("issue 15: threads churning overlapping names in a small table keep it consistent, and readers meanwhile see the names that stay", async () => {
  const threads = 4;
  const buffer = createNameTableBuffer(threads, 32);
  const stable = Array.from({ length: 12 }, (_, i): [string, number] => [`stable-${i}`, 1_000_001 + i]);
  for (const [name, id] of stable) new NameTable(buffer).register(name, id);
  const results = (await onThreads("churn", threads, 100_000, buffer, stable)) as { failures: string[]; full: number; held: [string, number][] }[];
  for (const r of results) assert.deepEqual(r.failures, []);
  const held = [...stable, ...results.flatMap((r) => r.held)].sort(([x], [y]) => x.localeCompare(y));
  const table = new NameTable(buffer);
  assert.deepEqual(table.entries().sort(([x], [y]) => x.localeCompare(y)), held);
  assert.equal(table.size, held.length);
  for (const [name, id] of held) {
    assert.equal(table.whereis(name), id);
    assert.equal(table.nameOf(id), name);
  }
  // 40 names over 20 free places: the table was full at times, and said so.
  assert.ok(results.some((r) => r.full > 0));
});

test("a full table is a clear error, and a freed place is used again", () => {
  const table = new NameTable(createNameTableBuffer(1, 4));
  for (let i = 1; i <= 4; i++) assert.equal(table.register(`n${i}`, i), 0);
  assert.throws(
    () => table.register("n5", 5),
    (e: unknown) => e instanceof RegistryError && e.message === `register: cannot register "n5": the node's name table is full (4 names); unregister names that are no longer needed`,
  );
  assert.equal(table.whereis("n5"), 0);
  assert.ok(table.unregister("n2", 2));
  assert.equal(table.register("n5", 5), 0);
  assert.deepEqual(table.registered().sort(), ["n1", "n3", "n4", "n5"]);
});

test("a name longer than 255 bytes of UTF-8 is a clear error; shorter ones of any script work", () => {
  const table = new NameTable(createNameTableBuffer(1));
  const longest = "a".repeat(MAX_NAME_BYTES);
  const accents = "é".repeat(127) + "a";
  for (const [i, name] of [longest, accents, "名前", "🚀 launcher"].entries()) {
    assert.equal(table.register(name, i + 1), 0);
    assert.equal(table.whereis(name), i + 1);
    assert.equal(table.nameOf(i + 1), name);
  }
  assert.deepEqual(table.registered().sort(), [longest, accents, "名前", "🚀 launcher"].sort());
  for (const [name, bytes] of [[longest + "a", 256], ["é".repeat(128), 256], ["🚀".repeat(64), 256], ["x".repeat(1000), 1000]] as const) {
    assert.throws(
      () => table.register(name, 99),
      (e: unknown) => e instanceof RegistryError && e.message === `register: the name ${JSON.stringify(name.slice(0, 40) + "…")} is ${bytes} bytes of UTF-8; a registered name is at most 255`,
    );
    assert.equal(table.whereis(name), 0);
  }
  // A name that shares a prefix with a registered one, or differs only in its last byte, is another name.
  assert.equal(table.whereis(longest.slice(1)), 0);
  assert.equal(table.whereis("é".repeat(127) + "b"), 0);
});

test("unregister frees a name only for its holder; release frees whatever name a pid holds", () => {
  const table = new NameTable(createNameTableBuffer(2));
  assert.equal(table.register("server", 3), 0);
  assert.equal(table.register("server", 4), 3);
  assert.equal(table.register("server", 3), 3);
  assert.equal(table.register("other", 3), -1);
  assert.equal(table.unregister("server", 4), false);
  assert.equal(table.whereis("server"), 3);
  assert.equal(table.release(4), false);
  assert.equal(table.release(3), true);
  assert.equal(table.whereis("server"), 0);
  assert.equal(table.register("server", 4), 0);
  assert.equal(table.unregisterAny("server"), 4);
  assert.equal(table.unregisterAny("server"), 0);
  assert.equal(table.size, 0);
  assert.equal(table.register("big", 2 ** 40 + 7), 0);
  assert.equal(table.whereis("big"), 2 ** 40 + 7);
  assert.throws(() => table.register("bad", 0), TypeError);
  assert.throws(() => table.register("bad", 1.5), TypeError);
});

test("the table agrees with a Map model over random registers, unregisters and releases in a crowded table", () => {
  // Few places and short names, so that probe runs collide and deletions shift entries back.
  const op = fc.oneof(
    fc.record({ kind: fc.constant("register" as const), name: fc.stringMatching(/^[ab]{0,3}$/), id: fc.integer({ min: 1, max: 12 }) }),
    fc.record({ kind: fc.constant("unregister" as const), name: fc.stringMatching(/^[ab]{0,3}$/), id: fc.integer({ min: 1, max: 12 }) }),
    fc.record({ kind: fc.constant("release" as const), name: fc.constant(""), id: fc.integer({ min: 1, max: 12 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
      const table = new NameTable(createNameTableBuffer(3, 8));
      const names = new Map<string, number>();
      for (const { kind, name, id } of ops) {
        const held = [...names].find(([, holder]) => holder === id)?.[0];
        if (kind === "register") {
          const expected = names.has(name) ? names.get(name)! : held !== undefined ? -1 : names.size === 8 ? "full" : 0;
          let result: number | string;
          try {
            result = table.register(name, id);
          } catch (e) {
            if (!(e instanceof RegistryError)) throw e;
            result = "full";
          }
          assert.equal(result, expected);
          if (result === 0) names.set(name, id);
        } else if (kind === "unregister") {
          const frees = names.get(name) === id;
          assert.equal(table.unregister(name, id), frees);
          if (frees) names.delete(name);
        } else {
          assert.equal(table.release(id), held !== undefined);
          if (held !== undefined) names.delete(held);
        }
        assert.equal(table.size, names.size);
        for (const [n, holder] of names) {
          assert.equal(table.whereis(n), holder);
          assert.equal(table.nameOf(holder), n);
        }
        for (let i = 1; i <= 12; i++) if (![...names.values()].includes(i)) assert.equal(table.nameOf(i), undefined);
      }
    }),
    { numRuns: 300 },
  );
});

test("createNameTableBuffer and NameTable reject what they cannot use", () => {
  assert.throws(() => createNameTableBuffer(0), /the scheduler count must be an integer >= 1, got 0/);
  assert.throws(() => createNameTableBuffer(2, 0), /the capacity must be an integer from 1 to 1048576 names, got 0/);
  assert.throws(() => new NameTable(new SharedArrayBuffer(1024)), /the buffer was not made by createNameTableBuffer/);
});
