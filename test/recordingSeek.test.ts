// Issue 16, "time travel": the recording keeps the process table (keyframes and the deltas after
// each), the site aggregates and the trace events within its cap, and answers `seek` with a Past
// frame and `events` with the recorded events that match (docs/protocol.md, sections 5, 7 and 9).
// A hub with no viewer connected records all of it; a viewer that connects later goes back in it.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import type { EventsResult, History, SeekResult } from "../protocol/control.js";
import { decodeFrame, encodeFrame, PROTOCOL_VERSION, readPastFrame, readProcessFrame, type PastFrame, type ProcessInfo, type TraceEvent } from "../protocol/frames.js";
import { newCounters } from "../runtime/core/schedulerCounters.js";
import type { ToScheduler } from "../runtime/host/schedulerMessages.js";
import { ENTRY_OVERHEAD_BYTES, Recording, RECORDING_KEYFRAME_MIN_MS } from "../runtime/telemetry/recording.js";
import { TelemetryHub } from "../runtime/telemetry/telemetryHub.js";
import { FakeConnection } from "./fakeConnection.js";
import { ReplayHub } from "../runtime/telemetry/replayHub.js";
import { decodeRecording } from "../protocol/recordingFile.js";
import { startReplay, startRuntime, TestClient, type Received } from "./telemetryClient.js";

const proc = (pid: number, mailbox = 0, fn = "worker", name = ""): ProcessInfo => ({
  pid,
  status: "waiting",
  scheduler: 1,
  mailbox,
  reductions: 10,
  memory: 380,
  spawnSite: 0,
  waitSite: 0,
  fn,
  name,
  links: 0,
  monitors: 0,
  monitoredBy: 0,
  trapExit: false,
});

const page = (processes: ProcessInfo[], snapshot = 1) => encodeFrame({ type: "process-page", snapshot, page: 0, pages: 1, total: processes.length, processes });
const delta = (seq: number, updated: [number, number][], removed: number[] = [], changed: ProcessInfo[] = []) =>
  encodeFrame({
    type: "process-delta",
    seq,
    scheduler: 1,
    unlisted: 0,
    changed,
    updated: updated.map(([pid, mailbox]) => ({ pid, status: "waiting" as const, mailbox, reductions: 10, memory: 380, waitSite: 0 })),
    removed,
  });
const sites = (live: number) => encodeFrame({ type: "site-aggregates", aggregates: [{ site: 1, live, queued: 0, reductions: 0, waiting: 0, crashes: 0, restarts: 0 }] });
const events = (list: TraceEvent[]) => encodeFrame({ type: "events", dropped: 0, events: list });

/** The process table a viewer builds from a Past frame's frames (docs/protocol.md, section 5). */
function pastTable(frames: readonly ArrayBuffer[]): Map<number, number> {
  const table = new Map<number, number>();
  for (const f of frames) {
    const v = readProcessFrame(f);
    if (v === null) continue;
    if (v.type === "process-page" && v.page === 0) table.clear();
    for (let i = 0; i < v.count; i++) table.set(v.pid(i), v.mailbox(i));
    for (let i = 0; i < v.updateCount; i++) if (table.has(v.updatePid(i))) table.set(v.updatePid(i), v.updateMailbox(i));
    for (let i = 0; i < v.removedCount; i++) table.delete(v.removed(i));
  }
  return table;
}

/** Records a keyframe of `processes` done at `time`, as the hub does. */
function keyframe(r: Recording, time: number, processes: ProcessInfo[]): void {
  r.keyframeStarted();
  r.keyframePage(page(processes));
  r.keyframeDone(time);
}

test("issue 16: seek finds the keyframe at or before the moment, its deltas up to it, and the last site aggregates", () => {
  const r = new Recording();
  assert.deepEqual(r.seek(100).result, { time: 100, keyframeAt: -1, frames: 0, processes: false, supervision: null, supervisionAt: -1 }, "nothing recorded yet");
  r.siteAggregates(sites(1), 50, 100);
  keyframe(r, 100, [proc(1), proc(2)]);
  r.delta(delta(1, [[1, 5]]), 200);
  r.delta(delta(2, [[1, 9]], [2]), 300);
  r.siteAggregates(sites(2), 300, 100);
  keyframe(r, 400, [proc(1, 9), proc(3, 1)]);
  r.delta(delta(3, [[3, 7]]), 500);

  assert.deepEqual(r.seek(50).result, { time: 50, keyframeAt: -1, frames: 1, processes: false, supervision: null, supervisionAt: -1 }, "before the first keyframe: the aggregates only");
  const at250 = r.seek(250);
  assert.deepEqual(at250.result, { time: 250, keyframeAt: 100, frames: 3, processes: true, supervision: null, supervisionAt: -1 });
  assert.deepEqual([...pastTable(at250.frames)], [[1, 5], [2, 0]]);
  assert.deepEqual(decodeFrame(at250.frames.at(-1)!), decodeFrame(sites(1)), "the aggregates recorded at or before the moment");
  assert.deepEqual([...pastTable(r.seek(399).frames)], [[1, 9]], "the second delta removed <0.2.0>");
  assert.deepEqual([...pastTable(r.seek(10_000).frames)], [[1, 9], [3, 7]], "after the last item: the latest state");
  assert.equal(r.seek(10_000).result.keyframeAt, 400);
  assert.equal(r.processesFrom, 100);
});

test("issue 16: a keyframe only goes with its deltas: past the process share the oldest goes with them, counted, and seek says it has no table then", () => {
  const kf = page([proc(1), proc(2)]).byteLength + ENTRY_OVERHEAD_BYTES;
  const d = delta(1, [[1, 1]]).byteLength + ENTRY_OVERHEAD_BYTES;
  // The process table may take half the cap: two keyframes and six deltas fit, not more.
  const r = new Recording(2 * (2 * kf + 6 * d) + 100);
  keyframe(r, 100, [proc(1), proc(2)]);
  for (let i = 1; i <= 3; i++) r.delta(delta(i, [[1, i]]), 100 + i);
  keyframe(r, 200, [proc(1, 3), proc(2)]);
  for (let i = 4; i <= 6; i++) r.delta(delta(i, [[1, i]]), 200 + i);
  assert.equal(r.dropped.keyframes, 0);
  r.delta(delta(7, [[1, 7]]), 300);
  assert.deepEqual([r.dropped.keyframes, r.dropped.deltas, r.dropped.processesUntil], [1, 3, 103], "the first keyframe went with its three deltas");
  assert.equal(r.processesFrom, 200);
  assert.equal(r.seek(150).result.processes, false);
  assert.deepEqual([...pastTable(r.seek(300).frames)], [[1, 7], [2, 0]]);
  assert.ok(r.bytes <= r.capBytes);
});

test("issue 16: the recording asks for a keyframe at once, then once the deltas or the unlisted processes outweigh it, not sooner than 10 s after the last; one too big for its share is not taken", () => {
  const r = new Recording(1024 * 1024);
  assert.equal(r.keyframeDue(0, 10), true, "the first at once");
  keyframe(r, 10, [proc(1)]);
  assert.equal(r.keyframeDue(20, 10), false, "no deltas yet");
  for (let i = 0; i < 5; i++) r.delta(delta(i, [[1, i]]), 30 + i);
  assert.equal(r.keyframeDue(100, 10), false, "the deltas outweigh it, but it is too soon");
  assert.equal(r.keyframeDue(RECORDING_KEYFRAME_MIN_MS + 1, 10), true);
  r.keyframeAbandoned(RECORDING_KEYFRAME_MIN_MS + 1);
  keyframe(r, RECORDING_KEYFRAME_MIN_MS + 1001, [proc(1)]);
  assert.equal(r.keyframeDue(2 * RECORDING_KEYFRAME_MIN_MS + 1001, 10), false, "a new keyframe, no deltas since");
  assert.equal(r.keyframeDue(2 * RECORDING_KEYFRAME_MIN_MS + 1001, 500, 400), true, "but 400 processes no frame listed would outweigh it");
  r.keyframeAbandoned(RECORDING_KEYFRAME_MIN_MS + 1);
  // 20,000 processes would take 920 KB: more than half of the 1 MiB cap.
  assert.equal(r.keyframeDue(4 * RECORDING_KEYFRAME_MIN_MS, 20_000, 19_000), false);
  assert.equal(r.dropped.keyframes, 1, "counted as dropped");
});

test("issue 16: events are found by time, pid (either end), kind, and text in the message or either end's function or name, oldest first, at most the limit", () => {
  const r = new Recording();
  keyframe(r, 0, [proc(1, 0, "main"), proc(2, 0, "worker", "db_pool"), proc(3, 0, "logger")]);
  r.traceEvents(events([
    { time: 10, kind: "spawn", pid: 1, other: 2, text: "worker" },
    { time: 20, kind: "send", pid: 1, other: 2, text: '["query", 1]' },
    { time: 30, kind: "receive", pid: 2, other: 0, text: '["query", 1]' },
  ]), 40);
  r.traceEvents(events([]), 45);
  r.traceEvents(events([
    { time: 50, kind: "send", pid: 0, other: 3, text: '"hello"' },
    { time: 60, kind: "exit", pid: 3, other: 0, text: "normal" },
  ]), 70);
  assert.equal(r.eventCount, 5, "an empty frame is not recorded");
  const find = (request: Omit<Parameters<Recording["findEvents"]>[0], "id" | "type">) => r.findEvents({ id: 1, type: "events", ...request });
  const times = (result: EventsResult) => result.events.map((e) => e.time);
  assert.deepEqual(times(find({})), [10, 20, 30, 50, 60]);
  assert.deepEqual(times(find({ from: 20, to: 50 })), [20, 30, 50]);
  assert.deepEqual(times(find({ pids: [3] })), [50, 60], "as pid or other");
  assert.deepEqual(times(find({ kinds: ["send"] })), [20, 50]);
  assert.deepEqual(times(find({ text: "QUERY" })), [20, 30], "in the message, ignoring case");
  assert.deepEqual(times(find({ text: "db_po" })), [10, 20, 30], "in a registered name of either end");
  assert.deepEqual(times(find({ text: "logger" })), [50, 60], "in a function name");
  const limited = find({ limit: 2 });
  assert.deepEqual([times(limited), limited.total, limited.more, limited.dropped], [[10, 20], 5, true, 0]);
});

test("issue 16: past their share of the cap the oldest events go, counted one by one", () => {
  const one = events([{ time: 1, kind: "send", pid: 1, other: 2, text: "x".repeat(100) }, { time: 2, kind: "send", pid: 1, other: 2, text: "y" }]);
  const r = new Recording(4 * 3 * (one.byteLength + ENTRY_OVERHEAD_BYTES));
  for (let i = 0; i < 4; i++) r.traceEvents(one, i * 10);
  assert.deepEqual([r.eventCount, r.dropped.events, r.dropped.eventsUntil], [6, 2, 2]);
  assert.equal(r.findEvents({ id: 1, type: "events" }).dropped, 2);
});

test("issue 16: site aggregates are recorded when they change, about one per interval", () => {
  const r = new Recording();
  assert.equal(r.siteAggregates(sites(1), 0, 100), true);
  assert.equal(r.siteAggregates(sites(1), 50, 100), false, "unchanged");
  r.siteAggregates(sites(2), 60, 100);
  r.siteAggregates(sites(3), 90, 100);
  r.siteAggregates(sites(4), 130, 100);
  assert.deepEqual(r.siteAggregateEntries().map((a) => a.time), [90, 130], "the ones within an interval of the first replaced it, each with its own time");
  assert.deepEqual(decodeFrame(r.lastSiteAggregates()!), decodeFrame(sites(4)));
});


test("issue 16: with no viewer connected the hub records the process table, aggregates and events; a viewer that connects later seeks and reads them", () => {
  const posted: ToScheduler[] = [];
  const scheduler = { post: (m: ToScheduler) => posted.push(m), counters: newCounters(), stuck: () => ({ ms: 0, pid: 0, site: "" }) };
  const hello = { type: "hello" as const, version: PROTOCOL_VERSION, node: "test", schedulers: 1, reductions: 2000, program: "t.ts", startedAt: Date.now() - 1000, osPid: process.pid };
  const h = new TelemetryHub([scheduler], hello, [], 60_000);
  try {
    const tick = (seq: number, updated: [number, number][], eventList: TraceEvent[] | null = null) =>
      h.fromScheduler({ type: "telemetry", delta: delta(seq, updated), sites: sites(seq), events: eventList === null ? null : events(eventList), watch: [], faults: [], downByElsewhere: [], supervision: null }, 0);
    tick(1, []);
    const request = posted.find((m): m is Extract<ToScheduler, { type: "keyframe" }> => m.type === "keyframe");
    assert.ok(request !== undefined, "the first tick asks for a keyframe for the recording, with no viewer");
    // A delta encoded before the scheduler's part is not the keyframe's; one after it is.
    h.fromScheduler({ type: "keyframe-page", snapshot: request.snapshot, frame: page([proc(5, 0, "server")], request.snapshot), listsNew: false }, 0);
    tick(2, [[5, 40]], [{ time: 900, kind: "send", pid: 0, other: 5, text: "hi" }]);
    tick(3, [[5, 120]]);

    const viewer = new FakeConnection();
    h.connect(viewer, ["schedulers"]);
    const history = viewer.messages().find((m) => m.type === "history") as unknown as History;
    assert.ok(history.processesFrom >= 0, "the history says from when the table is recorded");
    assert.equal(history.eventCount, 1);

    const before = viewer.sent.length;
    h.request(viewer, JSON.stringify({ id: 7, type: "seek", time: 1e9 }));
    const [past, response] = viewer.sent.slice(before);
    const pastView = readPastFrame(past as ArrayBuffer)!;
    assert.equal(pastView.requestId, 7, "the Past frame comes first, with the request's id");
    const result = (JSON.parse(response as string) as { result: SeekResult }).result;
    assert.equal(result.processes, true);
    assert.equal(result.frames, pastView.frames.length);
    assert.deepEqual([...pastTable(pastView.frames.map((f) => f.slice().buffer))], [[5, 120]], "the keyframe and both deltas after it");
    assert.deepEqual((decodeFrame(past as ArrayBuffer) as PastFrame).frames.at(-1), decodeFrame(sites(3)), "and the last aggregates");

    h.request(viewer, JSON.stringify({ id: 8, type: "events", pids: [5] }));
    const found = JSON.parse(viewer.sent.at(-1) as string) as { id: number; result: EventsResult };
    assert.deepEqual(found.result, { events: [{ time: 900, kind: "send", pid: 0, other: 5, text: "hi" }], total: 1, more: false, dropped: 0 });

    for (const [body, error] of [
      [{ id: 9, type: "seek", time: "now" }, `request.time must be a number (ms on the samples' clock), got "now"`],
      [{ id: 10, type: "events", limit: 20_000 }, "request.limit must be a whole number from 1 to 10000"],
      [{ id: 11, type: "events", kinds: ["teleport"] }, 'request.kinds has unknown kind "teleport"; the kinds are spawn, exit, crash, link, send, receive, unlink, monitor, demonitor, exit-signal, restart'],
    ] as const) {
      h.request(viewer, JSON.stringify(body));
      assert.deepEqual(JSON.parse(viewer.sent.at(-1) as string), { type: "response", id: body.id, ok: false, error });
    }
  } finally {
    h.stop();
  }
});

/** Seeks `time` and returns the result with the process table of the Past frame that came right before it. */
async function seek(client: TestClient, time: number): Promise<{ result: SeekResult; table: Map<number, number> }> {
  const before = client.received.length;
  const response = await client.request({ type: "seek", time });
  assert.equal(response.ok, true, response.error);
  const answer = client.received.slice(before);
  const at = answer.findIndex((m) => m.type === "response");
  const past = answer[at - 1] as PastFrame;
  assert.equal(past.type, "past", "the Past frame comes right before the response");
  const frames = past.frames.map((f) => encodeFrame(f));
  return { result: response.result as SeekResult, table: pastTable(frames) };
}

test("issue 16: a viewer that connects after the bottleneck example ended seeks back to the bottleneck and sees the server's mailbox; the saved recording replays the same", { timeout: 300_000 }, async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "beamline-seek-test-")), "run.beamrec");
  const runtime = await startRuntime("examples/bottleneck.ts", ["--record", file]);
  let peak: { time: number; queued: number };
  let live: { result: SeekResult; table: Map<number, number> };
  try {
    // A viewer subscribed to nothing: the run is recorded whatever the viewers.
    const watcher = await TestClient.connect(runtime, "&channels=");
    await watcher.waitFor((m) => m.type === "main-exited", "main to end");
    const late = await TestClient.connect(runtime, "&channels=schedulers");
    const history = (await late.waitFor((m) => m.type === "history", "the history")) as History;
    const samples = ((await late.waitFor((m) => m.type === "sample-history", "the recorded samples")) as Extract<Received, { type: "sample-history" }>).samples;
    assert.ok(history.processesFrom >= 0, `the process table is recorded (processesFrom ${history.processesFrom})`);
    const top = samples.reduce((a, b) => (b.summary.queued > a.summary.queued ? b : a));
    peak = { time: top.time, queued: top.summary.queued };
    assert.ok(peak.queued >= 100, `the bottleneck queued ${peak.queued}`);
    live = await seek(late, peak.time);
    assert.equal(live.result.processes, true);
    assert.ok(live.result.keyframeAt <= peak.time);
    const deepest = Math.max(...live.table.values());
    assert.ok(deepest >= 50, `the past table at the bottleneck has a mailbox of ${deepest}`);
    const now = await seek(late, 1e12);
    assert.ok(Math.max(0, ...now.table.values()) < deepest, "after the run the mailboxes are empty again");
    watcher.close();
    late.close();
  } finally {
    await runtime.stop();
  }

  const replay = await startReplay(file);
  try {
    const viewer = await TestClient.connect(replay, "&channels=sites");
    await viewer.waitFor((m) => m.type === "site-aggregates", "the last site aggregates, on connect");
    const again = await seek(viewer, peak.time);
    assert.deepEqual(again.result, live.result, "the replay finds the same moment");
    assert.deepEqual([...again.table], [...live.table]);
    const refused = await viewer.request({ type: "events", from: "start" });
    assert.deepEqual([refused.ok, refused.error], [false, `request.from must be a number (ms on the samples' clock), got "start"`]);
    viewer.close();
  } finally {
    await replay.stop();
  }
});

test("issue 16: the events of a traced process are recorded and found by the events request", { timeout: 300_000 }, async () => {
  const runtime = await startRuntime("test/fixtures/live_mailbox.ts");
  try {
    const client = await TestClient.connect(runtime, "&channels=processes");
    await client.waitFor(() => [...client.processes.values()].some((p) => p.fn === "producer"), "the producer in the table");
    const pid = [...client.processes.values()].find((p) => p.fn === "producer")!.pid;
    assert.equal((await client.request({ type: "trace", pid: `<0.${pid}.0>`, enabled: true })).ok, true);
    let found: EventsResult;
    for (;;) {
      // The producer sends every 20 ms: wait for a few of its sends to be recorded.
      const ticks = client.received.length;
      await client.waitFor(() => client.received.slice(ticks).some((m) => m.type === "process-delta"), "a tick");
      found = (await client.request({ type: "events", pids: [pid], kinds: ["send"], text: "hoarder" })).result as EventsResult;
      if (found.total >= 3) break;
    }
    assert.ok(found.events.every((e) => e.kind === "send" && e.pid === pid), "sends by the producer, found by the receiver's registered name");
    const few = (await client.request({ type: "events", pids: [pid], limit: 1 })).result as EventsResult;
    assert.deepEqual([few.events.length, few.more], [1, true]);
  } finally {
    await runtime.stop();
  }
});

test("issue 16: a viewer's keyframe that lists new processes is recorded too, whenever it comes: the deltas after it take them as known", () => {
  const posted: ToScheduler[] = [];
  const scheduler = { post: (m: ToScheduler) => posted.push(m), counters: newCounters(), stuck: () => ({ ms: 0, pid: 0, site: "" }) };
  const hello = { type: "hello" as const, version: PROTOCOL_VERSION, node: "test", schedulers: 1, reductions: 2000, program: "t.ts", startedAt: Date.now() - 1000, osPid: process.pid };
  const h = new TelemetryHub([scheduler], hello, [], 60_000);
  const keyframeRequests = () => posted.filter((m): m is Extract<ToScheduler, { type: "keyframe" }> => m.type === "keyframe");
  const tick = (seq: number, updated: [number, number][]) =>
    h.fromScheduler({ type: "telemetry", delta: delta(seq, updated), sites: sites(1), events: null, watch: [], faults: [], downByElsewhere: [], supervision: null }, 0);
  try {
    tick(1, []);
    const own = keyframeRequests()[0]!;
    h.fromScheduler({ type: "keyframe-page", snapshot: own.snapshot, frame: page([proc(1)], own.snapshot), listsNew: false }, 0);
    tick(2, [[1, 3]]);
    // A viewer connects; its keyframe lists <0.2.0>, which no delta listed (a spawn storm).
    const viewer = new FakeConnection();
    h.connect(viewer, ["processes"]);
    const theirs = keyframeRequests()[1]!;
    assert.equal(keyframeRequests().length, 2, "the recording is not due for another keyframe: the viewer's is the only one asked for");
    h.fromScheduler({ type: "keyframe-page", snapshot: theirs.snapshot, frame: page([proc(1, 3), proc(2)], theirs.snapshot), listsNew: true }, 0);
    tick(3, [[2, 8]]);
    const before = viewer.sent.length;
    h.request(viewer, JSON.stringify({ id: 1, type: "seek", time: 1e9 }));
    const past = readPastFrame(viewer.sent[before] as ArrayBuffer)!;
    assert.deepEqual([...pastTable(past.frames.map((f) => f.slice().buffer))], [[1, 3], [2, 8]], "<0.2.0>'s update applies to the recorded table");
  } finally {
    h.stop();
  }
});

test("issue 16: a recording file written anew past its cap keeps each keyframe with its deltas, so its replay seeks as the live run did", () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "beamline-seek-file-")), "run.beamrec");
  const posted: ToScheduler[] = [];
  const handle = () => ({ post: (m: ToScheduler) => posted.push(m), counters: newCounters(), stuck: () => ({ ms: 0, pid: 0, site: "" }) });
  const hello = { type: "hello" as const, version: PROTOCOL_VERSION, node: "test", schedulers: 2, reductions: 2000, program: "t.ts", startedAt: Date.now() - 1000, osPid: process.pid };
  const cap = 64 * 1024;
  const h = new TelemetryHub([handle(), handle()], hello, [], 60_000, cap, file);
  const processes = Array.from({ length: 40 }, (_, i) => proc(i + 1));
  const on = (from: number) => processes.filter((p) => p.pid % 2 === from);
  let seq = 0;
  const tick = (from: number) =>
    h.fromScheduler({ type: "telemetry", delta: delta(++seq, on(from).map((p) => [p.pid, seq] as [number, number])), sites: sites(seq % 3), events: null, watch: [], faults: [], downByElsewhere: [], supervision: null }, from);
  const part = (from: number, snapshot: number) =>
    h.fromScheduler({ type: "keyframe-page", snapshot, frame: page(on(from).map((p) => ({ ...p, mailbox: seq })), snapshot), listsNew: true }, from);
  const viewer = new FakeConnection();
  const seekLive = (time: number) => {
    const before = viewer.sent.length;
    h.request(viewer, JSON.stringify({ id: 1, type: "seek", time }));
    return { frames: readPastFrame(viewer.sent[before] as ArrayBuffer)!.frames.map((f) => f.slice().buffer), result: (JSON.parse(viewer.sent[before + 1] as string) as { result: SeekResult }).result };
  };
  let live: { frames: ArrayBuffer[]; result: SeekResult }[];
  try {
    h.connect(viewer, []);
    for (let round = 0; round < 120; round++) {
      tick(0);
      tick(1);
      const request = posted.filter((m): m is Extract<ToScheduler, { type: "keyframe" }> => m.type === "keyframe").at(-1);
      if (request !== undefined && round % 5 === 0) {
        // Scheduler 1's part comes first; its next delta is held for the keyframe (and is in the file twice).
        part(0, request.snapshot);
        tick(0);
        part(1, request.snapshot);
      }
      // Viewers that connect ask for keyframes that the recording takes (they list new processes).
      if (round % 5 === 4) h.connect(new FakeConnection(), ["processes"]);
    }
    assert.ok(h.recording.dropped.keyframes > 0, "the cap dropped keyframes with their deltas");
    const segments = h.recording.processSegments();
    assert.ok(segments.some((s) => s.deltas[0]!.time < s.time), "some keyframes start with deltas held for them");
    live = [...segments.map((s) => s.time + 0.001), 1e12].map(seekLive);
  } finally {
    h.stop();
  }
  const decoded = decodeRecording(readFileSync(file));
  assert.ok(decoded.header.dropped.keyframes > 0, "the file was written anew, and its header counts the keyframes it lacks");
  assert.ok(readFileSync(file).length <= cap, "within the cap");
  const replay = new ReplayHub(decoded, file);
  const client = new FakeConnection();
  replay.connect(client, []);
  for (const expected of live) {
    const before = client.sent.length;
    replay.request(client, JSON.stringify({ id: 1, type: "seek", time: expected.result.time }));
    const frames = readPastFrame(client.sent[before] as ArrayBuffer)!.frames.map((f) => f.slice().buffer);
    assert.deepEqual((JSON.parse(client.sent[before + 1] as string) as { result: SeekResult }).result, expected.result);
    assert.deepEqual([...pastTable(frames)], [...pastTable(expected.frames)], `the table at ${expected.result.time}`);
  }
});
