// Render benchmark: frame times of the visualizer's processes table and overview in Chromium while
// a million processes keep changing (test/fixtures/million_alive.ts). Run: node bench/render.mjs
// (after npm run build). Prints one row per scenario and whether it met the target: no frame over
// 50 ms, and the CPU used meanwhile (in cores; this machine has 2): by the runtime, by Chromium and
// its driver, and by everything else on the machine.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { findTelemetryLine } from "../dist/protocol/telemetryLine.js";
import { machineTicks, TICKS_PER_SECOND, treeTicks, waitForQuiet } from "./machineLoad.mjs";

const SECONDS = Number(process.env.RENDER_BENCH_SECONDS ?? 6);
// The target: no frame over 50 ms. Frame times come from requestAnimationFrame, whose timestamps
// are vsync-aligned: a frame of three 16.7 ms intervals reads anywhere from 49.9 to 50.1 ms, and it
// is a 50 ms frame, not one over 50 ms. A frame counts as over once it exceeds 50 ms by more
// than that jitter: in practice, four intervals (66.7 ms) or more.
const TARGET_MS = 50;
const VSYNC_JITTER_MS = 1;
// RENDER_BENCH_PROFILE=1: a CPU profile per scenario (and of the load) in test-results/profiles/,
// and a summary of what ran in the long tasks. Build with BEAMLINE_WEBVIEW_MINIFY=0 for names.
const PROFILE = process.env.RENDER_BENCH_PROFILE === "1";
// RENDER_BENCH_TRACE=1: a Chromium trace per scenario instead, summarized by what the main thread's
// tasks over 50 ms spent their time on (script, GC, layout, paint, message handling...).
const TRACE = process.env.RENDER_BENCH_TRACE === "1";
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
// RENDER_BENCH_CLI: another build of the runtime's cli.js to run the fixture with.
const cli = path.resolve(root, process.env.RENDER_BENCH_CLI ?? "dist/runtime/cli.js");

function startRuntime() {
  const child = spawn(process.execPath, [cli, "run", "test/fixtures/million_alive.ts", "--telemetry", "--keep-alive", "--sample-interval", "100"], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      const endpoint = findTelemetryLine(out);
      if (endpoint !== undefined) resolve({ child, ...endpoint });
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

let cdp = null;
const profileDir = path.join(root, "test-results/profiles");
const profileSummaries = [];

async function startProfile() {
  if (TRACE) {
    await cdp.send("Tracing.start", {
      transferMode: "ReturnAsStream",
      traceConfig: { includedCategories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8", "v8.execute", "toplevel", "blink.user_timing"], excludedCategories: ["*"] },
    });
    return;
  }
  if (!PROFILE) return;
  await cdp.send("Profiler.setSamplingInterval", { interval: 1000 });
  await cdp.send("Profiler.start");
}

async function stopProfile(name) {
  if (TRACE) {
    const done = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
    await cdp.send("Tracing.end");
    const { stream } = await done;
    let text = "";
    for (;;) {
      const chunk = await cdp.send("IO.read", { handle: stream, size: 1 << 20 });
      text += chunk.base64Encoded ? Buffer.from(chunk.data, "base64").toString() : chunk.data;
      if (chunk.eof) break;
    }
    await cdp.send("IO.close", { handle: stream });
    mkdirSync(profileDir, { recursive: true });
    const file = name.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "");
    writeFileSync(path.join(profileDir, `${file}.trace.json`), text);
    profileSummaries.push({ name, ...traceSummary(JSON.parse(text)) });
    return;
  }
  if (!PROFILE) return;
  const { profile } = await cdp.send("Profiler.stop");
  mkdirSync(profileDir, { recursive: true });
  const file = name.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "");
  writeFileSync(path.join(profileDir, `${file}.cpuprofile`), JSON.stringify(profile));
  profileSummaries.push({ name, ...longTaskSummary(profile) });
}

/**
 * Long-task attribution from a sampled CPU profile: a task is a run of samples that are not idle;
 * for tasks over 50 ms, adds up the time per entry point (the stack's outermost function) and per
 * function (self time, and total time of webview functions).
 */
function longTaskSummary(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n) => `${n.callFrame.functionName || "(anonymous)"}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ""}`;
  const stackOf = (id) => {
    const out = [];
    for (let at = id; at !== undefined; at = parent.get(at)) out.push(byId.get(at));
    return out.reverse().slice(1); // without (root)
  };
  const tasks = [];
  let current = null;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(profile.samples[i]);
    const idle = node.callFrame.functionName === "(idle)";
    if (idle) {
      if (current !== null) tasks.push(current);
      current = null;
      continue;
    }
    if (current === null) current = { start: t, ms: 0, samples: [] };
    current.ms += dt;
    current.samples.push([profile.samples[i], dt]);
  }
  if (current !== null) tasks.push(current);
  const long = tasks.filter((x) => x.ms > 50);
  const entry = new Map();
  const self = new Map();
  const total = new Map();
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  for (const task of long) {
    for (const [id, dt] of task.samples) {
      const stack = stackOf(id);
      const outer = stack.find((n) => n.callFrame.url !== "") ?? stack[0];
      add(entry, outer ? name(outer) : "(none)", dt);
      add(self, name(byId.get(id)), dt);
      const seen = new Set();
      for (const n of stack) {
        const k = name(n);
        if (seen.has(k) || !n.callFrame.url) continue;
        seen.add(k);
        add(total, k, dt);
      }
    }
  }
  const top = (m, k = 12) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([f, ms]) => `${ms.toFixed(0).padStart(6)} ms  ${f}`);
  return {
    longTasks: long.length,
    longMs: long.reduce((a, x) => a + x.ms, 0),
    longest: Math.max(0, ...long.map((x) => x.ms)),
    entry: top(entry, 8),
    self: top(self, 15),
    total: top(total, 20),
  };
}

/** Main-thread tasks over 50 ms in a trace: the time of their direct and nested events, by name. */
function traceSummary(trace) {
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  // A spare renderer has a main thread too: the page's is the one with the most events.
  const busy = new Map();
  for (const e of events) busy.set(`${e.pid}/${e.tid}`, (busy.get(`${e.pid}/${e.tid}`) ?? 0) + 1);
  const main = events.filter((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain").sort((a, b) => busy.get(`${b.pid}/${b.tid}`) - busy.get(`${a.pid}/${a.tid}`))[0];
  const mine = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === "X" && e.dur !== undefined).sort((a, b) => a.ts - b.ts);
  const tasks = mine.filter((e) => e.name === "RunTask" || e.name === "ThreadControllerImpl::RunTask");
  const long = tasks.filter((t) => t.dur > 50_000);
  const self = new Map();
  const kinds = new Map();
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  for (const task of long) {
    const inside = mine.filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur <= task.ts + task.dur);
    // Self time per event name: its duration minus its children's.
    const stack = [];
    const childTime = new Map();
    for (const e of inside) {
      while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
      if (stack.length) add(childTime, stack.at(-1), e.dur);
      stack.push(e);
    }
    let covered = 0;
    for (const e of inside) {
      const detail = e.name === "FunctionCall" ? `FunctionCall ${e.args?.data?.functionName || ""}` : e.name === "EventDispatch" ? `EventDispatch ${e.args?.data?.type ?? ""}` : e.name === "TimerFire" ? "TimerFire" : e.name;
      add(self, detail, (e.dur - (childTime.get(e) ?? 0)) / 1000);
    }
    for (const e of inside) if (!stack.includes(e)) {}
    const top = inside.filter((e) => !inside.some((o) => o !== e && o.ts <= e.ts && o.ts + o.dur >= e.ts + e.dur));
    for (const e of top) covered += e.dur;
    add(kinds, "(task time not in any event)", (task.dur - covered) / 1000);
  }
  const top = (m, k = 18) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([f, ms]) => `${ms.toFixed(0).padStart(6)} ms  ${f}`);
  return {
    longTasks: long.length,
    longMs: long.reduce((a, x) => a + x.dur / 1000, 0),
    longest: Math.max(0, ...long.map((x) => x.dur / 1000)),
    entry: top(kinds, 3),
    self: top(self),
    total: [],
  };
}

/**
 * Cores used on average between two readings: by the runtime, by the rest of this benchmark
 * (Chromium and its driver), and by everything else on the machine.
 */
function coresUsed(before, after, seconds) {
  if ([before, after].some((r) => r.machine === null || r.mine === null || r.runtime === null)) return { runtime: 0, browser: 0, other: 0 };
  const cores = (ticks) => ticks / TICKS_PER_SECOND / seconds;
  const mine = cores(after.mine - before.mine);
  const runtime = cores(after.runtime - before.runtime);
  const all = cores(after.machine.busy - before.machine.busy);
  return { runtime, browser: mine - runtime, other: Math.max(0, all - mine) };
}

let runtimePid = 0;
const cpuNow = () => ({ machine: machineTicks(), mine: treeTicks(), runtime: treeTicks(runtimePid) });

async function measure(page, name, during) {
  await page.evaluate(RECORDER);
  await startProfile();
  const cpuBefore = cpuNow();
  const startedAt = Date.now();
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) await during();
  const r = await page.evaluate(() => {
    window.__bench.running = false;
    return window.__bench;
  });
  const cores = coresUsed(cpuBefore, cpuNow(), (Date.now() - startedAt) / 1000);
  await stopProfile(name);
  const frames = [...r.frames].sort((a, b) => a - b);
  const q = (p) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))] ?? 0;
  return {
    scenario: name,
    frames: frames.length,
    "p50 ms": q(0.5).toFixed(1),
    "p95 ms": q(0.95).toFixed(1),
    "max ms": (frames.at(-1) ?? 0).toFixed(1),
    "frames > 50 ms": frames.filter((f) => f > TARGET_MS + VSYNC_JITTER_MS).length,
    "long tasks": r.longTasks.length,
    "longest task ms": Math.max(0, ...r.longTasks).toFixed(0),
    "runtime cores": cores.runtime.toFixed(2),
    "browser cores": cores.browser.toFixed(2),
    "other cores": cores.other.toFixed(2),
  };
}

waitForQuiet({ leftMs: 60_000 });
const runtime = await startRuntime();
runtimePid = runtime.child.pid;
const context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), "beamline-bench-")), {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 860 },
});
try {
  const page = await context.newPage();
  cdp = await page.context().newCDPSession(page);
  if (PROFILE) await cdp.send("Profiler.enable");
  await startProfile();
  const startedAt = Date.now();
  await page.goto(`http://127.0.0.1:${runtime.port}/?token=${runtime.token}`);
  await page.click('[data-tab="processes"]');
  // Loaded: a million rows in the table and the first sort done.
  await page.waitForFunction(() => /^1,000,00\d processes/.test(document.querySelector('[data-testid="process-count"]')?.textContent ?? ""), null, { timeout: 180_000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid="process-count"]').textContent.includes("sorting"), null, { timeout: 60_000 });
  const loadMs = Date.now() - startedAt;
  await stopProfile("load");
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
  // The target, scenario by scenario: no frame over 50 ms.
  for (const r of rows) {
    const over = r["frames > 50 ms"];
    console.log(`${over === 0 ? "met   " : "MISSED"} ${r.scenario}: ${over} frames over 50 ms, max frame ${r["max ms"]} ms, longest task ${r["longest task ms"]} ms, other load ${r["other cores"]} cores`);
  }
  for (const p of profileSummaries) {
    console.log(`\n== profile: ${p.name}: ${p.longTasks} tasks over 50 ms, ${p.longMs.toFixed(0)} ms in them, longest ${p.longest.toFixed(0)} ms`);
    console.log("  entry points:\n    " + p.entry.join("\n    "));
    console.log("  self time:\n    " + p.self.join("\n    "));
    console.log("  total time (webview functions):\n    " + p.total.join("\n    "));
  }
} finally {
  await context.close();
  runtime.child.kill("SIGTERM");
}
