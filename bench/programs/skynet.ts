// Skynet: a tree of 1,000,000 leaf processes (10 children per level) that sums their numbers.
import { receive, send, spawn, self, Pid, sleep } from "beamline";

function* skynet(parent: Pid, num: number, size: number, div: number) {
  if (size === 1) {
    send(parent, num);
    return;
  }
  const me = self();
  const step = size / div;
  for (let i = 0; i < div; i++) spawn(skynet, me, num + i * step, step, div);
  let sum = 0;
  for (let i = 0; i < div; i++) sum += (yield* receive()) as number;
  send(parent, sum);
}

export function* main() {
  const size = Number(process.env.BENCH_N ?? 1_000_000);
  // The telemetry-overhead benchmark attaches a client first (bench/telemetryOverhead.mjs).
  yield* sleep(Number(process.env.BENCH_DELAY_MS ?? 0));
  const started = performance.now();
  spawn(skynet, self(), 0, size, 10);
  const sum = (yield* receive()) as number;
  const ms = performance.now() - started;
  console.log("BENCH " + JSON.stringify({ leaves: size, sum, ms }));
}
