/// <reference lib="dom" />
// Issue 15 in Chromium against a real runtime with two scheduler threads: the Schedulers view has
// a row per scheduler and both move while a pool runs, with the messages that cross between them;
// the Processes table filters by scheduler and the inspector names it; a pool piled on one
// scheduler is an imbalance warning that says why. Screenshots: schedulers-two, schedulers-pile.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { isSample, startRuntime, TestClient, WAIT_DEADLINE_MS } from "../telemetryClient.js";
import { close, launch, openVisualizer, screenshot, showTab } from "./browser.js";

let context: BrowserContext;
before(async () => {
  context = await launch();
});
after(async () => {
  await close(context);
});

/** Waits until the element's text satisfies `ok`, or fails saying what it showed last. */
async function waitForText(page: Page, testId: string, ok: (text: string) => boolean, what: string): Promise<string> {
  const end = Date.now() + WAIT_DEADLINE_MS;
  let last = "";
  while (Date.now() < end) {
    last = (await page.textContent(`[data-testid="${testId}"]`)) ?? "";
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return assert.fail(`${what}: the page shows "${last}"`);
}

const percent = (text: string) => Number(/(\d+)%/.exec(text)?.[1] ?? "NaN");
/** "0/s", "12/s", "3.4k/s" as a number per second. */
const perSecond = (text: string) => {
  const m = /([\d.,]+)(k|M)?\/s/.exec(text);
  return m ? Number(m[1]!.replace(/,/g, "")) * (m[2] === "k" ? 1e3 : m[2] === "M" ? 1e6 : 1) : NaN;
};

test("issue 15: with --schedulers 2 the Schedulers view shows two rows, both moving while a pool runs, and the messages that cross", { timeout: 300_000 }, async () => {
  const runtime = await startRuntime("test/fixtures/scheduler_pool.ts", ["--schedulers", "2"]);
  const client = await TestClient.connect(runtime, "&channels=schedulers");
  try {
    await client.waitFor((m) => isSample(m) && m.schedulers.length === 2 && m.schedulers.every((s) => s.utilization > 0.5), "both schedulers busy in the samples");
    const { page, errors } = await openVisualizer(context, runtime);
    await showTab(page, "schedulers");
    await page.waitForSelector('[data-testid="scheduler-row"][data-scheduler="2"]');
    assert.equal(await page.locator('[data-testid="scheduler-row"]').count(), 2);
    for (const i of [1, 2]) {
      await waitForText(page, `sched-utilization-${i}`, (t) => percent(t) >= 50, `scheduler ${i} busy`);
      await waitForText(page, `sched-processes-${i}`, (t) => Number(t) >= 4, `scheduler ${i} holds its share of the pool`);
      // Its lane moves: ticks in which it ran work.
      await page.waitForFunction((id) => Number(document.querySelector<HTMLElement>(`[data-testid="timeline-${id}"]`)?.dataset.ran ?? 0) >= 5, i);
    }
    // Workers on scheduler 2 report to the collector on scheduler 1.
    await waitForText(page, "sched-cross-out-2", (t) => perSecond(t) > 0, "messages out of scheduler 2");
    await waitForText(page, "sched-cross-in-1", (t) => perSecond(t) > 0, "messages into scheduler 1");
    await screenshot(page, "schedulers-two");

    // The overview counts over both schedulers and has a bar for each.
    await showTab(page, "overview");
    await waitForText(page, "overview-processes", (t) => t.trim() === "11", "the overview's process count, main, the keeper, the collector and 8 workers");
    for (const i of [1, 2]) await waitForText(page, `sched-util-${i}`, (t) => percent(t) >= 50, `scheduler ${i}'s bar`);
    // The section counts busy schedulers as the VS Code status bar does ("2/2 busy"), from the same sample as its bars.
    const shown = await page.evaluate(() => ["sched-util-1", "sched-util-2", "sched-busy"].map((id) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ""));
    assert.equal(shown[2], `· ${shown.slice(0, 2).filter((t) => percent(t) >= 50).length}/2 busy`, JSON.stringify(shown));
    await screenshot(page, "schedulers-two-overview");

    // The table filters by scheduler; the inspector says which one a process is on.
    await showTab(page, "processes");
    await page.locator('[data-testid="scheduler-filter"]').click();
    await page.locator('[data-testid="scheduler-filter"] vscode-option[value="2"]').click();
    await page.waitForSelector('[data-testid="process-count"]:has-text("5 of 11")');
    const rows = page.locator(".table-row:not([hidden])");
    const pid = await rows.first().getAttribute("data-pid");
    assert.ok(pid !== null && Number(pid) % 2 === 1, `a process of scheduler 2 has an odd pid: ${pid}`);
    await screenshot(page, "schedulers-two-processes");
    await rows.first().click();
    await page.waitForSelector('[data-testid="inspect-title"]');
    assert.match((await page.textContent(".view.inspector")) ?? "", /Scheduler\s*2/);
    assert.deepEqual(errors, []);
  } finally {
    client.ws.close();
    await runtime.stop();
  }
});

test("issue 15: a pool piled on one scheduler of two is an imbalance warning that says the processes cannot move", { timeout: 300_000 }, async () => {
  const runtime = await startRuntime("test/fixtures/scheduler_pile.ts", ["--schedulers", "2"]);
  try {
    const { page, errors } = await openVisualizer(context, runtime);
    await showTab(page, "warnings");
    const warning = page.locator('[data-testid="warnings-list"] article.warning-card.imbalance', { hasText: "Scheduler 1 is busy" });
    await warning.waitFor();
    const text = (await warning.textContent()) ?? "";
    assert.match(text, /while scheduler 2 is idle/);
    assert.match(text, /steal/);
    await showTab(page, "schedulers");
    await waitForText(page, "sched-utilization-2", (t) => percent(t) <= 20, "scheduler 2 idle");
    await screenshot(page, "schedulers-pile");
    assert.deepEqual(errors, []);
  } finally {
    await runtime.stop();
  }
});
