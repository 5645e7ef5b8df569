// DatabaseServer: a long-running server process with a loop, and a client interface around it.
//
// The server waits for ["run_query", caller, query], runs the query (a 1000 ms sleep), sends
// ["query_result", result] back, and loops. Clients never touch the message format: they call
// runAsync(server, query) and getResult(), which gives ["error", "timeout"] after 5 s of silence.
//
// Run:   npx beamline run examples/database_server.ts
//   or:  node dist/runtime/cli.js run examples/database_server.ts
//
// What to watch: the five runAsync calls return at once, but the results arrive one per second:
// a process handles one message at a time, so five queries to ONE server take 5 x 1 s = about 5 s.
// At the end a sixth getResult, with no query pending, waits 5 s and returns ["error", "timeout"].

import { spawn, send, receive, on, after, self, sleep, Pid } from "beamline";

// ---- the server ----------------------------------------------------------------------------

export function start(): Pid {
  return spawn(loop);
}

/** The server's core loop: receive a request, handle it, wait for the next one. */
function* loop() {
  for (;;) {
    yield* receive(
      on(["run_query", Pid, String], function* ([, caller, query]) {
        const result = yield* runQuery(query);
        send(caller, ["query_result", result]);
      }),
    );
  }
}

function* runQuery(query: string) {
  yield* sleep(1000);
  return `${query} result`;
}

// ---- the client interface --------------------------------------------------------------------

/** Asks the server to run a query; returns at once. */
export function runAsync(server: Pid, query: string): void {
  send(server, ["run_query", self(), query]);
}

/** Waits for the next result, or gives ["error", "timeout"] after 5 s. */
export function* getResult() {
  return yield* receive(
    on(["query_result", String], ([, result]) => result),
    after(5000, () => ["error", "timeout"] as const),
  );
}

// ---- the demo ----------------------------------------------------------------------------------

export function* main() {
  const server = start();
  console.log(`started the database server ${server}`);

  const started = performance.now();
  for (let i = 1; i <= 5; i++) runAsync(server, `query ${i}`);
  console.log(`sent 5 queries with runAsync in ${elapsed(started)}; now collecting results\n`);

  for (let i = 1; i <= 5; i++) {
    const result = yield* getResult();
    console.log(`[${elapsed(started)}]  getResult() -> ${JSON.stringify(result)}`);
  }
  console.log(`\n5 queries took ${elapsed(started)}: one server runs them one after another (5 x 1 s)\n`);

  console.log("calling getResult() once more, with no query pending (it gives up after 5 s)...");
  const late = yield* getResult();
  console.log(`[${elapsed(started)}]  getResult() -> ${JSON.stringify(late)}`);
}

function elapsed(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(2)} s`;
}
