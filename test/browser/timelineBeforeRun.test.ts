/// <reference lib="dom" />
// The timeline bar before there is a run: a VS Code webview (the side panel and the editor panel)
// waits for the extension's "connect", and until a run or a recording has connected there is
// nothing to pause, step, play or zoom, so the bar's controls are hidden while the connection's
// status stays shown; they appear once one connects, stay over the last state when it stops, and
// appear again when a reloaded webview connects again. Screenshots: timeline-before-run-overview,
// timeline-connected-overview, timeline-before-run-full, timeline-connected-full.

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { beamline } from "../cliRun.js";
import { startReplay, startRuntime, type RunningRuntime } from "../telemetryClient.js";
import { close, launch, screenshot, waitUntil } from "./browser.js";

let context: BrowserContext;
before(async () => {
  context = await launch();
});
after(async () => {
  await close(context);
});

/** The bar and every control on it. */
const CONTROLS = ["timeline", "timeline-live", "timeline-back", "timeline-play", "timeline-forward", "timeline-speed-1", "timeline-slider", "timeline-label", "zoom-out", "zoom-in", "zoom-fit"];

/** The controls shown (in the layout, not merely present or disabled). */
const shownControls = (page: Page) => Promise.all(CONTROLS.map((id) => page.locator(`[data-testid="${id}"]`).isVisible())).then((shown) => CONTROLS.filter((_, i) => shown[i]));
const status = (page: Page) => page.textContent('[data-testid="connection-status"]').then((t) => t ?? "");

/** A page standing in for a VS Code webview of `layout` (as in visualizer.test.ts), served by `runtime`, ready and not yet connected. */
async function openWebview(runtime: RunningRuntime, layout: "overview" | "full"): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  if (layout === "overview") await page.setViewportSize({ width: 300, height: 800 });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // A string, not a function: tsx's name helpers would not exist inside the page.
  await page.addInitScript(`
    const posted = [];
    let state;
    window.posted = posted;
    window.acquireVsCodeApi = () => ({ postMessage: (m) => posted.push(m), getState: () => state, setState: (s) => (state = s) });
    new MutationObserver(() => document.getElementById("beamline")?.setAttribute("data-layout", ${JSON.stringify(layout)})).observe(document, { childList: true, subtree: true });
  `);
  await page.goto(`http://127.0.0.1:${runtime.port}/?token=${runtime.token}`);
  await page.waitForFunction(() => (window as unknown as { posted: { type: string }[] }).posted.some((m) => m.type === "ready"));
  return { page, errors };
}

async function connect(page: Page, runtime: RunningRuntime): Promise<void> {
  await page.evaluate(([port, token]) => window.postMessage({ type: "connect", url: `ws://127.0.0.1:${port}/ws`, token }, "*"), [runtime.port, runtime.token] as const);
}

/** Not connected: the status says so and no timeline control shows. */
async function assertNothingToMoveThrough(page: Page, when: string): Promise<void> {
  assert.equal(await status(page), "not connected", `${when}: the status`);
  assert.ok(await page.locator('[data-testid="connection-status"]').isVisible(), `${when}: the status shows`);
  assert.deepEqual(await shownControls(page), [], `${when}: no timeline control shows`);
}

for (const layout of ["overview", "full"] as const) {
  test(`${layout === "overview" ? "side panel" : "editor panel"}: the timeline's controls are hidden until a run connects, and shown again after a reload connects`, { timeout: 300_000 }, async () => {
    const runtime = await startRuntime("test/fixtures/live_mailbox.ts");
    try {
      const { page, errors } = await openWebview(runtime, layout);
      // The page has drawn a few frames (the bar is rendered every animation frame) before the check.
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      await screenshot(page, `timeline-before-run-${layout}`);
      await assertNothingToMoveThrough(page, "before any run");

      await connect(page, runtime);
      await waitUntil(() => shownControls(page), (shown) => shown.length === CONTROLS.length, "every timeline control once the run connected");
      assert.equal(await status(page), "live");
      await waitUntil(() => page.textContent('[data-testid="timeline-label"]'), (t) => /^Live · /.test(t ?? ""), "the bar's label");
      await screenshot(page, `timeline-connected-${layout}`);

      // The run stopped: its last state stays, and the bar still moves through it.
      await page.evaluate(() => window.postMessage({ type: "runtime-stopped", reason: "the program was stopped" }, "*"));
      await page.waitForSelector('[data-testid="connection-status"]:has-text("the program was stopped")');
      assert.deepEqual(await shownControls(page), CONTROLS, "the controls stay over the last state");

      // A reloaded webview starts with nothing, then the extension connects it again.
      await page.reload();
      await page.waitForFunction(() => (window as unknown as { posted: { type: string }[] }).posted.some((m) => m.type === "ready"));
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      await assertNothingToMoveThrough(page, "after a reload");
      await connect(page, runtime);
      await waitUntil(() => shownControls(page), (shown) => shown.length === CONTROLS.length, "every timeline control once the run connected again");
      assert.deepEqual(errors, []);
      await page.close();
    } finally {
      await runtime.stop();
    }
  });
}

test("a recording opened in the side panel shows the timeline's controls", { timeout: 300_000 }, async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "beamline-timeline-before-run-")), "ping_pong.beamrec");
  const run = beamline("run", "examples/ping_pong.ts", "--record", file);
  assert.equal(run.code, 0, run.stderr);
  const replay = await startReplay(file);
  try {
    const { page, errors } = await openWebview(replay, "overview");
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await assertNothingToMoveThrough(page, "before the recording opened");
    await connect(page, replay);
    await waitUntil(() => shownControls(page), (shown) => shown.length === CONTROLS.length, "every timeline control once the recording opened");
    assert.equal(await status(page), "replay, not live");
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await replay.stop();
  }
});
