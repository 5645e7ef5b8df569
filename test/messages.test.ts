// Shared-nothing messages: deep copies, and clear errors for values that are not terms.

import assert from "node:assert/strict";
import { test } from "node:test";
import { makeRef, Pid, receive, self, send, spawn, spawnOn, UnsendableError } from "../runtime/api.js";
import { MAILBOX_BUCKETS, mailboxBucket } from "../protocol/frames.js";
import { copyTerm } from "../runtime/core/copy.js";
import { scheduler } from "../runtime/core/scheduler.js";
import { Counter } from "../runtime/core/schedulerCounters.js";
import { harnessSchedulers, runProcess } from "./harness.js";
import { echoThenMutate, mutateAndReport, takeArgument } from "./processes/messages.js";

test("a sent message is a deep copy: the sender's later changes do not reach the receiver", async () => {
  const { value } = await runProcess(function* () {
    const original = { list: [1, 2], nested: { n: 1 }, map: new Map([["k", [1]]]), set: new Set([1]), bytes: new Uint8Array([1]) };
    send(self(), original);
    original.list.push(3);
    original.nested.n = 2;
    original.map.get("k")!.push(2);
    original.set.add(2);
    original.bytes[0] = 9;
    const got = (yield* receive()) as typeof original;
    return { got, same: got === original };
  });
  assert.equal(value.same, false);
  assert.deepEqual(value.got.list, [1, 2]);
  assert.equal(value.got.nested.n, 1);
  assert.deepEqual([...value.got.map.get("k")!], [1]);
  assert.deepEqual([...value.got.set], [1]);
  assert.equal(value.got.bytes[0], 1);
});

test("spawn arguments are copied too", async () => {
  const { value } = await runProcess(function* () {
    const state = { count: 1 };
    const me = self();
    spawn(mutateAndReport, state, me);
    const child = yield* receive();
    return { child, parent: state.count };
  });
  assert.deepEqual(value, { child: 100, parent: 1 });
});

test("issue 15: a message to a process on another scheduler and back is a deep copy both ways, Maps, Sets, bytes and an own __proto__ key included", async () => {
  const { value } = await runProcess(function* () {
    const original = {
      list: [1, 2, 3],
      map: new Map<string, unknown>([["k", [1, { deep: true }]]]),
      set: new Set(["a", 1]),
      bytes: new Uint8Array([1, 2, 255]),
      big: 2n ** 70n,
      ...JSON.parse('{"__proto__": {"admin": true}}'),
    };
    // Scheduler 2 when there is one: the round trip crosses threads both ways.
    const echo = spawnOn(Math.min(2, harnessSchedulers()), echoThenMutate, self());
    send(echo, original);
    original.list.push(9);
    const back = (yield* receive()) as typeof original;
    const [, mutated] = (yield* receive()) as [string, typeof original];
    return { original, back, mutated, echo: echo.id % harnessSchedulers() };
  });
  assert.equal(value.echo, Math.min(1, harnessSchedulers() - 1), "the echo runs on scheduler 2 when there is one");
  assert.deepEqual(value.back.list, [1, 2, 3], "the sender's change after send does not reach the copy");
  assert.deepEqual(value.mutated.list, [1, 2, 3, 4], "the receiver's change reaches only its own copy");
  assert.deepEqual(value.original.list, [1, 2, 3, 9]);
  assert.deepStrictEqual(value.back.map, new Map<string, unknown>([["k", [1, { deep: true }]]]));
  assert.deepStrictEqual(value.back.set, new Set(["a", 1]));
  assert.deepStrictEqual(value.back.bytes, new Uint8Array([1, 2, 255]));
  assert.equal(value.back.big, 2n ** 70n);
  assert.deepEqual(Object.keys(value.back), ["list", "map", "set", "bytes", "big", "__proto__"]);
  assert.equal((value.back as { admin?: boolean }).admin, undefined);
});

test("pids and refs are passed through unchanged and keep comparing equal", () => {
  const pid = new Pid(42);
  const ref = makeRef();
  const copy = copyTerm([pid, ref]);
  assert.equal(copy[0], pid);
  assert.equal(copy[1], ref);
  assert.equal(String(pid), "<0.42.0>");
  assert.match(String(ref), /^#Ref<0\.0\.0\.\d+>$/);
});

test("an unsendable value is refused with the path inside the message", () => {
  const cases: [unknown, RegExp][] = [
    [["a", 1, { handler: () => 1 }], /^msg\[2\]\.handler is a function/],
    [{ when: new Date(0) }, /^msg\.when is a Date/],
    [[new (class Account {})()], /^msg\[0\] is a class instance \(Account\)/],
    [{ p: Promise.resolve(1) }, /^msg\.p is a promise/],
    [new Map([["k", Symbol("s")]]), /^msg\.get\(0\) is a symbol/],
    [{ "odd key": [() => 1] }, /^msg\["odd key"\]\[0\] is a function/],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => copyTerm(value), (error: unknown) => error instanceof UnsendableError && message.test(error.message));
  }
});

test("a cyclic message is refused instead of looping forever", () => {
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  assert.throws(() => copyTerm(cyclic), /^UnsendableError: msg\.self is a cycle back to an enclosing value/);
});

test("send refuses an unsendable message in the sending process, and the receiver gets nothing", async () => {
  const { value } = await runProcess(function* () {
    let error: unknown;
    try {
      send(self(), { ok: 1, bad: () => 0 });
    } catch (e) {
      error = e;
    }
    return { error: String(error) };
  });
  assert.match(value.error, /UnsendableError: msg\.bad is a function/);
});

test("spawn refuses unsendable arguments and functions that are not generators", async () => {
  const { value } = await runProcess(function* () {
    const errors: string[] = [];
    try {
      spawn(function* (_f: unknown) {}, { f: () => 1 });
    } catch (e) {
      errors.push(String(e));
    }
    // The same to a process function on another scheduler, where the arguments go through the mesh.
    try {
      spawnOn(Math.min(2, harnessSchedulers()), takeArgument, { f: () => 1 });
    } catch (e) {
      errors.push(String(e));
    }
    try {
      spawn((() => 1) as never);
    } catch (e) {
      errors.push(String(e));
    }
    try {
      spawn((async () => 1) as never);
    } catch (e) {
      errors.push(String(e));
    }
    return errors;
  });
  assert.match(value[0]!, /args\[0\]\.f is a function/);
  assert.match(value[1]!, /^UnsendableError: args\[0\]\.f is a function/);
  assert.match(value[2]!, /spawn: expected a generator function \(function\*\), got a plain function/);
  assert.match(value[3]!, /got an async function/);
});

test("issue 13 item 6: an own __proto__ key (as JSON.parse makes) stays an own key of the copy, not its prototype", async () => {
  const parsed = JSON.parse('{"user": "ann", "__proto__": {"admin": true}, "nested": [{"__proto__": 7}]}');
  const copy = copyTerm(parsed);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.deepEqual(Object.keys(copy), ["user", "__proto__", "nested"]);
  assert.equal("admin" in copy, false);
  assert.deepEqual(Object.getOwnPropertyDescriptor(copy, "__proto__")?.value, { admin: true });
  assert.deepEqual(Object.getOwnPropertyDescriptor(copy.nested[0], "__proto__")?.value, 7);
  assert.deepStrictEqual(copy, parsed);

  const { value } = await runProcess(function* () {
    send(self(), parsed);
    spawn(takeArgument, parsed);
    const got = (yield* receive()) as Record<string, unknown>;
    return { got, admin: got.admin, proto: Object.getPrototypeOf(got) === Object.prototype };
  });
  assert.equal(value.admin, undefined);
  assert.equal(value.proto, true);
  assert.deepStrictEqual(value.got, parsed);
});

test("a null-prototype object keeps an own __proto__ key as an own key too (the other branch of issue 13 item 6)", () => {
  const bare = Object.create(null) as Record<string, unknown>;
  Object.defineProperty(bare, "__proto__", { value: { admin: true }, enumerable: true, writable: true, configurable: true });
  bare.n = 1;
  const copy = copyTerm(bare);
  assert.equal(Object.getPrototypeOf(copy), null);
  assert.deepEqual(Object.keys(copy), ["__proto__", "n"]);
  assert.deepStrictEqual(copy, bare);
});

test("the scheduler's mailbox-length histogram follows a mailbox up and back down", async () => {
  const { value } = await runProcess(function* () {
    const histogram = () => [...scheduler.counters.subarray(Counter.histogram, Counter.histogram + MAILBOX_BUCKETS)];
    const wrong: string[] = [];
    for (let k = 1; k <= 9; k++) {
      const before = histogram();
      for (let i = 0; i < k; i++) send(self(), i);
      const expected = [...before];
      expected[mailboxBucket(0)]!--;
      expected[mailboxBucket(k)]!++;
      if (String(histogram()) !== String(expected)) wrong.push(`${k} queued: ${histogram()} instead of ${expected}`);
      for (let i = 0; i < k; i++) yield* receive();
      if (String(histogram()) !== String(before)) wrong.push(`${k} taken: ${histogram()} instead of ${before}`);
    }
    return wrong;
  });
  assert.deepEqual(value, []);
});
