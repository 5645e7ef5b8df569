// Issue 16 in the visualizer's model, without a browser: the charts' series keep the whole run in
// bounded memory, and the recorded history a viewer gets on connect (and again on a reconnect)
// adds no sample and no past warning twice (docs/protocol.md, section 5).

import assert from "node:assert/strict";
import { test } from "node:test";
import { noneDropped, type EndedWarning, type Hello } from "../../protocol/control.js";
import type { SchedulerSamplesFrame } from "../../protocol/frames.js";
import { Series, SERIES_POINTS } from "../../webview/history.js";
import { Model } from "../../webview/model.js";

test("issue 16: a series keeps the whole run in at most SERIES_POINTS points, each the mean of the samples it stands for", () => {
  const s = new Series();
  const samples = SERIES_POINTS * 5 + 3;
  for (let i = 1; i <= samples; i++) s.push(i * 100, i % 2 === 0 ? 1 : 0);
  assert.ok(s.points <= SERIES_POINTS, `${s.points} points`);
  assert.ok(s.time(0) <= 800, `the first point is from the start of the run: ${s.time(0)} ms`);
  assert.equal(s.time(s.points - 1), samples * 100, "the last point is the latest sample");
  assert.equal(s.value(0), 0.5, "a merged point is the mean of its samples");
  assert.equal(s.last(), samples % 2 === 0 ? 1 : 0, "the latest value is the latest sample's");
  for (let i = 1; i < s.points; i++) assert.ok(s.time(i) > s.time(i - 1), `point ${i} comes after point ${i - 1}`);
});

const hello: Hello = { type: "hello", version: 6, node: "test", schedulers: 1, reductions: 2000, program: "t.ts", startedAt: 1, osPid: 2, mainStartedAt: 50, sampleIntervalMs: 100, channels: [] };

function sample(time: number): SchedulerSamplesFrame {
  const s = { scheduler: 1, utilization: 0.5, runQueue: 0, reductions: 0, slices: 0, sends: 10, receives: 0, spawns: 0, exits: 0, crashes: 0, restarts: 0, nonPreemptible: 0, heapUsed: 0, stuckMs: 0, stuckPid: 0, processes: 1, placedElsewhere: 0, crossOut: 0, crossIn: 0 };
  return { type: "schedulers", time, intervalMs: 100, schedulers: [s], summary: { processes: 1, runnable: 0, waiting: 0, queued: 0, crashes: 0, restarts: 0, mailboxHistogram: [] } };
}

const ended: EndedWarning = { kind: "bottleneck", pid: "<0.5.0>", site: "b.ts:84", message: "m", advice: "a", since: 400, until: 2900, peak: { value: 1000, unit: "queued" } };

test("issue 16: the model takes the recorded history, and a reconnect's history adds no sample and no past warning twice", () => {
  const m = new Model();
  const connect = (recorded: number[]) => {
    m.control(hello);
    m.control({ type: "history", capBytes: 1 << 26, bytes: 0, samples: recorded.length, dropped: noneDropped(), mainExited: { at: 3000, crashed: false }, processesFrom: -1, eventCount: 0 });
    m.frame({ type: "sample-history", samples: recorded.map(sample) }, 0);
    m.control({ type: "warnings", seq: 0, time: 3100, warnings: [], ended: [ended] });
  };
  connect([100, 200, 300]);
  m.frame(sample(400), 0);
  assert.deepEqual(m.mainExited, { at: 3000, crashed: false });
  assert.deepEqual(m.pastWarnings, [ended]);
  assert.equal(m.messagesPerSecond.points, 4);
  // The same run again (a reconnect): its history holds what this viewer has, and one sample more.
  connect([100, 200, 300, 400, 500]);
  assert.equal(m.messagesPerSecond.points, 5, "samples 100 to 400 are not added again");
  assert.deepEqual(m.pastWarnings, [ended], "the past warning is not listed twice");
  const domain = m.chartDomain();
  assert.deepEqual(domain, { origin: 50, to: 500, marks: [{ time: 3000, label: "main ended" }] });
});
