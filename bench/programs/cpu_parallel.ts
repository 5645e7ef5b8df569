// CPU-bound work in parallel: 64 processes each compute, and `main` sums their answers. Two kernels:
// a Mandelbrot set of BENCH_N x BENCH_N points (process p takes rows p, p + 64, ...; floating point)
// and fib(F) by plain recursion in each process (function calls and small integers). Timed from
// the first spawn to the last answer. With N schedulers, `spawn` lets the balancer place the
// processes; `spawnOn` places them round-robin by hand (a second Mandelbrot round, for comparison).
// The same work as bench/erlang/cpu_parallel.erl; `inside` and `fibSum` must match it.
import { receive, schedulers, self, send, spawn, spawnOn, Pid } from "beamline";

const PROCESSES = 64;
const MAX_ITERATIONS = 50;

/** How many points of row `y` of the size x size grid over [-1.5, 0.5] x [-1, 1] stay bounded. */
function mandelbrotRow(y: number, size: number): number {
  let inside = 0;
  const ci = (2 * y) / size - 1;
  for (let x = 0; x < size; x++) {
    const cr = (2 * x) / size - 1.5;
    let zr = 0;
    let zi = 0;
    let i = 0;
    while (i < MAX_ITERATIONS && zr * zr + zi * zi <= 4) {
      const t = zr * zr - zi * zi + cr;
      zi = 2 * zr * zi + ci;
      zr = t;
      i++;
    }
    if (i === MAX_ITERATIONS) inside++;
  }
  return inside;
}

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

function* mandelbrotWorker(parent: Pid, first: number, size: number) {
  let inside = 0;
  for (let y = first; y < size; y += PROCESSES) inside += mandelbrotRow(y, size);
  send(parent, inside);
}

function* fibWorker(parent: Pid, n: number) {
  send(parent, fib(n));
}

/** Starts the 64 workers (by the balancer, or round-robin over the schedulers) and sums their answers. */
function* round(kind: "mandelbrot" | "fib", size: number, fibN: number, placed: boolean) {
  const me = self();
  const count = schedulers();
  const started = performance.now();
  for (let p = 0; p < PROCESSES; p++) {
    if (kind === "mandelbrot") {
      if (placed) spawnOn((p % count) + 1, mandelbrotWorker, me, p, size);
      else spawn(mandelbrotWorker, me, p, size);
    } else if (placed) spawnOn((p % count) + 1, fibWorker, me, fibN);
    else spawn(fibWorker, me, fibN);
  }
  let sum = 0;
  for (let p = 0; p < PROCESSES; p++) sum += (yield* receive()) as number;
  return { ms: performance.now() - started, sum };
}

export function* main() {
  const size = Number(process.env.BENCH_N ?? 2048);
  // fib's work grows by about 1.618 per step, Mandelbrot's by 4 per doubling of the size: the two
  // kernels keep the same proportion at every BENCH_N.
  const fibN = 30 + Math.floor(3 * Math.log2(size / 2048) + 0.5);
  // Warm up every scheduler's compiler (each thread has its own V8 isolate), untimed.
  yield* round("mandelbrot", Math.max(PROCESSES, size >> 3), fibN - 6, true);
  yield* round("fib", size >> 3, Math.max(2, fibN - 6), true);
  const mandelbrot = yield* round("mandelbrot", size, fibN, false);
  const fibRound = yield* round("fib", size, fibN, false);
  const placedRound = yield* round("mandelbrot", size, fibN, true);
  if (placedRound.sum !== mandelbrot.sum) throw new Error(`the two Mandelbrot rounds disagree: ${mandelbrot.sum} and ${placedRound.sum}`);
  console.log(
    "BENCH " +
      JSON.stringify({
        processes: PROCESSES,
        size,
        fibN,
        inside: mandelbrot.sum,
        fibSum: fibRound.sum,
        mandelbrotMs: mandelbrot.ms,
        fibMs: fibRound.ms,
        mandelbrotSpawnOnMs: placedRound.ms,
        schedulers: schedulers(),
      }),
  );
}
