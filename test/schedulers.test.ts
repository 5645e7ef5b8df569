// Issue 15: more than one scheduler thread. Each test runs a real program through the CLI with
// `--schedulers N`, so the loader, the scheduler threads and the mesh between them all take part.

import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { test } from "node:test";
import { beamline, programFolder } from "./cliRun.js";

const { program } = programFolder("beamline-schedulers-test-");

const echo = program(
  "echo.ts",
  `import { call, From, on, receive, reply, schedulerId, schedulers, self, send, spawnOn, Pid, _ } from "beamline";

function* echo() {
  for (;;) {
    yield* receive(
      on(["$call", From, _], ([, from, n]) => reply(from, [schedulerId(), n])),
      on([Pid, _], ([from, n]) => send(from, [schedulerId(), n])),
    );
  }
}

export function* main() {
  const n = schedulers();
  const me = self();
  const seen: number[] = [schedulerId()];
  for (let s = 2; s <= n; s++) {
    const e = spawnOn(s, echo);
    send(e, [me, s * 10]);
    const [where, back] = (yield* receive()) as [number, number];
    const answer = (yield* call(e, s * 100)) as [number, number];
    seen.push(where, back, answer[0], answer[1]);
  }
  console.log(JSON.stringify(seen));
}
`,
);

for (const n of [2, 4]) {
  test(`issue 15: with ${n} schedulers, a process started by spawnOn runs there and answers a send and a call from scheduler 1`, () => {
    const { code, stdout, stderr } = beamline("run", "--schedulers", String(n), echo);
    assert.equal(code, 0, stderr);
    const expected = [1];
    for (let s = 2; s <= n; s++) expected.push(s, s * 10, s, s * 100);
    assert.deepEqual(JSON.parse(stdout), expected);
  });
}

test("issue 15: +S is --schedulers; the default is one scheduler per core, and one with --seed", () => {
  const file = program(
    "count.ts",
    `import { schedulerId, schedulers } from "beamline";
export function* main() { console.log(schedulers(), schedulerId()); }
`,
  );
  assert.equal(beamline("run", "+S", "3", file).stdout, "3 1\n");
  const byDefault = Number(process.env.BEAMLINE_SCHEDULERS || availableParallelism());
  assert.equal(beamline("run", file).stdout, `${byDefault} 1\n`);
  assert.equal(beamline("run", "--seed", "7", file).stdout, "1 1\n");
  const seeded = beamline("run", "--seed", "7", "--schedulers", "2", file);
  assert.equal(seeded.stdout, "2 1\n");
  assert.match(seeded.stderr, /--seed with 2 schedulers .* runs are not repeatable; --schedulers 1 makes them so/);
});

test("issue 15: spawnOn with a scheduler id outside 1..N says which ids there are", () => {
  const file = program(
    "outside.ts",
    `import { spawnOn } from "beamline";
function* idle() {}
export function* main() {
  try { spawnOn(3, idle); } catch (error) { console.log((error as Error).message); }
  try { spawnOn(0.5, idle); } catch (error) { console.log((error as Error).message); }
}
`,
  );
  const { code, stdout } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0);
  assert.equal(
    stdout,
    "spawnOn: the scheduler id must be an integer from 1 to 2 (this run has 2 schedulers), got 3\n" +
      "spawnOn: the scheduler id must be an integer from 1 to 2 (this run has 2 schedulers), got 0.5\n",
  );
});

test("issue 15: spawnOn with a closure for another scheduler is an error that says why, and the closure still starts on its own", () => {
  const file = program(
    "closure.ts",
    `import { receive, schedulerId, self, send, spawnOn } from "beamline";
export function* main() {
  const me = self();
  const closure = function* () { send(me, schedulerId()); };
  try { spawnOn(2, closure); } catch (error) { console.log((error as Error).message); }
  spawnOn(1, closure);
  console.log("ran on", yield* receive());
}
`,
  );
  const { code, stdout } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0);
  assert.match(stdout, /^spawnOn\(2, closure\): only a top-level function\* of the program can start on another scheduler/);
  assert.match(stdout, /a closure or a nested function can start only on the scheduler that made it \(scheduler 1\)\n/);
  assert.match(stdout, /ran on 1\n$/);
});

test("issue 15: module-level variables are per scheduler (shared-nothing)", () => {
  const file = program(
    "globals.ts",
    `import { receive, schedulerId, self, send, spawnOn, Pid } from "beamline";
let counter = 0;
function* bump(parent: Pid) { counter += 1; send(parent, [schedulerId(), counter]); }
export function* main() {
  const me = self();
  for (const s of [1, 2, 2, 1, 2]) {
    spawnOn(s, bump, me);
    console.log(JSON.stringify(yield* receive()));
  }
}
`,
  );
  const { code, stdout } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0);
  assert.equal(stdout, "[1,1]\n[2,1]\n[2,2]\n[1,2]\n[2,3]\n");
});

test("issue 15: terms keep their shape across schedulers: Map, Set, Uint8Array, pids, refs, nesting", () => {
  const file = program(
    "terms.ts",
    `import { makeRef, receive, self, send, spawnOn, Pid, Ref } from "beamline";
function* mirror(parent: Pid) { const msg = yield* receive(); send(parent, msg); }
export function* main() {
  const me = self();
  const ref = makeRef();
  const term = { n: 1.5, big: 2 ** 53, s: "héllo ✓", b: true, u: undefined, z: null, list: [1, [2, [3]]], map: new Map<unknown, unknown>([["k", [me]], [7, new Set([1, "x"])]]), bytes: new Uint8Array([1, 2, 255]), ref };
  send(spawnOn(2, mirror, me), term);
  const back = (yield* receive()) as typeof term;
  const checks = [
    back.n === 1.5 && back.big === 2 ** 53 && back.s === term.s && back.b === true && "u" in back && back.u === undefined && back.z === null,
    JSON.stringify(back.list) === "[1,[2,[3]]]",
    back.map instanceof Map && (back.map.get("k") as Pid[])[0]!.toString() === me.toString() && (back.map.get(7) as Set<unknown>).has("x"),
    back.bytes instanceof Uint8Array && back.bytes.join() === "1,2,255",
    back.ref instanceof Ref && back.ref.toString() === ref.toString(),
  ];
  console.log(checks.join(" "));
  // A pid that came back from another scheduler still reaches this process.
  send((back.map.get("k") as Pid[])[0]!, "home");
  console.log(yield* receive());
}
`,
  );
  const { code, stdout, stderr } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "true true true true true\nhome\n");
});

test("issue 15: an unsendable message to another scheduler throws the same error as a local send, and nothing half-sent arrives", () => {
  const file = program(
    "unsendable.ts",
    `import { receive, self, send, spawnOn, Pid } from "beamline";
function* mirror(parent: Pid) { for (;;) { const msg = yield* receive(); send(parent, msg); } }
export function* main() {
  const other = spawnOn(2, mirror, self());
  try { send(other, { ok: 1, bad: [() => 1] }); } catch (error) { console.log((error as Error).name + ": " + (error as Error).message); }
  send(other, "after");
  console.log(yield* receive());
}
`,
  );
  const { code, stdout, stderr } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0, stderr);
  const [error, after] = stdout.trim().split("\n");
  assert.match(error!, /^UnsendableError: .*msg\.bad\[0\]/);
  assert.equal(after, "after");
});

test("issue 15: messages between schedulers lose nothing, duplicate nothing and keep each sender's order, through full rings", () => {
  // Three senders on schedulers 2..4 each send 60,000 numbered messages to a receiver on scheduler
  // 1 at once: far more than a ring holds, so the rings fill and spill.
  const file = program(
    "fifo.ts",
    `import { receive, self, send, spawnOn, Pid } from "beamline";
const COUNT = 60_000;
function* sender(to: Pid, id: number) {
  for (let i = 0; i < COUNT; i++) send(to, [id, i, "payload-" + i]);
  send(to, [id, "done"]);
}
export function* main() {
  const me = self();
  for (let s = 2; s <= 4; s++) spawnOn(s, sender, me, s);
  const next = new Map<number, number>();
  let done = 0;
  let bad = 0;
  while (done < 3) {
    const [id, i] = (yield* receive()) as [number, number | "done"];
    if (i === "done") { done++; if (next.get(id) !== COUNT) bad++; continue; }
    if (i !== (next.get(id) ?? 0)) bad++;
    next.set(id, (next.get(id) ?? 0) + 1);
  }
  console.log("bad", bad, [...next.values()].join(","));
}
`,
  );
  const { code, stdout, stderr } = beamline("run", "--schedulers", "4", file);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "bad 0 60000,60000,60000\n");
});

test("issue 15: a message from a third scheduler to a process spawned elsewhere is kept until the spawn arrives", () => {
  // Scheduler 1 starts a process on 3 and at once hands its pid to a process on 2, which sends to
  // it: the message from 2 may reach 3 before the spawn from 1 does; it must wait, not vanish. A
  // burst to a sink on 3 first fills the ring from 1 to 3, so the spawn waits in 1's spill.
  const file = program(
    "early.ts",
    `import { receive, self, send, spawnOn, Pid } from "beamline";
function* relay() { for (;;) { const [to, msg] = (yield* receive()) as [Pid, unknown]; send(to, msg); } }
function* target(parent: Pid) { for (;;) { const msg = yield* receive(); send(parent, msg); } }
function* sink() { for (;;) yield* receive(); }
export function* main() {
  const me = self();
  const r = spawnOn(2, relay);
  const s = spawnOn(3, sink);
  const filler = "x".repeat(1024);
  let got = 0;
  for (let i = 0; i < 20; i++) {
    for (let k = 0; k < 400; k++) send(s, filler);
    const t = spawnOn(3, target, me);
    send(r, [t, i]);
    if ((yield* receive()) === i) got++;
  }
  console.log("got", got);
}
`,
  );
  const { code, stdout, stderr } = beamline("run", "--schedulers", "3", file);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "got 20\n");
});

for (const n of [2, 8]) {
  test(`issue 15: with ${n} schedulers, messages sent in bursts between pauses, while peers spin less or sleep, all arrive in order`, () => {
    // Pauses of 0-3 ms between bursts let the receiving schedulers' spins fail and shrink, and let
    // them sleep; with more schedulers than cores they also wait for a core. Round trips between
    // the bursts cross while the other side is at every stage of going idle.
    const file = program(
      `bursts${n}.ts`,
      `import { after, receive, schedulers, self, send, spawnOn, Pid } from "beamline";
function* echo() { for (;;) { const [from, msg] = (yield* receive()) as [Pid, unknown]; send(from, msg); } }
function* sender(to: Pid, id: number, parent: Pid) {
  const me = self();
  const e = spawnOn(1, echo);
  for (let burst = 0; burst < 40; burst++) {
    for (let i = 0; i < 50; i++) send(to, [id, burst * 50 + i]);
    send(e, [me, burst]);
    if ((yield* receive()) !== burst) throw new Error("echo out of order");
    yield* receive(after(burst % 4, () => undefined));
  }
  send(to, [id, "done"]);
}
export function* main() {
  const me = self();
  const count = schedulers();
  for (let s = 2; s <= count; s++) spawnOn(s, sender, me, s, me);
  const next = new Map<number, number>();
  let done = 0;
  let bad = 0;
  while (done < count - 1) {
    const [id, i] = (yield* receive()) as [number, number | "done"];
    if (i === "done") { done++; if (next.get(id) !== 2000) bad++; continue; }
    if (i !== (next.get(id) ?? 0)) bad++;
    next.set(id, i + 1);
  }
  console.log("bad", bad, "senders", next.size);
}
`,
    );
    const { code, stdout, stderr } = beamline("run", "--schedulers", String(n), file);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `bad 0 senders ${n - 1}\n`);
  });
}

test("issue 15: a run whose processes all wait on two schedulers ends with the deadlock message", () => {
  const file = program(
    "deadlock.ts",
    `import { receive, spawnOn } from "beamline";
function* waiter() { yield* receive(); }
export function* main() {
  spawnOn(2, waiter);
  yield* receive();
}
`,
  );
  const { code, stderr } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 1);
  assert.match(stderr, /every process is waiting for a message that nothing can send \(main never returned\)/);
});

test("issue 15: the balancer spreads a pool of busy processes over the schedulers", () => {
  const file = program(
    "spread.ts",
    `import { receive, schedulerId, self, send, spawn, Pid } from "beamline";
function* busy(parent: Pid) {
  let x = 0;
  for (let i = 0; i < 200_000; i++) x += i % 7;
  send(parent, schedulerId());
}
export function* main() {
  const me = self();
  for (let i = 0; i < 32; i++) spawn(busy, me);
  const on = new Set<number>();
  for (let i = 0; i < 32; i++) on.add((yield* receive()) as number);
  console.log([...on].sort().join(","));
}
`,
  );
  const { code, stdout, stderr } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "1,2\n");
});

test("issue 15: the balancer spreads every burst of spawns alike, not only the first (it counted processes placed earlier as still on their way)", () => {
  // Four bursts of 32 processes that compute. Before the fix, what a scheduler placed elsewhere
  // stayed counted until the other scheduler's published run queue changed, so later bursts stayed home.
  const file = program(
    "bursts.ts",
    `import { receive, schedulerId, self, send, spawn, Pid } from "beamline";
function spin(n: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) x += i % 7;
  return x;
}
function* worker(parent: Pid) {
  spin(50_000);
  send(parent, schedulerId());
}
export function* main() {
  const me = self();
  const remote: number[] = [];
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 32; i++) spawn(worker, me);
    let onTwo = 0;
    for (let i = 0; i < 32; i++) if ((yield* receive()) === 2) onTwo++;
    remote.push(onTwo);
  }
  console.log(remote.every((n) => n >= 10 && n <= 22) ? "even" : "uneven " + remote.join(","));
}
`,
  );
  const { code, stdout, stderr } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "even\n");
});

test("issue 15: the balancer keeps processes of a function that waits for messages with their spawner, and spreads those that compute", () => {
  // One talker waits in its first slice; a burst of 64 more then stays on scheduler 1, where their
  // messages need not cross. Workers that compute in their first slice are still spread.
  const file = program(
    "talkers.ts",
    `import { receive, schedulerId, self, send, spawn, Pid } from "beamline";
function* talker(parent: Pid) {
  send(parent, schedulerId());
  yield* receive();
}
function spin(n: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) x += i % 7;
  return x;
}
function* worker(parent: Pid) {
  spin(200_000);
  send(parent, schedulerId());
}
export function* main() {
  const me = self();
  spawn(talker, me);
  yield* receive();
  const talkers = new Set<number>();
  for (let i = 0; i < 64; i++) spawn(talker, me);
  for (let i = 0; i < 64; i++) talkers.add((yield* receive()) as number);
  const workers = new Set<number>();
  for (let i = 0; i < 32; i++) spawn(worker, me);
  for (let i = 0; i < 32; i++) workers.add((yield* receive()) as number);
  console.log([...talkers].sort().join(","), [...workers].sort().join(","));
}
`,
  );
  const { code, stdout, stderr } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "1 1,2\n");
});

test("issue 15: a spawn on another scheduler goes out when the spawner's slice ends, not after the next slice on its scheduler", () => {
  // A local process then runs a plain function that cannot be preempted, and watches the process it
  // was given end. Before the fix the Spawn envelope was published only after that slice.
  const file = program(
    "publish.ts",
    `import { isAlive, receive, self, send, spawn, spawnOn, Pid } from "beamline";
function* brief() {}
function waitForEnd(p: Pid): boolean {
  const until = performance.now() + 10_000;
  while (performance.now() < until) if (!isAlive(p)) return true;
  return false;
}
function* hog(parent: Pid, p: Pid) {
  send(parent, waitForEnd(p) ? "saw it end" : "it never started");
}
export function* main() {
  const me = self();
  const p = spawnOn(2, brief);
  spawn(hog, me, p);
  console.log(yield* receive());
}
`,
  );
  const { code, stdout, stderr } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "saw it end\n");
});

test("issue 15: links cross schedulers: a crash on scheduler 2 ends a linked process on 1, and a trapping one gets the EXIT message", () => {
  const file = program(
    "links.ts",
    `import { isAlive, link, processFlag, receive, self, send, spawnOn, Pid } from "beamline";
function* doomed(go: Pid) { send(go, "ready"); yield* receive(); throw new Error("boom on 2"); }
function* bystander(parent: Pid, victim: Pid) {
  link(victim);
  send(parent, "linked");
  yield* receive();
}
function* watcher(parent: Pid) {
  const [, victim] = (yield* receive()) as [string, Pid];
  const b = spawnOn(1, bystander, self(), victim);
  yield* receive();
  processFlag("trapExit", true);
  link(victim);
  send(parent, ["watching", b]);
  const exitMsg = (yield* receive()) as [string, Pid, { message: string }];
  send(parent, [exitMsg[0], String(exitMsg[1]) === String(victim), exitMsg[2].message]);
}
export function* main() {
  const me = self();
  const w = spawnOn(1, watcher, me);
  const victim = spawnOn(2, doomed, me);
  yield* receive();
  send(w, ["victim", victim]);
  const [, b] = (yield* receive()) as [string, Pid];
  send(victim, "crash now");
  console.log(JSON.stringify(yield* receive()));
  // The bystander on scheduler 1 was linked to the victim on 2 and did not trap: it ended (its
  // exit signal came through the same ring, before the watcher's).
  console.log("bystander alive:", isAlive(b));
}
`,
  );
  const { code, stdout, stderr } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, '["EXIT",true,"boom on 2"]\nbystander alive: false\n');
  assert.match(stderr, /crashed/);
});

test("issue 15: monitors cross schedulers: DOWN with the reason, noproc for a process already gone, none after demonitor; isAlive sees the other scheduler's processes", () => {
  const file = program(
    "monitors.ts",
    `import { demonitor, exit, isAlive, monitor, receive, self, send, sleep, spawnOn, after, on, Pid, Ref, _ } from "beamline";
function* short(go: Pid) { send(go, "up"); yield* receive(); exit("finished"); }
function* long() { yield* receive(); }
export function* main() {
  const me = self();
  const a = spawnOn(2, short, me);
  yield* receive();
  const ref = monitor(a);
  send(a, "go");
  const down = (yield* receive(on(["DOWN", Ref, "process", _, _]))) as [string, Ref, string, Pid, unknown];
  console.log(down[1].toString() === ref.toString(), String(down[3]) === String(a), down[4]);
  const ref2 = monitor(a);
  const gone = (yield* receive(on(["DOWN", Ref, "process", _, _]))) as [string, Ref, string, Pid, unknown];
  console.log(gone[1].toString() === ref2.toString(), gone[4]);
  const b = spawnOn(2, long);
  console.log("alive", isAlive(a), isAlive(b));
  const ref3 = monitor(b);
  console.log("demonitor", demonitor(ref3));
  exit(b, "kill");
  const none = yield* receive(on(["DOWN", Ref, "process", _, _]), after(200, () => "no DOWN"));
  console.log(none);
  void sleep;
}
`,
  );
  const { code, stdout, stderr } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "true true finished\ntrue noproc\nalive false true\ndemonitor true\nno DOWN\n");
});

test("issue 15: exit(pid, reason) crosses schedulers: normal is ignored, kill cannot be trapped, a trapping process gets the EXIT", () => {
  const file = program(
    "exits.ts",
    `import { exit, monitor, processFlag, receive, self, send, spawnOn, on, Pid, Ref, _ } from "beamline";
function* plain(parent: Pid) { send(parent, "up"); yield* receive(on("never")); }
function* trapping(parent: Pid) {
  processFlag("trapExit", true);
  send(parent, "up");
  for (;;) { const m = yield* receive(); send(parent, m); }
}
export function* main() {
  const me = self();
  const p = spawnOn(2, plain, me);
  yield* receive(on("up"));
  const ref = monitor(p);
  exit(p, "normal");
  exit(p, "stop");
  const down = (yield* receive(on(["DOWN", ref, "process", _, _]))) as unknown[];
  console.log("plain ended with", down[4]);
  const t = spawnOn(2, trapping, me);
  yield* receive(on("up"));
  exit(t, "please");
  const m = (yield* receive(on(["EXIT", Pid, _]))) as [string, Pid, string];
  console.log("trapped", String(m[1]) === String(me), m[2]);
  const ref2 = monitor(t);
  exit(t, "kill");
  const killed = (yield* receive(on(["DOWN", ref2, "process", _, _]))) as unknown[];
  console.log("trapping ended with", killed[4]);
  void Ref;
}
`,
  );
  const { code, stdout, stderr } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "plain ended with stop\ntrapped true please\ntrapping ended with killed\n");
});

test("issue 15: a call to a process on another scheduler that dies before replying throws CallExitError at once, with its reason", () => {
  const file = program(
    "callexit.ts",
    `import { call, receive, spawnOn, on, From, _, CallExitError } from "beamline";
function* dies() { yield* receive(on(["$call", From, _])); throw new Error("no answer from 2"); }
export function* main() {
  const d = spawnOn(2, dies);
  const t0 = Date.now();
  try { yield* call(d, "question", 60_000); } catch (error) {
    console.log((error as Error).name, (error as CallExitError).message.includes("no answer from 2"), Date.now() - t0 < 30_000);
  }
}
`,
  );
  const { code, stdout, stderr } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "CallExitError true true\n");
});

test("issue 15: registered names are node-wide: whereis, send and call by name reach a process on another scheduler, and its exit frees the name", () => {
  const file = program(
    "names.ts",
    `import { call, From, on, receive, register, registered, reply, self, send, spawnOn, whereis, exit, monitor, Pid, Ref, _ } from "beamline";
function* db(parent: Pid) {
  register("db", self());
  send(parent, "registered");
  for (;;) {
    yield* receive(
      on(["$call", From, _], ([, from, q]) => reply(from, "answer to " + q)),
      on(["note", _], ([, n]) => send(parent, ["noted", n])),
      on("stop", () => exit("done")),
    );
  }
}
function* rival(parent: Pid) {
  try { register("db", self()); send(parent, "rival took it"); } catch (error) { send(parent, (error as Error).message); }
}
export function* main() {
  const me = self();
  const d = spawnOn(2, db, me);
  yield* receive(on("registered"));
  console.log(String(whereis("db")) === String(d), registered().join());
  send("db", ["note", 1]);
  console.log(JSON.stringify(yield* receive()));
  console.log(yield* call("db", "q"));
  spawnOn(1, rival, me);
  console.log(yield* receive());
  const ref = monitor("db");
  send("db", "stop");
  yield* receive(on(["DOWN", ref, "process", _, _]));
  console.log(whereis("db") === undefined);
  register("db", me);
  console.log(String(whereis("db")) === String(me));
  void Ref;
}
`,
  );
  const { code, stdout, stderr } = beamline("run", "--schedulers", "2", file);
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  assert.deepEqual(lines.slice(0, 3), ["true db", '["noted",1]', "answer to q"]);
  assert.match(lines[3]!, /^register: the name "db" is already taken by <0\.\d+\.0>$/);
  assert.deepEqual(lines.slice(4), ["true", "true"]);
});

test("issue 15 (CI at acf20e8): a run that ends while other schedulers still load the program says nothing about loading", () => {
  // The run removed the compiled program before it stopped the threads, so a scheduler that had
  // not yet imported it printed "failed while loading: ENOENT" after main ended. Which thread is
  // late is up to the OS; with 16 threads on this machine's cores, about half of the runs had one.
  const file = program("ends_at_once.ts", `export function* main() { console.log("main ran"); }\n`);
  for (let run = 0; run < 4; run++) {
    const { code, stdout, stderr } = beamline("run", "--schedulers", "16", file);
    assert.equal(stderr, "", `run ${run + 1}`);
    assert.equal(stdout, "main ran\n");
    assert.equal(code, 0);
  }
});
