// Issue 15: the binary term encoding of messages between schedulers (runtime/mesh/termCodec.ts)
// delivers exactly what a local send delivers: decode(encode(x)) equals copyTerm(x), and what
// copyTerm refuses the encoder refuses with the same UnsendableError, message and path.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { copyTerm, UnsendableError } from "../runtime/core/copy.js";
import { Pid, Ref } from "../runtime/core/terms.js";
import { setPidDecoder, setPidEncodeHook, TermReader, TermWriter } from "../runtime/mesh/termCodec.js";

function roundTrip(value: unknown, writer = new TermWriter(8)): unknown {
  writer.reset();
  writer.term(value);
  const reader = new TermReader(writer.bytes.subarray(0, writer.pos));
  const decoded = reader.term();
  assert.equal(reader.pos, writer.pos, "the reader ends where the writer ended");
  return decoded;
}

const key = fc.oneof(fc.string(), fc.constantFrom("__proto__", "0", "12", "constructor", "a b", "é"));
const primitive = fc.oneof(
  fc.integer(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.double(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, 2 ** 53),
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "binary", minLength: 250, maxLength: 600 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.oneof(fc.nat(), fc.integer({ min: 2 ** 32 - 2, max: 2 ** 53 })).map((id) => new Pid(id)),
  fc.tuple(fc.nat({ max: 64 }), fc.nat()).map(([s, id]) => new Ref(s, id)),
  fc.uint8Array({ maxLength: 40 }),
);
const { term } = fc.letrec((tie) => ({
  term: fc.oneof({ depthSize: "small", withCrossShrink: true }, primitive, tie("array"), tie("object"), tie("bare"), tie("map"), tie("set")),
  array: fc.array(tie("term"), { maxLength: 6 }),
  object: fc.array(fc.tuple(key, tie("term")), { maxLength: 5 }).map((entries) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  }),
  bare: fc.array(fc.tuple(key, tie("term")), { maxLength: 4 }).map((entries) => {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, v] of entries) out[k] = v;
    return out;
  }),
  map: fc.array(fc.tuple(tie("term"), tie("term")), { maxLength: 4 }).map((entries) => new Map(entries)),
  set: fc.array(tie("term"), { maxLength: 4 }).map((values) => new Set(values)),
}));

test("issue 15: decode(encode(x)) equals copyTerm(x) for every term (fast-check)", () => {
  const writer = new TermWriter(8);
  fc.assert(
    fc.property(term, (value) => {
      assert.deepStrictEqual(roundTrip(value, writer), copyTerm(value));
    }),
    { numRuns: 2000 },
  );
});

test("issue 15: arrays longer than 255 items, and numbers at the edges of the short forms, round-trip", () => {
  for (const n of [255, 256, 70_000]) {
    const array = Array.from({ length: n }, (_, i) => i);
    assert.deepStrictEqual(roundTrip(array), array);
  }
  const edges = [0, 1, 255, 256, -1, -0, 2 ** 32 - 1, 2 ** 32];
  assert.deepStrictEqual(roundTrip(edges), edges);
  const pids = [0, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1].map((id) => new Pid(id));
  assert.deepStrictEqual((roundTrip(pids) as Pid[]).map((p) => p.id), pids.map((p) => p.id));
});

test("issue 15: strings keep every code unit, lone surrogates included, short and long", () => {
  for (const s of ["", "a", "\ud800", "x\udfffy", "é".repeat(300), "💥".repeat(5000), "\u00ff".repeat(70000), "a".repeat(100_000)]) {
    assert.equal(roundTrip(s), s);
  }
});

test("issue 15: -0, NaN, integers at the int32 edges and big integers survive exactly", () => {
  for (const n of [-0, NaN, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 0.1, Number.MAX_VALUE, Number.MIN_VALUE]) assert.ok(Object.is(roundTrip(n), n));
  for (const b of [0n, -1n, 255n, -(2n ** 200n), 2n ** 64n + 1n]) assert.equal(roundTrip(b), b);
});

test("issue 15: an own __proto__ key stays an own key, and a null-prototype object keeps its null prototype", () => {
  const parsed = JSON.parse('{"user":1,"__proto__":{"admin":true}}');
  const decoded = roundTrip(parsed) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
  assert.deepEqual(Object.keys(decoded), ["user", "__proto__"]);
  assert.equal("admin" in decoded, false);
  const bare = Object.create(null);
  bare.n = 1;
  assert.equal(Object.getPrototypeOf(roundTrip(bare)), null);
});

test("issue 15: a Uint8Array view sends only its bytes, as a fresh array", () => {
  const whole = new Uint8Array([1, 2, 3, 4, 5]);
  const view = whole.subarray(1, 3);
  const decoded = roundTrip(view) as Uint8Array;
  assert.deepEqual([...decoded], [2, 3]);
  assert.equal(decoded.buffer.byteLength, 2);
});

test("issue 15: a decoded pid goes through the scheduler's decoder, so a local pid becomes its Process", () => {
  const local = new Pid(42);
  setPidDecoder((id) => (id === 42 ? local : new Pid(id)));
  try {
    const decoded = roundTrip([new Pid(42), new Pid(7)]) as Pid[];
    assert.equal(decoded[0], local);
    assert.equal(decoded[1].id, 7);
  } finally {
    setPidDecoder((id) => new Pid(id));
  }
});

function nested(depth: number, leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

class Point {
  constructor(readonly x: number) {}
}

const unsendables: [string, unknown][] = [
  ["a function", () => 1],
  ["a symbol", Symbol("s")],
  ["a function in an object", { a: { b: [1, () => 2] } }],
  ["a key that is not an identifier", { "a-b": Symbol("s") }],
  ["a class instance", { p: new Point(1) }],
  ["a Date", [new Date(0)]],
  ["a Promise", { p: Promise.resolve(1) }],
  ["a Map value", new Map([[1, { f: () => 1 }]])],
  ["a Map key", new Map([[Symbol("k"), 1]])],
  ["a Set value", new Set([1, Symbol("v")])],
  ["another typed array", new Uint16Array(2)],
  ["a Map subclass", new (class Table extends Map {})()],
  ["a Uint8Array subclass", new (class Bytes extends Uint8Array {})(2)],
  ["a nesting one level too deep", nested(1002)],
  ["a deep function", nested(600, () => 1)],
];

test("issue 15: what copyTerm refuses the encoder refuses, with the same UnsendableError message and path", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cycleInArray: unknown[] = [1];
  cycleInArray.push({ back: cycleInArray });
  for (const [what, value] of [...unsendables, ["a cycle", cyclic], ["a cycle through an array", cycleInArray]] as [string, unknown][]) {
    for (const root of ["msg", "args[2]"]) {
      let expected: unknown;
      try {
        copyTerm(value, root);
      } catch (error) {
        expected = error;
      }
      assert.ok(expected instanceof UnsendableError, `copyTerm refuses ${what}`);
      const writer = new TermWriter(8);
      writer.u8(99);
      assert.throws(
        () => writer.term(value, root),
        (error: unknown) => error instanceof UnsendableError && error.message === expected.message && error.path === expected.path,
        `the encoder refuses ${what} like copyTerm: ${expected.message}`,
      );
      assert.equal(writer.pos, 1, `what was written of ${what} is taken back`);
    }
  }
});

test("issue 15: the encoder's depth limit is copyTerm's: the deepest term copyTerm accepts round-trips", () => {
  for (const depth of [999, 1000, 1001, 1002, 1003]) {
    let copied = true;
    try {
      copyTerm(nested(depth));
    } catch {
      copied = false;
    }
    let encoded = true;
    try {
      new TermWriter().term(nested(depth));
    } catch {
      encoded = false;
    }
    assert.equal(encoded, copied, `nesting ${depth}`);
    if (copied) assert.deepStrictEqual(roundTrip(nested(depth)), nested(depth));
  }
});

test("issue 15: raw numbers and strings written around terms read back in order", () => {
  const writer = new TermWriter(4);
  writer.u8(7);
  writer.u32(0xdeadbeef);
  writer.f64(-1.5);
  writer.string("héllo \u2603");
  writer.term({ a: [1, "b"] });
  writer.i32(-5);
  const reader = new TermReader(writer.bytes.subarray(0, writer.pos));
  assert.equal(reader.u8(), 7);
  assert.equal(reader.u32(), 0xdeadbeef);
  assert.equal(reader.f64(), -1.5);
  assert.equal(reader.string(), "héllo \u2603");
  assert.deepStrictEqual(reader.term(), { a: [1, "b"] });
  assert.equal(reader.i32(), -5);
});

test("issue 15: the scheduler's encode hook is told of every pid written, so a local process can be found by id", () => {
  const told: number[] = [];
  setPidEncodeHook((pid) => told.push(pid.id));
  try {
    new TermWriter().term({ a: new Pid(3), b: [new Map([[new Pid(5), new Set([new Pid(8)])]])] });
  } finally {
    setPidEncodeHook(undefined);
  }
  assert.deepEqual(told, [3, 5, 8]);
});
