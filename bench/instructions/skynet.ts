// bench/programs/skynet.ts for bench/countInstructions.mjs: BENCH_N leaves (a power of 10), untimed.
import { receive, send, spawn, self, Pid } from "beamline";

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
  const size = Number(process.env.BENCH_N);
  spawn(skynet, self(), 0, size, 10);
  const sum = (yield* receive()) as number;
  console.log("BENCH " + JSON.stringify({ size, sum }));
}
