// Issue 15: the supervision telemetry of a supervisor whose children run on another scheduler
// (test/fixtures/supervised_spread.ts, --schedulers 2). The viewer gets one tree, not a tree per
// scheduler with the remote children as loose links; the inspector and the crash messages of a
// child on scheduler 2 name its supervisor on scheduler 1.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Crash, InspectResult, Restart, SupervisionTree } from "../protocol/control.js";
import { isSample, startRuntime, TestClient, type RunningRuntime } from "./telemetryClient.js";

let runtime: RunningRuntime;
let client: TestClient;
before(async () => {
  runtime = await startRuntime("test/fixtures/supervised_spread.ts", ["--schedulers", "2"]);
  client = await TestClient.connect(runtime, "&channels=faults,schedulers");
});
after(async () => {
  client?.close();
  await runtime?.stop();
});

/**
 * The supervision tree once the supervisor has its six children running: their pids in the tree,
 * and every process started where it was placed (a child's pid exists as soon as spawnLink
 * returns, its process once scheduler 2 has read the Spawn envelope; the inspector finds only
 * that). Main, the logger, the supervisor and six workers: nine.
 */
async function treeWithChildren(): Promise<SupervisionTree> {
  for (;;) {
    const answer = await client.request({ type: "supervision" });
    assert.equal(answer.ok, true, answer.error);
    const tree = answer.result as SupervisionTree;
    const samples = client.received.filter(isSample);
    const allStarted = samples.length > 0 && samples[samples.length - 1]!.summary.processes === 9;
    if (allStarted && tree.supervisors.length > 0 && tree.supervisors[0]!.children.every((c) => c.pid !== 0) && tree.supervisors[0]!.childCount === 6) return tree;
    await client.waitFor((m) => m.type === "schedulers", "the next sample");
  }
}

test("issue 15: a supervisor with children on another scheduler is one tree: its children under it, none of them a loose link, the inspector names their supervisor", async () => {
  const tree = await treeWithChildren();
  assert.equal(tree.supervisors.length, 1, JSON.stringify(tree.supervisors.map((s) => [s.pid, s.fn, s.parent])));
  const [sup] = tree.supervisors;
  assert.deepEqual([sup!.name, sup!.fn, sup!.parent], ["", "spreadSupervisor", 0]);
  assert.equal(sup!.pid % 2, 0, "the supervisor runs on scheduler 1");
  const remote = sup!.children.filter((c) => c.pid % 2 === 1);
  assert.ok(remote.length > 0 && remote.length < 6, `children on both schedulers: ${JSON.stringify(sup!.children.map((c) => c.pid))}`);
  for (const c of remote) assert.equal(c.status, "remote");
  // Only main and the logger are linked outside a supervisor; the workers on scheduler 2 are not.
  assert.deepEqual(tree.looseLinks.map((l) => l.fn).sort(), ["logger", "main"]);
  const inspected = await client.request({ type: "inspect", pid: `<0.${remote[0]!.pid}.0>` });
  assert.equal(inspected.ok, true, inspected.error);
  const info = inspected.result as InspectResult;
  assert.deepEqual([info.scheduler, info.supervisor, info.function], [2, `<0.${sup!.pid}.0>`, "worker"]);
});

test("issue 15: a child on another scheduler that crashes names its supervisor in the crash message, and its restart shows in the one tree", async () => {
  const before = await treeWithChildren();
  const sup = before.supervisors[0]!;
  const victim = sup.children.find((c) => c.pid % 2 === 1)!;
  const sent = await client.request({ type: "send", to: `<0.${victim.pid}.0>`, message: "crash" });
  assert.equal(sent.ok, true, sent.error);
  const crash = (await client.waitFor((m) => m.type === "crash" && m.pid === victim.pid, "the crash message")) as Crash;
  assert.equal(crash.supervisor, sup.pid);
  const restart = (await client.waitFor((m) => m.type === "restart" && m.oldPid === victim.pid, "the restart message")) as Restart;
  assert.deepEqual([restart.supervisor, restart.childId], [sup.pid, victim.id]);
  const tree = await treeWithChildren();
  assert.equal(tree.supervisors.length, 1);
  const again = tree.supervisors[0]!.children.find((c) => c.id === victim.id)!;
  assert.deepEqual([again.pid, again.restarts], [restart.newPid, 1]);
  assert.deepEqual(tree.looseLinks.map((l) => l.fn).sort(), ["logger", "main"]);
});
