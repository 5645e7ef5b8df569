// Render benchmark: frame times of the visualizer's processes table and overview in Chromium while
// a million processes keep changing (test/fixtures/million_alive.ts). Run: node bench/render.mjs
// (after npm run build). Prints one row per scenario; the target is no frame over 50 ms.

import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const SECONDS = Number(process.env.RENDER_BENCH_SECONDS ?? 6);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");

function startRuntime() {
  const child = spawn(process.execPath, [path.join(root, "dist/runtime/cli.js"), "run", "test/fixtures/million_alive.ts", "--telemetry", "--keep-alive", "--sample-interval", "100"], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      const m = /BEAMLINE_TELEMETRY (.*)\n/.exec(out);
      if (m) resolve({ child, ...JSON.parse(m[1]) });
    });
    child.on("exit", (code) => reject(new Error(`runtime exited with ${code}`)));
  });
}

// Injected as a string: frame gaps from requestAnimationFrame and long tasks from the observer.
const RECORDER = `(() => {
  const r = (window.__bench = { frames: [], longTasks: [], running: true });
  let last = performance.now();
  const tick = (now) => { if (!r.running) return; r.frames.push(now - last); last = now; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => { for (const e of list.getEntries()) r.longTasks.push(e.duration); }).observe({ type: "longtask" });
})()`;

async function measure(page, name, during) {
  await page.evaluate(RECORDER);
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) await during();
  const r = await page.evaluate(() => {
    window.__bench.running = false;
    return window.__bench;
  });
  const frames = [...r.frames].sort((a, b) => a - b);
  const q = (p) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))] ?? 0;
  return {
    scenario: name,
    frames: frames.length,
    "p50 ms": q(0.5).toFixed(1),
    "p95 ms": q(0.95).toFixed(1),
    "max ms": (frames.at(-1) ?? 0).toFixed(1),
    "frames > 50 ms": frames.filter((f) => f > 50).length,
    "long tasks": r.longTasks.length,
    "longest task ms": Math.max(0, ...r.longTasks).toFixed(0),
  };
}

const runtime = await startRuntime();
const context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), "beamline-bench-")), {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 860 },
});
try {
  const page = await context.newPage();
  const startedAt = Date.now();
  await page.goto(`http://127.0.0.1:${runtime.port}/?token=${runtime.token}`);
  await page.click('[data-tab="processes"]');
  // Loaded: a million rows in the table and the first sort done.
  await page.waitForFunction(() => /^1,000,00\d processes/.test(document.querySelector('[data-testid="process-count"]')?.textContent ?? ""), null, { timeout: 180_000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid="process-count"]').textContent.includes("sorting"), null, { timeout: 60_000 });
  const loadMs = Date.now() - startedAt;
  const viewport = page.locator('[data-testid="process-viewport"]');
  const rows = [];
  rows.push(await measure(page, "processes: idle (1M updating)", () => page.waitForTimeout(200)));
  let y = 0;
  rows.push(
    await measure(page, "processes: scrolling", async () => {
      y = (y + 0.037) % 1;
      await viewport.evaluate((el, f) => (el.scrollTop = el.scrollHeight * f), y);
      await page.waitForTimeout(30);
    }),
  );
  let column = 0;
  const columns = ["pid", "rate", "mailbox", "reductions", "fn"];
  rows.push(
    await measure(page, "processes: re-sorting", async () => {
      await page.click(`.th[data-sort="${columns[column++ % columns.length]}"]`);
      await page.waitForTimeout(1000);
    }),
  );
  await page.click('[data-tab="overview"]');
  rows.push(await measure(page, "overview (1M updating)", () => page.waitForTimeout(200)));
  console.log(`render benchmark: 1,000,002 processes, 20,000 changed per 100 ms; first keyframe + sort loaded in ${(loadMs / 1000).toFixed(1)} s; ${SECONDS} s per scenario`);
  console.table(rows);
} finally {
  await context.close();
  runtime.child.kill("SIGTERM");
}
