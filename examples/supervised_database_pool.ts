// The chapter's pool of 100 database servers, always running: a supervision tree.
//
//   db_app (supervisor, rest_for_one)
//   ├── db_pool       a dynamic supervisor: the 100 database servers, each restarted alone
//   └── db_dispatcher a registered server that hands out a random live pool member
//
// Each database server is the chapter's: it picks a `connection` when it starts and runs a query
// in 1 s. The dispatcher starts the 100 servers, monitors each one, and when one goes down it
// asks the pool for its replacement. A client asks the dispatcher for a server and `call`s it; if
// the server dies before it answers, the call throws CallExitError at once and the client asks
// for another server. rest_for_one: if db_pool itself fails, the dispatcher, started after it and
// depending on it, is restarted too; if only the dispatcher fails, the pool keeps running and the
// new dispatcher finds its servers.
//
// Run:   npx beamline run examples/supervised_database_pool.ts
//   or:  node dist/runtime/cli.js run examples/supervised_database_pool.ts
//   add --seed 7 for the same connections and picks on every run (and sleeps on virtual time).
// Watch: add --telemetry --keep-alive and open the printed URL: the Supervision view shows db_app,
//   db_pool with its 100 children and db_dispatcher; kill a few servers or the dispatcher from the
//   inspector and watch them come back.
//
// What to watch: five queries in parallel take about 1 s, as in the chapter. Then two servers are
// killed while they run a query: their clients retry on other servers (about 1.3 s in all), and
// the pool still has 100 servers, two of them new. Then the dispatcher is killed: db_app restarts
// it, the new one finds the same 100 servers, and queries go on.

import {
  call,
  CallExitError,
  countChildren,
  exit,
  From,
  monitor,
  on,
  Pid,
  receive,
  Ref,
  register,
  reply,
  self,
  send,
  sleep,
  spawn,
  startChild,
  startDynamicSupervisor,
  startServerLink,
  startSupervisor,
  whereis,
  whichChildren,
  _,
  type ServerSpec,
} from "beamline";

const POOL_SIZE = 100;

// ---- a database server (the chapter's, answering calls) -----------------------------------------

function* databaseServer() {
  const connection = 1 + Math.floor(Math.random() * 1000);
  for (;;) {
    yield* receive(
      on(["$call", From, ["run_query", String]], function* ([, from, [, query]]) {
        yield* sleep(1000);
        reply(from, `Connection ${connection}: ${query} result`);
      }),
      on(_, (other) => console.log(`  database server ${self()}: unknown message ${JSON.stringify(other)}`)),
    );
  }
}

// ---- the pool: a dynamic supervisor of database servers -------------------------------------------

/** db_pool's start: a dynamic supervisor, registered so that the dispatcher can find it. */
export function startPool(): Pid {
  const pool = startDynamicSupervisor({ name: "db_pool", start: [databaseServer], intensity: 50, period: 5000 });
  register("db_pool", pool);
  return pool;
}

// ---- the dispatcher: a registered server that knows the live pool members -----------------------

interface Dispatcher {
  /** The live servers, each with the ref of the dispatcher's monitor on it. */
  servers: Map<Pid, Ref>;
}

const dispatcher: ServerSpec<Dispatcher> = {
  name: "db_dispatcher",
  *init() {
    register("db_dispatcher", self());
    // A new pool is empty and gets its servers now; after a restart of the dispatcher alone, the
    // pool's servers are still running, and the new dispatcher takes them over.
    const counts = yield* countChildren("db_pool");
    for (let i = counts.active; i < POOL_SIZE; i++) yield* startChild("db_pool");
    const state: Dispatcher = { servers: new Map() };
    yield* refresh(state);
    return state;
  },
  handleCall(request: "pick" | "size", state) {
    if (request === "size") return [state.servers.size, state];
    const servers = [...state.servers.keys()];
    return [servers[Math.floor(Math.random() * servers.length)], state];
  },
  *handleInfo(msg: unknown, state) {
    if (Array.isArray(msg) && msg[0] === "DOWN") {
      state.servers.delete(msg[3] as Pid);
      // The pool got the server's exit at the same moment as this DOWN, so it has restarted it by
      // the time it answers this call.
      yield* refresh(state);
    }
    return state;
  },
};

/** Monitors every running pool member that the dispatcher does not know yet. */
function* refresh(state: Dispatcher) {
  for (const child of yield* whichChildren("db_pool")) {
    if (child.pid !== undefined && !state.servers.has(child.pid)) state.servers.set(child.pid, monitor(child.pid));
  }
}

// ---- the application: the supervision tree ---------------------------------------------------------

export function startApp(): Pid {
  return startSupervisor({
    name: "db_app",
    strategy: "rest_for_one",
    intensity: 3,
    period: 5000,
    children: [
      { id: "db_pool", type: "supervisor", start: [startPool] },
      { id: "db_dispatcher", start: [startServerLink, dispatcher] },
    ],
  });
}

// ---- the client interface ------------------------------------------------------------------------

/** A pool member to use, from the dispatcher. */
export function* pick() {
  return yield* call<Pid>("db_dispatcher", "pick");
}

/**
 * Runs a query on some pool member. A server that dies before it answers makes the call throw
 * CallExitError at once; the query then goes to another server, up to 3 tries. `onPick` hears
 * which server each try uses.
 */
export function* runQuery(query: string, onPick: (server: Pid) => void = () => {}) {
  for (let attempt = 1; ; attempt++) {
    const server = yield* pick();
    onPick(server);
    try {
      return yield* call<string>(server, ["run_query", query], 5000);
    } catch (error) {
      if (!(error instanceof CallExitError) || attempt === 3) throw error;
      console.log(`  ${query}: server ${server} went down (${JSON.stringify(error.reason)}); trying another one`);
    }
  }
}

// ---- the demo ----------------------------------------------------------------------------------

/** A client process: runs one query, tells main which server it picked first, then the result. */
function* client(parent: Pid, query: string) {
  let first = true;
  const result = yield* runQuery(query, (server) => {
    if (first) send(parent, ["picked", query, server]);
    first = false;
  });
  send(parent, ["result", query, result]);
}

/** Runs `n` queries in parallel, one client each; `whileRunning` gets the servers they picked. */
function* queries(round: string, n: number, whileRunning: (picked: Pid[]) => Generator<unknown, void, unknown>) {
  const started = performance.now();
  for (let i = 1; i <= n; i++) spawn(client, self(), `${round} query ${i}`);
  const picked: Pid[] = [];
  for (let i = 0; i < n; i++) picked.push(yield* receive(on(["picked", String, Pid], ([, , server]) => server)));
  yield* whileRunning(picked);
  for (let i = 0; i < n; i++) {
    const [, query, result] = yield* receive(on(["result", String, String]));
    console.log(`  [${elapsed(started)}] ${query}: ${JSON.stringify(result)}`);
  }
  return elapsed(started);
}

/**
 * Owns the supervision tree, as OTP's application master does. A supervisor stops when its parent
 * ends, even normally, so with --keep-alive the tree needs a parent that outlives main.
 */
function* application(caller: Pid) {
  send(caller, ["started", startApp()]);
  yield* receive(on("stop"));
}

export function* main() {
  spawn(application, self());
  const app = yield* receive(on(["started", Pid], ([, pid]) => pid));
  // db_app answers once it has started its children in order: the pool, then the dispatcher,
  // whose init filled the pool.
  const tree = yield* whichChildren(app);
  const pool = yield* countChildren("db_pool");
  console.log(`db_app ${app}: ${tree.map((c) => `${c.id} ${c.pid}`).join(", ")}; db_pool has ${pool.active} database servers\n`);

  console.log("Five queries in parallel:");
  let servers = 0;
  const first = yield* queries("round 1", 5, function* (picked) {
    servers = new Set(picked).size;
  });
  // The picks are random, as in the chapter: now and then two queries share a server, and wait
  // for each other.
  if (servers === 5) console.log(`  5 queries took ${first}: five servers ran them at the same time\n`);
  else console.log(`  5 queries took ${first}: on ${servers} servers, so queries that shared one ran one after another\n`);

  console.log("Five more; two of their servers are killed while they run:");
  let killed: Pid[] = [];
  const second = yield* queries("round 2", 5, function* (picked) {
    yield* sleep(300);
    killed = [...new Set(picked)].slice(0, 2);
    for (const server of killed) {
      console.log(`  killing ${server}`);
      exit(server, "kill");
    }
  });
  console.log(`  5 queries took ${second}: the killed servers' clients retried elsewhere`);
  const after = yield* whichChildren("db_pool");
  const alive = after.filter((c) => c.pid !== undefined);
  console.log(`  db_pool: ${alive.length} servers running; ${killed.map((k) => `${k} ${alive.some((c) => c.pid === k) ? "is still there" : "was replaced"}`).join(", ")}`);
  console.log(`  the dispatcher knows ${yield* call<number>("db_dispatcher", "size")} servers\n`);

  console.log("The dispatcher is killed:");
  const old = whereis("db_dispatcher")!;
  const watch = monitor(old);
  exit(old, "kill");
  yield* receive(on(["DOWN", watch, "process", _, _]));
  const [, restarted] = yield* whichChildren(app);
  console.log(`  db_app restarted it: db_dispatcher was ${old}, is now ${restarted!.pid}`);
  console.log(`  the new one took over the same pool: ${yield* call<number>("db_dispatcher", "size")} servers`);
  console.log(`  one more query: ${JSON.stringify(yield* runQuery("round 3 query 1"))}`);
  console.log("\nmain is done; with --keep-alive the tree keeps running.");
}

function elapsed(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(2)} s`;
}
