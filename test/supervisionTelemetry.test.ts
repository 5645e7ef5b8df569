// Issue 14: the `supervision` request's tree and a supervisor in the inspector, against real
// supervisors on the test's scheduler: strategy, parents, restart counts, a just-restarted child
// among 10,000 listed, and the linked processes outside any supervisor.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { SUPERVISION_CHILD_LIMIT, type InspectResult, type SupervisionTree } from "../protocol/control.js";
import { _, exit, link, monitor, on, Pid, receive, self, send, sleep, spawn, startChild, startDynamicSupervisor, startSupervisor, type Ref } from "../runtime/api.js";
import type { Process } from "../runtime/core/process.js";
import { scheduler } from "../runtime/core/scheduler.js";
import { SchedulerTelemetry, TREE_MIN_MS, type TelemetryTick } from "../runtime/telemetry/schedulerTelemetry.js";
import { pinOneScheduler, runProcess } from "./harness.js";

pinOneScheduler("it reads the supervision telemetry of the scheduler of this thread");

const running: SchedulerTelemetry[] = [];
afterEach(() => {
  for (const t of running.splice(0)) t.stop();
});

function telemetry(): SchedulerTelemetry {
  const t = new SchedulerTelemetry(scheduler, [""], { postMessage() {} });
  running.push(t);
  return t;
}

/** A worker that reports ["started", name, pid] and throws on "crash". */
function* worker(report: Pid, name: string): Generator<unknown, void, unknown> {
  send(report, ["started", name, self()]);
  for (;;) if ((yield* receive()) === "crash") throw new TypeError(`${name} crashed`);
}

function* started(name: string): Generator<unknown, Pid, unknown> {
  return (yield* receive(on(["started", name, Pid])))[2];
}

function* downOf(ref: Ref): Generator<unknown, unknown, unknown> {
  return (yield* receive(on(["DOWN", ref, "process", _, _])))[4];
}

test("issue 14: the supervision tree lists supervisors parents first, with strategy, children, restart counts and the last reason", async () => {
  const t = telemetry();
  await runProcess(function* () {
    const me = self();
    const top = startSupervisor({
      strategy: "one_for_all",
      intensity: 5,
      period: 1000,
      children: [
        { id: "calc", start: [worker, me, "calc"] },
        { id: "pool", type: "supervisor", start: [startDynamicSupervisor, { start: [worker, me], intensity: 5 }] },
      ],
    });
    const calc = yield* started("calc");
    const tree0 = t.handle({ id: 1, type: "supervision" }) as SupervisionTree;
    const [root, pool] = tree0.supervisors;
    assert.equal(tree0.supervisors.length, 2);
    assert.deepEqual([root!.pid, root!.parent, root!.strategy, root!.intensity, root!.period, root!.childCount], [(top as Process).id, 0, "one_for_all", 5, 1000, 2]);
    assert.deepEqual([pool!.parent, pool!.strategy, pool!.childCount], [(top as Process).id, "simple_one_for_one", 0]);
    assert.deepEqual(
      root!.children.map((c) => [c.id, c.pid !== 0, c.type, c.restart, c.restarts, c.lastRestartMs, c.lastReason]),
      [
        ["calc", true, "worker", "permanent", 0, -1, ""],
        ["pool", true, "supervisor", "permanent", 0, -1, ""],
      ],
    );
    // The test process is linked to the top supervisor, outside any supervisor.
    assert.ok(tree0.looseLinks.some((l) => l.pid === scheduler.current!.id && l.links.includes((top as Process).id)));

    const ref = monitor(calc);
    send(calc, "crash");
    yield* downOf(ref);
    yield* started("calc");
    const tree1 = t.handle({ id: 2, type: "supervision" }) as SupervisionTree;
    const calcNode = tree1.supervisors[0]!.children[0]!;
    assert.equal(tree1.supervisors[0]!.restarts, 1);
    assert.equal(calcNode.restarts, 1);
    assert.equal(calcNode.lastReason, "TypeError: calc crashed");
    assert.ok(calcNode.lastRestartMs >= 0 && calcNode.lastRestartMs <= scheduler.events.now(), String(calcNode.lastRestartMs));
    assert.equal(tree1.supervisors[0]!.children[1]!.restarts, 1, "one_for_all restarted the pool too");

    // The inspector shows the same of a supervisor, and a child's supervisor.
    const inspected = t.handle({ id: 3, type: "inspect", pid: String(top) }) as InspectResult;
    assert.deepEqual([inspected.strategy, inspected.intensity, inspected.period, inspected.restarts, inspected.childCount, inspected.trapExit], ["one_for_all", 5, 1000, 1, 2, true]);
    assert.deepEqual(inspected.children!.map((c) => [c.id, c.restarts, c.lastReason]), [
      ["calc", 1, "TypeError: calc crashed"],
      ["pool", 1, "shutdown"],
    ]);
    const child = t.handle({ id: 4, type: "inspect", pid: inspected.children![0]!.pid }) as InspectResult;
    assert.equal(child.supervisor, String(top));
    assert.equal(child.strategy, undefined);
    exit(top, "shutdown");
    yield* receive(on("never"));
  }).catch((reason) => {
    // The test process is linked to the supervisor it stopped; "shutdown" ends it too.
    if (reason !== "shutdown") throw reason;
  });
});

test("issue 14: a pool of 10,000 children lists 200 of them, the one that just restarted among them, and counts them all", async () => {
  const t = telemetry();
  await runProcess(function* () {
    const me = self();
    const pool = startDynamicSupervisor({ start: [worker, me], intensity: 5 });
    const pids: Pid[] = [];
    for (let i = 0; i < 10_000; i++) pids.push((yield* startChild(pool, `w${i}`))!);
    const target = 7_777;
    yield* started(`w${target}`);
    send(pids[target]!, "crash");
    yield* started(`w${target}`);
    const tree = t.handle({ id: 1, type: "supervision" }) as SupervisionTree;
    const node = tree.supervisors.find((s) => s.pid === (pool as Process).id)!;
    assert.equal(node.childCount, 10_000);
    assert.equal(node.children.length, SUPERVISION_CHILD_LIMIT);
    const restarted = node.children.filter((c) => c.restarts > 0);
    assert.equal(restarted.length, 1);
    assert.equal(restarted[0]!.id, String(target + 1), "a dynamic supervisor's children are numbered from 1");
    const ids = node.children.map((c) => Number(c.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "in the supervisor's order");
    exit(pool, "kill");
  }).catch((reason) => {
    if (reason !== "killed") throw reason;
  });
});

test("issue 14: linked processes outside any supervisor are listed with their links", async () => {
  const t = telemetry();
  await runProcess(function* () {
    const a = spawn(function* () {
      yield* receive(on("stop"));
    });
    link(a);
    const tree = t.handle({ id: 1, type: "supervision" }) as SupervisionTree;
    const mine = tree.looseLinks.find((l) => l.pid === scheduler.current!.id);
    assert.deepEqual(mine?.links, [(a as Process).id]);
    assert.ok(tree.looseLinks.some((l) => l.pid === (a as Process).id && l.fn !== ""));
    assert.equal(tree.truncated, 0);
    send(a, "stop");
  });
});

/** A scheduler telemetry whose ticks are called by hand, and the trees each tick sent (null: none). */
function treeTicks(): { t: SchedulerTelemetry; trees: TelemetryTick["supervision"][] } {
  const trees: TelemetryTick["supervision"][] = [];
  const t = new SchedulerTelemetry(scheduler, [""], {
    postMessage(message) {
      if (message.type === "telemetry") trees.push(message.supervision);
    },
  });
  running.push(t);
  return { t, trees };
}

test("for the recording, a tick sends the tree after a link changes and never within TREE_MIN_MS of the last; a tick with nothing changed and no supervisor sends none", async () => {
  const { t, trees } = treeTicks();
  await runProcess(function* () {
    // Ticks are called by hand. The first one sends the tree, whatever it is.
    t.start(60_000);
    const first = trees.at(-1)!;
    assert.notEqual(first, null, "the first tick sends the tree");
    t.tick();
    assert.equal(trees.at(-1), null, "nothing changed, no supervisor: no tree");
    const linked = spawn(function* () {
      yield* receive(on("stop"));
    });
    link(linked);
    let sent = trees.at(-1)!;
    for (let waited = 0; sent === null; waited += 50) {
      assert.ok(waited < 120_000, "no tree was sent after the link");
      yield* sleep(50);
      t.tick();
      sent = trees.at(-1)!;
    }
    assert.ok(sent.time - first!.time >= TREE_MIN_MS, `the tree after the link came ${sent.time - first!.time} ms after the first`);
    assert.ok(sent.tree.looseLinks.some((l) => l.pid === (linked as Process).id), "it lists the new link");
    t.tick();
    assert.equal(trees.at(-1), null, "sent once");
    send(linked, "stop");
  });
});

test("with the run not recorded (--record-cap 0), ticks read no tree, however the links change", async () => {
  const { t, trees } = treeTicks();
  await runProcess(function* () {
    const from = scheduler.events.now();
    t.start(60_000, false);
    const linked = spawn(function* () {
      yield* receive(on("stop"));
    });
    link(linked);
    // Past the time a recorded run would have sent the tree after the link.
    while (scheduler.events.now() - from <= TREE_MIN_MS + 100) {
      yield* sleep(50);
      t.tick();
    }
    assert.deepEqual(trees.filter((tree) => tree !== null), []);
    send(linked, "stop");
  });
});
