// Issue 16's timeline in the model, without a browser: the charts' shared window zooms, pans and
// follows the live edge (webview/timeCursor.ts), and a moment of the past reads the sample at or
// before it, the crashes up to it and the warnings that held then (webview/moment.ts).

import assert from "node:assert/strict";
import { test } from "node:test";
import type { EndedWarning, Hello, Warning } from "../../protocol/control.js";
import type { SchedulerSamplesFrame } from "../../protocol/frames.js";
import { Model } from "../../webview/model.js";
import { samplesAt, stepSample, warningsAt } from "../../webview/moment.js";
import { MIN_ZOOM_MS, TimeCursor } from "../../webview/timeCursor.js";

const domain = { origin: 0, to: 10_000, marks: [] };

test("issue 16: the charts' window zooms around a moment, pans within the run, follows the live edge and fits the whole run again", () => {
  const c = new TimeCursor();
  assert.deepEqual(c.window(domain, 1000), { from: 0, to: 10_000 }, "the whole run");
  assert.deepEqual(c.window({ origin: 0, to: 300, marks: [] }, 1000), { from: 0, to: 1000 }, "a short run fills the narrowest span");
  c.zoom(domain, 1000, 0.5, 2000);
  const zoomed = c.window(domain, 1000);
  assert.equal(zoomed.to - zoomed.from, 5000);
  assert.equal(zoomed.from + 0.2 * 5000, 2000, "the moment under the pointer stays where it was on screen (a fifth in)");
  c.pan(domain, 1000, -10_000);
  assert.deepEqual(c.window(domain, 1000), { from: 0, to: 5000 }, "a pan stops at the run's start");
  c.pan(domain, 1000, 100_000);
  assert.deepEqual(c.window(domain, 1000), { from: 5000, to: 10_000 }, "and at its latest sample");
  // At the right edge the window follows the samples to come.
  assert.deepEqual(c.window({ ...domain, to: 12_000 }, 1000), { from: 7000, to: 12_000 });
  for (let i = 0; i < 40; i++) c.zoom(domain, 1000, 0.5);
  const narrow = c.window(domain, 1000);
  assert.equal(narrow.to - narrow.from, MIN_ZOOM_MS, "zoom stops at the narrowest span");
  // A moment outside the zoomed span (playing on) brings the span to it, a tenth in from its edge.
  c.fit();
  c.zoom(domain, 1000, 0.2, 0);
  assert.deepEqual(c.window(domain, 1000), { from: 0, to: 2000 });
  c.reveal(domain, 1000, 2500);
  assert.deepEqual(c.window(domain, 1000), { from: 700, to: 2700 });
  c.reveal(domain, 1000, 1000);
  assert.deepEqual(c.window(domain, 1000), { from: 700, to: 2700 }, "a moment inside the span moves nothing");
  c.fit();
  assert.deepEqual(c.window(domain, 1000), { from: 0, to: 10_000 });
  assert.equal(c.zoomed, false);
});

const hello: Hello = { type: "hello", version: 6, node: "test", schedulers: 1, reductions: 2000, program: "t.ts", startedAt: 1, osPid: 2, mainStartedAt: 0, sampleIntervalMs: 100, channels: [] };

function sample(time: number, queued: number): SchedulerSamplesFrame {
  const s = { scheduler: 1, utilization: queued / 1000, runQueue: 0, reductions: 0, slices: 0, sends: 10, receives: 0, spawns: 0, exits: 0, crashes: 0, restarts: 0, nonPreemptible: 0, heapUsed: 0, stuckMs: 0, stuckPid: 0, processes: 1, placedElsewhere: 0, crossOut: 0, crossIn: 0 };
  return { type: "schedulers", time, intervalMs: 100, schedulers: [s], summary: { processes: 1001, runnable: 0, waiting: 1000, queued, crashes: 0, restarts: 0, mailboxHistogram: [] } };
}

test("issue 16: a moment of the past reads the sample at or before it, steps from sample to sample, and lists the warnings that held then", () => {
  const m = new Model();
  m.control(hello);
  for (let i = 1; i <= 10; i++) m.frame(sample(i * 100, i * 100), 0);
  assert.equal(samplesAt(m, null)!.queued, 1000, "live: the latest sample");
  const past = samplesAt(m, 450)!;
  assert.equal(past.time, 400);
  assert.equal(past.queued, 400);
  assert.equal(past.schedulers[0]!.utilization, 0.4);
  assert.equal(samplesAt(m, 50), null, "before the first sample: none");
  assert.equal(stepSample(m, 450, -1), 400, "between samples a step back goes to the one before");
  assert.equal(stepSample(m, 400, -1), 300);
  assert.equal(stepSample(m, 400, 1), 500);
  assert.equal(stepSample(m, 1000, 1), 1000, "the latest sample is the last step");
  // Crashes up to a moment: the samples' counts per interval, added up.
  for (const t of [1100, 1200, 1300]) {
    const f = sample(t, 0);
    f.summary.crashes = 2;
    m.frame(f, 0);
  }
  assert.equal(samplesAt(m, 1250)!.crashes, 4, "two intervals of two crashes each by then");

  const now: Warning = { kind: "mailbox-growing", pid: "<0.9.0>", message: "m", advice: "a", since: 700 };
  const ended: EndedWarning = { kind: "bottleneck", pid: "<0.5.0>", site: "b.ts:84", message: "m", advice: "a", since: 200, until: 600, peak: { value: 500, unit: "queued" } };
  m.control({ type: "warnings", seq: 0, time: 1000, warnings: [now], ended: [ended] });
  assert.deepEqual(warningsAt(m, null), [now]);
  assert.deepEqual(warningsAt(m, 450), [ended], "the ended one held then, the current one had not started");
  assert.deepEqual(warningsAt(m, 800), [now]);
  assert.deepEqual(warningsAt(m, 100), []);
});
