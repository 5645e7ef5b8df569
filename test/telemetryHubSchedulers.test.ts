// Issue 15: the hub with N scheduler threads, driven by hand with fake scheduler handles. Requests
// go to the scheduler that owns the pid; requests that name none are asked of all and merged;
// keyframes and deltas of N schedulers reach a client as one keyframe and one stream; warnings'
// per-process history survives other schedulers' ticks; imbalance and stuck schedulers are named.

import assert from "node:assert/strict";
import { mock, test } from "node:test";
import type { SupervisionTree, SupervisorNode, Warning } from "../protocol/control.js";
import { decodeFrame, encodeFrame, ProcessFrameEncoder, PROTOCOL_VERSION, readProcessFrame } from "../protocol/frames.js";
import { Counter, newCounters } from "../runtime/core/schedulerCounters.js";
import type { FromScheduler, ToScheduler } from "../runtime/host/schedulerMessages.js";
import type { WatchedProcess } from "../runtime/telemetry/schedulerTelemetry.js";
import { TelemetryHub } from "../runtime/telemetry/telemetryHub.js";
import { FakeConnection } from "./fakeConnection.js";
import { childNode, supervisorNode } from "./supervisionFixtures.js";


interface FakeScheduler {
  posted: ToScheduler[];
  counters: Float64Array;
  stuck: { ms: number; pid: number; site: string };
}

/** A hub over `n` fake scheduler threads. */
function hubOf(n: number) {
  const schedulers: FakeScheduler[] = Array.from({ length: n }, () => ({ posted: [], counters: newCounters(), stuck: { ms: 0, pid: 0, site: "" } }));
  const hello = { type: "hello" as const, version: PROTOCOL_VERSION, node: "test", schedulers: n, reductions: 2000, program: "t.ts", startedAt: Date.now(), osPid: process.pid };
  const hub = new TelemetryHub(
    schedulers.map((s) => ({ post: (m: ToScheduler) => void s.posted.push(m), counters: s.counters, stuck: () => s.stuck })),
    hello,
    [],
    60_000,
  );
  const requests = (i: number) => schedulers[i]!.posted.filter((m): m is Extract<ToScheduler, { type: "request" }> => m.type === "request");
  return { hub, schedulers, requests };
}

/** Scheduler `scheduler`'s (1-based) keyframe page for pids `pids`. */
function page(snapshot: number, index: number, pages: number, total: number, scheduler: number, pids: number[]): ArrayBuffer {
  const e = new ProcessFrameEncoder({ type: "process-page", snapshot, page: index, pages, total });
  for (const pid of pids) e.add(pid, "waiting", scheduler, 0, 0, 380, 0, 0, "idle", "", 0, 0, 0, false);
  return e.finish();
}

/** A tick of scheduler `scheduler` (1-based) whose delta removes `removed`, with its own seq and unlisted. */
function tick(scheduler: number, seq: number, removed: number[] = [], unlisted = 0, watch: WatchedProcess[] = []): FromScheduler {
  const delta = encodeFrame({ type: "process-delta", seq, scheduler, unlisted, changed: [], updated: [], removed });
  return { type: "telemetry", delta, sites: encodeFrame({ type: "site-aggregates", aggregates: [] }), events: null, watch, faults: [], downByElsewhere: [], supervision: null };
}

test("issue 15: inspect, kill, trace and send to a pid go to the scheduler that owns the pid (id % N), not to all", () => {
  const { hub, requests } = hubOf(2);
  const client = new FakeConnection();
  hub.connect(client, []);
  hub.request(client, '{"id":1,"type":"inspect","pid":"<0.5.0>"}');
  hub.request(client, '{"id":2,"type":"kill","pid":"<0.8.0>"}');
  hub.request(client, '{"id":3,"type":"trace","pid":"<0.7.0>","enabled":true}');
  hub.request(client, '{"id":4,"type":"send","to":"<0.10.0>","message":"ping"}');
  assert.deepEqual(
    requests(0).map((r) => r.request.id),
    [2, 4],
  );
  assert.deepEqual(
    requests(1).map((r) => r.request.id),
    [1, 3],
  );
  // The owner's answer is the client's response.
  hub.fromScheduler({ type: "response", id: requests(1)[0]!.id, ok: true, result: { traced: true } }, 1);
  assert.deepEqual(client.texts("response"), [{ type: "response", id: 1, ok: true, result: { traced: true } }]);
  hub.stop();
});

test("issue 15: a send to a registered name is asked of every scheduler; the one holding the name answers for all", () => {
  const { hub, requests } = hubOf(3);
  const client = new FakeConnection();
  hub.connect(client, []);
  hub.request(client, '{"id":1,"type":"send","to":"db","message":"ping"}');
  const internal = requests(0)[0]!.id;
  assert.deepEqual([1, 2].map((i) => requests(i)[0]?.id), [internal, internal]);
  hub.fromScheduler({ type: "response", id: internal, ok: false, error: 'no process is registered as "db"' }, 0);
  hub.fromScheduler({ type: "response", id: internal, ok: true, result: { delivered: "<0.5.0>" } }, 2);
  assert.deepEqual(client.texts("response"), [], "it waits for every scheduler");
  hub.fromScheduler({ type: "response", id: internal, ok: false, error: 'no process is registered as "db"' }, 1);
  assert.deepEqual(client.texts("response"), [{ type: "response", id: 1, ok: true, result: { delivered: "<0.5.0>" } }]);
  // Nobody holds it: the refusal.
  hub.request(client, '{"id":2,"type":"send","to":"nobody","message":1}');
  const second = requests(0)[1]!.id;
  for (const i of [0, 1, 2]) hub.fromScheduler({ type: "response", id: second, ok: false, error: 'no process is registered as "nobody"' }, i);
  assert.deepEqual(client.texts("response").at(-1), { type: "response", id: 2, ok: false, error: 'no process is registered as "nobody"' });
  hub.stop();
});

/** A supervisor `pid` under `parent` whose children are supervisors with these pids. */
const supervisor = (pid: number, parent: number, childPids: number[]): SupervisorNode =>
  supervisorNode(pid, parent, childPids.map((c, i) => childNode(String(i + 1), c, { type: "supervisor" })));

test("issue 15: supervision asks every scheduler and merges their trees, a parent before its children across schedulers", () => {
  const { hub, requests } = hubOf(2);
  const client = new FakeConnection();
  hub.connect(client, []);
  hub.request(client, '{"id":9,"type":"supervision"}');
  const internal = requests(0)[0]!.id;
  // The root <0.2.0> on scheduler 1 supervises <0.5.0> on scheduler 2, which its scheduler lists as a root.
  const first: SupervisionTree = { supervisors: [supervisor(2, 0, [5])], omittedSupervisors: 0, looseLinks: [{ pid: 8, fn: "w", name: "", links: [4] }], truncated: 1 };
  const second: SupervisionTree = { supervisors: [supervisor(5, 0, [])], omittedSupervisors: 2, looseLinks: [{ pid: 3, fn: "w", name: "", links: [7] }], truncated: 0 };
  hub.fromScheduler({ type: "response", id: internal, ok: true, result: second }, 1);
  hub.fromScheduler({ type: "response", id: internal, ok: true, result: first }, 0);
  const [response] = client.texts<{ ok: boolean; result: SupervisionTree }>("response");
  assert.ok(response?.ok);
  const tree = response.result;
  assert.deepEqual(
    tree.supervisors.map((s) => [s.pid, s.parent]),
    [
      [2, 0],
      [5, 2],
    ],
  );
  assert.deepEqual(
    tree.looseLinks.map((l) => l.pid),
    [3, 8],
    "oldest first",
  );
  assert.equal(tree.omittedSupervisors, 2);
  assert.equal(tree.truncated, 1);
  hub.stop();
});

test("issue 15: a request that a scheduler does not answer is refused naming that scheduler", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { hub, requests } = hubOf(2);
    const client = new FakeConnection();
    hub.connect(client, []);
    hub.request(client, '{"id":1,"type":"supervision"}');
    hub.fromScheduler({ type: "response", id: requests(0)[0]!.id, ok: true, result: { supervisors: [], omittedSupervisors: 0, looseLinks: [], truncated: 0 } }, 0);
    mock.timers.tick(5_000);
    assert.deepEqual(client.texts("response"), [{ type: "response", id: 1, ok: false, error: "scheduler 2 did not answer within 5000 ms; it may be stuck in a plain function" }]);
    hub.stop();
  } finally {
    mock.timers.reset();
  }
});

test("issue 15: the keyframes of N schedulers reach a client as one keyframe, pages 0..P-1 with the node's total", () => {
  const { hub, schedulers } = hubOf(2);
  const client = new FakeConnection();
  hub.connect(client, ["processes"]);
  const asked = schedulers.map((s) => s.posted.find((m) => m.type === "keyframe"));
  assert.ok(asked.every((m) => m?.type === "keyframe"), "every scheduler was asked");
  const snapshot = (asked[0] as Extract<ToScheduler, { type: "keyframe" }>).snapshot;
  // Scheduler 1 has 2 pages (3 processes), scheduler 2 one page (2 processes); they interleave.
  hub.fromScheduler({ type: "keyframe-page", snapshot, frame: page(snapshot, 0, 2, 3, 1, [2, 4]), listsNew: false }, 0);
  assert.equal(client.frames().length, 0, "held until every scheduler's size is known");
  // Scheduler 2's delta from before its part: the keyframe is newer, it is dropped.
  hub.fromScheduler(tick(2, 1, [99]), 1);
  hub.fromScheduler({ type: "keyframe-page", snapshot, frame: page(snapshot, 0, 1, 2, 2, [1, 3]), listsNew: false }, 1);
  // Scheduler 2's delta from after its part: newer than the keyframe, it follows the last page.
  hub.fromScheduler(tick(2, 2, [3]), 1);
  hub.fromScheduler({ type: "keyframe-page", snapshot, frame: page(snapshot, 1, 2, 3, 1, [6]), listsNew: false }, 0);
  hub.fromScheduler(tick(1, 1, [6]), 0);
  const frames = client.frames();
  assert.deepEqual(
    frames.map((f) => (f.type === "process-page" ? `page ${f.page}/${f.pages} of ${f.total}: ${f.processes.map((p) => p.pid)}` : f.type === "process-delta" ? `delta of ${f.scheduler} removing ${f.removed}` : f.type)),
    ["page 0/3 of 5: 2,4", "page 1/3 of 5: 1,3", "page 2/3 of 5: 6", "delta of 2 removing 3", "delta of 1 removing 6"],
  );
  hub.stop();
});

test("issue 15: deltas carry a node-wide seq, which warnings name, and the unlisted processes of all schedulers", () => {
  const { hub } = hubOf(2);
  const client = new FakeConnection();
  hub.connect(client, ["processes", "warnings"]);
  const deltas = () => client.sent.filter((d): d is ArrayBuffer => d instanceof ArrayBuffer).map((d) => readProcessFrame(d)!);
  // The keyframe of the connect: both schedulers answer with an empty part.
  hub.fromScheduler({ type: "keyframe-page", snapshot: 1, frame: page(1, 0, 1, 0, 1, []), listsNew: false }, 0);
  hub.fromScheduler({ type: "keyframe-page", snapshot: 1, frame: page(1, 0, 1, 0, 2, []), listsNew: false }, 1);
  hub.fromScheduler(tick(1, 7, [], 100), 0);
  hub.fromScheduler(tick(2, 7, [], 30), 1);
  hub.fromScheduler(tick(1, 8, [], 40), 0);
  const got = deltas().filter((d) => d.type === "process-delta");
  assert.deepEqual(
    got.map((d) => [d.seq, d.deltaScheduler, d.unlisted]),
    [
      [1, 1, 100],
      [2, 2, 130],
      [3, 1, 70],
    ],
  );
  hub.stop();
});

const watched = (pid: number, mailbox: number): WatchedProcess => ({ pid, fn: "sink", name: "", mailbox, waiting: true, pendingCalls: 0, unmatched: 0, scanned: mailbox, waitSite: 0, spawnSite: 0 });

test("issue 15: a process's mailbox history survives the ticks of other schedulers, so mailbox-growing fires for it", () => {
  const { hub } = hubOf(2);
  const client = new FakeConnection();
  hub.connect(client, ["warnings"]);
  // <0.2.0> on scheduler 1 grows at each of its ticks; scheduler 2 ticks in between with nothing long.
  for (let i = 0; i < 6; i++) {
    hub.fromScheduler(tick(1, i + 1, [], 0, [watched(2, 100 + 50 * i)]), 0);
    hub.fromScheduler(tick(2, i + 1, [], 0, []), 1);
  }
  const lists = client.texts<{ warnings: Warning[] }>("warnings");
  const growing = lists.at(-1)!.warnings.filter((w) => w.kind === "mailbox-growing");
  assert.deepEqual(
    growing.map((w) => w.pid),
    ["<0.2.0>"],
  );
  hub.stop();
});

/** Sets a fake scheduler's counters as if it ran `busyMs` more milliseconds and has `runQueue` waiting. */
function load(s: FakeScheduler, busyMs: number, runQueue: number): void {
  s.counters[Counter.busyMs]! += busyMs;
  s.counters[Counter.runQueue] = runQueue;
}

test("issue 15: one scheduler busy with processes waiting while another is idle is an imbalance warning that says why", () => {
  const { hub, schedulers } = hubOf(2);
  const client = new FakeConnection();
  hub.connect(client, ["warnings"]);
  const imbalance = () => client.texts<{ warnings: Warning[] }>("warnings").at(-1)!.warnings.filter((w) => w.kind === "imbalance");
  for (let i = 0; i < 3; i++) {
    load(schedulers[0]!, 10_000, 63);
    hub.sample();
  }
  assert.deepEqual(imbalance(), [], "three samples are not yet a trend");
  load(schedulers[0]!, 10_000, 63);
  hub.sample();
  const [w] = imbalance();
  assert.ok(w !== undefined);
  assert.equal(w.scheduler, 1);
  assert.match(w.message, /^Scheduler 1 is busy \(100% utilization, 63 processes waiting to run\) while scheduler 2 is idle \(0%, 0 waiting\)\./);
  assert.match(w.message, /steal/);
  assert.match(w.advice, /spawnOn/);
  // Both busy: no imbalance.
  for (let i = 0; i < 4; i++) {
    load(schedulers[0]!, 10_000, 63);
    load(schedulers[1]!, 10_000, 40);
    hub.sample();
  }
  assert.deepEqual(imbalance(), []);
  hub.stop();
});

test("issue 15: the stuck-scheduler warning names the scheduler that is stuck, and a slow slice its scheduler", () => {
  const { hub, schedulers } = hubOf(2);
  const client = new FakeConnection();
  hub.connect(client, ["warnings", "schedulers"]);
  schedulers[1]!.stuck = { ms: 800, pid: 7, site: "src/spin.ts:3" };
  hub.sample();
  const [w] = client.texts<{ warnings: Warning[] }>("warnings").at(-1)!.warnings;
  assert.equal(w?.kind, "non-preemptible");
  assert.equal(w.scheduler, 2);
  assert.match(w.message, /^Scheduler 2 has been stuck for 800 ms in <0\.7\.0>/);
  const samples = client.frames().filter((f) => f.type === "schedulers");
  assert.deepEqual(
    samples.at(-1)!.type === "schedulers" ? (samples.at(-1) as { schedulers: { scheduler: number; utilization: number; stuckPid: number }[] }).schedulers.map((s) => [s.scheduler, s.utilization, s.stuckPid]) : [],
    [
      [1, 0, 0],
      [2, 1, 7],
    ],
  );
  schedulers[1]!.stuck = { ms: 0, pid: 0, site: "" };
  hub.fromScheduler({ type: "non-preemptible", pid: "<0.9.0>", site: "src/slow.ts:8", ms: 300 }, 0);
  hub.sample();
  const [slow] = client.texts<{ warnings: Warning[] }>("warnings").at(-1)!.warnings;
  assert.equal(slow?.scheduler, 1);
  assert.match(slow.message, /scheduler 1 ran nothing else/);
  hub.stop();
});

test("issue 15: samples carry each scheduler's processes, spawns placed elsewhere and cross-scheduler messages", () => {
  const { hub, schedulers } = hubOf(2);
  const client = new FakeConnection();
  hub.connect(client, ["schedulers"]);
  const c = schedulers[1]!.counters;
  c[Counter.processes] = 12;
  c[Counter.placedElsewhere] = 3;
  c[Counter.crossOut] = 40;
  c[Counter.crossIn] = 25;
  hub.sample();
  const frame = client.frames().at(-1)!;
  assert.ok(frame.type === "schedulers");
  const s = frame.schedulers[1]!;
  assert.deepEqual([s.scheduler, s.processes, s.placedElsewhere, s.crossOut, s.crossIn], [2, 12, 3, 40, 25]);
  c[Counter.crossIn] = 30;
  hub.sample();
  const next = client.frames().at(-1)!;
  assert.ok(next.type === "schedulers");
  assert.deepEqual([next.schedulers[1]!.crossIn, next.schedulers[1]!.crossOut], [5, 0], "per interval");
  hub.stop();
});

test("issue 15: site aggregates and dropped events are the sums over all schedulers, so code lenses count every scheduler", () => {
  const { hub } = hubOf(2);
  const client = new FakeConnection();
  hub.connect(client, ["sites", "events"]);
  const aggregate = (site: number, live: number, crashes: number) => ({ site, live, queued: live * 2, reductions: live * 100, waiting: live, crashes, restarts: 0 });
  const withSites = (t: FromScheduler, aggregates: ReturnType<typeof aggregate>[], dropped: number): FromScheduler =>
    t.type === "telemetry" ? { ...t, sites: encodeFrame({ type: "site-aggregates", aggregates }), events: encodeFrame({ type: "events", dropped, events: [] }) } : t;
  hub.fromScheduler(withSites(tick(1, 1), [aggregate(1, 3, 1), aggregate(2, 0, 0)], 5), 0);
  hub.fromScheduler(withSites(tick(2, 1), [aggregate(1, 4, 2), aggregate(2, 1, 0)], 7), 1);
  hub.fromScheduler(withSites(tick(1, 2), [aggregate(1, 5, 1), aggregate(2, 0, 0)], 5), 0);
  const frames = client.frames();
  const sites = frames.filter((f) => f.type === "site-aggregates").at(-1);
  assert.ok(sites?.type === "site-aggregates");
  assert.deepEqual(
    sites.aggregates.map((a) => [a.site, a.live, a.queued, a.reductions, a.waiting, a.crashes]),
    [
      [1, 9, 18, 900, 9, 3],
      [2, 1, 2, 100, 1, 0],
    ],
  );
  const events = frames.filter((f) => f.type === "events").map((f) => (f.type === "events" ? f.dropped : -1));
  assert.deepEqual(events, [5, 12, 12]);
  hub.stop();
});

test("issue 15: a keyframe that a stuck scheduler never finishes is given up once deltas pile up behind it; the viewer lags, then asks again", () => {
  const { hub, schedulers } = hubOf(2);
  const client = new FakeConnection();
  hub.connect(client, ["processes"]);
  const keyframes = () => schedulers[0]!.posted.filter((m) => m.type === "keyframe").length;
  hub.fromScheduler({ type: "keyframe-page", snapshot: 1, frame: page(1, 0, 1, 1, 1, [2]), listsNew: false }, 0);
  // Scheduler 2 is stuck: its part never comes, and scheduler 1's deltas wait behind the keyframe.
  const big = (seq: number): FromScheduler => {
    const t = tick(1, seq);
    if (t.type !== "telemetry") throw new Error("a tick");
    const delta = encodeFrame({ type: "process-delta", seq, scheduler: 1, unlisted: 0, changed: [], updated: Array.from({ length: 40_000 }, (_, i) => ({ pid: 2 * i + 2, status: "waiting" as const, mailbox: 0, reductions: 0, memory: 380, waitSite: 0 })), removed: [] });
    return { ...t, delta };
  };
  for (let seq = 1; seq <= 10; seq++) hub.fromScheduler(big(seq), 0);
  assert.equal(client.frames().length, 0, "nothing of the keyframe went out");
  hub.sample();
  assert.deepEqual(client.texts("lagging").length, 1, "told it lags");
  assert.equal(keyframes(), 2, "and asked for a fresh keyframe");
  // The stuck scheduler's late part of the old keyframe is ignored.
  hub.fromScheduler({ type: "keyframe-page", snapshot: 1, frame: page(1, 0, 1, 0, 2, []), listsNew: false }, 1);
  assert.equal(client.frames().filter((f) => f.type === "process-page").length, 0);
  hub.stop();
});

test("issue 15: a viewer that leaves while its keyframe is put together leaves nothing behind, and a part listing new processes then makes every viewer ask again", () => {
  const { hub, schedulers } = hubOf(2);
  const stays = new FakeConnection();
  hub.connect(stays, ["processes"]);
  hub.fromScheduler({ type: "keyframe-page", snapshot: 1, frame: page(1, 0, 1, 0, 1, []), listsNew: false }, 0);
  hub.fromScheduler({ type: "keyframe-page", snapshot: 1, frame: page(1, 0, 1, 0, 2, []), listsNew: false }, 1);
  const leaves = new FakeConnection();
  const disconnect = hub.connect(leaves, ["processes"]);
  hub.fromScheduler({ type: "keyframe-page", snapshot: 2, frame: page(2, 0, 1, 1, 1, [4]), listsNew: false }, 0);
  disconnect();
  // Scheduler 2's part lists processes no delta listed: the viewer that stays must get them.
  hub.fromScheduler({ type: "keyframe-page", snapshot: 2, frame: page(2, 0, 1, 1, 2, [3]), listsNew: true }, 1);
  hub.sample();
  assert.equal(stays.texts("lagging").length, 1);
  assert.equal(schedulers[1]!.posted.filter((m) => m.type === "keyframe").length, 3, "a fresh keyframe for it");
  hub.stop();
});
