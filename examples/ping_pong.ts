// Ping-pong: synchronous messaging built from send and receive, then the same with call/reply,
// then what happens when nobody answers (an `after` timeout, and a call that times out).
//
// Run:   npx beamline run examples/ping_pong.ts
//   or:  node dist/runtime/cli.js run examples/ping_pong.ts
//
// What to watch:
//   1. main sends [self(), "ping"] and blocks in receive until ["pong", "ok"] comes back.
//   2. call(pid, "ping") does the same in one step: it sends ["$call", from, "ping"] and waits
//      for the answer the server gives with reply(from, ...).
//   3. a receive with after(1000) returns the timeout value after about 1 s when no pong comes,
//      and a call to a process that never replies throws CallTimeoutError.

import { spawn, send, receive, on, after, self, call, reply, From, Pid, CallTimeoutError } from "beamline";

/** Answers one hand-made ping: {caller, "ping"} -> {"pong", "ok"}. */
function* ponger() {
  yield* receive(
    on([Pid, "ping"], ([caller]) => {
      console.log(`  ponger ${self()}: got a ping from ${caller}, sending pong`);
      send(caller, ["pong", "ok"]);
    }),
  );
}

/** A server that answers calls: the request arrives as ["$call", from, request]. */
function* pingServer() {
  for (;;) {
    yield* receive(on(["$call", From, "ping"], ([, from]) => reply(from, "pong")));
  }
}

/** A process that receives everything and never answers. */
function* silent() {
  for (;;) yield* receive();
}

export function* main() {
  console.log("1. synchronous messaging with send + receive");
  const pong = spawn(ponger);
  send(pong, [self(), "ping"]);
  const answer = yield* receive(on(["pong", String], ([, msg]) => msg));
  console.log(`  main: the reply is "${answer}"\n`);

  console.log("2. the same with call / reply");
  const server = spawn(pingServer);
  const started = performance.now();
  const response = yield* call<string>(server, "ping");
  console.log(`  main: call(${server}, "ping") returned "${response}" in ${(performance.now() - started).toFixed(2)} ms\n`);

  console.log("3. nobody answers");
  const nobody = spawn(silent);
  send(nobody, [self(), "ping"]);
  const t0 = performance.now();
  const result = yield* receive(
    on(["pong", String], ([, msg]) => msg),
    after(1000, () => "timeout" as const),
  );
  console.log(`  receive ... after(1000) gave "${result}" after ${Math.round(performance.now() - t0)} ms`);

  try {
    yield* call(nobody, "ping", 500);
  } catch (error) {
    if (!(error instanceof CallTimeoutError)) throw error;
    console.log(`  call(nobody, "ping", 500) threw ${error.name}: ${error.message}`);
  }
}
