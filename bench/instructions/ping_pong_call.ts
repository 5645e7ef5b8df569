// The call round trip of bench/programs/ping_pong.ts for bench/countInstructions.mjs: BENCH_N calls
// from main to a server that replies, nothing else.
import { call, From, on, receive, reply, spawn, _ } from "beamline";

function* server() {
  for (;;) yield* receive(on(["$call", From, _], ([, from, n]) => reply(from, n)));
}

export function* main() {
  const rounds = Number(process.env.BENCH_N);
  const s = spawn(server);
  for (let i = 0; i < rounds; i++) yield* call(s, i);
  console.log("BENCH " + JSON.stringify({ rounds }));
}
