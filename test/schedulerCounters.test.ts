// The scheduler bumps its hottest counters through its own enum of slot numbers (Hot in
// core/scheduler.ts), because the build compiles enum members to numbers only inside their own
// file. This guards the bug a mirror invites: a slot moved in Counter and not in Hot, which would
// make the scheduler count sends in another counter's slot and the visualizer show wrong rates.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Hot } from "../runtime/core/scheduler.js";
import { Counter } from "../runtime/core/schedulerCounters.js";

test("every slot of Hot is the slot of the Counter with the same name", () => {
  const names = Object.keys(Hot).filter((key) => Number.isNaN(Number(key)));
  assert.ok(names.length >= 7, `Hot has the hot path's slots, got ${names.join(", ")}`);
  for (const name of names) {
    assert.ok(name in Counter, `Hot.${name} has no Counter.${name}`);
    assert.equal(Hot[name as keyof typeof Hot], Counter[name as keyof typeof Counter], `Hot.${name}`);
  }
});
