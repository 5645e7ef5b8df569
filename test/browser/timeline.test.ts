/// <reference lib="dom" />
// Issue 16's timeline in Chromium against a real runtime (docs/architecture.md, "The visualizer"):
// the charts zoom, pan and read out values under the pointer, a click picks a moment and every
// chart marks it; the timeline bar pauses, steps, plays and returns to live with the keyboard
// alone; scrubbing back into the bottleneck shows that moment's mailbox in the overview, the
// process table and the inspector, from the recording (`seek`), live and on a `beamline replay`.
// Screenshots: timeline-zoomed, timeline-hover, timeline-keyboard, timeline-narrow(-past),
// timeline-past-overview, timeline-past-processes, timeline-past-inspector, timeline-replay-past.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import type { MainExited } from "../../protocol/control.js";
import { decodeFrame, type SchedulerSamplesFrame } from "../../protocol/frames.js";
import { decodeRecording } from "../../protocol/recordingFile.js";
import { beamline } from "../cliRun.js";
import { isSample, startReplay, startRuntime, TestClient, type RunningRuntime } from "../telemetryClient.js";
import { close, launch, openVisualizer, parseCount, screenshot, showTab, waitUntil } from "./browser.js";

let context: BrowserContext;
before(async () => {
  context = await launch();
});
after(async () => {
  await close(context);
});

/** A chart's description (LineChart.describe): its window and the moment it marks, in ms from main's start. */
async function chart(page: Page, testId: string): Promise<{ span: number; from: number; at: string }> {
  return page.evaluate((id) => {
    const d = document.querySelector<HTMLElement>(`[data-testid="${id}"]`)!.dataset;
    return { span: Number(d.span), from: Number(d.from), at: d.at ?? "" };
  }, testId);
}

const label = (page: Page) => page.textContent('[data-testid="timeline-label"]').then((t) => t ?? "");

test("issue 16: the charts zoom, pan and read out the values under the pointer; a click picks that moment and every chart marks it", { timeout: 300_000 }, async () => {
  const runtime = await startRuntime("examples/bottleneck.ts");
  const client = await TestClient.connect(runtime, "&channels=schedulers");
  try {
    const exited = (await client.waitFor((m): m is MainExited => m.type === "main-exited", "main to end")) as MainExited;
    await client.waitFor((m) => isSample(m) && m.time > exited.at + 500, "samples after main ended");
    const { page, errors } = await openVisualizer(context, runtime);
    const whole = await waitUntil(() => chart(page, "utilization-chart"), (c) => c.span > 1000, "the whole run on the chart");
    assert.equal(whole.from, 0, "the whole run starts at main's start");

    // Wheel over the middle: narrower, around the pointer.
    const box = (await page.locator('[data-testid="utilization-chart"]').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    // A plain wheel scrolls the page (the narrow side panel needs it) and leaves the chart as it was.
    await page.mouse.wheel(0, -300);
    await page.mouse.wheel(0, 300);
    assert.equal((await chart(page, "utilization-chart")).from, 0, "a plain wheel does not zoom");
    await page.keyboard.down("Control");
    await page.mouse.wheel(0, -300);
    await page.keyboard.up("Control");
    const zoomed = await waitUntil(() => chart(page, "utilization-chart"), (c) => c.span < whole.span, "a narrower span after the wheel");
    assert.ok(zoomed.from > 0, `the zoomed window starts after main's start: ${zoomed.from} ms`);
    // Every chart shows the same window.
    assert.deepEqual((await chart(page, "messages-chart")).span, zoomed.span);

    // The read-out under the pointer: the time and each scheduler's utilization.
    await page.mouse.move(box.x + box.width / 3, box.y + box.height / 2);
    const readout = await waitUntil(() => page.textContent('[data-testid="utilization-chart"] .chart-readout').then((t) => t ?? ""), (t) => /\d s · S1 \d+%/.test(t), "the hover read-out");
    assert.match(readout, /^[\d.]+ s · S1 \d+%/);
    await screenshot(page, "timeline-hover");

    // A drag to the right shows earlier times.
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2, { steps: 6 });
    await page.mouse.up();
    const panned = await chart(page, "utilization-chart");
    assert.ok(panned.from < zoomed.from, `dragged right, the window starts earlier: ${panned.from} < ${zoomed.from} ms`);
    assert.equal(panned.span, zoomed.span, "a pan keeps the span");

    // A click picks the moment: the timeline shows the past, every chart marks it.
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const text = await waitUntil(() => label(page), (t) => t.startsWith("Viewing the past at t = "), "the timeline label");
    const at = (await chart(page, "utilization-chart")).at;
    assert.notEqual(at, "", "the utilization chart marks the moment");
    assert.equal((await chart(page, "messages-chart")).at, at, "the messages chart marks the same moment");
    assert.match(text, /\(\d\d:\d\d:\d\d\.\d{3}\)/, "the program's wall clock at that moment");
    await screenshot(page, "timeline-zoomed");
    await showTab(page, "schedulers");
    await waitUntil(() => page.evaluate(() => document.querySelector<HTMLElement>('[data-testid="scheduler-row"] .chart')!.dataset.at ?? ""), (a) => a === at, "the schedulers' charts mark the moment");

    // The zoom buttons: whole run again.
    await page.click('[data-testid="zoom-fit"]');
    await showTab(page, "overview");
    await waitUntil(() => chart(page, "utilization-chart"), (c) => c.span === whole.span || c.span >= whole.span, "the whole run again");
    assert.deepEqual(errors, []);
  } finally {
    client.close();
    await runtime.stop();
  }
});

test("issue 16: the timeline bar works without a mouse: pause, step back and forward, play, and back to live", { timeout: 300_000 }, async () => {
  const runtime = await startRuntime("examples/bottleneck.ts");
  const client = await TestClient.connect(runtime, "&channels=schedulers");
  try {
    await client.waitFor(() => client.received.filter(isSample).length >= 20, "20 samples");
    const { page, errors } = await openVisualizer(context, runtime);
    await waitUntil(() => label(page), (t) => t.startsWith("Live · "), "the live label");
    // Tab to the slider as a keyboard user would: it is the bar's first control after the pause button.
    await page.focus('[data-testid="timeline-live"]');
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "timeline-speed-0.25");
    await page.focus('[data-testid="timeline-slider"]');
    // Each key waits for its step: the moment marked on the chart (ms from main's start) moves by one sample.
    const moment = () => chart(page, "utilization-chart").then((c) => (c.at === "" ? Infinity : Number(c.at)));
    await page.keyboard.press("ArrowLeft");
    await waitUntil(() => label(page), (t) => t.startsWith("Viewing the past at t = "), "paused a sample back");
    const t1 = await waitUntil(moment, (t) => t < Infinity, "the moment marked");
    await page.keyboard.press("ArrowLeft");
    const t2 = await waitUntil(moment, (t) => t < t1, "a sample further back");
    await page.keyboard.press("ArrowLeft");
    const t3 = await waitUntil(moment, (t) => t < t2, "two samples further back");
    await page.keyboard.press("ArrowRight");
    assert.equal(await waitUntil(moment, (t) => t > t3, "a sample forward"), t2, "one step forward is the sample one step back came from");
    await page.keyboard.press("Home");
    await waitUntil(moment, (t) => t === 0, "Home: the start of the run");
    // The slider tells a screen reader the same moment (the run's length grows meanwhile: it is live).
    const clock = /\(\d\d:\d\d:\d\d\.\d{3}\)/.exec(await label(page))![0];
    assert.match((await page.getAttribute('[data-testid="timeline-slider"]', "aria-valuetext")) ?? "", new RegExp(`^0 ms \\${clock.slice(0, -1)}\\) of [\\d.]+ s$`));
    // Space plays: the moment moves on by itself.
    await page.keyboard.press(" ");
    await waitUntil(moment, (t) => t > 0 && t < Infinity, "playing moves the moment on");
    assert.equal(await page.getAttribute('[data-testid="timeline-play"]', "aria-pressed"), "true");
    await page.keyboard.press(" ");
    await waitUntil(() => page.getAttribute('[data-testid="timeline-play"]', "aria-pressed"), (p) => p === "false", "Space again: paused");
    await screenshot(page, "timeline-keyboard");
    // L: back to live.
    await page.keyboard.press("l");
    await waitUntil(() => label(page), (t) => t.startsWith("Live · "), "back to live");
    assert.equal(await page.evaluate(() => document.getElementById("beamline")!.classList.contains("past")), false);
    assert.deepEqual(errors, []);

    const narrow = await openVisualizer(context, runtime, { width: 340, height: 760 });
    await waitUntil(() => label(narrow.page), (t) => t.startsWith("Live · "), "the narrow page's live label");
    await screenshot(narrow.page, "timeline-narrow");
    await narrow.page.click('[data-testid="timeline-live"]');
    await waitUntil(() => label(narrow.page), (t) => t.startsWith("Viewing the past at t = "), "paused in the narrow page");
    await screenshot(narrow.page, "timeline-narrow-past");
    assert.deepEqual(narrow.errors, []);
  } finally {
    client.close();
    await runtime.stop();
  }
});

/**
 * Drags the timeline's slider into the middle of the bottleneck (the samples with the most queued
 * messages), steps a sample back and forward to stand on one, and checks what every view shows
 * against that sample and the recorded process table: the overview's queued count, its top
 * mailbox, the process table's first row (sorted by mailbox) and the inspector's recorded record.
 */
async function scrubIntoBottleneck(runtime: RunningRuntime, samples: SchedulerSamplesFrame[], mainStartedAt: number, name: string, replay = false): Promise<void> {
  const slow = samples.filter((s) => s.summary.queued >= 100);
  assert.ok(slow.length >= 3, `the bottleneck held for a few samples: ${slow.length} with 100 or more queued`);
  const middle = slow[Math.floor(slow.length / 2)]!.time;
  const { page, errors } = await openVisualizer(context, runtime);
  const end = await waitUntil(() => chart(page, "utilization-chart"), (c) => c.span >= samples.at(-1)!.time - mainStartedAt - 200, "the whole run on the chart");
  // Drag the thumb from the live end to the middle of the bottleneck.
  const slider = (await page.locator('[data-testid="timeline-slider"]').boundingBox())!;
  const x = slider.x + 8 + ((middle - mainStartedAt) / end.span) * (slider.width - 16);
  await page.mouse.move(slider.x + slider.width - 4, slider.y + slider.height / 2);
  await page.mouse.down();
  await page.mouse.move(x, slider.y + slider.height / 2, { steps: 8 });
  await page.mouse.up();
  await waitUntil(() => label(page), (t) => t.startsWith("Viewing the past at t = "), "the past after the drag");
  // A step back stands on a sample, the one the overview's numbers are of (the drag's moment, marked
  // until the key is handled, is between two).
  await page.focus('[data-testid="timeline-slider"]');
  await page.keyboard.press("ArrowLeft");
  const sampleAt = (a: string) => samples.find((s) => a !== "" && Math.abs(s.time - mainStartedAt - Number(a)) < 1e-6);
  const exact = await waitUntil(() => chart(page, "utilization-chart").then((c) => c.at), (a) => sampleAt(a) !== undefined, "a sample's moment marked");
  const sample = sampleAt(exact)!;
  const at = Math.round(Number(exact));
  assert.ok(sample.summary.queued >= 50, `the moment is in the bottleneck: ${sample.summary.queued} queued`);
  await waitUntil(() => page.textContent('[data-testid="overview-queued"]').then(parseCount), (q) => q === sample.summary.queued, `the overview's queued count of the sample at ${at} ms (${sample.summary.queued}; the samples then: ${JSON.stringify(samples.filter((s) => Math.abs(s.time - mainStartedAt - at) < 300).map((s) => [s.time - mainStartedAt, s.summary.queued]))}; the page says ${await page.textContent('[data-testid="overview-samples-time"]')})`);

  // The top mailbox, from the recorded process table at that moment (not the drag's, still loading): the server, its queue.
  await waitUntil(() => page.textContent('[data-testid="overview-processes-time"]').then((t) => t ?? ""), (t) => /^Top lists: the recorded processes at [\d.]+ m?s\. Warnings/.test(t), "the past table of the moment, loaded");
  const top = page.locator('[data-testid="top-mailbox"] li').first();
  const topText = await waitUntil(() => top.textContent().then((t) => t ?? ""), (t) => /<0\.\d+\.0>.*server.*[\d,]+ msgs/.test(t), "the server at the top of the past mailbox list");
  const mailbox = parseCount(/([\d,]+) msgs/.exec(topText)![1]!);
  assert.ok(mailbox >= 50, `the server's mailbox then: ${mailbox}`);
  const serverPid = /<0\.\d+\.0>/.exec(topText)![0];
  await screenshot(page, `${name}-overview`);

  // The process table at that moment, sorted by mailbox: the server first, with the same mailbox.
  await showTab(page, "processes");
  await waitUntil(() => page.textContent('[data-testid="process-past"]').then((t) => t ?? ""), (t) => t.startsWith("The processes at "), "the past table's note");
  const row = page.locator('[data-testid="process-viewport"] .table-row').first();
  await waitUntil(() => row.getAttribute("data-pid"), (p) => p !== null && `<0.${p}.0>` === serverPid, "the server first in the past table");
  assert.equal(parseCount(await row.locator(".col-mailbox").textContent()), mailbox);
  assert.match((await page.textContent('[data-testid="process-count"]')) ?? "", / at [\d.]+ m?s · by mailbox/);
  await screenshot(page, `${name}-processes`);

  // The inspector: the recorded record at that moment, then what is live now.
  await row.click();
  await waitUntil(() => page.textContent('[data-testid="inspect-past-mailbox"]').then(parseCount), (n) => n === mailbox, "the inspector's recorded mailbox");
  await screenshot(page, `${name}-inspector`);

  // Back to live: the live table again, the server's queue long gone. A replay has no live table:
  // at its end it shows the recorded one at the end.
  await page.focus('[data-testid="timeline-slider"]');
  await page.keyboard.press("l");
  await showTab(page, "processes");
  await waitUntil(() => label(page), (t) => !t.startsWith("Viewing the past"), "back to live");
  if (replay) {
    // (The recording ends up to an interval after its last sample.)
    const last = samples.at(-1)!.time - mainStartedAt;
    const note = await waitUntil(() => page.textContent('[data-testid="process-past"]').then((t) => t ?? ""), (t) => /^The processes at [\d.]+ m?s, from the recording/.test(t), "the recorded table at the replay's end");
    const end = Number(/at ([\d.]+) s/.exec(note)![1]) * 1000;
    assert.ok(end >= last - 100 && end <= last + 300, `the table is of the recording's end, ${end} ms; its last sample is at ${last} ms`);
  } else assert.equal(await page.isHidden('[data-testid="process-past"]'), true);
  // The table is swapped in once applied whole, so the moment's rows may still show for a frame.
  // A replay's table at its end is the one of the run's last scheduler tick, which under load can
  // come before the server took its last few messages: it is past the moment's queue, not always 0.
  await waitUntil(() => row.locator(".col-mailbox").textContent().then(parseCount), (n) => (replay ? n < mailbox : n === 0), "the queue drained after the moment");
  await screenshot(page, `${name}-end`);
  assert.deepEqual(errors, []);
  await page.close();
}

test("issue 16: scrubbing back into the bottleneck shows that moment's mailbox in the overview, the process table and the inspector", { timeout: 300_000 }, async () => {
  const runtime = await startRuntime("examples/bottleneck.ts");
  const client = await TestClient.connect(runtime, "&channels=schedulers");
  try {
    const exited = (await client.waitFor((m): m is MainExited => m.type === "main-exited", "main to end")) as MainExited;
    await client.waitFor((m) => isSample(m) && m.time > exited.at + 500, "samples after main ended");
    // The samples before this client connected came in its SampleHistory frame.
    const samples = client.received.flatMap((m) => (m.type === "sample-history" ? m.samples : isSample(m) ? [m] : []));
    await scrubIntoBottleneck(runtime, samples, client.hello!.mainStartedAt!, "timeline-past");
  } finally {
    client.close();
    await runtime.stop();
  }
});

test("issue 16: on a beamline replay of a saved recording, scrubbing back into the bottleneck shows the same", { timeout: 300_000 }, async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "beamline-timeline-")), "bottleneck.beamrec");
  const run = beamline("run", "examples/bottleneck.ts", "--record", file, "--sample-interval", "100");
  assert.equal(run.code, 0, run.stderr);
  const recorded = decodeRecording(readFileSync(file));
  const mainStartedAt = recorded.items.find((i) => i.kind === "main-started")!.message.at as number;
  const samples = recorded.items.flatMap((i) => (i.kind === "sample" ? [decodeFrame(i.frame) as SchedulerSamplesFrame] : []));
  const replay = await startReplay(file);
  try {
    await scrubIntoBottleneck(replay, samples, mainStartedAt, "timeline-replay-past", true);
  } finally {
    await replay.stop();
  }
});
