/// <reference lib="dom" />
// A million live processes: the table shows them all, scrolls, sorts and filters while they keep
// changing, and the count on screen matches the runtime's. Also examples/million_processes.ts.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { BrowserContext } from "playwright-core";
import { isSample, startRuntime, TestClient } from "../telemetryClient.js";
import { close, launch, observeLongTasks, openVisualizer, parseCount, screenshot, showTab } from "./browser.js";

let context: BrowserContext;
before(async () => {
  context = await launch();
});
after(async () => {
  await close(context);
});


test("1M processes: the table counts, scrolls, sorts and filters them while they change", { timeout: 600_000 }, async () => {
  const runtime = await startRuntime("test/fixtures/million_alive.ts");
  const client = await TestClient.connect(runtime, "&channels=schedulers");
  try {
    await client.waitFor((m) => isSample(m) && m.summary.processes > 1_000_000, "a million processes", 120_000);
    const { page, errors } = await openVisualizer(context, runtime);
    const longTasks = await observeLongTasks(page);
    await showTab(page, "processes");
    const total = () => client.received.filter(isSample).at(-1)!.summary.processes;
    // main, the driver and 1,000,000 others: stable once they are spawned.
    await page.waitForFunction((n) => document.querySelector('[data-testid="process-count"]')?.textContent?.startsWith(n), total().toLocaleString("en-US"));
    assert.equal(total(), 1_000_002);
    await page.waitForSelector('[data-testid="process-count"]:not(:has-text("sorting"))');
    // Sorted by mailbox, the keepers (every 1000th process keeps its pings) come first. Rows show
    // live values in the order of the last sort: a waiter sorted by the ping it had then may show
    // 0 at the top until the next resort, a second or so later.
    // Issue 13 item 11: the resort was throttled on wall time, which a busy machine stretched to
    // over ten seconds; it waits for the order, not for a fixed time.
    const firstMailbox = () => page.locator(".table-row:not([hidden]) .col-mailbox").first().textContent();
    await page
      .waitForFunction(() => Number(document.querySelector(".table-row:not([hidden]) .col-mailbox")?.textContent?.replace(/\D/g, "") || 0) > 0)
      .catch(() => undefined);
    const topMailbox = parseCount(await firstMailbox());
    assert.ok(topMailbox > 0, `the first row has the longest mailbox, got ${topMailbox}`);
    await screenshot(page, "million-processes-by-mailbox");

    // Scroll to the middle and to the end: rows are there, and only the visible ones exist.
    const viewport = page.locator('[data-testid="process-viewport"]');
    await viewport.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    await page.waitForTimeout(200);
    const middle = await page.locator(".table-row:not([hidden])").first().getAttribute("aria-rowindex");
    assert.ok(Number(middle) > 400_000 && Number(middle) < 600_000, `the middle row is near 500,000, got ${middle}`);
    assert.ok((await page.locator(".table-row").count()) < 100, "only the visible rows are in the DOM");
    await viewport.focus();
    await page.keyboard.press("End");
    await page.waitForTimeout(200);
    const lastRow = await page.locator(".table-row:not([hidden])").last().getAttribute("aria-rowindex");
    assert.equal(Number(lastRow), 1_000_002);
    await screenshot(page, "million-processes-end");

    // Sort by pid ascending (a click on the header), measuring the longest frame meanwhile.
    // A string: tsx's name helpers do not exist inside the page.
    await page.evaluate(`(() => {
      window.longest = 0;
      let last = performance.now();
      const tick = (now) => { window.longest = Math.max(window.longest, now - last); last = now; requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    })()`);
    await page.click('.th[data-sort="pid"]');
    await page.waitForSelector('.th[data-sort="pid"][aria-sort="ascending"]');
    await page.waitForSelector('[data-testid="process-count"]:not(:has-text("sorting"))');
    await viewport.evaluate((el) => (el.scrollTop = 0));
    await page.waitForTimeout(200);
    const pids = await page.locator(".table-row:not([hidden]) .col-pid").allTextContents();
    const numbers = pids.map((p) => Number(/<0\.(\d+)\.0>/.exec(p)![1]));
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), "ascending pids");
    // The lowest pid first: one of the schedulers' first processes (main is <0.4.0> with two schedulers).
    assert.ok(numbers[0]! < 10, `the first row is ${pids[0]}`);
    const longest = await page.evaluate(() => (window as unknown as { longest: number }).longest);
    console.log(`# longest frame while sorting 1M by pid: ${longest.toFixed(1)} ms`);
    await screenshot(page, "million-processes-by-pid");

    // Filter by function: the keepers only (one in a thousand).
    await page.locator('[data-testid="process-filter"]').locator("input").fill("keeper");
    await page.waitForSelector('[data-testid="process-count"]:has-text("1,000 of")');
    await screenshot(page, "million-processes-filtered");

    await showTab(page, "overview");
    await page.waitForFunction((n) => document.querySelector('[data-testid="overview-processes"]')?.textContent === n, total().toLocaleString("en-US"));
    await page.waitForTimeout(600);
    await screenshot(page, "million-overview");
    await showTab(page, "schedulers");
    await page.waitForTimeout(600);
    await screenshot(page, "million-schedulers");
    // Issue 13 item 11: the page once blocked for 1.2 s; long tasks are reported, not asserted.
    console.log(`# 1M processes, from the keyframe to the last view: ${await longTasks()}`);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    client.close();
    await runtime.stop();
  }
});

test("examples/million_processes.ts: the page follows a million spawns and stops, and ends matching the runtime", { timeout: 600_000 }, async () => {
  const runtime = await startRuntime("examples/million_processes.ts");
  const client = await TestClient.connect(runtime, "&channels=schedulers");
  try {
    const { page, errors } = await openVisualizer(context, runtime);
    const longTasks = await observeLongTasks(page);
    let peak = 0;
    const watch = setInterval(async () => {
      const t = await page.textContent('[data-testid="overview-processes"]').catch(() => "");
      peak = Math.max(peak, parseCount(t));
    }, 250);
    await client.waitFor((m) => m.type === "main-exited", "main to end", 180_000);
    clearInterval(watch);
    // Processes still end for a moment after main does: compare once the runtime's count is still.
    const last = () => client.received.filter(isSample).at(-1)!.summary.processes;
    for (let before = -1; before !== last(); ) {
      before = last();
      await new Promise((r) => setTimeout(r, 1000));
    }
    await page.waitForFunction((n) => document.querySelector('[data-testid="overview-processes"]')?.textContent === n, last().toLocaleString("en-US"));
    assert.ok(peak > 100_000, `the overview showed the processes while they lived (peak ${peak})`);
    await screenshot(page, "million-example-overview");
    console.log(`# a million spawns and stops: ${await longTasks()}`);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    client.close();
    await runtime.stop();
  }
});
