/// <reference lib="dom" />
// Issue 16 in Chromium: a saved recording replays with `beamline replay` (docs/protocol.md, section
// 13) and the page shows what the run recorded, as a late viewer of the live run saw it: the charts
// from main's start, "main ended at …", the past warnings with their spans and peaks; and it says
// that it is a replay, not live. Screenshots: replay-overview, replay-warnings, replay-schedulers.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { decodeRecording } from "../../protocol/recordingFile.js";
import { beamline } from "../cliRun.js";
import { startReplay, WAIT_DEADLINE_MS } from "../telemetryClient.js";
import { close, launch, openVisualizer, screenshot, showTab } from "./browser.js";

let context: BrowserContext;
before(async () => {
  context = await launch();
});
after(async () => {
  await close(context);
});

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

test("issue 16: beamline replay of a saved recording shows its charts, main ended and the past warnings, and says it is a replay", { timeout: 300_000 }, async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "beamline-replay-browser-")), "bottleneck.beamrec");
  const run = beamline("run", "examples/bottleneck.ts", "--record", file, "--sample-interval", "100");
  assert.equal(run.code, 0, run.stderr);
  // What the file holds, to compare the page with.
  const recorded = decodeRecording(readFileSync(file));
  const mainStartedAt = recorded.items.find((i) => i.kind === "main-started")!.message.at as number;
  const exited = recorded.items.find((i) => i.kind === "main-exited");
  assert.ok(exited !== undefined && exited.kind === "main-exited");
  const ran = exited.message.at - mainStartedAt;
  const samples = recorded.items.filter((i) => i.kind === "sample").length;
  const ended = recorded.items.flatMap((i) => (i.kind === "ended-warning" ? [i.warning] : []));
  const bottleneck = ended.find((w) => w.kind === "bottleneck");
  assert.ok(bottleneck !== undefined, `the run recorded a past bottleneck among ${JSON.stringify(ended.map((w) => w.kind))}`);

  const replay = await startReplay(file);
  try {
    const { page, errors } = await openVisualizer(context, replay);
    // It says it is a replay, of which file, and not live.
    await waitForText(page, '[data-testid="connection-status"]', (t) => t === "replay, not live", "the status");
    const note = await waitForText(page, '[data-testid="replay-note"]', (t) => t.includes(file), "the replay note");
    assert.match(note, /^Replay of .*bottleneck\.beamrec, recorded [\d.]+ m?s of the run: its charts, warnings, faults, process table, supervision trees and traced events; drag the timeline back to see any moment\. What the inspector asks a live process is not recorded; it needs a live run\.$/);

    // Main's end, with when, as the live run said it.
    const program = await waitForText(page, '[data-testid="program"]', (t) => /main ended at /.test(t), "main ended in the header");
    assert.match(program, /^examples\/bottleneck\.ts · nonode@nohost · main ended at [\d.]+ m?s · recorded /);
    const endedAt = ms(/main ended at ([\d.]+ m?s)/.exec(program)![1]!);
    assert.ok(Math.abs(endedAt - ran) <= 100, `the header says main ended at ${endedAt} ms; it ran ${ran} ms`);

    // The charts span the whole recorded run from main's start.
    const chart = page.locator('[data-testid="utilization-chart"]');
    await page.waitForFunction((least) => Number(document.querySelector<HTMLElement>('[data-testid="utilization-chart"]')?.dataset.span ?? 0) >= least, ran);
    const first = Number(await chart.getAttribute("data-first"));
    const points = Number(await chart.getAttribute("data-points"));
    assert.ok(first >= 0 && first <= 500, `the first point drawn is ${first} ms after main started`);
    assert.ok(points >= samples - 1 && points <= samples, `${points} points drawn of the ${samples} recorded samples: each one (a short run is not thinned)`);
    // Uptime is the recording's, not a clock that goes on.
    const uptime = ms((await page.textContent('[data-testid="overview-uptime"]')) ?? "");
    // (The page writes it to a tenth of a second.)
    assert.ok(uptime >= ran - 100 && uptime <= ran + 2000, `uptime ${uptime} ms: the run's, which ended ${ran} ms after main started`);
    await waitForText(page, '[data-testid="overview-warnings"]', (t) => new RegExp(`Past warnings \\(${ended.length}\\)`).test(t), "the overview's past warnings");
    await screenshot(page, "replay-overview");

    // The Warnings view lists the past bottleneck with the recorded span and peak.
    await showTab(page, "warnings");
    const past = page.locator('[data-testid="past-warnings"] li.past-warning.bottleneck');
    await past.first().waitFor();
    const text = (await past.first().textContent()) ?? "";
    assert.match(text, new RegExp(`at ${bottleneck.site!.replace(/[.]/g, "\\.")}`));
    const span = /([\d.]+ m?s) – ([\d.]+ m?s)/.exec(text);
    assert.ok(span !== null, `a span in "${text}"`);
    assert.ok(Math.abs(ms(span[1]!) - (bottleneck.since - mainStartedAt)) <= 100, `it held from ${span[1]}; the file says ${bottleneck.since - mainStartedAt} ms`);
    assert.ok(Math.abs(ms(span[2]!) - (bottleneck.until - mainStartedAt)) <= 100, `until ${span[2]}; the file says ${bottleneck.until - mainStartedAt} ms`);
    assert.match(text, new RegExp(`peak ${bottleneck.peak!.value.toLocaleString("en-US")} queued`));
    await screenshot(page, "replay-warnings");

    await showTab(page, "schedulers");
    await page.waitForSelector('[data-testid="scheduler-row"]');
    await screenshot(page, "replay-schedulers");
    assert.deepEqual(errors, []);
  } finally {
    await replay.stop();
  }
});
