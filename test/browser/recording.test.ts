/// <reference lib="dom" />
// Issue 16 in Chromium against a real runtime: a page opened after the bottleneck example's main
// ended still sees the whole run, from the runtime's recording (docs/protocol.md, section 5): the
// charts from main's start with a time axis, "main ended at …", and the past bottleneck warning
// with its span and peak beside the current ones. With a small --record-cap, the page says what
// the recording dropped. Screenshots: recording-overview, recording-warnings, recording-schedulers,
// recording-narrow, recording-capped.

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

/** Waits until the element's text satisfies `ok`, or fails saying what it showed last. */
async function waitForText(page: Page, selector: string, ok: (text: string) => boolean, what: string): Promise<string> {
  const end = Date.now() + WAIT_DEADLINE_MS;
  let last = "";
  while (Date.now() < end) {
    last = (await page.textContent(selector)) ?? "";
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return assert.fail(`${what}: the page shows "${last}"`);
}

/** "2.9 s" or "850 ms" in ms. */
const ms = (text: string) => (text.endsWith(" ms") ? Number(text.slice(0, -3)) : Number(text.slice(0, -2)) * 1000);

test("issue 16: a page opened after a short example ended sees its whole run: charts from the start, main ended, and the past bottleneck with its span and peak", { timeout: 300_000 }, async () => {
  const runtime = await startRuntime("examples/bottleneck.ts");
  const client = await TestClient.connect(runtime, "&channels=schedulers");
  try {
    const exited = (await client.waitFor((m): m is MainExited => m.type === "main-exited", "main to end")) as MainExited;
    // A warning has ended once it has been gone for WARNING_GAP_MS (1 s): wait until any has.
    await client.waitFor((m) => isSample(m) && m.time > exited.at + 1500, "samples a while after main ended");
    const mainStartedAt = client.hello!.mainStartedAt!;
    const ran = exited.at - mainStartedAt;

    const { page, errors } = await openVisualizer(context, runtime);
    // Main's end, with when.
    const program = await waitForText(page, '[data-testid="program"]', (t) => /main ended at /.test(t), "main ended in the header");
    const endedAt = ms(/main ended at ([\d.]+ m?s)/.exec(program)![1]!);
    assert.ok(Math.abs(endedAt - ran) <= 100, `the header says main ended at ${endedAt} ms; it ran ${ran} ms`);

    // The charts span the whole run from main's start: their first point is at the start, not at the page's connect.
    const chart = page.locator('[data-testid="utilization-chart"]');
    await page.waitForFunction((least) => Number(document.querySelector<HTMLElement>('[data-testid="utilization-chart"]')?.dataset.span ?? 0) >= least, ran);
    const first = Number(await chart.getAttribute("data-first"));
    const points = Number(await chart.getAttribute("data-points"));
    assert.ok(first >= 0 && first <= 500, `the first point drawn is ${first} ms after main started`);
    assert.ok(points * 100 >= ran, `${points} points at 100 ms cover the ${ran} ms run`);
    // Overview: no warning now, one past.
    await waitForText(page, '[data-testid="overview-warnings"]', (t) => /No warnings now/.test(t) && /Past warnings \(\d+\)/.test(t), "the overview's warnings");
    await screenshot(page, "recording-overview");

    // The Warnings view lists the past bottleneck: where, when it held, and its peak.
    await showTab(page, "warnings");
    const past = page.locator('[data-testid="past-warnings"] li.past-warning.bottleneck');
    await past.first().waitFor();
    const text = (await past.first().textContent()) ?? "";
    assert.match(text, /Bottleneck/);
    assert.match(text, /at examples\/bottleneck\.ts:\d+/);
    const span = /([\d.]+ m?s) – ([\d.]+ m?s)/.exec(text);
    assert.ok(span !== null, `a span in "${text}"`);
    const [since, until] = [ms(span[1]!), ms(span[2]!)];
    assert.ok(since < until && until <= ran + 1000, `it held from ${since} to ${until} ms of a ${ran} ms run`);
    const peak = /peak ([\d,]+) queued/.exec(text);
    assert.ok(peak !== null && Number(peak[1]!.replace(/,/g, "")) >= 100, `a peak mailbox in "${text}"`);
    assert.match((await page.textContent('[data-testid="warnings-list"]')) ?? "", /No warnings now/);
    await screenshot(page, "recording-warnings");

    await showTab(page, "schedulers");
    await page.waitForSelector('[data-testid="scheduler-row"]');
    await screenshot(page, "recording-schedulers");
    assert.deepEqual(errors, []);

    // As narrow as VS Code's side panel: the axis labels that fit, none over another.
    const narrow = await openVisualizer(context, runtime, { width: 340, height: 760 });
    await narrow.page.waitForFunction((least) => Number(document.querySelector<HTMLElement>('[data-testid="utilization-chart"]')?.dataset.span ?? 0) >= least, ran);
    await screenshot(narrow.page, "recording-narrow");
    assert.deepEqual(narrow.errors, []);
  } finally {
    client.close();
    await runtime.stop();
  }
});

test("issue 16: when --record-cap dropped the start of the run, the overview says so", { timeout: 300_000 }, async () => {
  const runtime = await startRuntime("examples/bottleneck.ts", ["--record-cap", "16KiB"]);
  const client = await TestClient.connect(runtime, "&channels=schedulers");
  try {
    // 16 KiB holds about 35 samples of one or two schedulers: wait for twice that.
    await client.waitFor(() => client.received.filter(isSample).length >= 70, "70 samples");
    const { page, errors } = await openVisualizer(context, runtime);
    const note = await waitForText(page, '[data-testid="recording-note"]', (t) => /dropped/.test(t), "the recording note");
    assert.match(note, /capped at 16\.0 KiB \(--record-cap\) and dropped its first [\d.]+ m?s \([\d,]+ samples?\)/);
    await screenshot(page, "recording-capped");
    assert.deepEqual(errors, []);
  } finally {
    client.close();
    await runtime.stop();
  }
});
