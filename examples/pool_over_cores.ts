// The chapter's pool of 100 database servers, spread over the cores. Each query now keeps the CPU
// busy (it counts primes) instead of sleeping, so a pool on ONE scheduler thread runs the queries
// on one core, a slice at a time, and a pool over two schedulers runs two at a time.
//
// Run on one scheduler thread, then on two (one per core on a 2-core machine):
//        npx beamline run examples/pool_over_cores.ts --schedulers 1
//        npx beamline run examples/pool_over_cores.ts --schedulers 2      (or +S 2)
//   or:  node dist/runtime/cli.js run examples/pool_over_cores.ts --schedulers 2
//
// What to watch: each answer says which scheduler ran it. On one scheduler the eight queries take
// about eight times as long as one query alone: they share one core, and preemption interleaves
// them, so they all finish near the end. On two schedulers they take a little over four times as
// long: two cores work at once (a little over, because main and the runtime's own main thread
// share the cores too; more if other programs keep a core busy). The last line shows that a
// module-level variable exists once per scheduler: each scheduler's copy counted only its queries.
//
// The servers are placed explicitly, round-robin, with spawnOn. Plain `spawn`, as in
// database_pool.ts, lets the balancer place them: it starts a process on another scheduler when
// the spawner's run queue is longer, which spreads a pool started in a loop about evenly.

import { on, Pid, receive, schedulerId, schedulers, self, send, spawnOn } from "beamline";

const POOL_SIZE = 100;
const QUERIES = 8;
/** The work of one query: count the primes below this number (about 0.2 s of CPU on one core here). */
const PRIMES_BELOW = 1_000_000;

/**
 * Queries this scheduler has run. A module-level variable exists once per scheduler thread: each
 * thread loads its own copy of the program, so processes on different schedulers see different
 * counters. (State that the whole program shares belongs in a process, e.g. a registered one.)
 */
let queriesHere = 0;

// ---- the server ----------------------------------------------------------------------------

/**
 * Starts a database server on scheduler `scheduler`. Only a top-level function* like `server` can
 * start on another scheduler: every scheduler thread loads the program and finds it by its name.
 */
export function start(scheduler: number): Pid {
  return spawnOn(scheduler, server);
}

function* server() {
  const connection = 1 + Math.floor(Math.random() * 1000);
  yield* loop(connection);
}

interface Answer {
  query: string;
  primes: number;
  connection: number;
  scheduler: number;
  /** queriesHere after this query, on the scheduler that ran it. */
  queriesHere: number;
}

function* loop(connection: number) {
  for (;;) {
    const [caller, query] = yield* receive(on(["run_query", Pid, String], ([, from, q]) => [from, q] as const));
    // The query's work. This loop is in the process's own generator, so the loader's check at its
    // head lets the scheduler preempt the query every 2000 reductions: the other servers on this
    // scheduler take turns with it.
    let primes = 0;
    for (let n = 2; n < PRIMES_BELOW; n++) if (isPrime(n)) primes++;
    queriesHere++;
    const answer: Answer = { query, primes, connection, scheduler: schedulerId(), queriesHere };
    send(caller, ["query_result", answer]);
  }
}

function isPrime(n: number): boolean {
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

// ---- the client interface --------------------------------------------------------------------

export function runAsync(server: Pid, query: string): void {
  send(server, ["run_query", self(), query]);
}

export function* getResult() {
  const answer = { query: String, primes: Number, connection: Number, scheduler: Number, queriesHere: Number };
  return yield* receive(on(["query_result", answer], ([, a]): Answer => a));
}

// ---- the demo ----------------------------------------------------------------------------------

export function* main() {
  const count = schedulers();
  // Round-robin: member i goes to scheduler 1 + i % count, so consecutive members alternate.
  const pool = Array.from({ length: POOL_SIZE }, (_, i) => start(1 + (i % count)));
  console.log(`started a pool of ${POOL_SIZE} database servers over ${count} scheduler${count === 1 ? "" : "s"} (${pool[0]} ... ${pool[POOL_SIZE - 1]})\n`);

  // First one query alone on each scheduler, one after another: the time one query takes on one
  // core. (It also warms each scheduler thread up: each compiles its own copy of the program.)
  const counted = new Map<number, number>();
  const alone: string[] = [];
  let one = 0;
  for (let i = 0; i < count; i++) {
    const before = performance.now();
    runAsync(pool[i]!, `query 0.${i + 1}`);
    const a = yield* getResult();
    const seconds = (performance.now() - before) / 1000;
    one += seconds / count;
    counted.set(a.scheduler, a.queriesHere);
    alone.push(`${seconds.toFixed(2)} s on scheduler ${a.scheduler}`);
    if (i === 0) console.log(`each query counts the ${a.primes.toLocaleString("en-US")} primes below ${PRIMES_BELOW.toLocaleString("en-US")}`);
  }
  console.log(`one query alone took ${alone.join(", ")}\n`);

  // The chapter picks a member at random; here query i goes to member i, so that the queries
  // alternate between the schedulers and each gets its share of the work.
  const started = performance.now();
  for (let i = 1; i <= QUERIES; i++) runAsync(pool[i]!, `query ${i}`);
  const perScheduler = new Map<number, number>();
  for (let i = 0; i < QUERIES; i++) {
    const a = yield* getResult();
    perScheduler.set(a.scheduler, (perScheduler.get(a.scheduler) ?? 0) + 1);
    counted.set(a.scheduler, Math.max(counted.get(a.scheduler) ?? 0, a.queriesHere));
    console.log(
      `[${elapsed(started)}]  ${a.query}: ${a.primes.toLocaleString("en-US")} primes, answered on scheduler ${a.scheduler} (connection ${a.connection}; queriesHere = ${a.queriesHere})`,
    );
  }
  const total = (performance.now() - started) / 1000;

  const schedulerIds = [...perScheduler.keys()].sort((x, y) => x - y);
  console.log(`\nanswered by ${schedulerIds.map((s) => `scheduler ${s}: ${perScheduler.get(s)} queries`).join(", ")}`);
  console.log(
    `${QUERIES} queries took ${total.toFixed(2)} s on ${count} scheduler${count === 1 ? "" : "s"}: ${(total / one).toFixed(1)} times one query alone` +
      (count === 1
        ? ` (one scheduler thread, so one core, ran them all: expect about ${QUERIES})`
        : ` (${count} scheduler threads ran them at once: expect about ${QUERIES / count} with ${count} idle cores, more if other programs keep a core busy)`),
  );
  console.log(
    `queriesHere, a module-level variable, counted ${[...counted.keys()].sort((x, y) => x - y).map((s) => `${counted.get(s)} on scheduler ${s}`).join(" and ")}` +
      (count === 1 ? ": one scheduler, one copy" : ": each scheduler has its own copy of the module"),
  );
}

function elapsed(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(2)} s`;
}
