// Issue 15: the rings of the mesh between schedulers (runtime/mesh/), driven step by step from one
// thread: records wrap at the ring's end, an envelope longer than the ring is cut and put back
// together, a full ring spills in order and never drops, and nothing is seen before flush().

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Mesh } from "../runtime/mesh/mesh.js";
import { createMeshBuffers, RING_DATA_OFFSET, RING_WAITING, sleepingSlot, type MeshBuffers } from "../runtime/mesh/meshBuffers.js";
import type { TermReader } from "../runtime/mesh/termCodec.js";

function pair(ringBytes: number): [Mesh, Mesh, MeshBuffers] {
  const buffers = createMeshBuffers(2, ringBytes);
  return [new Mesh(buffers, 0, { spinMicros: 0 }), new Mesh(buffers, 1, { spinMicros: 0 }), buffers];
}

function send(mesh: Mesh, to: number, value: unknown): void {
  mesh.begin(to).term(value);
  mesh.end();
}

function drainAll(mesh: Mesh): unknown[] {
  const got: unknown[] = [];
  mesh.drain((_from: number, reader: TermReader) => got.push(reader.term()));
  return got;
}

test("issue 15: createMeshBuffers makes one ring per ordered pair, its data a power of two, and refuses bad sizes", () => {
  const buffers = createMeshBuffers(3, 1000);
  assert.equal(buffers.rings.length, 9);
  for (let from = 0; from < 3; from++) {
    for (let to = 0; to < 3; to++) assert.equal(buffers.rings[from * 3 + to].byteLength, from === to ? 0 : RING_DATA_OFFSET + 1024);
  }
  assert.throws(() => createMeshBuffers(0), /count must be a positive integer, got 0/);
  assert.throws(() => createMeshBuffers(2, 8), /ringBytes must be an integer from 32 to 2\^30, got 8/);
});

test("issue 15: begin() refuses the scheduler itself and indexes outside the mesh, naming the range", () => {
  const [a] = pair(64);
  assert.throws(() => a.begin(0), /scheduler 0 cannot send to 0: peers are 0 to 1, other than itself/);
  assert.throws(() => a.begin(2), /scheduler 0 cannot send to 2/);
  assert.throws(() => new Mesh(createMeshBuffers(2), 2), /self must be a scheduler index from 0 to 1, got 2/);
});

test("issue 15: an envelope is seen by the peer only after flush()", () => {
  const [a, b] = pair(1024);
  send(a, 1, "first");
  assert.deepEqual(drainAll(b), []);
  a.flush();
  assert.deepEqual(drainAll(b), ["first"]);
  assert.deepEqual(drainAll(b), []);
});

test("issue 15: a full ring spills in order; the spill drains first once the peer has read, and the peer rings back", () => {
  const [a, b, buffers] = pair(64);
  for (let i = 0; i < 20; i++) send(a, 1, [i, "x".repeat(i)]);
  assert.ok(a.spilling);
  assert.ok(a.stats[1].spilled > 0);
  const got: unknown[] = [];
  let rounds = 0;
  while (got.length < 20) {
    a.flush();
    const before = b.stats[0].doorbells;
    got.push(...drainAll(b));
    // The sender flagged that it waits for room, so each drain that made room rang its doorbell.
    if (a.spilling) assert.equal(b.stats[0].doorbells, before + 1);
    assert.ok(++rounds < 1000, "the spill makes progress");
  }
  assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => [i, "x".repeat(i)]));
  assert.equal(a.spilling, false);
  a.flush();
  // The ring from 0 to 1 no longer asks for a doorbell.
  assert.equal(new Int32Array(buffers.rings[1])[RING_WAITING], 0);
  assert.equal(a.stats[1].sent, 20);
  assert.equal(b.stats[0].received, 20);
  assert.equal(a.stats[1].sentBytes, b.stats[0].receivedBytes);
});

test("issue 15: an envelope bigger than the ring arrives whole, between smaller ones, in order", () => {
  const [a, b] = pair(32);
  const big = { text: "é".repeat(5000), bytes: new Uint8Array(3000).fill(7) };
  send(a, 1, "before");
  send(a, 1, big);
  send(a, 1, "after");
  const got: unknown[] = [];
  for (let rounds = 0; got.length < 3; rounds++) {
    a.flush();
    got.push(...drainAll(b));
    assert.ok(rounds < 100_000);
  }
  assert.deepStrictEqual(got, ["before", big, "after"]);
});

test("issue 15: a callback that throws loses neither that envelope's successors nor repeats it", () => {
  const [a, b] = pair(1024);
  for (let i = 0; i < 5; i++) send(a, 1, i);
  a.flush();
  const seen: unknown[] = [];
  assert.throws(() =>
    b.drain((_from, reader) => {
      const n = reader.term();
      seen.push(n);
      if (n === 2) throw new Error("boom");
    }),
  /boom/);
  b.drain((_from, reader) => seen.push(reader.term()));
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
});

test("issue 15: any interleaving of sends, flushes and drains delivers each envelope once, in order (fast-check)", () => {
  const step = fc.oneof(
    fc.record({ kind: fc.constant("send" as const), count: fc.integer({ min: 1, max: 20 }), size: fc.nat({ max: 300 }) }),
    fc.record({ kind: fc.constant("flush" as const) }),
    fc.record({ kind: fc.constant("drain" as const) }),
  );
  fc.assert(
    fc.property(fc.constantFrom(32, 64, 128, 1024), fc.array(step, { maxLength: 60 }), (ringBytes, steps) => {
      const [a, b] = pair(ringBytes);
      let next = 0;
      const got: unknown[] = [];
      for (const s of steps) {
        if (s.kind === "send") for (let i = 0; i < s.count; i++, next++) send(a, 1, [next, "y".repeat(s.size)]);
        else if (s.kind === "flush") a.flush();
        else got.push(...drainAll(b));
      }
      for (let rounds = 0; got.length < next; rounds++) {
        a.flush();
        got.push(...drainAll(b));
        assert.ok(rounds < 100_000, "everything arrives in the end");
      }
      assert.deepEqual(
        got.map((m) => (m as [number])[0]),
        Array.from({ length: next }, (_, i) => i),
      );
      assert.equal(a.spilling, false);
    }),
    { numRuns: 300 },
  );
});

test("issue 15: abort() drops an envelope whose term was unsendable; the next one goes through alone", () => {
  const [a, b] = pair(1024);
  const writer = a.begin(1);
  writer.u32(5);
  assert.throws(() => writer.term({ f: () => 1 }), /msg\.f is a function/);
  a.abort();
  assert.throws(() => a.end(), /end\(\) without begin\(\)/);
  send(a, 1, "next");
  a.flush();
  assert.deepEqual(drainAll(b), ["next"]);
  assert.equal(a.stats[1].sent, 1);
});

test("issue 15: sleep() returns at once when an envelope already waits, and wake() ends a sleep from the same thread", async () => {
  const [a, b] = pair(1024);
  send(a, 1, "waiting");
  a.flush();
  await b.sleep(600_000);
  assert.deepEqual(drainAll(b), ["waiting"]);
  // Nothing waits now: only wake() can end this sleep before its ten minutes.
  setImmediate(() => b.wake());
  await b.sleep(600_000);
  assert.deepEqual(drainAll(b), []);
});

test("issue 15: a sleeping scheduler sets its flag only while it waits, so peers ring it only then", async () => {
  const [a, b, buffers] = pair(1024);
  const control = new Int32Array(buffers.control);
  send(a, 1, 1);
  a.flush();
  assert.equal(a.stats[1].doorbells, 0, "an awake peer is not rung");
  drainAll(b);
  const asleep = b.sleep(600_000);
  assert.equal(Atomics.load(control, sleepingSlot(1)), 1);
  send(a, 1, 2);
  a.flush();
  await asleep;
  assert.equal(a.stats[1].doorbells, 1);
  assert.equal(Atomics.load(control, sleepingSlot(1)), 0);
  assert.deepEqual(drainAll(b), [2]);
});

test("issue 15: drain(onEnvelope, max) reads at most max envelopes and starts the next drain at the next sender", () => {
  const buffers = createMeshBuffers(3, 1024);
  const [a, b, c] = [0, 1, 2].map((i) => new Mesh(buffers, i, { spinMicros: 0 }));
  for (let i = 0; i < 3; i++) {
    send(b, 0, `b${i}`);
    send(c, 0, `c${i}`);
  }
  b.flush();
  c.flush();
  const got: unknown[] = [];
  const take = (_from: number, reader: TermReader): void => void got.push(reader.term());
  assert.equal(a.drain(take, 2), 2);
  assert.deepEqual(got, ["b0", "b1"]);
  assert.equal(a.drain(take, 2), 2);
  assert.deepEqual(got.slice(2), ["c0", "c1"]);
  assert.equal(a.drain(take), 2);
  assert.deepEqual(got.slice(4).sort(), ["b2", "c2"]);
  assert.equal(a.drain(take), 0);
});

test("issue 15: a sleep that nothing wakes ends at its timeout, the event loop kept alive until then (bug: it could end between the keep-alive timer and the wait)", async () => {
  for (const blockMicros of [0, 1000]) {
    const buffers = createMeshBuffers(2, 64);
    const b = new Mesh(buffers, 1, { spinMicros: 0, blockMicros });
    for (const ms of [5, 1, 0]) await b.sleep(ms);
    assert.equal(Atomics.load(new Int32Array(buffers.control), sleepingSlot(1)), 0);
  }
});
