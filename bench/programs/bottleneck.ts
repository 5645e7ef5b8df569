// Bottleneck: 1,000 client processes each make 1,000 `call`s to ONE server, then the same load
// spread over a pool of servers (client i calls server i % POOL). The server is the loop a
// GenServer runs: one request at a time, so with one server its mailbox is the queue.
// BENCH_N is the number of calls in all (default 1,000,000).
import { call, From, on, receive, reply, spawn, self, send, Pid, _ } from "beamline";

const CLIENTS = 1000;
const POOL = 10;

function* server() {
  for (;;) yield* receive(on(["$call", From, _], ([, from, n]) => reply(from, n)));
}

function* client(main: Pid, server: Pid, calls: number, i: number) {
  for (let k = 0; k < calls; k++) {
    const answer = yield* call<number>(server, i);
    if (answer !== i) throw new Error(`client ${i} got ${answer}`);
  }
  send(main, "done");
}

function* run(servers: Pid[], perClient: number) {
  const me = self();
  const t0 = performance.now();
  for (let i = 0; i < CLIENTS; i++) spawn(client, me, servers[i % servers.length]!, perClient, i);
  for (let i = 0; i < CLIENTS; i++) yield* receive();
  return (CLIENTS * perClient) / ((performance.now() - t0) / 1000);
}

export function* main() {
  const calls = Number(process.env.BENCH_N ?? 1_000_000);
  const perClient = Math.max(1, Math.floor(calls / CLIENTS));
  // Warm up (JIT and heap) with 10% of the load on a server of its own, untimed.
  yield* run([spawn(server)], Math.max(1, Math.floor(perClient / 10)));
  const one = yield* run([spawn(server)], perClient);
  const pool: Pid[] = [];
  for (let i = 0; i < POOL; i++) pool.push(spawn(server));
  const pooled = yield* run(pool, perClient);
  console.log(
    "BENCH " +
      JSON.stringify({ clients: CLIENTS, callsPerClient: perClient, poolSize: POOL, oneCallsPerSec: one, poolCallsPerSec: pooled }),
  );
}
