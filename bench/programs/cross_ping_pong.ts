// Ping-pong across schedulers: `main` and an echo process on another scheduler (spawnOn) pass a
// message back and forth; the round-trip time. Bare: send and receive. Call: call/reply, whose
// request and reply also cross. BENCH_N is the number of rounds (default 200,000). Needs at least
// two schedulers (`--schedulers 2`). The same as bench/erlang/cross_ping_pong.erl.
import { call, From, on, receive, reply, schedulerId, schedulers, self, send, spawnOn, Pid, _ } from "beamline";

function* echo() {
  for (;;) {
    const [from, n] = (yield* receive()) as [Pid, number];
    send(from, n);
  }
}

function* server() {
  for (;;) yield* receive(on(["$call", From, _], ([, from, n]) => reply(from, n)));
}

export function* main() {
  const rounds = Number(process.env.BENCH_N ?? 200_000);
  if (schedulers() < 2) throw new Error(`cross_ping_pong needs two schedulers or more (--schedulers 2); this run has ${schedulers()}`);
  const other = (schedulerId() % schedulers()) + 1;
  const me = self();
  const e = spawnOn(other, echo);
  // Warm up so that the timed loop runs optimized code on both threads.
  for (let i = 0; i < 10_000; i++) {
    send(e, [me, i]);
    yield* receive();
  }
  let started = performance.now();
  for (let i = 0; i < rounds; i++) {
    send(e, [me, i]);
    const n = yield* receive();
    if (n !== i) throw new Error(`round ${i} got ${String(n)}`);
  }
  const bareUs = ((performance.now() - started) * 1000) / rounds;
  const s = spawnOn(other, server);
  for (let i = 0; i < 10_000; i++) yield* call(s, i);
  started = performance.now();
  for (let i = 0; i < rounds; i++) yield* call(s, i);
  const callUs = ((performance.now() - started) * 1000) / rounds;
  console.log("BENCH " + JSON.stringify({ rounds, bareUs, callUs, from: schedulerId(), to: other, schedulers: schedulers() }));
}
