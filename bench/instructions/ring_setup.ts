// The big ring's setup for bench/countInstructions.mjs: BENCH_N ring members spawned in a loop, each
// running to its first receive, then one "stop" around the ring. Per member: a spawn, a first slice,
// a message and an exit.
import { receive, send, spawn, self, Pid } from "beamline";

function* node(next: Pid) {
  for (;;) {
    const m = yield* receive();
    send(next, m);
    if (m === "stop") return;
  }
}

export function* main() {
  const size = Number(process.env.BENCH_N);
  const me = self();
  let next: Pid = me;
  for (let i = 0; i < size; i++) next = spawn(node, next);
  send(next, "stop");
  yield* receive();
  console.log("BENCH " + JSON.stringify({ size }));
}
