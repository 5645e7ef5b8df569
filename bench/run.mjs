#!/usr/bin/env node
// The benchmark suite: `npm run bench` (builds first), or `node bench/run.mjs [options] [filter...]`.
//
// Runs every benchmark on Beamline (bench/programs/*.ts), on Erlang/OTP (bench/erlang/*.erl, with
// +S 1 and with the default schedulers) and as plain Node.js (bench/node/*.mjs) where there is a
// plain version, each in a fresh OS process, several times, interleaved so that drift hits every
// implementation alike. Prints a table of medians with their spread (min–max), ratios and targets,
// and writes every figure to bench/results/latest.json. See docs/performance.md.
//
// Plain JavaScript with Node built-ins only.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { childTicks, freshPageMicros, machineTicks, NOISY_CORES, TICKS_PER_SECOND, waitForQuiet } from "./machineLoad.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BENCH = path.join(ROOT, "bench");
const CLI = path.join(ROOT, "dist", "runtime", "cli.js");

const USAGE = `usage: node bench/run.mjs [options] [filter...]

  filter            run only the benchmarks whose name contains one of the words
                    (skynet, spawn_memory, ping_pong, ring, bottleneck, spawn_link_monitor, restart;
                    "spawn", "memory", "call", "link", "monitor"... work too)
  --quick           small N and 1 repetition: a smoke run of a few seconds per benchmark
  --reps N          repetitions of each measurement (default 3; 1 with --quick)
  --no-wait         do not wait for other processes to quiet down before each run,
                    nor run again a measurement that shared the CPU with them
  --no-erlang       skip the Erlang figures (and the Erlang install)
  --no-install      do not install Erlang with apt-get when erl is missing
  --no-node         skip the plain Node.js figures
  -h, --help        this text

A full run writes bench/results/latest.json; a quick or filtered run writes bench/results/partial.json.`;

// ---------------------------------------------------------------------------------------------
// What is measured

/** The benchmark programs; `n` is BENCH_N (what it scales is described in each program). */
const PROGRAMS = [
  { name: "skynet", n: 1_000_000, quickN: 100_000, plainNode: true, aliases: ["skynet"] },
  { name: "spawn_memory", n: 1_000_000, quickN: 100_000, plainNode: true, aliases: ["spawn", "memory"] },
  { name: "ping_pong", n: 1_000_000, quickN: 100_000, plainNode: true, aliases: ["ping", "pong", "call", "round"] },
  { name: "ring", n: 1_000_000, quickN: 100_000, plainNode: true, aliases: ["ring"] },
  { name: "bottleneck", n: 1_000_000, quickN: 100_000, plainNode: false, aliases: ["bottleneck", "pool"] },
  // 200,000 rather than a million: the BEAM spawns at about 11 µs here, and this program spawns four rounds.
  { name: "spawn_link_monitor", n: 200_000, quickN: 20_000, plainNode: false, aliases: ["link", "monitor"] },
  { name: "restart", n: 10_000, quickN: 1_000, plainNode: false, aliases: ["restart", "supervisor"] },
];

/**
 * The rows of the table. `field` is read from each program's BENCH line (`erlangField` for Erlang
 * when it differs). `ratio` is the target for Beamline ÷ Erlang, `abs` the absolute target for Beamline.
 */
const ROWS = [
  { id: "skynet", program: "skynet", field: "ms", label: "skynet, 1M leaves", unit: "ms", better: "lower", ratio: 0.5, abs: 2000 },
  { id: "spawn", program: "spawn_memory", field: "spawnUs", label: "spawn, per process (1M)", unit: "µs", better: "lower", ratio: 1.0, abs: 1 },
  // The same spawn loop once the first million have ended: into memory the heap already has, so
  // without the first touch of fresh pages, which costs this VM 13-16 µs a page (docs/performance.md).
  {
    id: "spawn-warm",
    program: "spawn_memory",
    field: "warmSpawnUs",
    label: "spawn, 1M more into a warm heap",
    unit: "µs",
    better: "lower",
    ratio: 1.0,
    abs: 1,
  },
  {
    id: "memory",
    program: "spawn_memory",
    field: "bytesPerProcess",
    label: "memory per idle process",
    unit: "B",
    better: "lower",
    ratio: 0.15,
    abs: 400,
  },
  { id: "bare", program: "ping_pong", field: "bareUs", label: "round trip, send+receive", unit: "µs", better: "lower", ratio: 0.4, abs: 0.3 },
  {
    id: "call",
    program: "ping_pong",
    field: "callUs",
    label: "round trip, call (E: gen_server:call)",
    unit: "µs",
    better: "lower",
    ratio: 0.4,
    abs: 0.3,
  },
  {
    id: "refcall",
    program: "ping_pong",
    field: "callUs",
    erlangField: "refCallUs",
    label: "round trip, call (E: make_ref+receive)",
    unit: "µs",
    better: "lower",
    ratio: 0.4,
    abs: 0.3,
  },
  { id: "ring-big", program: "ring", field: "bigHopsPerSec", label: "ring, 10k procs x 100 laps", unit: "hops/s", better: "higher", ratio: 2 },
  {
    id: "ring-small",
    program: "ring",
    field: "smallHopsPerSec",
    label: "ring, 100 procs x 10k laps",
    unit: "hops/s",
    better: "higher",
    ratio: 2,
  },
  {
    id: "bottleneck-one",
    program: "bottleneck",
    field: "oneCallsPerSec",
    label: "bottleneck, 1000 clients -> 1 server",
    unit: "calls/s",
    better: "higher",
    ratio: 2,
  },
  {
    id: "bottleneck-pool",
    program: "bottleneck",
    field: "poolCallsPerSec",
    label: "bottleneck, 1000 clients -> pool of 10",
    unit: "calls/s",
    better: "higher",
    ratio: 2,
  },
  // Issue 14. Both spawn into a warm heap, after an untimed round (plain spawn's figure from the
  // same run is spawnUs in the JSON, for the cost of the link or monitor alone).
  {
    id: "spawn-link",
    program: "spawn_link_monitor",
    field: "spawnLinkUs",
    label: "spawnLink, per process (200k)",
    unit: "µs",
    better: "lower",
    ratio: 1.0,
  },
  {
    id: "spawn-monitor",
    program: "spawn_link_monitor",
    field: "spawnMonitorUs",
    label: "spawnMonitor, per process (200k)",
    unit: "µs",
    better: "lower",
    ratio: 1.0,
  },
  // The median: on this shared 2-core machine a few rounds in a hundred wait milliseconds for the
  // CPU, which moves the mean (restartUs in the JSON) more than the restarts themselves do.
  {
    id: "restart",
    program: "restart",
    field: "restartMedianUs",
    label: "restart, kill to answer (one_for_one)",
    unit: "µs",
    better: "lower",
    ratio: 1.0,
  },
];

/** The implementations, in the order each repetition runs them. */
const IMPLS = [
  { id: "beamline", title: "Beamline" },
  { id: "erlangS1", title: "Erlang +S 1" },
  { id: "erlangDefault", title: "Erlang default" },
  { id: "node", title: "plain Node" },
];

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const options = { quick: false, reps: undefined, erlang: true, install: true, node: true, wait: true, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--reps") {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--reps needs a whole number >= 1, got ${argv[i]}`);
      options.reps = n;
    } else if (arg === "--no-erlang") options.erlang = false;
    else if (arg === "--no-install") options.install = false;
    else if (arg === "--no-node") options.node = false;
    else if (arg === "--no-wait") options.wait = false;
    else if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}\n${USAGE}`);
    else options.filters.push(arg.toLowerCase());
  }
  options.reps ??= options.quick ? 1 : 3;
  return options;
}

function selectPrograms(filters) {
  if (filters.length === 0) return PROGRAMS;
  const chosen = PROGRAMS.filter((p) => filters.some((f) => p.name.includes(f) || p.aliases.some((a) => a.includes(f) || f.includes(a))));
  if (chosen.length === 0) throw new Error(`no benchmark matches ${filters.join(", ")}; the benchmarks are ${PROGRAMS.map((p) => p.name).join(", ")}`);
  return chosen;
}

// ---------------------------------------------------------------------------------------------
// Running things

function sh(command, args, opts = {}) {
  return spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
}

function which(command) {
  const r = sh("sh", ["-c", `command -v ${command}`]);
  return r.status === 0 ? r.stdout.trim() : null;
}

function tail(text, lines = 12) {
  return (text ?? "").trim().split("\n").slice(-lines).join("\n");
}

// The machine is shared, so each run records how much CPU other processes used meanwhile: the
// whole machine's busy time less the CPU time of the benchmark process itself (bench/machineLoad.mjs).

/** Wall time the suite may spend running noisy measurements again, and waiting for quiet. */
const retryBudget = { leftMs: 150_000 };
const waitBudget = { leftMs: 90_000 };

/** Runs one benchmark process; returns its BENCH fields plus wallMs, cpuMs and otherCores, or { error }. */
function runOnce(command, args, env, timeoutMs) {
  const ticks0 = machineTicks();
  const kids0 = childTicks();
  const started = performance.now();
  const r = sh(command, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: "SIGKILL" });
  const wallMs = performance.now() - started;
  const ticks1 = machineTicks();
  const kids1 = childTicks();
  const meta = { wallMs };
  if (ticks0 && ticks1 && kids0 !== null && kids1 !== null) {
    const childSec = (kids1 - kids0) / TICKS_PER_SECOND;
    const busySec = (ticks1.busy - ticks0.busy) / TICKS_PER_SECOND;
    meta.cpuMs = childSec * 1000;
    meta.otherCores = Math.max(0, (busySec - childSec) / (wallMs / 1000));
  }
  if (r.error?.code === "ETIMEDOUT" || r.signal === "SIGKILL") {
    return { error: `timed out after ${Math.round(timeoutMs / 1000)} s`, ...meta };
  }
  if (r.error) return { error: String(r.error.message), ...meta };
  const line = r.stdout.split("\n").find((l) => l.startsWith("BENCH "));
  if (r.status !== 0 || line === undefined) {
    return { error: `exit ${r.status ?? r.signal}, no BENCH line\n${tail(r.stderr || r.stdout)}`, ...meta };
  }
  try {
    return { ...JSON.parse(line.slice("BENCH ".length)), ...meta };
  } catch {
    return { error: `unreadable BENCH line: ${line}`, ...meta };
  }
}

// ---------------------------------------------------------------------------------------------
// Erlang: find it, install it as root when it is missing, compile the benchmarks

function ensureErlang(options) {
  if (!options.erlang) return { ok: false, reason: "--no-erlang was given" };
  if (which("erl") && which("erlc")) return { ok: true, installed: false };
  if (!options.install) return { ok: false, reason: "erl is not installed and --no-install was given" };
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    return { ok: false, reason: "erl is not installed and this is not root, so it cannot be installed with apt-get (install erlang-nox and run again)" };
  }
  if (!which("apt-get")) return { ok: false, reason: "erl is not installed and there is no apt-get to install it with" };
  console.log("Erlang (erl) is not installed: installing erlang-nox with apt-get, since this runs as root...");
  const started = performance.now();
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  let r = sh("apt-get", ["install", "-y", "erlang-nox"], { env });
  if (r.status !== 0) {
    console.log("apt-get install failed; running apt-get update and trying again...");
    sh("apt-get", ["update"], { env });
    r = sh("apt-get", ["install", "-y", "erlang-nox"], { env });
  }
  if (r.status !== 0 || !which("erl") || !which("erlc")) {
    return { ok: false, reason: `apt-get install -y erlang-nox failed (exit ${r.status}): ${tail(r.stderr || r.stdout, 4)}` };
  }
  console.log(`Installed erlang-nox in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  return { ok: true, installed: true };
}

function erlangVersion() {
  const r = sh("erl", [
    "-noshell",
    "-eval",
    'io:format("~s ~s ~p", [erlang:system_info(otp_release), erlang:system_info(version), erlang:system_info(schedulers_online)]), halt().',
  ]);
  const [otp, erts, schedulers] = r.stdout.trim().split(" ");
  return { otp, erts, defaultSchedulers: Number(schedulers), text: `Erlang/OTP ${otp} (erts ${erts})` };
}

function compileErlang() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "beamline-bench-erl-"));
  const sources = readdirSync(path.join(BENCH, "erlang"))
    .filter((f) => f.endsWith(".erl"))
    .map((f) => path.join(BENCH, "erlang", f));
  const r = sh("erlc", ["-o", dir, ...sources]);
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `erlc failed:\n${tail(r.stderr || r.stdout)}` };
  }
  return { ok: true, dir };
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

function stats(values) {
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1], n: v.length, values };
}

function fmt(value, unit) {
  if (value === undefined || value === null || !Number.isFinite(value)) return "-";
  if (unit.endsWith("/s")) {
    if (value >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
    if (value >= 1e3) return `${(value / 1e3).toPrecision(3)}k`;
    return value.toFixed(0);
  }
  if (unit === "ms" || unit === "B") return value >= 100 ? value.toFixed(0) : value.toPrecision(3);
  return value.toPrecision(3);
}

function cell(s, unit, noisy) {
  if (s === null || s === undefined) return "-";
  const mark = noisy ? " *" : "";
  if (s.n === 1 || s.min === s.max) return fmt(s.median, unit) + mark;
  return `${fmt(s.median, unit)} (${fmt(s.min, unit)}–${fmt(s.max, unit)})${mark}`;
}

const ratioText = (r) => (r === null ? "-" : r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`);

function targetText(row) {
  const parts = [row.better === "lower" ? `≤ ${row.ratio}x BEAM` : `≥ ${row.ratio}x BEAM`];
  if (row.abs !== undefined) parts.push(`≤ ${fmt(row.abs, row.unit)} ${row.unit}`);
  return parts.join(", ");
}

function markdownTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

// ---------------------------------------------------------------------------------------------
// The suite

/** What fresh memory costs here, and the floor it puts under a spawn that keeps its process. */
function freshPageText(us, spawnRuns) {
  if (us === null) return "";
  const bytes = stats((spawnRuns ?? []).filter((r) => !r.error).map((r) => r.bytesPerProcess));
  const floor = bytes ? ` At ${bytes.median.toFixed(0)} B per idle process, page faults alone cost ${((bytes.median / 4096) * us).toFixed(2)} µs per spawn.` : "";
  return `Fresh memory: the first touch of a 4 KiB page costs ${us.toFixed(1)} µs on this machine.${floor}`;
}

function machineInfo(erlang) {
  const cpus = os.cpus();
  const git = sh("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT });
  const dirty = sh("git", ["status", "--porcelain", "--", "runtime"], { cwd: ROOT });
  return {
    cpuModel: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    erlang: erlang?.text ?? null,
    erlangDefaultSchedulers: erlang?.defaultSchedulers ?? null,
    commit: git.status === 0 ? git.stdout.trim() + (dirty.stdout.trim() ? " (runtime/ modified)" : "") : null,
  };
}

function main() {
  const suiteStarted = performance.now();
  let options;
  let programs;
  try {
    options = parseArgs(process.argv.slice(2));
    programs = selectPrograms(options.filters);
  } catch (error) {
    console.error(`bench: ${error.message}`);
    process.exit(2);
  }

  if (!existsSync(CLI)) {
    console.log("dist/runtime is missing: building it (npm run bench builds first)...");
    const r = sh(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) process.exit(1);
  }

  // Erlang
  let erlang = null;
  let erlangSkipped = null;
  let erlDir = null;
  const found = ensureErlang(options);
  if (!found.ok) erlangSkipped = found.reason;
  else {
    erlang = erlangVersion();
    const compiled = compileErlang();
    if (!compiled.ok) erlangSkipped = compiled.reason;
    else erlDir = compiled.dir;
  }
  if (erlangSkipped) console.log(`Erlang figures are skipped: ${erlangSkipped}`);
  const cleanup = () => erlDir && rmSync(erlDir, { recursive: true, force: true });
  process.on("exit", cleanup);
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => process.exit(130));

  const machine = machineInfo(erlang);
  machine.freshPageUs = freshPageMicros();
  const defaultS = erlang?.defaultSchedulers ?? os.cpus().length;
  IMPLS.find((i) => i.id === "erlangDefault").title = `Erlang +S ${defaultS} (default)`;
  console.log(
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB; Node ${machine.node}` +
      (erlang ? `; ${erlang.text}` : "") +
      `\nRunning ${programs.map((p) => p.name).join(", ")}: ${options.reps} repetition(s)${options.quick ? ", quick (small N)" : ""}.\n`,
  );

  const timeoutMs = options.quick ? 60_000 : 180_000;
  const commandFor = (impl, program) => {
    switch (impl) {
      case "beamline":
        return [process.execPath, ["--expose-gc", CLI, "run", path.join("bench", "programs", `${program.name}.ts`)]];
      case "erlangS1":
      case "erlangDefault": {
        if (erlDir === null) return null;
        const eval_ =
          `try ${program.name}:main() of _ -> halt(0) ` +
          `catch C:R:St -> io:format(standard_error, "~p:~p~n~p~n", [C, R, St]), halt(1) end.`;
        const schedulers = impl === "erlangS1" ? ["+S", "1"] : [];
        return ["erl", ["-noshell", ...schedulers, "+P", "4000000", "-pa", erlDir, "-eval", eval_]];
      }
      case "node":
        if (!options.node || !program.plainNode) return null;
        return [process.execPath, ["--expose-gc", path.join("bench", "node", `${program.name}.mjs`)]];
    }
    return null;
  };

  /** runs[program][impl] = one result per repetition */
  const runs = {};
  for (const program of programs) {
    runs[program.name] = {};
    for (const impl of IMPLS) runs[program.name][impl.id] = [];
  }

  for (let rep = 1; rep <= options.reps; rep++) {
    for (const program of programs) {
      const n = options.quick ? program.quickN : program.n;
      // The order rotates with each repetition, so that no implementation always runs right
      // after the same neighbour (a run that frees gigabytes changes the next run's page faults).
      const order = IMPLS.map((_, i) => IMPLS[(i + rep - 1) % IMPLS.length]);
      for (const impl of order) {
        const cmd = commandFor(impl.id, program);
        if (cmd === null) continue;
        if (options.wait) waitForQuiet(waitBudget);
        let result = runOnce(cmd[0], cmd[1], { BENCH_N: String(n) }, timeoutMs);
        // A run that shared the CPU is run again once, while the retry budget lasts; the quieter
        // of the two is kept and the other is recorded in `discarded`.
        if (options.wait && !result.error && result.otherCores >= NOISY_CORES && retryBudget.leftMs > 0) {
          console.log(
            `[${rep}/${options.reps}] ${program.name.padEnd(12)} ${impl.title.padEnd(22)} other processes used ` +
              `${result.otherCores.toFixed(1)} cores during the run: running it again`,
          );
          waitForQuiet(waitBudget);
          const again = runOnce(cmd[0], cmd[1], { BENCH_N: String(n) }, timeoutMs);
          retryBudget.leftMs -= again.wallMs;
          const keep = !again.error && again.otherCores < result.otherCores ? again : result;
          const drop = keep === again ? result : again;
          result = { ...keep, discarded: [drop] };
        }
        runs[program.name][impl.id].push(result);
        const shown = result.error
          ? `FAILED: ${result.error}`
          : ROWS.filter((r) => r.program === program.name && r.id !== "refcall")
              .map((r) => {
                const v = result[impl.id.startsWith("erlang") ? (r.erlangField ?? r.field) : r.field];
                return `${r.field}=${fmt(v, r.unit)}`;
              })
              .join(" ");
        const busy = result.otherCores >= 0.25 ? `, other processes used ${result.otherCores.toFixed(1)} cores` : "";
        console.log(
          `[${rep}/${options.reps}] ${program.name.padEnd(12)} ${impl.title.padEnd(22)} ${shown}  (${(result.wallMs / 1000).toFixed(1)} s${busy})`,
        );
      }
    }
  }

  // The table
  const rowsOut = [];
  const tableRows = [];
  const selected = new Set(programs.map((p) => p.name));
  for (const row of ROWS.filter((r) => selected.has(r.program))) {
    const pick = (impl, field) => stats(runs[row.program][impl].filter((r) => !r.error).map((r) => r[field]));
    const b = pick("beamline", row.field);
    const e1 = pick("erlangS1", row.erlangField ?? row.field);
    const eD = pick("erlangDefault", row.erlangField ?? row.field);
    const nd = pick("node", row.field);
    const noisy = (impl) => runs[row.program][impl].some((r) => !r.error && r.otherCores >= NOISY_CORES);
    const ratio = (other) => (b && other && other.median > 0 ? b.median / other.median : null);
    const rE1 = ratio(e1);
    const rED = ratio(eD);
    const rN = ratio(nd);
    // The target holds only against the faster BEAM configuration of this run.
    const candidates = [e1, eD].filter(Boolean).map((s) => s.median);
    const bestErlang = candidates.length === 0 ? null : row.better === "lower" ? Math.min(...candidates) : Math.max(...candidates);
    const rBest = b && bestErlang ? b.median / bestErlang : null;
    const ratioPass = rBest === null ? null : row.better === "lower" ? rBest <= row.ratio : rBest >= row.ratio;
    const absPass = row.abs === undefined || !b ? null : b.median <= row.abs;
    const mark = (p) => (p === null ? "n/a" : p ? "pass" : "MISS");
    const result = [`ratio ${mark(ratioPass)}`];
    if (row.abs !== undefined) result.push(`abs ${mark(absPass)}`);
    rowsOut.push({
      id: row.id,
      label: row.label,
      unit: row.unit,
      better: row.better,
      beamline: b,
      erlangS1: e1,
      erlangDefault: eD,
      node: nd,
      ratioVsErlangS1: rE1,
      ratioVsErlangDefault: rED,
      ratioVsBestErlang: rBest,
      ratioVsNode: rN,
      target: { ratio: row.ratio, abs: row.abs ?? null, text: targetText(row) },
      ratioPass,
      absPass,
    });
    tableRows.push([
      row.label,
      `${row.unit}, ${row.better === "lower" ? "lower" : "higher"}`,
      cell(b, row.unit, noisy("beamline")),
      cell(e1, row.unit, noisy("erlangS1")),
      cell(eD, row.unit, noisy("erlangDefault")),
      ratioText(rE1),
      ratioText(rED),
      cell(nd, row.unit, noisy("node")),
      ratioText(rN),
      targetText(row),
      result.join(", "),
    ]);
  }
  const header = [
    "benchmark",
    "unit, better",
    "Beamline",
    "Erlang +S 1",
    `Erlang +S ${defaultS}`,
    "B/E +S1",
    `B/E +S${defaultS}`,
    "plain Node",
    "B/Node",
    "target (Beamline)",
    "result",
  ];
  const table = markdownTable(header, tableRows);
  const durationSec = (performance.now() - suiteStarted) / 1000;
  const allRuns = Object.values(runs).flatMap((byImpl) => Object.values(byImpl).flat());
  const noisyRuns = allRuns.filter((r) => r.otherCores >= NOISY_CORES).length;
  console.log(`\n${table}\n`);
  console.log(
    [
      "Cells: median (min–max) of " + options.reps + " run(s), each in a fresh OS process.",
      'Ratios are Beamline ÷ other: below 1 is better for "lower" rows (times, bytes), above 1 for "higher" rows (throughput).',
      "A ratio target passes only against the better of the two Erlang columns; abs targets are Beamline's own median.",
      erlangSkipped ? `Erlang figures skipped: ${erlangSkipped}` : `Erlang: ${erlang.text}. Beamline runs one scheduler thread.`,
      noisyRuns > 0
        ? `* ${noisyRuns} of ${allRuns.length} runs shared the CPU with other processes (>= ${NOISY_CORES} cores on average during the run): ` +
          "cells marked * contain such runs and are noisy; see otherCores in the JSON."
        : `No run shared the CPU with other processes (each saw < ${NOISY_CORES} cores of other load).`,
      freshPageText(machine.freshPageUs, runs.spawn_memory?.beamline),
      `Suite duration: ${durationSec.toFixed(0)} s.`,
    ]
      .filter(Boolean)
      .join("\n"),
  );

  const full = !options.quick && options.filters.length === 0;
  const outFile = path.join(BENCH, "results", full ? "latest.json" : "partial.json");
  const report = {
    date: new Date().toISOString(),
    durationSec,
    options: { quick: options.quick, reps: options.reps, filters: options.filters },
    machine,
    erlang: {
      available: erlang !== null && erlangSkipped === null,
      version: erlang,
      skipped: erlangSkipped,
      installedNow: found.installed ?? false,
    },
    benchN: Object.fromEntries(programs.map((p) => [p.name, options.quick ? p.quickN : p.n])),
    rows: rowsOut,
    runs,
    table,
  };
  try {
    mkdirSync(path.dirname(outFile), { recursive: true });
    writeFileSync(outFile, JSON.stringify(report, null, 2) + "\n");
    console.log(`Wrote ${path.relative(ROOT, outFile)}.`);
  } catch (error) {
    console.log(`Could not write ${path.relative(ROOT, outFile)}: ${error.message}`);
    process.exitCode = 1;
  }
  const failures = allRuns.filter((r) => r.error).length;
  if (failures > 0) {
    console.log(`${failures} run(s) failed; see above.`);
    process.exitCode = 1;
  }
}

main();
