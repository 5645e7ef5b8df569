// Issue 14: monitors, and a call that watches its callee (docs/api.md, "Links, monitors and exit signals").

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  _,
  after,
  call,
  CallExitError,
  CallTimeoutError,
  demonitor,
  exit,
  isAlive,
  isCrashReason,
  monitor,
  on,
  Pid,
  receive,
  Ref,
  register,
  reply,
  self,
  send,
  sleep,
  spawn,
  spawnMonitor,
  spawnOn,
  type From,
} from "../runtime/api.js";
import { harnessSchedulers, runProcess, yieldSlice } from "./harness.js";
import { crashAfterASlice, endAtOnce, waitForever } from "./processes/common.js";
import { failWithTypeError, finishSoon, hangingCaller, replyOnceThenDie, slowServer } from "./processes/monitors.js";

test("issue 14: a monitor gets one DOWN with the exit reason; the watcher does not die", async () => {
  const { value } = await runProcess(function* () {
    const [pid, ref] = spawnMonitor(finishSoon);
    const down = (yield* receive(on(["DOWN", ref, "process", Pid, _]))) as [string, Ref, string, Pid, unknown];
    const second = yield* receive(on(["DOWN", _, _, _, _]), after(0, () => "none"));
    return { pid: String(down[3]) === String(pid), reason: down[4], second };
  });
  assert.deepEqual(value, { pid: true, reason: "finished", second: "none" });
});

test("issue 14, issue 15: monitoring a dead process (of any scheduler), or a name nobody holds, gives DOWN with noproc at once", async () => {
  const { value } = await runProcess(function* () {
    // On scheduler 2 when there is one: its liveness bit, not a DOWN from there, says it is gone.
    const dead = spawnOn(Math.min(2, harnessSchedulers()), endAtOnce);
    while (isAlive(dead)) yield* yieldSlice();
    const ref = monitor(dead);
    const [, , , , reason] = (yield* receive(on(["DOWN", ref, "process", _, _]), after(0, () => [0, 0, 0, 0, "nothing yet"]))) as unknown[];
    const nameRef = monitor("nobody");
    const named = (yield* receive(on(["DOWN", nameRef, "process", _, _]), after(0, () => [0, 0, 0, 0, "nothing yet"]))) as unknown[];
    return { reason, named: [named[3], named[4]] };
  });
  assert.deepEqual(value, { reason: "noproc", named: ["nobody", "noproc"] });
});

test("issue 14: monitor by registered name watches the process that holds it", async () => {
  const { value } = await runProcess(function* () {
    const server = spawn(waitForever);
    register("watched", server);
    const ref = monitor("watched");
    exit(server, "stopped");
    const [, , , pid, reason] = (yield* receive(on(["DOWN", ref, "process", _, _]))) as unknown[];
    return { pid: String(pid) === String(server), reason };
  });
  assert.deepEqual(value, { pid: true, reason: "stopped" });
});

test("issue 14: after demonitor no DOWN for that ref arrives; flush removes one already delivered", async () => {
  const { value } = await runProcess(function* () {
    const a = spawn(waitForever);
    const refA = monitor(a);
    const wasActive = demonitor(refA);
    exit(a, "gone");
    const afterDemonitor = yield* receive(on(["DOWN", refA, _, _, _]), after(0, () => "no DOWN"));
    // A closure, so on this scheduler: its DOWN is in the mailbox as soon as exit returns.
    const b = spawn(function* () {
      yield* waitForever();
    });
    const refB = monitor(b);
    exit(b, "gone");
    // The DOWN for b is in the mailbox now; flush takes it out.
    const activeB = demonitor(refB, { flush: true });
    const afterFlush = yield* receive(on(["DOWN", refB, _, _, _]), after(0, () => "flushed"));
    return { wasActive, afterDemonitor, activeB, afterFlush };
  });
  assert.deepEqual(value, { wasActive: true, afterDemonitor: "no DOWN", activeB: false, afterFlush: "flushed" });
});

test("issue 14: two monitors on one process each get their own DOWN", async () => {
  const { value } = await runProcess(function* () {
    const target = spawn(waitForever);
    const r1 = monitor(target);
    const r2 = monitor(target);
    exit(target, "bye");
    const d1 = (yield* receive(on(["DOWN", r1, _, _, _]))) as unknown[];
    const d2 = (yield* receive(on(["DOWN", r2, _, _, _]))) as unknown[];
    return [d1[4], d2[4]];
  });
  assert.deepEqual(value, ["bye", "bye"]);
});

test("issue 14: a crash's DOWN reason names the error and the user's line", async () => {
  const { value } = await runProcess(function* () {
    const [, ref] = spawnMonitor(failWithTypeError);
    const [, , , , reason] = (yield* receive(on(["DOWN", ref, _, _, _]))) as unknown[];
    return reason;
  });
  assert.ok(isCrashReason(value));
  assert.equal(value.error, "TypeError");
  assert.match(value.at, /processes\/monitors\.ts:\d+:\d+$/);
});

test("issue 14: a call to a process that dies before replying throws CallExitError at once, with its reason", async () => {
  const { value } = await runProcess(function* () {
    const server = spawn(slowServer);
    const started = performance.now();
    try {
      yield* call(server, "die", 60_000);
      return "replied?";
    } catch (error) {
      assert.ok(error instanceof CallExitError, String(error));
      return { reason: isCrashReason(error.reason) ? error.reason.message : error.reason, message: error.message, quick: performance.now() - started < 30_000 };
    }
  });
  assert.equal(typeof value, "object");
  const v = value as { reason: unknown; message: string; quick: boolean };
  assert.equal(v.reason, "server died on request");
  assert.match(v.message, /^call to <0\.\d+\.0> failed: the process exited with reason Error: server died on request \(at .*processes\/monitors\.ts:\d+:\d+\) before replying to "die"$/);
  assert.equal(v.quick, true, "not after the 60 s timeout");
});

test("issue 14: a call to a dead pid, or a name nobody holds, throws CallExitError with noproc", async () => {
  const { value } = await runProcess(function* () {
    const dead = spawn(endAtOnce);
    while (isAlive(dead)) yield* yieldSlice();
    const errors: unknown[] = [];
    for (const dest of [dead, "nobody_here"]) {
      try {
        yield* call(dest, "hi");
      } catch (error) {
        errors.push(error instanceof CallExitError ? [error.reason, error.message] : error);
      }
    }
    return errors;
  });
  const [first, second] = value as [string, string][];
  assert.equal(first![0], "noproc");
  assert.match(first![1], /^call to <0\.\d+\.0> failed: the process is not alive before replying to "hi"$/);
  assert.equal(second![0], "noproc");
  assert.match(second![1], /no process is registered under that name/);
});

test("issue 14: a callee killed while a call waits wakes the caller with killed; other callers and later calls are unaffected", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    const hanging = spawn(slowServer, me);
    const callers = [1, 2, 3].map((n) => spawn(hangingCaller, hanging, me, n));
    // Waits until the server took every call, not for a time: callers on other schedulers take what they take.
    for (let i = 0; i < callers.length; i++) yield* receive(on("hanging"));
    exit(hanging, "kill");
    const reasons: unknown[] = [];
    for (let i = 0; i < callers.length; i++) {
      const [, , reason] = (yield* receive(on(["caller", _, _]))) as unknown[];
      reasons.push(reason);
    }
    const healthy = spawn(slowServer);
    const answer = yield* call(healthy, "ping");
    let timedOut = false;
    try {
      yield* call(healthy, "hang", 5);
    } catch (error) {
      timedOut = error instanceof CallTimeoutError;
    }
    // The server's watch list must be empty again: its exit wakes nobody and throws nothing.
    exit(healthy, "kill");
    yield* sleep(1);
    return { reasons, answer, timedOut };
  });
  assert.deepEqual(value, { reasons: ["killed", "killed", "killed"], answer: "ping", timedOut: true });
});

test("issue 14: a reply that arrived before the callee died is still returned", async () => {
  const { value } = await runProcess(function* () {
    const server = spawn(replyOnceThenDie);
    return yield* call(server, "x");
  });
  assert.equal(value, "last words");
});

test("issue 14: a process dying while it is being monitored or called gets exactly one outcome (seeded)", async () => {
  for (const seed of [11, 12, 13, 14, 15, 16]) {
    const { value } = await runProcess(
      function* () {
        const victim = spawn(crashAfterASlice, "racing");
        yield* yieldSlice();
        const ref = monitor(victim);
        let callOutcome: unknown;
        try {
          callOutcome = yield* call(victim, "hello", 60_000);
        } catch (error) {
          callOutcome = error instanceof CallExitError ? "exit" : String(error);
        }
        const downs: unknown[] = [];
        for (;;) {
          const d = yield* receive(on(["DOWN", ref, _, _, _]), after(0, () => null));
          if (d === null) break;
          downs.push(d);
        }
        return { callOutcome, downs: downs.length };
      },
      { seed },
    );
    assert.deepEqual(value, { callOutcome: "exit", downs: 1 }, `seed ${seed}`);
  }
});
