// Issue 16, "save and reopen": the recording file that `beamline run --record FILE` writes and
// `beamline replay FILE` reads (docs/protocol.md, section 13). What is written reads back the same;
// a file that is not a recording, of a newer version, cut off or damaged is refused with a message
// that says what and at which byte offset; the cap applies to the file as to the recording.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { noneDropped, type EndedWarning, type FaultMessage, type SupervisionTree, type Warning } from "../protocol/control.js";
import { decodeFrame, encodeFrame, PROTOCOL_VERSION, type SchedulerSamplesFrame } from "../protocol/frames.js";
import { decodeRecording, encodeRecordingItem, encodeRecordingStart, RECORDING_VERSION, RecordingError, type RecordingHeader, type RecordingItem } from "../protocol/recordingFile.js";
import { Recording } from "../runtime/telemetry/recording.js";
import { RecordingFile } from "../runtime/telemetry/recordingFile.js";

const dir = mkdtempSync(path.join(tmpdir(), "beamline-recording-file-"));

function sampleFrame(time: number): ArrayBuffer {
  return encodeFrame({
    type: "schedulers",
    time,
    intervalMs: 100,
    schedulers: [],
    summary: { processes: time, runnable: 0, waiting: 0, queued: 0, crashes: 0, restarts: 0, mailboxHistogram: [] },
  });
}

const header: RecordingHeader = {
  program: "examples/bottleneck.ts",
  startedAt: 1_796_000_000_000,
  schedulers: 2,
  reductions: 2000,
  node: "nonode@nohost",
  sampleIntervalMs: 100,
  capBytes: 1024 * 1024,
  dropped: noneDropped(),
  sites: [{ id: 1, kind: "spawn", file: "examples/bottleneck.ts", line: 84, column: 3, name: "spawn" }],
};
const current: Warning = { kind: "bottleneck", pid: "<0.8.0>", site: "examples/bottleneck.ts:84", message: "438 queued", advice: "a pool", since: 900, peak: { value: 438, unit: "queued" } };
const ended: EndedWarning = { ...current, message: "964 queued", peak: { value: 964, unit: "queued" }, until: 2100 };
const crash: FaultMessage = { type: "crash", time: 1500, pid: "<0.9.0>", fn: "worker", reason: "boom", stack: "", site: 1, at: null, linkedDown: [], linkedDownCount: 0, supervisor: "", crashes: 1 } as unknown as FaultMessage;

const items: RecordingItem[] = [
  { kind: "main-started", message: { type: "main-started", at: 95 } },
  { kind: "sample", frame: sampleFrame(100) },
  { kind: "warnings", time: 900, warnings: [current] },
  { kind: "sample", frame: sampleFrame(200) },
  { kind: "fault", message: crash },
  { kind: "ended-warning", warning: ended },
  { kind: "main-exited", message: { type: "main-exited", crashed: false, at: 2500 } },
];

function file(...parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}

const whole = () => file(encodeRecordingStart(header), ...items.map(encodeRecordingItem), encodeRecordingItem({ kind: "end", at: 2600, items: items.length }));

test("issue 16: a recording file reads back the header and every item in order, and its trailer", () => {
  const decoded = decodeRecording(whole());
  assert.deepEqual(decoded.header, header);
  assert.deepEqual(decoded.end, { kind: "end", at: 2600, items: items.length });
  assert.deepEqual(
    decoded.items.map((i) => i.kind),
    items.map((i) => i.kind),
  );
  const samples = decoded.items.filter((i) => i.kind === "sample");
  assert.deepEqual(samples.map((s) => s.time), [100, 200]);
  assert.deepEqual(new Uint8Array(samples[1]!.frame), new Uint8Array(sampleFrame(200)), "a sample is the wire frame, byte for byte");
  assert.deepEqual(decoded.items[2], items[2]);
  assert.deepEqual(decoded.items[4], items[4]);
  assert.deepEqual(decoded.items[5], items[5]);
  assert.deepEqual(decoded.items[6], items[6]);
});

test("issue 16: format version 2 keeps the process table, site aggregates and events as timed frames, byte for byte", () => {
  const page = encodeFrame({ type: "process-page", snapshot: 3, page: 0, pages: 1, total: 0, processes: [] });
  const delta = encodeFrame({ type: "process-delta", seq: 4, scheduler: 1, unlisted: 0, changed: [], updated: [], removed: [7] });
  const sites = encodeFrame({ type: "site-aggregates", aggregates: [{ site: 1, live: 2, queued: 3, reductions: 4, waiting: 0, crashes: 1, restarts: 0 }] });
  const events = encodeFrame({ type: "events", dropped: 0, events: [{ time: 120.5, kind: "send", pid: 0, other: 5, text: "hi" }] });
  const timed: RecordingItem[] = [
    { kind: "keyframe-page", time: 100.25, frame: page },
    { kind: "delta", time: 200, frame: delta },
    { kind: "aggregates", time: 200, frame: sites },
    { kind: "events", time: 210, frame: events },
  ];
  const decoded = decodeRecording(file(encodeRecordingStart(header), ...timed.map(encodeRecordingItem)));
  assert.deepEqual(decoded.items, timed);
  // A delta item that holds a page is damaged, and said so.
  const wrong = encodeRecordingItem({ kind: "delta", time: 5, frame: page });
  const at = encodeRecordingStart(header).length;
  assert.equal(refusal(file(encodeRecordingStart(header), wrong), at), `item 1 (a process delta) at byte offset ${at} should be a process-delta frame, but is a process-page frame`);
});

test("issue 16: a version 1 file still reads, with nothing dropped of what it did not record; the kinds of version 2 are unknown in it", () => {
  const v1 = (...parts: Uint8Array[]) => {
    const bytes = file(...parts);
    new DataView(bytes.buffer).setUint16(8, 1, true);
    return bytes;
  };
  const start = encodeRecordingStart({ ...header, dropped: { samples: 2, warnings: 1, bytes: 900, samplesUntil: 50 } as RecordingHeader["dropped"] });
  const decoded = decodeRecording(v1(start, ...items.map(encodeRecordingItem)));
  assert.equal(decoded.items.length, items.length);
  assert.deepEqual(decoded.header.dropped, { ...noneDropped(), samples: 2, warnings: 1, bytes: 900, samplesUntil: 50 });
  const page = encodeFrame({ type: "process-page", snapshot: 3, page: 0, pages: 1, total: 0, processes: [] });
  assert.equal(refusal(v1(start, encodeRecordingItem({ kind: "keyframe-page", time: 1, frame: page })), start.length), `item 1 at byte offset ${start.length} has unknown kind 8`);
});

test("format version 3 keeps the supervision tree as it changed; in a version 2 file that kind is unknown, and a tree without its lists is refused", () => {
  const tree: SupervisionTree = {
    supervisors: [{ pid: 3, name: "app", fn: "sup", strategy: "one_for_one", intensity: 3, period: 5000, parent: 0, restarts: 1, spawnSite: 1, childCount: 1, children: [{ id: "worker", pid: 9, type: "worker", restart: "permanent", restarts: 1, lastRestartMs: 900, lastReason: "killed", status: "waiting" }] }],
    omittedSupervisors: 0,
    looseLinks: [{ pid: 1, fn: "main", name: "", links: [3] }],
    truncated: 0,
  };
  const item: RecordingItem = { kind: "supervision", time: 1000.5, tree };
  const start = encodeRecordingStart(header);
  assert.deepEqual(decodeRecording(file(start, encodeRecordingItem(item))).items, [item]);
  const v2 = file(start, encodeRecordingItem(item));
  new DataView(v2.buffer).setUint16(8, 2, true);
  assert.equal(refusal(v2, start.length), `item 1 at byte offset ${start.length} has unknown kind 12`);
  const damaged = encodeRecordingItem({ kind: "supervision", time: 5, tree: { supervisors: [] } as unknown as SupervisionTree });
  assert.equal(refusal(file(start, damaged), start.length), `item 1 (a supervision tree) at byte offset ${start.length}: needs time and a tree with supervisors, omittedSupervisors, looseLinks and truncated`);
});

test("issue 16: a recording without its trailer (the run was killed) reads up to its last whole item", () => {
  const decoded = decodeRecording(file(encodeRecordingStart(header), ...items.map(encodeRecordingItem)));
  assert.equal(decoded.end, undefined);
  assert.equal(decoded.items.length, items.length);
});

/** The message decodeRecording refuses `data` with, which must be a RecordingError at `offset`. */
function refusal(data: Uint8Array, offset: number): string {
  try {
    decodeRecording(data);
  } catch (error) {
    assert.ok(error instanceof RecordingError, `a RecordingError, not ${String(error)}`);
    assert.equal(error.offset, offset);
    return error.message;
  }
  assert.fail("the file was read");
}

test("issue 16: a file that is not a recording is refused at byte offset 0", () => {
  assert.equal(refusal(new TextEncoder().encode('import { spawn } from "beamline";\n'), 0), 'not a Beamline recording: it does not start with "BEAMLREC" (byte offset 0)');
  assert.equal(refusal(new Uint8Array(0), 0), 'not a Beamline recording: it does not start with "BEAMLREC" (byte offset 0)');
});

test("issue 16: a recording of a newer format version, or of another protocol version, is refused and says which", () => {
  const newer = whole();
  new DataView(newer.buffer).setUint16(8, RECORDING_VERSION + 1, true);
  assert.equal(refusal(newer, 8), `the recording is of format version ${RECORDING_VERSION + 1} (byte offset 8), newer than this beamline reads (${RECORDING_VERSION}); replay it with a newer beamline`);
  const protocol = whole();
  protocol[10] = PROTOCOL_VERSION + 1;
  assert.equal(refusal(protocol, 10), `the recording's frames are of telemetry protocol version ${PROTOCOL_VERSION + 1} (byte offset 10); this beamline reads version ${PROTOCOL_VERSION}; replay it with a newer beamline`);
});

test("issue 16: a recording cut off in its header or in an item is refused with the item and its byte offset", () => {
  const start = encodeRecordingStart(header);
  assert.equal(refusal(whole().slice(0, 9), 8), "the recording is cut off: the format and protocol versions at byte offset 8 needs 3 bytes, but the file ends at byte 9");
  assert.equal(refusal(start.slice(0, 40), 11), `the recording is cut off: the header at byte offset 11 needs ${start.length - 11} bytes, but the file ends at byte 40`);
  const first = encodeRecordingItem(items[0]!);
  const second = encodeRecordingItem(items[1]!);
  const cut = file(start, first, second.slice(0, 20));
  assert.equal(refusal(cut, start.length + first.length), `the recording is cut off: item 2 (a sample) at byte offset ${start.length + first.length} needs ${second.length} bytes, but the file ends at byte ${cut.length}`);
  const head = file(start, first, second.slice(0, 3));
  assert.equal(refusal(head, start.length + first.length), `the recording is cut off: item 2 at byte offset ${start.length + first.length} needs 5 bytes, but the file ends at byte ${head.length}`);
});

test("issue 16: a damaged item, an unknown kind, bytes after the trailer and a wrong trailer count are refused where they are", () => {
  const start = encodeRecordingStart(header);
  const sample = encodeRecordingItem(items[1]!);
  sample[5] = 0x42;
  assert.match(refusal(file(start, sample), start.length), new RegExp(`^item 1 \\(a sample\\) at byte offset ${start.length}: not a Beamline frame: first byte is 0x42, expected 0xbe`));
  const unknown = encodeRecordingItem(items[0]!);
  unknown[0] = 99;
  assert.equal(refusal(file(start, unknown), start.length), `item 1 at byte offset ${start.length} has unknown kind 99`);
  const badJson = encodeRecordingItem(items[0]!);
  badJson[5] = "x".charCodeAt(0);
  assert.match(refusal(file(start, badJson), start.length), new RegExp(`^item 1 \\(main's start\\) at byte offset ${start.length} is not UTF-8 JSON`));
  const end = encodeRecordingItem({ kind: "end", at: 1, items: 0 });
  assert.equal(refusal(file(start, end, encodeRecordingItem(items[0]!)), start.length + end.length), `${encodeRecordingItem(items[0]!).length} bytes follow the trailer at byte offset ${start.length + end.length}; a recording ends with its trailer`);
  const wrong = encodeRecordingItem({ kind: "end", at: 1, items: 5 });
  assert.equal(refusal(file(start, wrong), start.length), `the trailer at byte offset ${start.length} counts 5 items, but 0 come before it`);
  const noSites = encodeRecordingStart({ ...header, sites: undefined as never });
  assert.match(refusal(noSites, 11), /^the header at byte offset 11 lacks a field or has one of the wrong type/);
});

test("issue 16: past its cap the file is written anew from the recording, and its header counts what was dropped", () => {
  const frameBytes = sampleFrame(0).byteLength;
  const cap = 16 * 1024;
  const recording = new Recording(cap);
  const target = path.join(dir, "capped.beamrec");
  const recorded = new RecordingFile(target, { ...header, capBytes: cap }, () => ({
    dropped: { ...recording.dropped },
    items: recording.sampleEntries().map((s) => ({ kind: "sample" as const, frame: s.frame })),
  }));
  const n = Math.ceil((3 * cap) / frameBytes);
  let largest = 0;
  for (let t = 1; t <= n; t++) {
    recording.sample(sampleFrame(t * 100), t * 100);
    recorded.append({ kind: "sample", frame: sampleFrame(t * 100) });
    largest = Math.max(largest, statSync(target).size);
  }
  // Before it is closed (as a killed run leaves it), the file reads, and counts what it lacks.
  const open = decodeRecording(readFileSync(target));
  assert.equal(open.end, undefined);
  const openTimes = open.items.map((i) => (i.kind === "sample" ? i.time : -1));
  assert.equal(openTimes.at(-1), n * 100, "the newest sample is in the file");
  assert.equal(open.header.dropped.samples + open.items.length, n, "every sample is in the file or counted as dropped");
  assert.equal(open.header.dropped.samplesUntil, openTimes[0]! - 100, "and the file starts right after the newest dropped one");

  recorded.close(n * 100 + 50);
  const closed = decodeRecording(readFileSync(target));
  assert.deepEqual(closed.header.dropped, recording.dropped, "once closed, the file holds what the recording holds and says what it dropped");
  assert.ok(recording.dropped.samples > 0);
  assert.deepEqual(
    closed.items.map((i) => (i.kind === "sample" ? i.time : -1)),
    recording.sampleFrames().map((f) => (decodeFrame(f) as SchedulerSamplesFrame).time),
  );
  assert.ok(largest <= cap + frameBytes + 5, `the file never grew past the cap by more than one item: ${largest} bytes, cap ${cap}`);
  assert.deepEqual(closed.end, { kind: "end", at: n * 100 + 50, items: closed.items.length });
});

test("issue 16: when the run ends, the warnings that still held (or had not been gone a second) end with it, with their spans", () => {
  const recording = new Recording();
  const other: Warning = { ...current, pid: "<0.9.0>", since: 1000 };
  recording.warnings([current, other], 1000);
  recording.warnings([current], 2000);
  assert.equal(recording.endedTotal, 0, "the second is gone for less than a second: not ended yet");
  assert.equal(recording.endAll(2300), 2);
  assert.deepEqual(
    recording.endedSince(0).map((w) => [w.pid, w.since, w.until]),
    [
      ["<0.8.0>", 900, 2300],
      ["<0.9.0>", 1000, 2000],
    ],
  );
  assert.equal(recording.endAll(2400), 0, "nothing holds any more");
});
