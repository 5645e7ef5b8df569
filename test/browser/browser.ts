// Chromium for the visualizer tests: Debian's chromium driven by playwright-core, a fresh profile
// per launch, and screenshots saved under test-results/screenshots/ to be looked at.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { WAIT_DEADLINE_MS, type RunningRuntime } from "../telemetryClient.js";

export const SCREENSHOTS = path.resolve("test-results/screenshots");

export async function launch(): Promise<BrowserContext> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const profile = mkdtempSync(path.join(tmpdir(), "beamline-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 860 },
  });
  // Playwright's own 30 s default failed waits on a loaded machine; the tests' waits share one deadline.
  context.setDefaultTimeout(WAIT_DEADLINE_MS);
  profiles.set(context, profile);
  return context;
}

const profiles = new WeakMap<BrowserContext, string>();

/** Closes a launched browser and removes its profile: every test run left its profiles (a few megabytes each) in the temp folder. */
export async function close(context: BrowserContext): Promise<void> {
  await context.close();
  // Chromium has exited once close() resolves, so nothing writes into the profile any more.
  const profile = profiles.get(context);
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
}

/** Opens the runtime's standalone page; page errors fail the test through `errors`. */
export async function openVisualizer(context: BrowserContext, runtime: RunningRuntime, viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${runtime.port}/?token=${runtime.token}`);
  await page.waitForSelector('[data-testid="connection-status"]:text("live")');
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

export async function showTab(page: Page, tab: string): Promise<void> {
  await page.click(`[data-tab="${tab}"]`);
  await page.waitForSelector(`[data-tab="${tab}"][aria-selected="true"]`);
}

/** Parses "1,234" (as the overview writes counts). */
export function parseCount(text: string | null): number {
  return Number((text ?? "").replace(/[^\d.]/g, ""));
}

/** Records the page's long tasks (PerformanceObserver "longtask"): reported, never asserted. */
export async function observeLongTasks(page: Page): Promise<() => Promise<string>> {
  // A string: tsx's name helpers do not exist inside the page.
  await page.evaluate(`(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.longTasks.push(e.duration); }).observe({ entryTypes: ["longtask"] });
  })()`);
  return async () => {
    const tasks = (await page.evaluate("window.longTasks")) as number[];
    const over = (ms: number) => tasks.filter((d) => d > ms).length;
    return `${tasks.length} long tasks (over 50 ms), ${over(100)} over 100 ms, ${over(250)} over 250 ms, longest ${Math.round(Math.max(0, ...tasks))} ms`;
  };
}

/** Waits until `read` gives a value that satisfies `ok`, or fails saying what it read last. */
export async function waitUntil<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const end = Date.now() + WAIT_DEADLINE_MS;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > end) assert.fail(`${what}: last read ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}
