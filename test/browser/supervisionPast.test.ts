/// <reference lib="dom" />
// The Supervision view follows the timeline (issue 16 follow-up) in Chromium against a real runtime
// (test/fixtures/supervised_tree.ts): a supervised child is killed and restarted; dragging the
// timeline back to before the restart shows the tree the recording took then, with the old child's
// pid and no restart, and back to live the new one; a `beamline replay` of the run's file shows
// the same at the same moment, and the new child at its end.
// Screenshots: supervision-past, supervision-past-live, supervision-replay-past, supervision-replay-end.

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import type { SeekResult, SupervisionTree } from "../../protocol/control.js";
import { isSample, startReplay, startRuntime, TestClient, type RunningRuntime } from "../telemetryClient.js";
import { close, launch, openVisualizer, screenshot, showTab, waitUntil } from "./browser.js";

let context: BrowserContext;
before(async () => {
  context = await launch();
});
after(async () => {
  await close(context);
});

/** The calculator child in a tree: its pid (0 when not listed) and restarts. */
function calculatorIn(tree: SupervisionTree | null): { pid: number; restarts: number } {
  for (const s of tree?.supervisors ?? []) for (const c of s.children) if (c.id === "calculator") return { pid: c.pid, restarts: c.restarts };
  return { pid: 0, restarts: 0 };
}

const calculatorItem = '[data-testid="supervision-tree"] li[data-id="calculator"]';
const shownPid = (page: Page) => page.getAttribute(calculatorItem, "data-pid").then((p) => Number(p ?? 0));
const label = (page: Page) => page.textContent('[data-testid="timeline-label"]').then((t) => t ?? "");

/**
 * Drags the timeline's slider from its live end to run time `target` (as the timeline test does),
 * on the overview, and returns the moment its chart marks, in run time.
 */
async function dragTo(page: Page, target: number, mainStartedAt: number, runEnd: number): Promise<number> {
  const span = await waitUntil(
    () => page.evaluate(() => Number(document.querySelector<HTMLElement>('[data-testid="utilization-chart"]')!.dataset.span)),
    (s) => s >= runEnd - mainStartedAt - 200,
    "the whole run on the chart",
  );
  const slider = (await page.locator('[data-testid="timeline-slider"]').boundingBox())!;
  const x = slider.x + 8 + ((target - mainStartedAt) / span) * (slider.width - 16);
  await page.mouse.move(slider.x + slider.width - 4, slider.y + slider.height / 2);
  await page.mouse.down();
  await page.mouse.move(x, slider.y + slider.height / 2, { steps: 8 });
  await page.mouse.up();
  await waitUntil(() => label(page), (t) => t.startsWith("Viewing the past at t = "), "the past after the drag");
  const at = await waitUntil(
    () => page.evaluate(() => document.querySelector<HTMLElement>('[data-testid="utilization-chart"]')!.dataset.at ?? ""),
    (a) => a !== "",
    "the moment marked on the chart",
  );
  return Number(at) + mainStartedAt;
}

/** Shows the Supervision view at a moment before the restart (between `from` and `to`, run time): the old child, no restart. */
async function checkPast(page: Page, moment: { from: number; to: number }, mainStartedAt: number, runEnd: number, oldPid: number, name: string): Promise<void> {
  // The overview's chart says the span and the moment marked; the moment holds for every view.
  await showTab(page, "overview");
  const at = await dragTo(page, (moment.from + moment.to) / 2, mainStartedAt, runEnd);
  await showTab(page, "supervision");
  assert.ok(at > moment.from && at < moment.to, `the moment dragged to, ${at}, is after the tree with the old child was recorded (${moment.from}) and before the kill (${moment.to})`);
  await waitUntil(() => shownPid(page), (pid) => pid === oldPid, `the old calculator <0.${oldPid}.0> in the tree at that moment`);
  const status = (await page.textContent('[data-testid="supervision-status"]')) ?? "";
  assert.match(status, /^The tree at t = [\d.]+ m?s, from the recording \(taken at t = [\d.]+ m?s; it is taken when it changes\)\.$/, status);
  assert.match((await page.textContent('[data-testid="supervision-summary"]')) ?? "", /· 0 restarts$/, "no restart yet at that moment");
  assert.equal(await page.locator(`${calculatorItem}.recent, ${calculatorItem} > .node-box.flash`).count(), 0, "not marked as restarted, nor flashing, at that moment");
  assert.equal(await page.isHidden('[data-testid="live-only-note"]'), true, "no note that the view is live only");
  await screenshot(page, name);
}

test("the Supervision view shows the tree at the moment on the timeline: the old child before its restart, the new one live and at a replay's end", { timeout: 300_000 }, async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "beamline-supervision-past-")), "tree.beamrec");
  const runtime = await startRuntime("test/fixtures/supervised_tree.ts", ["--record", file]);
  const client = await TestClient.connect(runtime, "&channels=schedulers");
  let replay: RunningRuntime | undefined;
  try {
    // The recording takes the tree with the calculator; the run goes on a while, then it is killed.
    const seek = async (time: number) => (await client.request({ type: "seek", time })).result as SeekResult;
    const recorded = await waitUntil(() => seek(1e12), (r) => calculatorIn(r.supervision).pid > 0, "the recorded tree with the calculator");
    const oldPid = calculatorIn(recorded.supervision).pid;
    await client.waitFor((m) => isSample(m) && m.time > recorded.supervisionAt + 2000, "two seconds of samples after the tree was recorded");
    const lastSample = () => client.received.filter(isSample).at(-1)!.time;
    const killedAfter = lastSample();
    assert.equal((await client.request({ type: "kill", pid: `<0.${oldPid}.0>` })).ok, true);
    const restarted = await waitUntil(() => seek(1e12), (r) => calculatorIn(r.supervision).restarts === 1, "the recorded tree with the restarted calculator");
    const newPid = calculatorIn(restarted.supervision).pid;
    assert.notEqual(newPid, oldPid);
    await client.waitFor((m) => isSample(m) && m.time > restarted.supervisionAt + 1000, "a second of samples after the restart was recorded");
    const mainStartedAt = client.hello!.mainStartedAt!;
    const moment = { from: recorded.supervisionAt, to: killedAfter };

    // Live: the new calculator. In the past: the old one. Back to live: the new one again.
    const { page, errors } = await openVisualizer(context, runtime);
    await showTab(page, "supervision");
    await waitUntil(() => shownPid(page), (pid) => pid === newPid, "the live tree's new calculator");
    await checkPast(page, moment, mainStartedAt, lastSample(), oldPid, "supervision-past");
    await page.focus('[data-testid="timeline-slider"]');
    await page.keyboard.press("l");
    await waitUntil(() => label(page), (t) => !t.startsWith("Viewing the past"), "back to live");
    await waitUntil(() => shownPid(page), (pid) => pid === newPid, "the new calculator live again");
    assert.match((await page.textContent('[data-testid="supervision-status"]')) ?? "", /^Live: asked again every second/);
    await screenshot(page, "supervision-past-live");
    assert.deepEqual(errors, []);
    await page.close();

    // The run's file, replayed: its end shows the new calculator, the same moment the old one.
    client.close();
    const runEnd = lastSample();
    await runtime.stop();
    replay = await startReplay(file);
    const viewer = await openVisualizer(context, replay);
    await showTab(viewer.page, "supervision");
    await waitUntil(() => shownPid(viewer.page), (pid) => pid === newPid, "the new calculator at the replay's end");
    await screenshot(viewer.page, "supervision-replay-end");
    await checkPast(viewer.page, moment, mainStartedAt, runEnd, oldPid, "supervision-replay-past");
    assert.deepEqual(viewer.errors, []);
    await viewer.page.close();
  } finally {
    client.close();
    await runtime.stop();
    await replay?.stop();
  }
});
