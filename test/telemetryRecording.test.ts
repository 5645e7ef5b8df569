// Issue 16, "late and post-run viewers see the whole run", against a real runtime: a client that
// connects after the bottleneck example's main ended gets the recorded history (every sample from
// the start, main's end, the past bottleneck warning with its span and peak), then the live
// samples, with no gap and no duplicate between the two (docs/protocol.md, section 5).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { noneDropped, type EndedWarning, type History, type MainExited, type Warnings } from "../protocol/control.js";
import type { SampleHistoryFrame, SchedulerSamplesFrame } from "../protocol/frames.js";
import { WARNING_GAP_MS } from "../runtime/telemetry/warnings/warningRules.js";
import { isSample, startRuntime, TestClient, type Received } from "./telemetryClient.js";

const isHistory = (m: Received): m is History => m.type === "history";
const isSampleHistory = (m: Received): m is SampleHistoryFrame => m.type === "sample-history";

/** A client's samples as it got them: the recorded ones, then the live ones. */
function samplesOf(client: TestClient): SchedulerSamplesFrame[] {
  return client.received.flatMap((m) => (isSampleHistory(m) ? m.samples : isSample(m) ? [m] : []));
}

test("issue 16: a client that connects after main ended gets the whole run, then live samples with no gap and no duplicate", { timeout: 300_000 }, async () => {
  // The first viewer starts main, and sees every sample from its connect on.
  const runtime = await startRuntime("examples/bottleneck.ts", ["--wait-for-viewer"]);
  const early = await TestClient.connect(runtime, "&channels=schedulers,warnings");
  try {
    const exited = (await early.waitFor((m): m is MainExited => m.type === "main-exited", "main to end")) as MainExited;
    assert.ok(exited.at > 0, "main-exited says when");
    // A warning has ended once it has been gone for WARNING_GAP_MS: wait until any has.
    await early.waitFor((m) => isSample(m) && m.time > exited.at + WARNING_GAP_MS + 100, "samples a while after main ended");

    const late = await TestClient.connect(runtime, "&channels=schedulers,warnings");
    const history = await late.waitFor(isHistory, "the history");
    const recorded = await late.waitFor(isSampleHistory, "the recorded samples");
    const types = late.received.map((m) => m.type);
    assert.deepEqual(types.slice(0, 4), ["hello", "sites", "history", "sample-history"], "the history comes first");
    assert.equal(recorded.samples.length, history.samples);
    assert.deepEqual(history.mainExited, { at: exited.at, crashed: false });
    assert.deepEqual(history.dropped, noneDropped());

    // The recording starts at the run's start: it holds the samples the first viewer got, from its first.
    const earlySamples = samplesOf(early);
    assert.equal(recorded.samples[0]!.time, earlySamples[0]!.time);
    const hello = late.hello!;
    const first = recorded.samples[0]!;
    assert.ok(hello.mainStartedAt !== undefined && first.time - first.intervalMs <= hello.mainStartedAt, "the first sample covers the time from before main started");
    assert.ok(recorded.samples.at(-1)!.time > exited.at, "and samples after main ended");

    // Then three live samples: no gap (each sample covers the time since the one before) and no duplicate.
    await late.waitFor(() => samplesOf(late).length >= recorded.samples.length + 3, "three live samples after the history");
    const all = samplesOf(late);
    for (let i = 1; i < all.length; i++) {
      const gap = all[i]!.time - all[i - 1]!.time;
      assert.ok(gap > 0, `sample ${i} at ${all[i]!.time} comes after sample ${i - 1} at ${all[i - 1]!.time}`);
      assert.ok(Math.abs(gap - all[i]!.intervalMs) < 1, `sample ${i} covers ${all[i]!.intervalMs} ms, the time since the sample before (${gap} ms): none is missing between them`);
    }
    // And they are the samples the first viewer got, one for one.
    const common = Math.min(all.length, earlySamples.length);
    assert.deepEqual(all.slice(0, common).map((s) => s.time), earlySamples.slice(0, common).map((s) => s.time));

    // The past bottleneck: its span and peak, in the first warnings message.
    const warnings = await late.waitFor((m): m is Warnings => m.type === "warnings", "the warnings");
    assert.deepEqual(warnings.warnings, [], "nothing holds after the run");
    const past: EndedWarning | undefined = warnings.ended.find((w) => w.kind === "bottleneck");
    assert.ok(past !== undefined, `a past bottleneck warning among ${JSON.stringify(warnings.ended.map((w) => w.kind))}`);
    assert.match(past.site ?? "", /^examples\/bottleneck\.ts:\d+$/);
    assert.ok(past.since < past.until && past.until <= exited.at + 1000, `its span ${past.since}–${past.until} ms is within the run`);
    assert.equal(past.peak?.unit, "queued");
    assert.ok(past.peak!.value >= 100, `its peak is the longest mailbox it had: ${past.peak!.value}`);
    // The first viewer was told of its end live, with the same span.
    const liveEnded = early.received.filter((m): m is Warnings => m.type === "warnings").flatMap((m) => m.ended);
    assert.ok(liveEnded.some((w) => w.kind === "bottleneck" && w.since === past.since && w.until === past.until), "the live viewer got the same ended warning");
    late.close();
  } finally {
    early.close();
    await runtime.stop();
  }
});

test("issue 16: --record-cap bounds the recording, and the history says what it dropped", { timeout: 300_000 }, async () => {
  const runtime = await startRuntime("examples/bottleneck.ts", ["--record-cap", "16KiB"]);
  const watcher = await TestClient.connect(runtime, "&channels=schedulers");
  try {
    // 16 KiB holds about 35 samples: wait for more than that.
    await watcher.waitFor(() => samplesOf(watcher).length >= 60, "60 samples");
    const late = await TestClient.connect(runtime, "&channels=schedulers");
    const history = await late.waitFor(isHistory, "the history");
    const recorded = await late.waitFor(isSampleHistory, "the recorded samples");
    assert.equal(history.capBytes, 16 * 1024);
    assert.ok(history.bytes <= history.capBytes);
    assert.ok(history.dropped.samples > 0 && history.dropped.bytes > 0, `it dropped samples: ${JSON.stringify(history.dropped)}`);
    assert.ok(recorded.samples[0]!.time > history.dropped.samplesUntil, "the recording starts after what it dropped");
    late.close();
  } finally {
    watcher.close();
    await runtime.stop();
  }
});

test("issue 16: a bad --record-cap is a usage error that says what it takes", () => {
  const cli = path.resolve("dist/runtime/cli.js");
  for (const [args, message] of [
    [["--telemetry", "--record-cap", "lots"], /--record-cap needs a size in bytes, like 65536, 512KiB or 64MiB; got lots/],
    [["--telemetry", "--record-cap", "1KiB"], /--record-cap must be 0 \(no recording\) or from 16KiB to 64GiB, got 1KiB/],
    [["--record", "x.beamrec", "--record-cap", "0"], /--record FILE writes the recording, and --record-cap 0 turns it off: give one of them/],
    [["--record-cap", "64MiB"], /--sample-interval and --record-cap need --telemetry or --record/],
  ] as const) {
    const run = spawnSync(process.execPath, [cli, "run", "examples/bottleneck.ts", ...args], { encoding: "utf8" });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, message);
  }
});
