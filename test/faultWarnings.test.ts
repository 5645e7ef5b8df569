// Issue 14's warnings, judged from fault messages: a restart loop, a supervisor that gave up, and
// a crash that took linked processes down; each with its explanation and source line, listed
// while it holds and gone after.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Crash, GaveUp, Restart, Warning } from "../protocol/control.js";
import { WarningRules } from "../runtime/telemetry/warnings/warningRules.js";

const sites = ["", "src/app.ts:4", "src/app.ts:9"];
const rules = () =>
  new WarningRules(
    (id) => sites[id] ?? "",
    () => false,
  );
const of = (warnings: Warning[], kind: Warning["kind"]) => warnings.filter((w) => w.kind === kind);

const restart = (time: number, fields: Partial<Restart> = {}): Restart => ({
  type: "restart",
  time,
  supervisor: 5,
  childId: "worker",
  oldPid: 10,
  newPid: 11,
  reason: "TypeError: boom",
  at: { file: "src/worker.ts", line: 12, column: 3 },
  restarts: 1,
  supervisorRestarts: 1,
  spawnSite: 1,
  count: 1,
  ...fields,
});

test("issue 14: a child restarted 3 times within 10 s is a restart loop at the line it crashes on, gone once the restarts stop", () => {
  const r = rules();
  r.faults([restart(1000), restart(2000)]);
  assert.deepEqual(of(r.judge(2100), "restart-loop"), [], "two restarts are not a loop");
  r.faults([restart(3000, { childId: "other" })]);
  assert.deepEqual(of(r.judge(3100), "restart-loop"), [], "restarts of another child do not count");
  r.faults([restart(4000)]);
  const [loop] = of(r.judge(4100), "restart-loop");
  assert.ok(loop !== undefined);
  assert.equal(loop.pid, "<0.5.0>");
  assert.equal(loop.site, "src/worker.ts:12");
  assert.match(loop.message, /Supervisor <0\.5\.0> restarted its child "worker" 3 times in the last 10 s; it last exited with TypeError: boom\./);
  assert.match(loop.advice, /does not remove a cause/);
  // It holds while 3 are within 10 s, and its `since` stays.
  assert.equal(of(r.judge(10_500), "restart-loop")[0]?.since, 4100);
  assert.deepEqual(of(r.judge(11_100), "restart-loop"), [], "the first restart left the window");
});

test("issue 14: a held restart message that stands for many restarts makes a loop on its own; without a crash line it points at the supervisor", () => {
  const r = rules();
  r.faults([restart(500, { count: 37, at: null })]);
  const [loop] = of(r.judge(600), "restart-loop");
  assert.match(loop!.message, /37 times/);
  assert.equal(loop!.site, "src/app.ts:4", "the supervisor's spawn site");
});

test("issue 14: a supervisor that gave up is a warning at its start line for 60 s", () => {
  const r = rules();
  const gaveUp: GaveUp = { type: "gave-up", time: 2000, supervisor: 8, fn: "supervisorLoop", name: "pool_sup", restarts: 4, periodMs: 5000, reason: "TypeError: boom", spawnSite: 2 };
  r.faults([gaveUp]);
  const [w] = of(r.judge(2100), "supervisor-gave-up");
  assert.ok(w !== undefined);
  assert.equal(w.pid, "<0.8.0>");
  assert.equal(w.site, "src/app.ts:9");
  assert.match(w.message, /Supervisor <0\.8\.0> \(pool_sup\) gave up after 4 restarts within 5000 ms/);
  assert.match(w.message, /exited with reason "shutdown"/);
  assert.match(w.advice, /intensity or period/);
  assert.equal(of(r.judge(61_000), "supervisor-gave-up").length, 1);
  assert.deepEqual(of(r.judge(62_001), "supervisor-gave-up"), []);
});

test("issue 14: a crash that took linked processes down is a warning at the line that threw, for 10 s; one without victims is none", () => {
  const r = rules();
  const crash = (time: number, linkedDown: number[]): Crash => ({
    type: "crash",
    time,
    pid: 20,
    fn: "worker",
    name: "",
    reason: "Error: disk full",
    stack: "",
    at: { file: "src/worker.ts", line: 30, column: 9 },
    spawnSite: 1,
    supervisor: 0,
    linkedDown,
    count: 1,
    total: 1,
  });
  r.faults([crash(1000, [])]);
  assert.deepEqual(of(r.judge(1100), "linked-crash"), []);
  r.faults([crash(2000, [21, 22, 23, 24, 25, 26, 27])]);
  const [w] = of(r.judge(2100), "linked-crash");
  assert.ok(w !== undefined);
  assert.equal(w.pid, "<0.20.0>");
  assert.equal(w.site, "src/worker.ts:30");
  assert.equal(
    w.message,
    "<0.20.0> (worker) crashed with Error: disk full and took 7 linked processes down with it: <0.21.0>, <0.22.0>, <0.23.0>, <0.24.0>, <0.25.0> and 2 more.",
  );
  assert.match(w.advice, /trap exits/);
  assert.deepEqual(of(r.judge(12_000), "linked-crash"), []);
});
