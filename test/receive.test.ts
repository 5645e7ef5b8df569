// Selective receive, after, call and the mailbox's save pointer.

import assert from "node:assert/strict";
import { test } from "node:test";
import { _, after, call, CallTimeoutError, From, makeRef, on, Pid, receive, reply, self, send, sleep, spawn, spawnOn, where } from "../runtime/api.js";
import { matches } from "../runtime/core/pattern.js";
import { scheduler } from "../runtime/core/scheduler.js";
import type { Process } from "../runtime/core/process.js";
import { harnessSchedulers, onlyOnOneScheduler, runProcess } from "./harness.js";
import { waitForever } from "./processes/common.js";
import { countTo, echoNumbers, echoOneCall, sendLater, sleepyServer } from "./processes/receive.js";

test("receive with no clause takes the oldest message", async () => {
  const { value } = await runProcess(function* () {
    send(self(), 1);
    send(self(), 2);
    return [yield* receive(), yield* receive()];
  });
  assert.deepEqual(value, [1, 2]);
});

test("selective receive takes the oldest matching message and leaves the others in order", async () => {
  const { value } = await runProcess(function* () {
    for (const m of [["a", 1], ["b", 1], ["a", 2], ["b", 2], ["c", 1]]) send(self(), m);
    const firstB = yield* receive(on(["b", Number], ([, n]) => n));
    const rest = [];
    for (let i = 0; i < 4; i++) rest.push(yield* receive());
    return { firstB, rest };
  });
  assert.equal(value.firstB, 1);
  assert.deepEqual(value.rest, [["a", 1], ["a", 2], ["b", 2], ["c", 1]]);
});

test("clauses are tried in order for each message, oldest message first", async () => {
  const { value } = await runProcess(function* () {
    send(self(), "x");
    send(self(), 42);
    return yield* receive(on(Number, (n) => `number ${n}`), on(String, (s) => `string ${s}`));
  });
  assert.equal(value, "string x");
});

test("patterns: wildcard, types, objects by listed keys, guards, nested tuples", async () => {
  const { value } = await runProcess(function* () {
    send(self(), { kind: "add", x: 3, extra: true });
    send(self(), ["point", [1, 2]]);
    send(self(), 7);
    const a = yield* receive(on({ kind: "add", x: Number }, (m) => m.x));
    const b = yield* receive(on(["point", [Number, where((y: unknown) => typeof y === "number" && y > 1)]], ([, [x, y]]) => x + (y as number)));
    const c = yield* receive(on(where((n): n is number => typeof n === "number" && n % 2 === 1)));
    return [a, b, c];
  });
  assert.deepEqual(value, [3, 3, 7]);
});

test("a tuple pattern needs the same length", async () => {
  const { value } = await runProcess(function* () {
    send(self(), ["a", 1, 2]);
    send(self(), ["a", 1]);
    return yield* receive(on(["a", Number]));
  });
  assert.deepEqual(value, ["a", 1]);
});

test("a generator handler runs inside the process with yield*", async () => {
  const { value } = await runProcess(function* () {
    send(self(), "go");
    return yield* receive(
      on("go", function* () {
        yield* sleep(5);
        return "slept";
      }),
    );
  });
  assert.equal(value, "slept");
});

test("after(0) polls: it returns at once when nothing matches", async () => {
  const { value } = await runProcess(function* () {
    send(self(), "other");
    const polled = yield* receive(on("wanted"), after(0, () => "empty"));
    const left = yield* receive();
    return [polled, left];
  });
  assert.deepEqual(value, ["empty", "other"]);
});

test("after(ms) fires once no match arrived in time, and a matching message wins before it", async () => {
  const { value } = await runProcess(function* () {
    const started = performance.now();
    const timedOut = yield* receive(on("never"), after(30, () => "timeout"));
    const waited = performance.now() - started;
    const me = self();
    spawn(sendLater, me, 5, "in time");
    const matched = yield* receive(on("in time"), after(1000, () => "late"));
    return { timedOut, waited, matched };
  });
  assert.equal(value.timedOut, "timeout");
  assert.ok(value.waited >= 29, `after(30) fired after ${value.waited} ms`);
  assert.equal(value.matched, "in time");
});

test("a message that does not match wakes the receiver but does not end or restart its after timer", { skip: onlyOnOneScheduler("it needs virtual time, which a seed gives only on one scheduler (docs/api.md)") }, async () => {
  // On virtual time (a seed), so that a loaded machine cannot make the noise arrive late.
  const { value } = await runProcess(
    function* () {
      const me = self();
      spawn(function* (to: Pid) {
        for (let i = 0; i < 5; i++) {
          send(to, ["noise", i]);
          yield* sleep(2);
        }
      }, me);
      const started = scheduler.now();
      const result = yield* receive(on("never"), after(40, () => "timeout"));
      const waited = scheduler.now() - started;
      const noise = [];
      for (;;) {
        const m = yield* receive(on(["noise", Number]), after(0, () => undefined));
        if (m === undefined) break;
        noise.push(m[1]);
      }
      return { result, noise, waited };
    },
    { seed: 1 },
  );
  assert.equal(value.result, "timeout");
  assert.deepEqual(value.noise, [0, 1, 2, 3, 4]);
  // The last noise came at about 8 ms: a timer restarted by it would have fired at 48 ms.
  assert.ok(value.waited >= 40 && value.waited < 41, `after(40) fired after ${value.waited} virtual ms`);
});

test("a blocked receive never rescans messages it already rejected (save pointer)", async () => {
  // Guards against an O(n²) mailbox: each of the n messages must be looked at once.
  let looks = 0;
  const n = 500;
  const { value } = await runProcess(function* () {
    const me = self();
    spawn(countTo, me, n);
    return yield* receive(
      on(
        where((m) => {
          looks++;
          return m === "done";
        }),
      ),
    );
  });
  assert.equal(value, "done");
  assert.equal(looks, n + 1);
});

test("issue 15: call only scans messages that arrived after its request (ref marker), also when its callee runs on another scheduler", async () => {
  // Messages older than the request cannot be its reply; a counting proxy proves they are not read.
  let reads = 0;
  const { value } = await runProcess(function* () {
    const me = self() as Process;
    for (let i = 0; i < 100; i++) {
      scheduler.deliver(
        me,
        new Proxy(["$reply", makeRef(), i], {
          get(target, key) {
            reads++;
            return Reflect.get(target, key);
          },
        }),
      );
    }
    // On scheduler 2 when there is one: the call, its monitor and the reply cross threads.
    const server = spawnOn(Math.min(2, harnessSchedulers()), echoOneCall);
    return yield* call(server, "hello");
  });
  assert.deepEqual(value, ["echo", "hello"]);
  assert.equal(reads, 0);
});

test("call times out with a clear error in the caller", async () => {
  const { value } = await runProcess(function* () {
    const silent = spawn(waitForever);
    try {
      yield* call(silent, ["get", "x"], 20);
      return "no error";
    } catch (error) {
      return error;
    }
  });
  assert.ok(value instanceof CallTimeoutError);
  assert.match((value as Error).message, /call to <0\.\d+\.0> timed out after 20 ms with no reply to \["get","x"\]/);
});

test("a long timeout armed and ended within one batch never fires later; the next long one fires in time", async () => {
  // Guards the deferred arming of long timeouts (Scheduler.armTimer): each receive below waits,
  // arming its 1 s timeout, and matches before its batch ends. A timer put into the heap for one of
  // them would fire a second later, while the process sleeps, and end the sleep early.
  const { value } = await runProcess(function* () {
    const me = self();
    const echo = spawn(echoNumbers);
    const answers: unknown[] = [];
    for (let i = 0; i < 200; i++) {
      send(echo, [me, i]);
      answers.push(yield* receive(on(i), after(1000, () => "late")));
    }
    const started = performance.now();
    yield* sleep(1500);
    const slept = performance.now() - started;
    const timedOut = yield* receive(on("never"), after(1000, () => "timeout"));
    const waited = performance.now() - started - slept;
    return { inOrder: answers.every((a, i) => a === i), slept, timedOut, waited };
  });
  assert.equal(value.inOrder, true);
  assert.ok(value.slept >= 1499, `sleep(1500) ended after ${value.slept} ms: a timer of an ended receive fired`);
  assert.equal(value.timedOut, "timeout");
  assert.ok(value.waited >= 999, `after(1000) fired after ${value.waited} ms`);
});

test("a late reply to a timed-out call does not disturb the next call", async () => {
  const { value } = await runProcess(function* () {
    const slow = spawn(sleepyServer);
    let first: unknown;
    try {
      yield* call(slow, 40, 5);
    } catch (error) {
      first = (error as Error).name;
    }
    const second = yield* call<number>(slow, 1, 1000);
    return { first, second };
  });
  assert.deepEqual(value, { first: "CallTimeoutError", second: 1 });
});

test("sleep keeps messages in the mailbox", async () => {
  const { value } = await runProcess(function* () {
    send(self(), "kept");
    yield* sleep(5);
    return [yield* receive(on(_), after(0, () => "empty")), yield* receive(after(0, () => "empty"))];
  });
  // A receive with only an after clause matches nothing, like Erlang's `receive after 0 -> ... end`.
  assert.deepEqual(value, ["kept", "empty"]);
});

test("receive refuses an after clause that is not last", async () => {
  await assert.rejects(
    runProcess(function* () {
      return yield* receive(after(10) as never, on("x"));
    }),
    /receive: clause 1 is after\(\.\.\.\), which must come last/,
  );
});

test("a generator handler that throws can be caught, and the next receive works", async () => {
  const { value } = await runProcess(function* () {
    send(self(), "bad");
    send(self(), "good");
    let caught = "";
    try {
      yield* receive(
        on("bad", function* () {
          yield* sleep(1);
          throw new Error("handler failed");
        }),
      );
    } catch (error) {
      caught = (error as Error).message;
    }
    const next = yield* receive(on("good", () => "next receive ran"));
    return { caught, next };
  });
  assert.deepEqual(value, { caught: "handler failed", next: "next receive ran" });
});

test("generator handlers nest: a handler may receive, and its own handler may too", async () => {
  const { value } = await runProcess(function* () {
    send(self(), "outer");
    send(self(), "inner");
    send(self(), "innermost");
    return yield* receive(
      on("outer", function* () {
        const inner = yield* receive(
          on("inner", function* () {
            yield* sleep(1);
            return `inner+${yield* receive(on("innermost"))}`;
          }),
        );
        return `outer+${inner}`;
      }),
    );
  });
  assert.equal(value, "outer+inner+innermost");
});

test("issue 13 item 6: an object pattern matches own keys only, never inherited ones", async () => {
  const { value } = await runProcess(function* () {
    send(self(), {});
    send(self(), JSON.parse('{"__proto__": {"admin": true}, "user": "ann"}'));
    send(self(), { constructor: "own" });
    // Every plain object inherits constructor and toString; only the message that has its own matches.
    const own = yield* receive(on({ constructor: _ }), after(0, () => "no match"));
    const admin = yield* receive(on({ admin: true }), after(0, () => "no match"));
    const proto = yield* receive(
      on({ ["__proto__"]: { admin: true } }, (m) => (m as unknown as { user: string }).user),
      after(0, () => "no match"),
    );
    const inherited = yield* receive(on({ toString: _ }), after(0, () => "no match"));
    return { own, admin, proto, inherited };
  });
  assert.deepEqual(value, { own: { constructor: "own" }, admin: "no match", proto: "ann", inherited: "no match" });
  assert.equal(matches({ admin: true }, Object.create({ admin: true })), false);
  assert.equal(matches({ a: 1 }, Object.assign(Object.create(null), { a: 1 })), true);
});
