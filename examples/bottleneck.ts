// Bottleneck: a process handles one message at a time, so one server shared by many clients
// becomes the bottleneck. Splitting the work over a pool of servers removes it.
//
// 1,000 client processes each make 2 synchronous calls (call/reply). Each request makes the server
// wait 1 ms (sleep(1), standing in for a database or disk wait). First all clients call ONE server,
// then the same load is spread over a pool of 100 servers.
//
// Beamline has no mailbox-length API, so each server measures its own queue: whenever it goes to
// its mailbox it takes every request that is waiting (receive with after(0) until nothing is
// left), counts them, and then handles them one by one, oldest first. The largest count it saw is
// its peak mailbox length; main asks each server for it with a "stats" call at the end.
//
// Run:   npx beamline run examples/bottleneck.ts
//   or:  node dist/runtime/cli.js run examples/bottleneck.ts
//   or:  npm start, which runs it with the visualizer
//
// What to watch: with one server, 2,000 requests x ~1.2 ms queue up (peak mailbox near 1,000:
// every client is waiting) and take a couple of seconds; with the pool they take a few tens of
// milliseconds. The pool helps because its servers WAIT in parallel (with several schedulers the
// peak can end a little short of 1,000); examples/pool_over_cores.ts spreads CPU work over cores.

import { spawn, send, receive, on, after, self, call, reply, sleep, _, From, Pid } from "beamline";

const CLIENTS = 1000;
const CALLS_PER_CLIENT = 2;
const POOL_SIZE = 100;

// ---- the server ----------------------------------------------------------------------------

function* server() {
  let handled = 0;
  let peakMailbox = 0;
  for (;;) {
    // Wait for a request, then take all the others already waiting, to count them.
    const batch = [yield* receive(on(["$call", From, _]))];
    for (;;) {
      const next = yield* receive(on(["$call", From, _]), after(0));
      if (next === undefined) break;
      batch.push(next);
    }
    peakMailbox = Math.max(peakMailbox, batch.length);

    for (const [, from, request] of batch) {
      if (request === "stats") {
        reply(from, { handled, peakMailbox });
      } else {
        yield* sleep(1); // the "little work": a 1 ms wait
        handled++;
        reply(from, "ok");
      }
    }
  }
}

// ---- the clients -------------------------------------------------------------------------------

function* client(server: Pid, calls: number, parent: Pid) {
  for (let i = 0; i < calls; i++) yield* call(server, ["work", i], 30_000);
  send(parent, ["done", self()]);
}

/** Starts the clients (client i uses servers[i % servers.length]) and waits until all are done. */
function* runLoad(servers: Pid[]) {
  const started = performance.now();
  for (let i = 0; i < CLIENTS; i++) spawn(client, servers[i % servers.length]!, CALLS_PER_CLIENT, self());
  for (let i = 0; i < CLIENTS; i++) yield* receive(on(["done", Pid]));
  const ms = performance.now() - started;

  let peak = 0;
  let handled = 0;
  for (const s of servers) {
    const stats = yield* call<{ handled: number; peakMailbox: number }>(s, "stats");
    peak = Math.max(peak, stats.peakMailbox);
    handled += stats.handled;
  }
  return { ms, peak, handled };
}

// ---- the demo ----------------------------------------------------------------------------------

export function* main() {
  const requests = CLIENTS * CALLS_PER_CLIENT;
  console.log(`${CLIENTS} clients x ${CALLS_PER_CLIENT} synchronous calls = ${requests} requests; each takes a server about 1 ms\n`);

  const one = yield* runLoad([spawn(server)]);
  console.log(`ONE server:         ${one.ms.toFixed(0).padStart(5)} ms   peak mailbox ${one.peak} requests   (${one.handled} handled)`);

  const pool = Array.from({ length: POOL_SIZE }, () => spawn(server));
  const many = yield* runLoad(pool);
  console.log(`pool of ${POOL_SIZE} servers: ${many.ms.toFixed(0).padStart(5)} ms   peak mailbox ${many.peak} requests     (${many.handled} handled; the peak is the busiest server's)`);

  console.log(`\nspeed-up: ${(one.ms / many.ms).toFixed(1)}x`);
  console.log("The single server handled every request in turn while up to all the clients waited in its mailbox;");
  console.log(`the pool gave each server only ${requests / POOL_SIZE} requests, and the servers waited in parallel.`);
}
