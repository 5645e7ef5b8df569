// The timer heap of `after` clauses and calls' timeouts. It keeps its own length over a backing
// array that never shrinks (a call arms and cancels one timer per round trip, and an array that
// emptied and grew again on each cost 1% of a call); these tests guard the bookkeeping that this
// asks for: a cancelled or fired timer must leave no stale entry that fires later or hides another.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Process } from "../runtime/core/process.js";
import { Timer, TimerHeap } from "../runtime/core/timers.js";

const nobody = null as unknown as Process;

test("timers fire in deadline order, each once, whatever was added and cancelled in between", () => {
  const step = fc.oneof(
    fc.record({ add: fc.integer({ min: 0, max: 100 }) }),
    fc.record({ cancel: fc.nat() }),
    fc.record({ popUpTo: fc.integer({ min: 0, max: 100 }) }),
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
      const heap = new TimerHeap();
      const armed: Timer[] = [];
      for (const s of steps) {
        if ("add" in s) {
          const t = new Timer(s.add, nobody);
          heap.add(t);
          armed.push(t);
        } else if ("cancel" in s) {
          if (armed.length === 0) continue;
          const [t] = armed.splice(s.cancel % armed.length, 1);
          heap.cancel(t!);
          heap.cancel(t!); // Idempotent: a second cancel changes nothing.
        } else {
          const fired: Timer[] = [];
          for (let t = heap.popDue(s.popUpTo); t !== undefined; t = heap.popDue(s.popUpTo)) fired.push(t);
          const due = armed.filter((t) => t.deadline <= s.popUpTo).sort((a, b) => a.deadline - b.deadline);
          assert.deepEqual(
            fired.map((t) => t.deadline),
            due.map((t) => t.deadline),
          );
          for (const t of fired) armed.splice(armed.indexOf(t), 1);
        }
        assert.equal(heap.size, armed.length);
        assert.equal(heap.nextDeadline, armed.length === 0 ? Infinity : Math.min(...armed.map((t) => t.deadline)));
      }
    }),
  );
});
