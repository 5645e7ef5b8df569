/// <reference lib="dom" />
// Issue 16's timeline in Chromium against a real runtime (docs/architecture.md, "The visualizer"):
// the charts zoom, pan and read out values under the pointer, a click picks a moment and every
// chart marks it; the timeline bar pauses, steps, plays and returns to live with the keyboard
// alone. Screenshots: timeline-zoomed, timeline-hover, timeline-keyboard, timeline-narrow.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import type { MainExited } from "../../protocol/control.js";
import { isSample, startRuntime, TestClient, WAIT_DEADLINE_MS } from "../telemetryClient.js";
import { close, launch, openVisualizer, screenshot, showTab } from "./browser.js";

let context: BrowserContext;
before(async () => {
  context = await launch();
});
after(async () => {
  await close(context);
});

/** Waits until `read` gives a value that satisfies `ok`, or fails saying what it read last. */
async function waitUntil<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const end = Date.now() + WAIT_DEADLINE_MS;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > end) assert.fail(`${what}: last read ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

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
    await page.mouse.wheel(0, -300);
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
    await page.keyboard.press("ArrowLeft");
    const paused = await waitUntil(() => label(page), (t) => t.startsWith("Viewing the past at t = "), "paused a sample back");
    const moment = (text: string) => Number(/t = ([\d.]+) (m?s)/.exec(text)![1]) * (/t = [\d.]+ ms/.test(text) ? 1 : 1000);
    const t1 = moment(paused);
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.press("ArrowLeft");
    const t3 = moment(await waitUntil(() => label(page), (t) => moment(t) < t1, "two samples further back"));
    await page.keyboard.press("ArrowRight");
    const t2 = moment(await waitUntil(() => label(page), (t) => moment(t) > t3, "a sample forward"));
    assert.ok(t3 < t2 && t2 < t1, `steps: ${t1} → ${t3} → ${t2} ms`);
    await page.keyboard.press("Home");
    await waitUntil(() => label(page), (t) => /t = 0 ms/.test(t), "Home: the start of the run");
    // The slider tells a screen reader the same moment (the run's length grows meanwhile: it is live).
    const clock = /\(\d\d:\d\d:\d\d\.\d{3}\)/.exec(await label(page))![0];
    assert.match((await page.getAttribute('[data-testid="timeline-slider"]', "aria-valuetext")) ?? "", new RegExp(`^0 ms \\${clock.slice(0, -1)}\\) of [\\d.]+ s$`));
    // Space plays: the moment moves on by itself.
    await page.keyboard.press(" ");
    await waitUntil(() => label(page).then(moment), (t) => t > 0, "playing moves the moment on");
    assert.equal(await page.getAttribute('[data-testid="timeline-play"]', "aria-pressed"), "true");
    await page.keyboard.press(" ");
    assert.equal(await page.getAttribute('[data-testid="timeline-play"]', "aria-pressed"), "false");
    await screenshot(page, "timeline-keyboard");
    // L: back to live.
    await page.keyboard.press("l");
    await waitUntil(() => label(page), (t) => t.startsWith("Live · "), "back to live");
    assert.equal(await page.evaluate(() => document.getElementById("beamline")!.classList.contains("past")), false);
    assert.deepEqual(errors, []);

    const narrow = await openVisualizer(context, runtime, { width: 340, height: 760 });
    await waitUntil(() => label(narrow.page), (t) => t.startsWith("Live · "), "the narrow page's live label");
    await screenshot(narrow.page, "timeline-narrow");
    assert.deepEqual(narrow.errors, []);
  } finally {
    client.close();
    await runtime.stop();
  }
});
