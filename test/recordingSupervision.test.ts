// Time travel in the Supervision view (issue 16 follow-up): the recording keeps the node's
// supervision tree as it changes, within its share of the cap, and `seek` answers the tree at or
// before the moment, live and on a replay of the recording file (docs/protocol.md, sections 5, 9
// and 13). A real run: a supervised child killed and restarted, then the tree before and after.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import type { SeekResult, SupervisionTree, SupervisorNode } from "../protocol/control.js";
import { encodeFrame, PROTOCOL_VERSION } from "../protocol/frames.js";
import { decodeRecording } from "../protocol/recordingFile.js";
import { newCounters } from "../runtime/core/schedulerCounters.js";
import type { ToScheduler } from "../runtime/host/schedulerMessages.js";
import { ENTRY_OVERHEAD_BYTES, Recording } from "../runtime/telemetry/recording.js";
import { ReplayHub } from "../runtime/telemetry/replayHub.js";
import { TelemetryHub } from "../runtime/telemetry/telemetryHub.js";
import { FakeConnection } from "./fakeConnection.js";
import { childNode, supervisionTree, supervisorNode } from "./supervisionFixtures.js";
import { startRuntime, TestClient, WAIT_DEADLINE_MS } from "./telemetryClient.js";

/** A supervisor `pid` with one worker child `childPid` restarted `restarts` times. */
const supervisor = (pid: number, childPid: number, restarts = 0): SupervisorNode =>
  supervisorNode(pid, 0, [childNode("worker", childPid, restarts > 0 ? { restarts, lastRestartMs: 900, lastReason: "killed" } : {})], { restarts });
const tree = supervisionTree;
const childPid = (t: SupervisionTree | null) => t?.supervisors[0]?.children[0]?.pid;

test("the recording keeps the supervision tree when it changes, and seek answers the one at or before the moment", () => {
  const r = new Recording();
  assert.deepEqual([r.seek(100).result.supervision, r.seek(100).result.supervisionAt], [null, -1], "nothing recorded yet");
  assert.equal(r.supervisionTree(tree(supervisor(3, 4)), 100), 100);
  assert.equal(r.supervisionTree(tree(supervisor(3, 4)), 200), -1, "unchanged: not recorded again");
  assert.equal(r.supervisionTree(tree(supervisor(3, 9, 1)), 1000), 1000, "the child restarted as <0.9.0>");
  assert.equal(r.supervisionTree(tree(), 2000), 2000, "the supervisor ended");
  assert.equal(r.supervisionTree(tree(supervisor(3, 5)), 1990), 2000, "a scheduler's clock a little behind: kept in time order");
  assert.equal(r.seek(50).result.supervision, null, "before the first tree");
  for (const [time, pid, at] of [[100, 4, 100], [999, 4, 100], [1000, 9, 1000], [1500, 9, 1000]] as const) {
    const { supervision, supervisionAt } = r.seek(time).result;
    assert.deepEqual([childPid(supervision), supervisionAt], [pid, at], `the tree at ${time}`);
  }
  assert.deepEqual(r.seek(1999).result.supervision?.supervisors.length, 1);
  assert.equal(childPid(r.seek(5000).result.supervision), 5, "the last tree");
});

test("supervision trees stay within their share of the cap: the oldest go first, counted in dropped", () => {
  const one = JSON.stringify(tree(supervisor(3, 10))).length + ENTRY_OVERHEAD_BYTES;
  // An eighth of the cap holds three trees.
  const r = new Recording(8 * 3 * one + 7);
  for (let i = 0; i < 5; i++) r.supervisionTree(tree(supervisor(3, 10 + i)), i * 100);
  assert.deepEqual(r.treeEntries().map((t) => t.time), [200, 300, 400]);
  assert.deepEqual([r.dropped.trees, r.dropped.treesUntil], [2, 100]);
  assert.equal(r.dropped.bytes, 2 * one);
  assert.equal(r.seek(150).result.supervision, null, "dropped: the recording holds no tree for that moment");
  assert.equal(childPid(r.seek(250).result.supervision), 12);
  // A tree over the whole share is not kept, and pushes none out: counted as dropped.
  const big = tree(...Array.from({ length: 20 }, (_, i) => supervisor(100 + i, 200 + i)));
  assert.equal(r.supervisionTree(big, 500), -1);
  assert.deepEqual(r.treeEntries().map((t) => t.time), [200, 300, 400]);
  assert.deepEqual([r.dropped.trees, r.dropped.treesUntil], [3, 500]);
});

test("the hub records the node's tree joined from every scheduler's, writes it to the recording file, and a replay seeks it as the live run did", () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "beamline-supervision-")), "run.beamrec");
  const handle = () => ({ post: (_m: ToScheduler) => undefined, counters: newCounters(), stuck: () => ({ ms: 0, pid: 0, site: "" }) });
  const hello = { type: "hello" as const, version: PROTOCOL_VERSION, node: "test", schedulers: 2, reductions: 2000, program: "t.ts", startedAt: Date.now() - 1000, osPid: process.pid };
  const h = new TelemetryHub([handle(), handle()], hello, [], 60_000, 1024 * 1024, file);
  const delta = encodeFrame({ type: "process-delta", seq: 1, scheduler: 1, unlisted: 0, changed: [], updated: [], removed: [] });
  const sites = encodeFrame({ type: "site-aggregates", aggregates: [] });
  const tick = (from: number, supervision: { time: number; tree: SupervisionTree } | null) =>
    h.fromScheduler({ type: "telemetry", delta, sites, events: null, watch: [], faults: [], downByElsewhere: [], supervision }, from);
  const viewer = new FakeConnection();
  const seek = (hub: TelemetryHub | ReplayHub, connection: FakeConnection, time: number) => {
    const before = connection.sent.length;
    hub.request(connection, JSON.stringify({ id: 1, type: "seek", time }));
    return (JSON.parse(connection.sent[before + 1] as string) as { result: SeekResult }).result;
  };
  const moments = [50, 150, 250, 450, 1e9];
  let live: SeekResult[];
  try {
    h.connect(viewer, []);
    // Scheduler 1 runs the top supervisor <0.2.0>; scheduler 2 its child supervisor <0.3.0> and that one's worker.
    const top: SupervisorNode = { ...supervisor(2, 3), children: [{ ...supervisor(2, 3).children[0]!, id: "sub", type: "supervisor", status: "remote" }] };
    tick(0, { time: 100, tree: tree(top) });
    tick(1, { time: 200, tree: tree(supervisor(3, 5)) });
    tick(0, null);
    tick(1, { time: 400, tree: tree(supervisor(3, 7, 1)) });
    live = moments.map((t) => seek(h, viewer, t));
    assert.equal(live[0]!.supervision, null, "before the first tree");
    assert.deepEqual(live[1]!.supervision!.supervisors.map((s) => s.pid), [2], "scheduler 1's part alone");
    assert.deepEqual(live[2]!.supervision!.supervisors.map((s) => [s.pid, s.parent]), [[2, 0], [3, 2]], "joined: the child supervisor under its parent on the other scheduler");
    assert.equal(live[2]!.supervision!.supervisors[1]!.children[0]!.pid, 5);
    assert.equal(live[3]!.supervision!.supervisors[1]!.children[0]!.pid, 7, "the worker restarted as <0.7.0>");
  } finally {
    h.stop();
  }
  const decoded = decodeRecording(readFileSync(file));
  assert.deepEqual(
    decoded.items.filter((i) => i.kind === "supervision").map((i) => i.time),
    [100, 200, 400],
    "each changed tree is an item of the file",
  );
  const replay = new ReplayHub(decoded, file);
  const client = new FakeConnection();
  replay.connect(client, []);
  assert.deepEqual(
    moments.map((t) => seek(replay, client, t)),
    live,
    "the replay answers every moment as the live run did",
  );
});

test("a real run: a supervised child killed and restarted; seek before the restart gives the old child's pid, after it the new one", { timeout: 300_000 }, async () => {
  const runtime = await startRuntime("test/fixtures/supervised_tree.ts");
  const client = await TestClient.connect(runtime, "&channels=");
  try {
    const calculator = async () => {
      const t = (await client.request({ type: "supervision" })).result as SupervisionTree;
      for (const s of t.supervisors) for (const c of s.children) if (c.id === "calculator") return c.pid;
      return 0;
    };
    let oldPid = 0;
    const end = Date.now() + WAIT_DEADLINE_MS;
    while ((oldPid = await calculator()) === 0) {
      assert.ok(Date.now() < end, "the calculator never started");
      await new Promise((r) => setTimeout(r, 100));
    }
    // The recording has the tree with the calculator before it is killed.
    const seekCalculator = async (time: number) => {
      const result = (await client.request({ type: "seek", time })).result as SeekResult;
      for (const s of result.supervision?.supervisors ?? []) for (const c of s.children) if (c.id === "calculator") return { pid: c.pid, at: result.supervisionAt };
      return { pid: 0, at: result.supervisionAt };
    };
    let before = await seekCalculator(1e12);
    while (before.pid !== oldPid) {
      assert.ok(Date.now() < end, `the recording never had the calculator <0.${oldPid}.0>: ${JSON.stringify(before)}`);
      await new Promise((r) => setTimeout(r, 100));
      before = await seekCalculator(1e12);
    }
    assert.equal((await client.request({ type: "kill", pid: `<0.${oldPid}.0>` })).ok, true);
    let after = await seekCalculator(1e12);
    while (after.pid === oldPid || after.pid === 0) {
      assert.ok(Date.now() < end, `the recording never had the restarted calculator: ${JSON.stringify(after)}`);
      await new Promise((r) => setTimeout(r, 100));
      after = await seekCalculator(1e12);
    }
    assert.ok(after.at > before.at);
    assert.deepEqual(await seekCalculator(before.at), before, "the moment before the restart still shows the old child");
    assert.equal((await seekCalculator(after.at)).pid, after.pid);
  } finally {
    client.close();
    await runtime.stop();
  }
});
