// The bare round trip of bench/programs/ping_pong.ts for bench/countInstructions.mjs: BENCH_N rounds
// of send and receive between main and an echo process, nothing else.
import { receive, send, spawn, self, Pid } from "beamline";

function* echo() {
  for (;;) {
    const [from, n] = (yield* receive()) as [Pid, number];
    send(from, n);
  }
}

export function* main() {
  const rounds = Number(process.env.BENCH_N);
  const me = self();
  const e = spawn(echo);
  for (let i = 0; i < rounds; i++) {
    send(e, [me, i]);
    yield* receive();
  }
  console.log("BENCH " + JSON.stringify({ rounds }));
}
