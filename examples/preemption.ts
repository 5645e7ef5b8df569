// Preemption: a CPU-bound process cannot starve the others, even on ONE scheduler thread.
//
// The busy process is a plain `while (true)` loop with no yield in it. When the loader compiles a
// program it inserts a reduction check at the head of every loop in a process generator; when the
// slice's budget (2000 reductions by default, see --reductions) is spent, the process goes to the
// back of the run queue and the next one runs. So the ticker, which prints every 100 ms, keeps
// ticking on time next to the busy loop.
//
// Step 2 shows the limit: a plain function (not a generator) cannot give up the thread in the
// middle, so while the busy process runs 500 ms inside one, the processes of its scheduler wait,
// and the runtime reports that slice on stderr ("... ran N ms past its reduction budget in a
// plain function ...").
//
// Run on one scheduler thread, as the chapter does with `iex --erl "+S 1"`, then on two:
//        npx beamline run examples/preemption.ts --schedulers 1       (or +S 1)
//        npx beamline run examples/preemption.ts --schedulers 2       (or +S 2)
//   or:  node dist/runtime/cli.js run examples/preemption.ts --schedulers 1
//   try also --reductions 200000: slices 100 times longer, so fewer switches (more iterations)
//   and ticks that come a little later.
//
// The ticker always runs on scheduler 1; the busy loop and the plain function run on the last
// scheduler (spawnOn), which is scheduler 1 too when there is only one.
//
// What to watch with one scheduler: in step 1 the ticks come every ~100 ms while the busy loop
// counts to a couple of hundred million, because preemption switches between the two; in step 2
// tick 2 comes at ~650 ms instead of ~200 ms, and the runtime's report appears on stderr.
// With two: the busy loop and the plain function hold scheduler 2 only, so the ticker on
// scheduler 1 never waits for them, in either step; the report still appears (the plain function
// still held its own scheduler for 500 ms).

import { _, after, on, Pid, receive, reductionBudget, schedulers, self, send, sleep, spawnOn } from "beamline";

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

/** Prints a tick every 100 ms, `ticks` times, then tells `parent` when each tick came. */
function* ticker(ticks: number, parent: Pid) {
  const started = performance.now();
  const times: number[] = [];
  for (let tick = 1; tick <= ticks; tick++) {
    yield* sleep(100);
    times.push(Math.round(performance.now() - started));
    console.log(`  tick ${tick} at ${times[tick - 1]} ms`);
  }
  send(parent, ["ticked", times]);
}

/** A plain function: it can only count reductions, never yield, so it cannot be preempted. */
function spin(ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

function* spinner(delay: number, ms: number, parent: Pid) {
  yield* sleep(delay);
  console.log(`  (spinner: now running a plain function for ${ms} ms)`);
  spin(ms);
  send(parent, ["spun"]);
}

export function* main() {
  // The ticker runs on scheduler 1, where main runs; the busy processes on the last scheduler.
  const busyOn = schedulers();
  const apart = busyOn !== 1;
  const threads = apart ? `${schedulers()} scheduler threads` : "one scheduler thread";

  console.log(`Step 1: a busy \`while (true)\` loop next to a ticker, on ${threads}`);
  const busy = spawnOn(busyOn, busyLoop);
  const ticks = spawnOn(1, ticker, 5, self());
  console.log(`  busy loop ${busy} on scheduler ${busyOn}, ticker ${ticks} on scheduler 1`);
  yield* receive(on(["ticked", _]));

  send(busy, ["count?", self()]);
  const count = yield* receive(on(["count", Number], ([, n]) => n));
  console.log(`  the busy loop ran ${count.toLocaleString("en-US")} iterations meanwhile,`);
  const budget = reductionBudget();
  const which = budget === 2000 ? "the default budget" : "the budget --reductions gave";
  const every = `every ${budget.toLocaleString("en-US")} iterations (one reduction each, at ${which}): about ${Math.round(count / budget).toLocaleString("en-US")} times`;
  if (apart) {
    console.log(`  and the ticker ran on time: the busy loop had scheduler ${busyOn} to itself, so the ticker on scheduler 1 never waited for it`);
    console.log(`  (the busy loop was still preempted ${every}, with nobody waiting;`);
    console.log("  with --schedulers 1, preemption is what keeps the ticker on time)\n");
  } else {
    console.log("  and the ticker still ran on time: the check the loader put at the loop head preempted the busy loop");
    console.log(`  ${every}\n`);
  }

  console.log("Step 2: a process that runs 500 ms inside a plain function");
  spawnOn(1, ticker, 5, self());
  const spinning = spawnOn(busyOn, spinner, 150, 500, self());
  console.log(`  spinner ${spinning} on scheduler ${busyOn}, ticker on scheduler 1`);
  const times = yield* receive(on(["ticked", _], ([, t]) => t as number[]));
  // The run ends when main returns: wait for the spinner too, so that its slice ends and is reported.
  yield* receive(on(["spun"]));
  if (apart) {
    console.log(`  tick 2, due at ~200 ms, came at ${times[1]} ms: the plain function held scheduler ${busyOn} only, and the ticker runs on scheduler 1`);
    console.log("  (with --schedulers 1 it comes at ~650 ms, when the plain function returns: preemption cannot help inside a plain function)");
  } else {
    console.log(`  tick 2, due at ~200 ms, came only when the plain function returned (${times[1]} ms): nothing else could run on scheduler 1 meanwhile`);
  }
}
