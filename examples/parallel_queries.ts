// Parallel queries: five slow "queries" run in five processes at the same time.
//
// Each query sleeps 2000 ms (standing in for a slow database call). One after another they would
// take 10 s; spawned as five processes they wait at the same time and all finish in about 2 s.
//
// Run:   npx beamline run examples/parallel_queries.ts
//   or:  node dist/runtime/cli.js run examples/parallel_queries.ts
//
// What to watch: spawn returns a pid at once, so the five "spawned" lines print immediately;
// the five results then print together about 2 s later, and the total is about 2 s, not 10 s.

import { spawn, send, receive, on, self, sleep, Pid } from "beamline";

/** The slow query: like the chapter's run_query, it sleeps 2 s and returns a string. */
function* runQuery(query: string) {
  yield* sleep(2000);
  return `${query} result`;
}

/** One process per query: runs it, prints the result, tells `parent` it is done. */
function* queryProcess(query: string, started: number, parent: Pid) {
  const result = yield* runQuery(query);
  console.log(`[${elapsed(started)}]  ${self()} printed: ${result}`);
  send(parent, ["done", query]);
}

export function* main() {
  const started = performance.now();

  for (let i = 1; i <= 5; i++) {
    // Data goes in as arguments: spawn copies them into the new process (shared-nothing).
    const pid = spawn(queryProcess, `query ${i}`, started, self());
    console.log(`[${elapsed(started)}]  spawned ${pid} for query ${i}`);
  }
  console.log("main did not wait for any query; it now waits for five \"done\" messages\n");

  // The run ends when main returns, so main waits until every query process has reported back.
  for (let i = 0; i < 5; i++) yield* receive(on(["done", String]));

  console.log(`\nall 5 queries finished in ${elapsed(started)}; one after another they would take 10 s`);
}

function elapsed(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(2)} s`;
}
