// Process lifecycle: crash isolation, kills, and calls made outside a process.

import assert from "node:assert/strict";
import { test } from "node:test";
import { exit, isAlive, on, Pid, receive, self, send, sleep, spawn } from "../runtime/api.js";
import { scheduler } from "../runtime/scheduler.js";
import { runProcess } from "./harness.js";

test("a crashing process does not disturb the others", async () => {
  const { value, crashes } = await runProcess(function* () {
    const me = self();
    const worker = spawn(function* (parent: Pid) {
      for (;;) {
        const n = (yield* receive()) as number;
        send(parent, n * 2);
      }
    }, me);
    spawn(function* () {
      yield* sleep(1);
      throw new Error("boom");
    });
    const results = [];
    for (let i = 1; i <= 3; i++) {
      send(worker, i);
      results.push(yield* receive());
      yield* sleep(1);
    }
    return { results, alive: isAlive(worker) };
  });
  assert.deepEqual(value, { results: [2, 4, 6], alive: true });
  assert.equal(crashes.length, 1);
  assert.match(String(crashes[0]!.reason), /Error: boom/);
});

test("exit(pid, reason) stops a process waiting in receive; its messages are dropped", async () => {
  const { value } = await runProcess(function* () {
    const waiting = spawn(function* () {
      yield* receive(on("never"));
    });
    send(waiting, "unread");
    yield* sleep(1);
    exit(waiting, "shutdown");
    send(waiting, "after death");
    return { alive: isAlive(waiting), processes: scheduler.find(waiting.id) !== undefined };
  });
  assert.deepEqual(value, { alive: false, processes: false });
});

test("a process killed while runnable never runs again", async () => {
  let ran = false;
  await runProcess(function* () {
    const p = spawn(function* () {
      ran = true;
    });
    exit(p);
    yield* sleep(1);
  });
  assert.equal(ran, false);
});

test("self() outside a process is a clear error", () => {
  assert.throws(() => self(), /self\(\) was called outside a process; call it from a process function/);
});

test("pids print like Erlang's", async () => {
  const { value } = await runProcess(function* () {
    return String(self());
  });
  assert.match(value, /^<0\.\d+\.0>$/);
});
