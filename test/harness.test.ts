// The in-thread harness itself (test/harness.ts, docs/testing.md): with BEAMLINE_SCHEDULERS=N it
// really runs N schedulers and places named process functions on each of them, and a closure on
// the test's thread, so that the tests that use it cross threads on purpose.

import assert from "node:assert/strict";
import { test } from "node:test";
import { on, receive, schedulerId, schedulers, self, spawn, spawnLink, spawnMonitor, type Pid } from "../runtime/api.js";
import { defineProcesses } from "./processes/define.js";
import { harnessSchedulers, runProcess } from "./harness.js";
import { reportScheduler } from "./processes/harness.js";

test("issue 15: the harness runs BEAMLINE_SCHEDULERS schedulers and places named process functions on every one of them in turn, whichever spawn starts them", async () => {
  const n = harnessSchedulers();
  const { value } = await runProcess(function* () {
    const me = self();
    const starters = [(p: Pid) => spawn(reportScheduler, p), (p: Pid) => spawnLink(reportScheduler, p), (p: Pid) => spawnMonitor(reportScheduler, p)[0]];
    const seen = starters.map(() => new Set<number>());
    for (let k = 0; k < starters.length; k++) {
      for (let i = 0; i < n; i++) starters[k]!(me);
      for (let i = 0; i < n; i++) seen[k]!.add(((yield* receive(on(["on", Number]))) as [string, number])[1]);
    }
    return { count: schedulers(), here: schedulerId(), seen: seen.map((s) => [...s].sort((a, b) => a - b)) };
  });
  const all = Array.from({ length: n }, (_, i) => i + 1);
  assert.deepEqual(value, { count: n, here: 1, seen: [all, all, all] });
});

test("issue 15: a closure starts on the test's thread, whatever the count", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    for (let i = 0; i < 4; i++) {
      spawn(function* (parent: Pid) {
        yield* reportScheduler(parent);
      }, me);
    }
    const on1: number[] = [];
    for (let i = 0; i < 4; i++) on1.push(((yield* receive(on(["on", Number]))) as [string, number])[1]);
    return on1;
  });
  assert.deepEqual(value, [1, 1, 1, 1]);
});

test("issue 15: a process function name that two modules use is an error that names both", () => {
  assert.throws(
    () => defineProcesses("file:///elsewhere.ts", { reportScheduler: function* () {} }),
    /file:\/\/\/elsewhere\.ts names a process function reportScheduler, which .*processes\/harness\.ts named already/,
  );
});
