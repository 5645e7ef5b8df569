// Issue 16, "every run is recorded": the hub's bounded recording of the run (runtime/telemetry/
// recording.ts) keeps the samples and the ended warnings in order, drops the oldest part past its
// cap in bytes and counts what it dropped; the hub sends a late client that history, then the
// live stream, with nothing missed or sent twice between them (docs/protocol.md, section 5).

import assert from "node:assert/strict";
import { test } from "node:test";
import { noneDropped, type History, type Warning, type Warnings } from "../protocol/control.js";
import { decodeFrame, encodeFrame, encodeSampleHistory, PROTOCOL_VERSION, type SchedulerSamplesFrame } from "../protocol/frames.js";
import { newCounters } from "../runtime/core/schedulerCounters.js";
import { ENTRY_OVERHEAD_BYTES, Recording } from "../runtime/telemetry/recording.js";
import { TelemetryHub } from "../runtime/telemetry/telemetryHub.js";
import { FakeConnection } from "./fakeConnection.js";
import { WARNING_GAP_MS, WarningRules } from "../runtime/telemetry/warnings/warningRules.js";

function sampleFrame(time: number): ArrayBuffer {
  return encodeFrame({
    type: "schedulers",
    time,
    intervalMs: 100,
    schedulers: [],
    summary: { processes: time, runnable: 0, waiting: 0, queued: 0, crashes: 0, restarts: 0, mailboxHistogram: [] },
  });
}

const times = (frames: ArrayBuffer[]) => frames.map((f) => (decodeFrame(f) as SchedulerSamplesFrame).time);

function bottleneck(since: number, queued: number, pid = "<0.5.0>"): Warning {
  return { kind: "bottleneck", pid, site: "examples/bottleneck.ts:84", message: `${queued} queued`, advice: "a pool", since, peak: { value: queued, unit: "queued" } };
}

test("issue 16: the recording keeps samples oldest first, and past its cap drops the oldest and counts them", () => {
  const size = sampleFrame(0).byteLength + ENTRY_OVERHEAD_BYTES;
  const r = new Recording(size * 10);
  for (let t = 1; t <= 10; t++) r.sample(sampleFrame(t * 100), t * 100);
  assert.deepEqual(times(r.sampleFrames()), [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  assert.equal(r.bytes, size * 10);
  assert.deepEqual(r.dropped, noneDropped());

  for (let t = 11; t <= 13; t++) r.sample(sampleFrame(t * 100), t * 100);
  assert.deepEqual(times(r.sampleFrames()), [400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300], "the three oldest went");
  assert.ok(r.bytes <= r.capBytes);
  assert.deepEqual(r.dropped, { ...noneDropped(), samples: 3, warnings: 0, bytes: size * 3, samplesUntil: 300 });
});

test("issue 16: a warning that is gone from the list has ended, with its span, last text and peak; each client is sent each once", () => {
  const r = new Recording();
  r.warnings([bottleneck(400, 10)], 400);
  r.warnings([bottleneck(400, 1000)], 900);
  assert.deepEqual(r.endedSince(0), [], "a warning that holds has not ended");
  assert.equal(r.warnings([], 2900), 0, "gone for less than WARNING_GAP_MS, it may come back");
  assert.equal(r.warnings([], 2900 + WARNING_GAP_MS), 1);
  assert.deepEqual(r.endedSince(0), [{ ...bottleneck(400, 1000), until: 2900 }], "it ended when it went");
  assert.equal(r.endedTotal, 1);
  // A client that was sent the first is sent only the next one.
  r.warnings([bottleneck(4000, 60, "<0.9.0>")], 4000);
  r.warnings([], 4500);
  r.warnings([], 5500);
  assert.deepEqual(r.endedSince(1).map((w) => [w.pid, w.since, w.until]), [["<0.9.0>", 4000, 4500]]);
  assert.deepEqual(r.endedSince(2), []);
});

test("issue 16: a warning gone for less than WARNING_GAP_MS that comes back is one warning held on, not two", () => {
  const r = new Recording();
  r.warnings([bottleneck(400, 900)], 400);
  r.warnings([], 500);
  r.warnings([bottleneck(400, 1000)], 600);
  r.warnings([], 2000);
  assert.deepEqual(r.endedSince(0), [], "not yet");
  r.warnings([], 3000);
  assert.deepEqual(r.endedSince(0), [{ ...bottleneck(400, 1000), until: 2000 }]);
});

test("issue 16: the rules keep a warning's since and peak through a break shorter than WARNING_GAP_MS", () => {
  const rules = new WarningRules(() => "examples/bottleneck.ts:84", () => true);
  const watched = (mailbox: number) => [{ pid: 5, mailbox, pendingCalls: mailbox, unmatched: 0, scanned: mailbox, spawnSite: 1, waitSite: 0, name: "", fn: "server", waiting: false }];
  const judge = (mailbox: number, now: number) => {
    rules.observe(0, mailbox === 0 ? [] : watched(mailbox));
    return rules.judge(now).filter((w) => w.kind === "bottleneck");
  };
  assert.deepEqual(judge(1000, 400).map((w) => [w.since, w.peak]), [[400, { value: 1000, unit: "queued" }]]);
  assert.deepEqual(judge(0, 500), []);
  assert.deepEqual(judge(300, 600).map((w) => [w.since, w.peak]), [[400, { value: 1000, unit: "queued" }]], "the same warning, held on");
  assert.deepEqual(judge(0, 700), []);
  assert.deepEqual(judge(0, 700 + WARNING_GAP_MS), []);
  assert.deepEqual(judge(300, 2000).map((w) => [w.since, w.peak]), [[2000, { value: 300, unit: "queued" }]], "after the gap, a new one");
});

test("issue 16: past its cap the recording drops whichever is older, a sample or an ended warning, and counts both", () => {
  const sampleBytes = sampleFrame(0).byteLength + ENTRY_OVERHEAD_BYTES;
  const warningBytes = JSON.stringify({ ...bottleneck(50, 7), until: 150 }).length + ENTRY_OVERHEAD_BYTES;
  const r = new Recording(sampleBytes * 3 + warningBytes);
  r.sample(sampleFrame(100), 100);
  r.warnings([bottleneck(50, 7)], 100);
  r.warnings([], 150);
  r.sample(sampleFrame(200), 200);
  r.sample(sampleFrame(300), 300);
  r.warnings([], 150 + WARNING_GAP_MS);
  assert.deepEqual(r.dropped, noneDropped());
  // One more sample: the sample at 100 is older than the warning that ended at 150, so it goes first.
  r.sample(sampleFrame(400), 400);
  assert.deepEqual(times(r.sampleFrames()), [200, 300, 400]);
  assert.equal(r.endedSince(0).length, 1);
  // Then the warning (ended at 150) is older than the sample at 200.
  r.sample(sampleFrame(500), 500);
  assert.deepEqual(times(r.sampleFrames()), [200, 300, 400, 500]);
  assert.deepEqual(r.endedSince(0), [], "the ended warning was dropped");
  assert.deepEqual(r.dropped, { ...noneDropped(), samples: 1, warnings: 1, bytes: sampleBytes + warningBytes, samplesUntil: 100 });
  // A client that never saw it is told of the ones kept only; endedTotal still counts it.
  assert.equal(r.endedTotal, 1);
});

test("issue 16: a cap of 0 bytes records nothing (--record-cap 0), and a negative cap is refused with a clear error", () => {
  const r = new Recording(0);
  r.sample(sampleFrame(100), 100);
  r.warnings([bottleneck(100, 60)], 100);
  assert.equal(r.warnings([], 100 + WARNING_GAP_MS), 0);
  assert.equal(r.keyframeDue(0, 1), false);
  assert.deepEqual([r.sampleCount, r.bytes, r.seek(100).result.processes], [0, 0, false]);
  assert.deepEqual(r.dropped, noneDropped(), "nothing counts as dropped: nothing was recorded");
  assert.throws(() => new Recording(-1), /a recording's cap must be 0 \(no recording\) or above, got -1/);
});


function hub(capBytes?: number): TelemetryHub {
  const scheduler = { post: () => {}, counters: newCounters(), stuck: () => ({ ms: 0, pid: 0, site: "" }) };
  const hello = { type: "hello" as const, version: PROTOCOL_VERSION, node: "test", schedulers: 1, reductions: 2000, program: "t.ts", startedAt: Date.now(), osPid: process.pid };
  return new TelemetryHub([scheduler], hello, [], 60_000, capBytes);
}

test("issue 16: a client that connects late gets hello, sites, the history with every sample so far and main's end, then live samples", () => {
  const h = hub();
  try {
    for (let i = 0; i < 5; i++) h.sample();
    h.mainExited(false);
    const late = new FakeConnection({ countsSent: true });
    h.connect(late, ["schedulers", "warnings"]);
    const first = late.messages();
    assert.deepEqual(first.map((m) => m.type), ["hello", "sites", "history", "sample-history", "warnings"]);
    const history = first[2] as unknown as History;
    assert.equal(history.samples, 5);
    assert.equal(history.mainExited?.crashed, false);
    assert.ok(typeof history.mainExited?.at === "number" && history.mainExited.at >= 0);
    const recorded = (first[3] as unknown as { samples: SchedulerSamplesFrame[] }).samples;
    assert.equal(recorded.length, 5);
    assert.deepEqual((first[4] as unknown as Warnings).ended, []);
    h.sample();
    h.sample();
    const live = late.messages().slice(5);
    assert.deepEqual(live.map((m) => m.type), ["schedulers", "schedulers"]);
    const all = [...recorded, ...(live as unknown as SchedulerSamplesFrame[])];
    for (let i = 1; i < all.length; i++) assert.ok(all[i]!.time > all[i - 1]!.time, `sample ${i} comes after sample ${i - 1}`);
  } finally {
    h.stop();
  }
});

test("issue 16: a history bigger than the 8 MiB mark, still unread, does not make its client behind: it gets the live samples after it", () => {
  const h = hub();
  try {
    // About 11 MB of samples.
    for (let i = 0; i < 25_000; i++) h.sample();
    const late = new FakeConnection({ countsSent: true });
    h.connect(late, ["schedulers"]);
    assert.ok(late.bufferedAmount > 8 * 1024 * 1024, `the history is ${late.bufferedAmount} bytes`);
    const before = late.sent.length;
    h.sample();
    assert.equal(late.sent.length, before + 1, "the live sample went out behind the unread history");
    assert.deepEqual(late.messages().slice(-1).map((m) => m.type), ["schedulers"]);
  } finally {
    h.stop();
  }
});

test("issue 16: a client not subscribed to schedulers gets the history message without samples", () => {
  const h = hub();
  try {
    h.sample();
    const c = new FakeConnection({ countsSent: true });
    h.connect(c, ["warnings"]);
    const messages = c.messages();
    assert.deepEqual(messages.map((m) => m.type), ["hello", "sites", "history", "warnings"]);
    assert.equal((messages[2] as unknown as History).samples, 0);
  } finally {
    h.stop();
  }
});

test("issue 16: the history tells what the cap dropped", () => {
  const h = hub(16 * 1024);
  try {
    for (let i = 0; i < 100; i++) h.sample();
    const c = new FakeConnection({ countsSent: true });
    h.connect(c, ["schedulers"]);
    const history = c.messages()[2] as unknown as History;
    assert.equal(history.capBytes, 16 * 1024);
    assert.ok(history.bytes <= 16 * 1024);
    assert.ok(history.dropped.samples > 0, "samples were dropped");
    assert.equal(history.dropped.samples + history.samples, 100, "every sample is either kept or counted as dropped");
    assert.ok(history.dropped.samplesUntil >= 0);
  } finally {
    h.stop();
  }
});

test("issue 16: a SampleHistory frame carries whole SchedulerSamples frames, and a decoder refuses any other frame inside", () => {
  const frames = [sampleFrame(100), sampleFrame(200)];
  const decoded = decodeFrame(encodeSampleHistory(frames));
  assert.equal(decoded.type, "sample-history");
  assert.deepEqual(decoded.type === "sample-history" ? decoded.samples.map((s) => s.time) : [], [100, 200]);
  assert.deepEqual(decodeFrame(encodeFrame({ type: "sample-history", samples: [decodeFrame(frames[0]!) as SchedulerSamplesFrame] })), { type: "sample-history", samples: [decodeFrame(frames[0]!)] });
  const events = encodeFrame({ type: "events", dropped: 0, events: [] });
  assert.throws(() => decodeFrame(encodeSampleHistory([events])), /recorded sample 0 is a events frame, not a SchedulerSamples frame/);
  const truncated = encodeSampleHistory(frames).slice(0, 30);
  assert.throws(() => decodeFrame(truncated), /truncated|cannot fit/);
});

test("issue 16: a warning listed for a while after its event (a slow slice) ends, in the recording, when its event happened", () => {
  const rules = new WarningRules(() => "", () => true);
  const r = new Recording();
  const judge = (now: number) => r.warnings(rules.judge(now), now, (w) => rules.heldUntil(w));
  rules.nonPreemptibleSlice(1, "<0.7.0>", "examples/preemption.ts:64", 500, 2000);
  judge(2050);
  judge(5000);
  // Listed for 10 s after the slice, then gone for WARNING_GAP_MS.
  judge(12_100);
  judge(12_100 + WARNING_GAP_MS);
  const [slice] = r.endedSince(0);
  assert.equal(slice?.kind, "non-preemptible");
  assert.deepEqual([slice!.since, slice!.until, slice!.peak], [2050, 2050, { value: 500, unit: "ms" }], "a moment at its first listing, not the 10 s it was listed");
});
