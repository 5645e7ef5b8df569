// Preemption: a CPU-bound process cannot starve the others, even on ONE scheduler thread.
//
// The busy process is a plain `while (true)` loop with no yield in it. When the loader compiles a
// program it inserts a reduction check at the head of every loop in a process generator; when the
// slice's budget (2000 reductions by default, see --reductions) is spent, the process goes to the
// back of the run queue and the next one runs. So the ticker, which prints every 100 ms, keeps
// ticking on time next to the busy loop.
//
// Step 2 shows the limit: a plain function (not a generator) cannot give up the thread in the
// middle, so while the busy process runs 500 ms inside one, the ticker waits, and the runtime
// reports that slice on stderr ("... ran N ms past its reduction budget in a plain function ...").
//
// Run on one scheduler thread:
//        npx beamline run examples/preemption.ts --schedulers 1
//   or:  node dist/runtime/cli.js run examples/preemption.ts --schedulers 1
//   try also --reductions 200000: slices 100 times longer, so fewer switches (more iterations)
//   and ticks that come a little later.
//
// What to watch: in step 1 the ticks come every ~100 ms while the busy loop counts to a couple of
// hundred million; in step 2 tick 2 comes at ~650 ms instead of ~200 ms, and the runtime's report
// appears on stderr.

import { spawn, send, receive, on, after, self, sleep, reductionBudget, Pid } from "beamline";

/** Counts forever; every 100,000 iterations it polls its mailbox for a ["count?", asker]. */
function* busyLoop() {
  let count = 0;
  while (true) {
    count++;
    if (count % 100_000 === 0) {
      const asker = yield* receive(on(["count?", Pid], ([, from]) => from), after(0));
      if (asker !== undefined) {
        send(asker, ["count", count]);
        return;
      }
    }
  }
}

/** Prints a tick every 100 ms, `ticks` times, then tells `parent`. */
function* ticker(ticks: number, parent: Pid) {
  const started = performance.now();
  for (let tick = 1; tick <= ticks; tick++) {
    yield* sleep(100);
    console.log(`  tick ${tick} at ${Math.round(performance.now() - started)} ms`);
  }
  send(parent, ["ticked"]);
}

/** A plain function: it can only count reductions, never yield, so it cannot be preempted. */
function spin(ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

function* spinner(delay: number, ms: number) {
  yield* sleep(delay);
  console.log(`  (spinner: now running a plain function for ${ms} ms)`);
  spin(ms);
}

export function* main() {
  console.log("Step 1: a busy `while (true)` loop next to a ticker, on one scheduler thread");
  const busy = spawn(busyLoop);
  spawn(ticker, 5, self());
  yield* receive(on(["ticked"]));

  send(busy, ["count?", self()]);
  const count = yield* receive(on(["count", Number], ([, n]) => n));
  console.log(`  the busy loop ran ${count.toLocaleString("en-US")} iterations meanwhile,`);
  console.log("  and the ticker still ran on time: the check the loader put at the loop head preempted the busy loop");
  const budget = reductionBudget();
  const which = budget === 2000 ? "the default budget" : "the budget --reductions gave";
  console.log(
    `  every ${budget.toLocaleString("en-US")} iterations (one reduction each, at ${which}): about ${Math.round(count / budget).toLocaleString("en-US")} times\n`,
  );

  console.log("Step 2: a process that runs 500 ms inside a plain function");
  spawn(ticker, 5, self());
  spawn(spinner, 150, 500);
  yield* receive(on(["ticked"]));
  console.log("  tick 2, due at ~200 ms, came only when the plain function returned (~650 ms): nothing else could run meanwhile");
}
