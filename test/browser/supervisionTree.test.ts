// Issue 14, the visualizer's reading of supervision data: the Supervision view's shape of a
// `supervision` answer (each supervisor under the child entry that started it, nothing lost or
// drawn twice), and the overview's crash and restart totals from the `faults` channel, which a
// reconnect replays and which must not count twice.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Crash, Hello, Restart } from "../../protocol/control.js";
import { Model } from "../../webview/model.js";
import { shapeTree } from "../../webview/supervisionTree.js";
import { childNode, supervisionTree, supervisorNode } from "../supervisionFixtures.js";

test("issue 14: a supervision answer is drawn as nested trees, each supervisor under its child entry, restarts newest first", () => {
  const t = shapeTree(
    supervisionTree(
      supervisorNode(10, 0, [childNode("db", 11, { type: "supervisor" }), childNode("calc", 12, { restarts: 2, lastRestartMs: 500 })], { restarts: 2 }),
      supervisorNode(11, 10, [childNode("conn", 20, { restarts: 1, lastRestartMs: 900 }), childNode("cache", 0, { status: "stopped" })], { restarts: 1 }),
      supervisorNode(30, 0, [], { childCount: 10_000 }),
    ),
  );
  assert.deepEqual(
    t.roots.map((r) => r.node.pid),
    [10, 30],
  );
  const [app] = t.roots;
  assert.equal(app!.items[0]!.kind, "supervisor");
  const db = app!.items[0]!.kind === "supervisor" ? app!.items[0]!.supervisor : undefined;
  assert.equal(db?.entry?.id, "db", "the nested supervisor keeps its id under its parent");
  assert.deepEqual(
    db?.items.map((i) => (i.kind === "child" ? i.child.id : "")),
    ["conn", "cache"],
  );
  assert.equal(t.supervisors, 3);
  assert.equal(t.children, 2 + 2 + 10_000, "children counted, listed or not");
  assert.equal(t.restarts, 3);
  assert.deepEqual(
    t.restarted.map((r) => r.child.id),
    ["conn", "calc"],
  );
});

test("issue 14: a malformed supervision answer loses no supervisor and draws none twice", () => {
  // 11 names 10 as a child and 10 names 11: a cycle. 12's parent lists it not (past its listed children).
  const t = shapeTree(supervisionTree(supervisorNode(10, 11, [childNode("b", 11, { type: "supervisor" })]), supervisorNode(11, 10, [childNode("a", 10, { type: "supervisor" })]), supervisorNode(12, 10, [])));
  const seen: number[] = [];
  const walk = (s: ReturnType<typeof shapeTree>["roots"][number]) => {
    seen.push(s.node.pid);
    for (const i of s.items) if (i.kind === "supervisor") walk(i.supervisor);
  };
  for (const r of t.roots) walk(r);
  assert.deepEqual([...seen].sort(), [10, 11, 12]);
});

const hello: Hello = { type: "hello", version: 4, node: "nonode@nohost", schedulers: 1, reductions: 2000, program: "p.ts", startedAt: 1, osPid: 2, mainStartedAt: 0, sampleIntervalMs: 100, channels: [] };
const crash = (total: number, line: number, count = 1): Crash => ({ type: "crash", time: total, pid: 5, fn: "worker", name: "", reason: "Error: boom", stack: "", at: { file: "p.ts", line, column: 3 }, spawnSite: 1, supervisor: 0, linkedDown: [], count, total });
const restart = (supervisor: number, supervisorRestarts: number): Restart => ({ type: "restart", time: 1, supervisor, childId: "1", oldPid: 5, newPid: 6, reason: "killed", at: null, restarts: supervisorRestarts, supervisorRestarts, spawnSite: 1, count: 1 });

test("issue 14: the crash and restart totals add each group's total once, so a reconnect's replay does not count twice", () => {
  const m = new Model();
  m.control(hello);
  m.control(crash(1, 10));
  m.control(crash(4, 10, 3));
  m.control(crash(1, 20));
  m.control(restart(7, 1));
  m.control(restart(7, 2));
  m.control(restart(8, 5));
  assert.equal(m.crashes, 5);
  assert.equal(m.restarts, 7);
  // A reconnect to the same run: hello again, then the latest of each group replayed.
  m.control(hello);
  m.control(crash(4, 10, 3));
  m.control(crash(1, 20));
  m.control(restart(7, 2));
  m.control(restart(8, 5));
  assert.equal(m.crashes, 5);
  assert.equal(m.restarts, 7);
  assert.equal(m.recentCrashes.length, 3, "a replayed crash is not listed again");
  // A new run starts from nothing.
  m.control({ ...hello, startedAt: 99 });
  assert.equal(m.crashes, 0);
  assert.equal(m.restarts, 0);
});

test("issue 14: the inspector follows a killed child to the process its supervisor restarted it as, restart after restart", () => {
  const m = new Model();
  m.control(hello);
  m.control({ ...restart(9, 1), oldPid: 20, newPid: 21 });
  m.control({ ...restart(9, 2), oldPid: 21, newPid: 22 });
  assert.deepEqual(m.successor(20), { pid: 22, supervisor: 9 });
  assert.deepEqual(m.successor(21), { pid: 22, supervisor: 9 });
  assert.equal(m.successor(22), undefined, "not restarted");
});
