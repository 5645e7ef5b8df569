// Issue 15: the main thread joins a crash and its victims on other schedulers, in whichever order
// the schedulers' ticks bring them (runtime/telemetry/crashVictims.ts).

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Crash } from "../protocol/index.js";
import { CrashVictims } from "../runtime/telemetry/crashVictims.js";

const crash = (pid: number, linkedDown: number[] = []): Crash => ({
  type: "crash",
  time: 10,
  pid,
  fn: "leader",
  name: "",
  reason: "Error: boom",
  stack: "",
  at: null,
  spawnSite: 0,
  supervisor: 0,
  linkedDown,
  count: 1,
  total: 1,
});

test("issue 15: a victim reported after its crash went out makes an update that stands for no crash", () => {
  const victims = new CrashVictims();
  const c = crash(4, [6]);
  assert.deepEqual(victims.crashed([c]), []);
  const updates = victims.down([4, 7, 4, 9]);
  assert.equal(updates.length, 1);
  assert.deepEqual(updates[0]!.linkedDown, [6, 7, 9]);
  assert.equal(updates[0]!.count, 0);
  // The crash itself, which the history replays, lists them too; a repeated report adds nothing.
  assert.deepEqual(c.linkedDown, [6, 7, 9]);
  assert.deepEqual(victims.down([4, 7]), []);
});

test("issue 15: victims reported before their crash join it before it goes out, and a victim's own victims follow it", () => {
  const victims = new CrashVictims();
  // 11 was taken down by 7, which the crash of 4 took down; both reports come before the crash.
  assert.deepEqual(victims.down([7, 11]), []);
  assert.deepEqual(victims.down([4, 7]), []);
  const c = crash(4);
  assert.deepEqual(victims.crashed([c]), []);
  assert.deepEqual(c.linkedDown, [7, 11]);
});

test("issue 15: exit signals that no crash explains are kept only up to a bound, and counted when dropped", () => {
  const victims = new CrashVictims();
  const pairs: number[] = [];
  for (let i = 0; i < 1500; i++) pairs.push(100_000 + i, i);
  victims.down(pairs);
  assert.equal(victims.unexplained, 500);
});
