// Ring: N processes in a ring pass a token; the token counts down the hops left.
// Two shapes with the same number of hops: 10,000 processes x 100 laps and 100 x 10,000 laps.
// BENCH_N is the number of hops per shape (default 1,000,000). Only the passing is timed;
// building the ring is reported as setupMs.
import { receive, send, spawn, self, Pid } from "beamline";

/** A ring member: forwards the token to `next`; the last hop tells main. */
function* node(next: Pid, main: Pid) {
  for (;;) {
    const m = (yield* receive()) as number | "stop";
    if (m === "stop") {
      send(next, "stop");
      return;
    }
    if (m === 0) send(main, "done");
    else send(next, m - 1);
  }
}

/** The first member learns its successor once the ring is built. */
function* first(main: Pid) {
  const next = (yield* receive()) as Pid;
  yield* node(next, main);
}

function* run(size: number, laps: number) {
  const me = self();
  const t0 = performance.now();
  const head = spawn(first, me);
  // Built backwards: each new member forwards to the one spawned before it, the last to head.
  let next: Pid = head;
  for (let i = 1; i < size; i++) next = spawn(node, next, me);
  send(head, next);
  const t1 = performance.now();
  const hops = size * laps;
  send(head, hops);
  yield* receive();
  const t2 = performance.now();
  send(head, "stop");
  return { hops, setupMs: t1 - t0, hopsPerSec: hops / ((t2 - t1) / 1000) };
}

export function* main() {
  const hops = Number(process.env.BENCH_N ?? 1_000_000);
  // Warm up (JIT and heap) with a small ring, untimed.
  yield* run(1000, 10);
  const big = yield* run(10_000, Math.max(1, Math.floor(hops / 10_000)));
  const small = yield* run(100, Math.max(1, Math.floor(hops / 100)));
  console.log(
    "BENCH " +
      JSON.stringify({
        bigHops: big.hops,
        bigSetupMs: big.setupMs,
        bigHopsPerSec: big.hopsPerSec,
        smallHops: small.hops,
        smallSetupMs: small.setupMs,
        smallHopsPerSec: small.hopsPerSec,
      }),
  );
}
