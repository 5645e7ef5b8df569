// Ping-pong: two processes on one scheduler pass a message back and forth; the round-trip time.
// Bare: send and receive. Call: the synchronous call/reply built on refs and selective receive.
import { call, From, on, receive, reply, send, spawn, self, Pid, _, sleep } from "beamline";

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
  const rounds = Number(process.env.BENCH_N ?? 1_000_000);
  // The telemetry-overhead benchmark attaches a client first (bench/telemetryOverhead.mjs).
  yield* sleep(Number(process.env.BENCH_DELAY_MS ?? 0));
  const me = self();
  const e = spawn(echo);
  // Warm up so that the timed loop runs optimized code.
  for (let i = 0; i < 10_000; i++) {
    send(e, [me, i]);
    yield* receive();
  }
  let started = performance.now();
  for (let i = 0; i < rounds; i++) {
    send(e, [me, i]);
    yield* receive();
  }
  const bareUs = ((performance.now() - started) * 1000) / rounds;
  const s = spawn(server);
  for (let i = 0; i < 10_000; i++) yield* call(s, i);
  started = performance.now();
  for (let i = 0; i < rounds; i++) yield* call(s, i);
  const callUs = ((performance.now() - started) * 1000) / rounds;
  console.log("BENCH " + JSON.stringify({ rounds, bareUs, callUs }));
}
