// Issue 15: links, monitors, exit signals, trapExit and supervisors across schedulers, through
// real programs run by the CLI with --schedulers N. A child lands on another scheduler through the
// balancer when its spawner's run queue is longer than another's by more than one
// (docs/architecture.md, "Schedulers"), so the programs first queue a few busy processes on their
// own scheduler with spawnOn.

import assert from "node:assert/strict";
import { test } from "node:test";
import { beamline, programFolder } from "./cliRun.js";

const { program } = programFolder("beamline-scheduler-faults-test-");

/** Process functions the programs share: `busy` fills a run queue, `crasher` dies in its first slice. */
const common = `
function* busy() { let x = 0; for (let i = 0; i < 2_000_000; i++) x += i % 7; return x; }
function* crasher(parent: Pid) { send(parent, ["on", schedulerId()]); throw new Error("at once"); }
/** Queues busy processes on the caller's scheduler, so that the balancer places the next spawn elsewhere. */
function fillRunQueue() { for (let i = 0; i < 3; i++) spawnOn(schedulerId(), busy); }
`;

function run(n: number, file: string): string {
  const { code, stdout, stderr } = beamline("run", "--schedulers", String(n), file);
  assert.equal(code, 0, stderr);
  return stdout;
}

const links = program(
  "links.ts",
  `import { formatReason, monitor, on, processFlag, receive, schedulerId, self, send, spawnLink, spawnOn, Pid, _ } from "beamline";
${common}
function* linker(parent: Pid) {
  fillRunQueue();
  spawnLink(crasher, parent);
  yield* receive(on("never"));
}
export function* main() {
  const me = self();
  // A linker that does not trap exits: the remote child's crash ends it with the child's reason.
  const l = spawnOn(1, linker, me);
  const ref = monitor(l);
  const [, where] = (yield* receive(on(["on", _]))) as [string, number];
  const down = (yield* receive(on(["DOWN", ref, "process", _, _]))) as unknown[];
  console.log(JSON.stringify(["linker", where !== 1, (down[4] as Error).message]));
  // A trapping linker (main) gets the EXIT message from the remote child, with its reason.
  processFlag("trapExit", true);
  fillRunQueue();
  const c = spawnLink(crasher, me);
  const [, where2] = (yield* receive(on(["on", _]))) as [string, number];
  const [, from, reason] = (yield* receive(on(["EXIT", Pid, _]))) as [string, Pid, unknown];
  console.log(JSON.stringify(["trapping", where2 !== schedulerId(), String(from) === String(c), formatReason(reason).split("\\n")[0]]));
}
`,
);

for (const n of [2, 4]) {
  test(`issue 15: with ${n} schedulers, spawnLink places a child on another scheduler, and one that crashes at once there ends its linker with its reason, or reaches a trapping one as EXIT`, () => {
    assert.equal(run(n, links), '["linker",true,"at once"]\n["trapping",true,true,"Error: at once"]\n');
  });
}

const monitors = program(
  "monitors.ts",
  `import { formatReason, on, receive, schedulerId, self, send, spawnMonitor, spawnOn, Pid, _ } from "beamline";
${common}
function* quits(parent: Pid) { send(parent, ["on", schedulerId()]); }
export function* main() {
  const me = self();
  for (const fn of [crasher, quits]) {
    fillRunQueue();
    const [pid, ref] = spawnMonitor(fn, me);
    const [, where] = (yield* receive(on(["on", _]))) as [string, number];
    const down = (yield* receive(on(["DOWN", ref, "process", _, _]))) as unknown[];
    console.log(JSON.stringify([where !== schedulerId(), String(down[3]) === String(pid), formatReason(down[4]).split("\\n")[0]]));
  }
}
`,
);

for (const n of [2, 4]) {
  test(`issue 15: with ${n} schedulers, spawnMonitor places a child on another scheduler, and its DOWN carries its reason even when it dies at once`, () => {
    assert.equal(run(n, monitors), `[true,true,"Error: at once"]\n[true,true,"'normal'"]\n`);
  });
}

test("issue 15: spawnLinkOn and spawnMonitorOn start a child on the scheduler named, linked or monitored before it runs", () => {
  const file = program(
    "on.ts",
    `import { formatReason, on, processFlag, receive, schedulerId, self, send, spawnLinkOn, spawnMonitorOn, Pid, _ } from "beamline";
${common}
export function* main() {
  const me = self();
  processFlag("trapExit", true);
  const out: unknown[] = [];
  for (let s = 1; s <= 2; s++) {
    spawnLinkOn(s, crasher, me);
    const [, where] = (yield* receive(on(["on", _]))) as [string, number];
    const [, , reason] = (yield* receive(on(["EXIT", Pid, _]))) as [string, Pid, unknown];
    const [, ref] = spawnMonitorOn(s, crasher, me);
    const [, where2] = (yield* receive(on(["on", _]))) as [string, number];
    const down = (yield* receive(on(["DOWN", ref, "process", _, _]))) as unknown[];
    out.push([where, (reason as Error).message, where2, (down[4] as Error).message]);
  }
  try { spawnLinkOn(2, function* () {}); } catch (error) { out.push((error as Error).message.split(":")[0]); }
  try { spawnMonitorOn(3, crasher, me); } catch (error) { out.push((error as Error).message); }
  console.log(JSON.stringify(out));
  void formatReason;
}
`,
  );
  assert.equal(
    run(2, file),
    JSON.stringify([
      [1, "at once", 1, "at once"],
      [2, "at once", 2, "at once"],
      "spawnLinkOn(2, an anonymous function*)",
      "spawnMonitorOn: the scheduler id must be an integer from 1 to 2 (this run has 2 schedulers), got 3",
    ]) + "\n",
  );
});

/**
 * A supervised worker: it computes for a while when `work` (so that its supervisor's run queue is
 * long when a pool starts, and the balancer places the next child elsewhere), says where it runs,
 * then waits. With `trap`, it traps exits and, told to shut down, says so before it exits; with
 * `stubborn`, it ignores the shutdown and waits to be killed.
 */
const workers = `
function* worker(main: Pid, id: string, trap: boolean, stubborn: boolean, work: boolean) {
  if (trap) processFlag("trapExit", true);
  let x = 0;
  if (work) for (let i = 0; i < 1_000_000; i++) x += i % 7;
  send(main, ["up", id, self(), schedulerId()]);
  for (;;) {
    const m = yield* receive();
    if (Array.isArray(m) && m[0] === "EXIT" && m[2] === "shutdown") {
      send(main, ["stopping", id, schedulerId()]);
      if (!stubborn) exit("shutdown");
    }
  }
}
/** The "up" reports of \`n\` workers, by id. */
function* ups(n: number) {
  const by = new Map<string, [Pid, number]>();
  while (by.size < n) {
    const [, id, pid, where] = (yield* receive(on(["up", _, Pid, _]))) as [string, string, Pid, number];
    by.set(id, [pid, where]);
  }
  return by;
}
/**
 * A child spec of a worker that computes first: the balancer keeps processes of a function that only
 * waits for messages with their spawner once it has seen one (docs/architecture.md, "Schedulers"),
 * and spreads those that compute.
 */
function spec(main: Pid, id: string, trap = false, stubborn = false, shutdown: number | "infinity" | "brutal_kill" = 5000) {
  return { id, start: [worker, main, id, trap, stubborn, true] as [typeof worker, ...unknown[]], shutdown };
}
`;

function supervised(name: string, body: string): string {
  return program(
    name,
    `import { exit, formatReason, isAlive, monitor, on, processFlag, receive, schedulerId, schedulers, self, send, spawnLink, spawnLinkOn, spawnOn, startSupervisor, startDynamicSupervisor, startChild, whichChildren, Pid, _ } from "beamline";
${workers}
${body}
`,
  );
}

const spreadChildren = supervised(
  "spreadChildren.ts",
  `export function* main() {
  const me = self();
  const ids = ["a", "b", "c", "d", "e", "f"];
  const sup = startSupervisor({ strategy: "one_for_one", intensity: 10, period: 60_000, children: ids.map((id) => spec(me, id)) });
  const up = yield* ups(ids.length);
  const listed = yield* whichChildren(sup);
  const where = new Set([...up.values()].map(([, s]) => s));
  console.log(JSON.stringify(["spread", where.size > 1, listed.every((c) => String(c.pid) === String(up.get(c.id)![0]))]));
  // Kill a child on another scheduler: the supervisor restarts it, with the same id.
  const [id, [old]] = [...up].find(([, [, s]]) => s !== schedulerId())!;
  exit(old, "kill");
  const [, , fresh] = (yield* receive(on(["up", id, Pid, _]))) as [string, string, Pid, number];
  const after = yield* whichChildren(sup);
  console.log(JSON.stringify(["restarted", String(fresh) !== String(old), isAlive(old), isAlive(fresh), String(after.find((c) => c.id === id)!.pid) === String(fresh)]));
  // A dynamic supervisor's pool of busy workers spreads too.
  const pool = startDynamicSupervisor({ start: [worker, me] });
  for (let i = 0; i < 6; i++) yield* startChild(pool, "w" + i, false, false, true);
  const poolUp = yield* ups(6);
  console.log(JSON.stringify(["pool", new Set([...poolUp.values()].map(([, s]) => s)).size > 1]));
  // A start function may give a pid of another scheduler: the supervisor links to it and restarts it.
  const last = schedulers();
  const other = startSupervisor({ children: [{ id: "x", start: [startOnLast, me] }] });
  const [, , x, xOn] = (yield* receive(on(["up", "x", Pid, _]))) as [string, string, Pid, number];
  exit(x, "kill");
  const [, , x2] = (yield* receive(on(["up", "x", Pid, _]))) as [string, string, Pid, number];
  const [child] = yield* whichChildren(other);
  console.log(JSON.stringify(["start function", xOn === last, String(x2) !== String(x), String(child!.pid) === String(x2)]));
}
/** A child's start function that starts it on the last scheduler, linked to the supervisor that calls it. */
function startOnLast(main: Pid) {
  return spawnLinkOn(schedulers(), worker, main, "x", false, false, false);
}`,
);

for (const n of [2, 4]) {
  test(`issue 15: with ${n} schedulers, a supervisor's children and a dynamic supervisor's busy pool land on several schedulers, a child killed on another scheduler is restarted, and a start function may give a pid of another scheduler`, () => {
    assert.equal(run(n, spreadChildren), '["spread",true,true]\n["restarted",true,false,true,true]\n["pool",true]\n["start function",true,true,true]\n');
  });
}

const strategies = supervised(
  "strategies.ts",
  `const ids = ["a", "b", "c", "d", "e", "f"];
/** The supervisors the test starts (a spec holds functions, which no spawn can copy). */
function options(main: Pid, which: "one_for_all" | "shutdown") {
  if (which === "one_for_all") return { strategy: "one_for_all" as const, intensity: 10, period: 60_000, children: ids.map((id) => spec(main, id)) };
  // Every child traps exits; "c" ignores the shutdown and is killed when its 200 ms are up.
  return { strategy: "one_for_one" as const, children: ids.map((id) => spec(main, id, true, id === "c", id === "c" ? 200 : 5000)) };
}
/** Starts a supervisor from its own process, so that the test can end it by ending its parent. */
function* owner(main: Pid, which: "one_for_all" | "shutdown") {
  const sup = startSupervisor(options(main, which));
  send(main, ["sup", sup]);
  yield* receive(on("stop"));
  exit("stopped");
}
function* ownerOf(main: Pid, which: "one_for_all" | "shutdown") {
  const o = spawnLink(owner, main, which);
  const [, sup] = (yield* receive(on(["sup", Pid]))) as [string, Pid];
  return [o, sup] as const;
}
export function* main() {
  const me = self();
  processFlag("trapExit", true);

  // one_for_all: a child killed on another scheduler takes all down, and all start again.
  {
    const [o, sup] = yield* ownerOf(me, "one_for_all");
    const up = yield* ups(ids.length);
    const spread = new Set([...up.values()].map(([, s]) => s)).size > 1;
    const victim = [...up.values()].find(([, s]) => s !== schedulerId())![0];
    exit(victim, "kill");
    const again = yield* ups(ids.length);
    const allNew = [...up].every(([id, [old]]) => !isAlive(old) && String(again.get(id)![0]) !== String(old));
    console.log(JSON.stringify(["one_for_all", spread, allNew]));
    send(o, "stop");
    yield* receive(on(["EXIT", o, _]));
    void sup;
  }

  // Shutdown: when the supervisor's parent ends, its children stop in reverse start order,
  // wherever they run; a trapping child that ignores the shutdown is killed when its time is up.
  {
    const [o, sup] = yield* ownerOf(me, "shutdown");
    const up = yield* ups(ids.length);
    const spread = new Set([...up.values()].map(([, s]) => s)).size > 1;
    const watch = new Map([...up].map(([id, [pid]]) => [id, monitor(pid)]));
    const supRef = monitor(sup);
    send(o, "stop");
    const order: string[] = [];
    for (let i = 0; i < ids.length; i++) order.push(((yield* receive(on(["stopping", _, _]))) as [string, string])[1]);
    const reasons: string[] = [];
    for (const id of ids) reasons.push(formatReason(((yield* receive(on(["DOWN", watch.get(id)!, "process", _, _]))) as unknown[])[4]));
    const supDown = (yield* receive(on(["DOWN", supRef, "process", _, _]))) as unknown[];
    console.log(JSON.stringify(["shutdown", spread, order.join(""), reasons.join(","), supDown[4]]));
  }

  // Intensity: more restarts than allowed within the period, of children on another scheduler,
  // make the supervisor give up with "shutdown".
  {
    const sup = startSupervisor({ strategy: "one_for_one", intensity: 2, period: 60_000, children: ids.map((id) => spec(me, id)) });
    let up = yield* ups(ids.length);
    for (let k = 0; k < 3; k++) {
      const [id, [victim]] = [...up].find(([, [, s]]) => s !== schedulerId()) ?? [...up][0]!;
      exit(victim, "kill");
      if (k < 2) up = new Map([...up, ...(yield* ups(1))]);
      void id;
    }
    const [, , reason] = (yield* receive(on(["EXIT", sup, _]))) as [string, Pid, unknown];
    console.log(JSON.stringify(["intensity", reason, [...up.values()].every(([pid]) => !isAlive(pid))]));
  }
}`,
);

for (const n of [2, 4]) {
  test(`issue 15: with ${n} schedulers, one_for_all, shutdown in reverse order with a timeout and kill, and restart intensity hold for children on other schedulers`, () => {
    assert.equal(
      run(n, strategies),
      '["one_for_all",true,true]\n["shutdown",true,"fedcba","\'shutdown\',\'shutdown\',\'killed\',\'shutdown\',\'shutdown\',\'shutdown\'","stopped"]\n["intensity","shutdown",true]\n',
    );
  });
}

test("issue 15: a name held by a process on another scheduler is freed however it ends (crash, kill, exit, normal, named by another scheduler), and a name for a pid already gone is refused", () => {
  const file = program(
    "names.ts",
    `import { exit, monitor, on, receive, register, self, send, spawnOn, unregister, whereis, Pid, _ } from "beamline";
function* holder(parent: Pid, name: string, registersItself: boolean) {
  if (registersItself) register(name, self());
  send(parent, ["ready", name]);
  const how = yield* receive();
  if (how === "crash") throw new Error("crashed holding " + name);
  if (how === "exit") exit("bye");
}
function* quick() {}
export function* main() {
  const me = self();
  const out: unknown[] = [];
  const cases = [["crash", "crash", true], ["kill", "kill", true], ["normal", "normal", true], ["exit", "exit", true], ["byOther", "crash", false]] as const;
  for (const [name, how, registersItself] of cases) {
    const pid = spawnOn(2, holder, me, name, registersItself);
    yield* receive(on(["ready", name]));
    if (!registersItself) register(name, pid);
    const held = String(whereis(name)) === String(pid);
    const ref = monitor(pid);
    if (how === "kill") exit(pid, "kill");
    else send(pid, how);
    yield* receive(on(["DOWN", ref, "process", _, _]));
    const freed = whereis(name) === undefined;
    // Free for good: this scheduler can take it again.
    register(name, me);
    unregister(name);
    out.push([name, held, freed]);
  }
  const gone = spawnOn(2, quick);
  const ref = monitor(gone);
  yield* receive(on(["DOWN", ref, "process", _, _]));
  try { register("ghost", gone); out.push("ghost registered"); } catch (error) { out.push((error as Error).message === \`register: \${gone} is not alive, so it cannot take the name "ghost"\`); }
  out.push(whereis("ghost") === undefined);
  console.log(JSON.stringify(out));
}
`,
  );
  assert.equal(run(2, file), JSON.stringify([["crash", true, true], ["kill", true, true], ["normal", true, true], ["exit", true, true], ["byOther", true, true], true, true]) + "\n");
});
