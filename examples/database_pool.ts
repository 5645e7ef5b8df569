// A pool of 100 database servers, each with its own state: a `connection` number it picks when it
// starts. Five queries go to five random pool members and run in parallel.
//
// Run:   npx beamline run examples/database_pool.ts
//   or:  node dist/runtime/cli.js run examples/database_pool.ts
//   add --seed 7 to get the same connections and picks on every run.
//
// What to watch: each result names the connection that served it (the state of that server),
// and the five 1000 ms queries finish in about 1 s in total, because five different servers ran
// them at the same time. If two picks land on the same server (rare), that server runs its two
// queries one after the other and the total becomes about 2 s; the output says so.

import { spawn, send, receive, on, after, self, sleep, Pid } from "beamline";

// ---- the server, now with state ----------------------------------------------------------

export function start(): Pid {
  return spawn(server);
}

function* server() {
  // The state is created inside the process and passed around its loop: no other process sees it.
  const connection = 1 + Math.floor(Math.random() * 1000);
  yield* loop(connection);
}

function* loop(connection: number) {
  for (;;) {
    yield* receive(
      on(["run_query", Pid, String], function* ([, caller, query]) {
        const result = yield* runQuery(connection, query);
        send(caller, ["query_result", result]);
      }),
    );
  }
}

function* runQuery(connection: number, query: string) {
  yield* sleep(1000);
  return `Connection ${connection}: ${query} result`;
}

// ---- the client interface --------------------------------------------------------------------

export function runAsync(server: Pid, query: string): void {
  send(server, ["run_query", self(), query]);
}

export function* getResult() {
  return yield* receive(
    on(["query_result", String], ([, result]) => result),
    after(5000, () => ["error", "timeout"] as const),
  );
}

// ---- the demo ----------------------------------------------------------------------------------

export function* main() {
  const pool = Array.from({ length: 100 }, () => start());
  console.log(`started a pool of ${pool.length} database servers (${pool[0]} ... ${pool[pool.length - 1]})\n`);

  const started = performance.now();
  const used = new Set<Pid>();
  for (let i = 1; i <= 5; i++) {
    const pid = pool[Math.floor(Math.random() * pool.length)]!;
    used.add(pid);
    console.log(`query ${i} -> server ${pid}`);
    runAsync(pid, `query ${i}`);
  }
  console.log("");

  for (let i = 0; i < 5; i++) {
    const result = yield* getResult();
    console.log(`[${elapsed(started)}]  ${JSON.stringify(result)}`);
  }

  const seconds = elapsed(started);
  if (used.size === 5) {
    console.log(`\n5 queries on 5 different servers took ${seconds}: they ran in parallel (one server would take 5 s)`);
  } else {
    console.log(`\n5 queries on ${used.size} different servers took ${seconds}: queries that shared a server ran one after another`);
  }
}

function elapsed(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(2)} s`;
}
