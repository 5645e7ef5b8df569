// The big ring's hops for bench/countInstructions.mjs: a ring of 10,000 members built once, then
// BENCH_N hops of a countdown token. Per unit: one receive, one send and one slice, each on a
// different process (the setup is the same at both sizes, so it drops out).
import { receive, send, spawn, self, Pid } from "beamline";

function* node(next: Pid, main: Pid) {
  for (;;) {
    const m = (yield* receive()) as number;
    if (m === 0) send(main, "done");
    else send(next, m - 1);
  }
}

function* first(main: Pid) {
  const next = (yield* receive()) as Pid;
  yield* node(next, main);
}

export function* main() {
  const hops = Number(process.env.BENCH_N);
  const me = self();
  const head = spawn(first, me);
  let next: Pid = head;
  for (let i = 1; i < 10_000; i++) next = spawn(node, next, me);
  send(head, next);
  send(head, hops);
  yield* receive();
  console.log("BENCH " + JSON.stringify({ hops }));
}
