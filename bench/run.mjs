#!/usr/bin/env node
// The benchmark suite: `npm run bench` (builds first), or `node bench/run.mjs [options] [filter...]`.
//
// Runs every benchmark on Beamline (bench/programs/*.ts) and on Erlang/OTP (bench/erlang/*.erl),
// each with one scheduler (`--schedulers 1`, `+S 1`) and with the default count, one per core
// (os.availableParallelism(), passed explicitly to both), and as plain Node.js (bench/node/*.mjs)
// where there is a plain version, each in a fresh OS process, several times, interleaved so that
// drift hits every implementation alike. Prints a table of medians with their spread (min–max),
// ratios and targets, and writes every figure to bench/results/latest.json. See docs/performance.md.
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
                    (skynet, spawn_memory, ping_pong, ring, bottleneck, spawn_link_monitor, restart,
                    cpu_parallel, cross_ping_pong, cross_throughput, mesh_transport;
                    "spawn", "memory", "call", "link", "monitor", "cross", "cpu"... work too)
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

/** One scheduler per core, as on the BEAM; the default columns pass it to both runtimes. */
const DEFAULT_SCHEDULERS = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;

/** The plain Node.js transport figures that the cross-scheduler rows are compared with. */
const MESH_TRANSPORT = path.join("bench", "meshTransport.mjs");

/**
 * The benchmark programs; `n` is BENCH_N (what it scales is described in each program).
 * `minSchedulers`: runs only where both runtimes have that many schedulers (not in the +S 1
 * columns). `plainNode`: the program has a bench/node/<name>.mjs; `nodeFrom`: the plain Node
 * column comes from another program's runs. `nodeOnly`: a plain Node.js script, no Beamline or
 * Erlang version.
 */
const PROGRAMS = [
  { name: "skynet", n: 1_000_000, quickN: 100_000, plainNode: true, aliases: ["skynet"] },
  { name: "spawn_memory", n: 1_000_000, quickN: 100_000, plainNode: true, aliases: ["spawn", "memory"] },
  { name: "ping_pong", n: 1_000_000, quickN: 100_000, plainNode: true, aliases: ["ping", "pong", "call", "round"] },
  { name: "ring", n: 1_000_000, quickN: 100_000, plainNode: true, aliases: ["ring"] },
  { name: "bottleneck", n: 1_000_000, quickN: 100_000, plainNode: false, aliases: ["bottleneck", "pool"] },
  // 200,000 rather than a million: the BEAM spawns at about 11 µs here, and this program spawns four rounds.
  { name: "spawn_link_monitor", n: 200_000, quickN: 20_000, plainNode: false, aliases: ["link", "monitor"] },
  { name: "restart", n: 10_000, quickN: 1_000, plainNode: false, aliases: ["restart", "supervisor"] },
  // Issue 15: m:n schedulers. BENCH_N is the Mandelbrot grid's side (fib's argument follows it).
  { name: "cpu_parallel", n: 2048, quickN: 512, plainNode: false, aliases: ["cpu", "parallel", "mandelbrot", "fib"] },
  { name: "cross_ping_pong", n: 200_000, quickN: 20_000, minSchedulers: 2, nodeFrom: "mesh_transport", aliases: ["cross", "scheduler"] },
  { name: "cross_throughput", n: 2_000_000, quickN: 200_000, minSchedulers: 2, nodeFrom: "mesh_transport", aliases: ["cross", "scheduler"] },
  // bench/meshTransport.mjs: the transport between two threads, with its own sizes (--quick: smaller).
  { name: "mesh_transport", nodeOnly: MESH_TRANSPORT, aliases: ["cross", "mesh", "transport", "postmessage"] },
];

/**
 * The rows of the table. `field` is read from each program's BENCH line (`erlangField` for Erlang,
 * `nodeField` for the plain Node column, when they differ). Targets, each judged per scheduler
 * count where both columns exist: `ratio` for Beamline ÷ Erlang with as many schedulers, `abs` for
 * Beamline's own median; `scaling` for Beamline +S 1 ÷ Beamline default (the speed-up of the
 * default count, per scheduler: 0.9 is 1.8x on 2 cores); `vsNode` for Beamline default ÷ plain Node.
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
  // Issue 15. 64 processes compute at once; the default column should use every core.
  {
    id: "cpu-mandelbrot",
    program: "cpu_parallel",
    field: "mandelbrotMs",
    label: "cpu_parallel, 64 procs: Mandelbrot 2048²",
    unit: "ms",
    better: "lower",
    ratio: 1.0,
    scaling: 0.9,
  },
  {
    id: "cpu-fib",
    program: "cpu_parallel",
    field: "fibMs",
    label: "cpu_parallel, 64 procs: fib(30) each",
    unit: "ms",
    better: "lower",
    ratio: 1.0,
    scaling: 0.9,
  },
  // The two processes on different schedulers; plain Node: a postMessage round trip between two
  // worker threads, from bench/meshTransport.mjs in the same suite run.
  {
    id: "cross-round-trip",
    program: "cross_ping_pong",
    field: "bareUs",
    nodeField: "postMessageRoundTripUs",
    label: "cross_ping_pong, send+receive (Node: postMessage)",
    unit: "µs",
    better: "lower",
    vsNode: 0.1,
  },
  {
    id: "cross-call",
    program: "cross_ping_pong",
    field: "callUs",
    label: "cross_ping_pong, call (E: make_ref+receive)",
    unit: "µs",
    better: "lower",
  },
  {
    id: "cross-throughput",
    program: "cross_throughput",
    field: "messagesPerSec",
    nodeField: "postMessagePerSec",
    label: "cross_throughput, a sender per scheduler (Node: postMessage)",
    unit: "msgs/s",
    better: "higher",
  },
];

/** The implementations, in the order each repetition runs them. */
const IMPLS = [
  { id: "beamlineS1", title: "Beamline +S 1", runtime: "beamline", schedulers: 1 },
  { id: "beamlineDefault", title: `Beamline +S ${DEFAULT_SCHEDULERS}`, runtime: "beamline", schedulers: DEFAULT_SCHEDULERS },
  { id: "erlangS1", title: "Erlang +S 1", runtime: "erlang", schedulers: 1 },
  { id: "erlangDefault", title: `Erlang +S ${DEFAULT_SCHEDULERS}`, runtime: "erlang", schedulers: DEFAULT_SCHEDULERS },
  { id: "node", title: "plain Node", runtime: "node", schedulers: 1 },
];

/**
 * What a runtime without m:n scheduling says when asked for it: the command line refuses
 * `--schedulers N`, or the loader finds no spawnOn, schedulerId or schedulers to import. Such a
 * run is not a failure; its cells say "needs m:n".
 */
const NEEDS_MN = [/this version runs one scheduler thread/, /beamline does not export (spawnOn|schedulerId|schedulers)\b/];

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
  // A row whose plain Node column comes from another program needs that program's runs too.
  const needed = new Set(chosen.flatMap((p) => [p.name, ...(p.nodeFrom ? [p.nodeFrom] : [])]));
  return PROGRAMS.filter((p) => needed.has(p.name));
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
  const refusal = r.status !== 0 ? NEEDS_MN.map((re) => re.exec(`${r.stderr}\n${r.stdout}`)).find((m) => m !== null) : undefined;
  if (refusal) return { error: `needs m:n: ${refusal[0]}`, needsMN: true, ...meta };
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
  const parts = [];
  if (row.ratio !== undefined) parts.push(row.better === "lower" ? `≤ ${row.ratio}x BEAM` : `≥ ${row.ratio}x BEAM`);
  if (row.abs !== undefined) parts.push(`≤ ${fmt(row.abs, row.unit)} ${row.unit}`);
  if (row.scaling !== undefined) parts.push(`+S ${DEFAULT_SCHEDULERS} ≥ ${ratioText(row.scaling * DEFAULT_SCHEDULERS)} faster than +S 1`);
  if (row.vsNode !== undefined) parts.push(`≤ ${row.vsNode}x postMessage`);
  return parts.length > 0 ? parts.join(", ") : "none (beside Erlang)";
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
  machine.defaultSchedulers = DEFAULT_SCHEDULERS;
  const meshTransportMissing = !existsSync(path.join(ROOT, MESH_TRANSPORT));
  console.log(
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB; Node ${machine.node}` +
      (erlang ? `; ${erlang.text}` : "") +
      `\nDefault columns: ${DEFAULT_SCHEDULERS} schedulers (os.availableParallelism()), passed to both runtimes` +
      (erlang && erlang.defaultSchedulers !== DEFAULT_SCHEDULERS ? ` (Erlang's own default here is ${erlang.defaultSchedulers})` : "") +
      `.\nRunning ${programs.map((p) => p.name).join(", ")}: ${options.reps} repetition(s)${options.quick ? ", quick (small N)" : ""}.\n`,
  );

  const timeoutMs = options.quick ? 60_000 : 180_000;
  /** The command that runs `program` on `impl`, or null where that implementation does not apply. */
  const commandFor = (impl, program) => {
    if (program.nodeOnly !== undefined) {
      if (impl.runtime !== "node" || !options.node || meshTransportMissing) return null;
      return [process.execPath, [program.nodeOnly, ...(options.quick ? ["--quick"] : [])]];
    }
    if ((program.minSchedulers ?? 1) > impl.schedulers) return null;
    switch (impl.runtime) {
      case "beamline": {
        const file = path.join("bench", "programs", `${program.name}.ts`);
        if (!existsSync(path.join(ROOT, file))) return null;
        return [process.execPath, ["--expose-gc", CLI, "run", "--schedulers", String(impl.schedulers), file]];
      }
      case "erlang": {
        if (erlDir === null) return null;
        const eval_ =
          `try ${program.name}:main() of _ -> halt(0) ` +
          `catch C:R:St -> io:format(standard_error, "~p:~p~n~p~n", [C, R, St]), halt(1) end.`;
        return ["erl", ["-noshell", "+S", String(impl.schedulers), "+P", "4000000", "-pa", erlDir, "-eval", eval_]];
      }
      case "node":
        if (!options.node || !program.plainNode) return null;
        return [process.execPath, ["--expose-gc", path.join("bench", "node", `${program.name}.mjs`)]];
    }
    return null;
  };

  /** The fields a progress line shows for one run. */
  const shownFields = (program, impl, result) => {
    if (program.nodeOnly !== undefined) {
      return Object.entries(result)
        .filter(([k, v]) => typeof v === "number" && !["wallMs", "cpuMs", "otherCores"].includes(k))
        .map(([k, v]) => `${k}=${fmt(v, k.endsWith("PerSec") ? "/s" : "")}`)
        .join(" ");
    }
    return ROWS.filter((r) => r.program === program.name && r.id !== "refcall")
      .map((r) => {
        const field = impl.runtime === "erlang" ? (r.erlangField ?? r.field) : r.field;
        return `${field}=${fmt(result[field], r.unit)}`;
      })
      .join(" ");
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
      const env = n === undefined ? {} : { BENCH_N: String(n) };
      // The order rotates with each repetition, so that no implementation always runs right
      // after the same neighbour (a run that frees gigabytes changes the next run's page faults).
      const order = IMPLS.map((_, i) => IMPLS[(i + rep - 1) % IMPLS.length]);
      for (const impl of order) {
        const cmd = commandFor(impl, program);
        if (cmd === null) continue;
        // A runtime that refused m:n once refuses it every time.
        if (runs[program.name][impl.id].some((r) => r.needsMN)) continue;
        if (options.wait) waitForQuiet(waitBudget);
        let result = runOnce(cmd[0], cmd[1], env, timeoutMs);
        // A run that shared the CPU is run again once, while the retry budget lasts; the quieter
        // of the two is kept and the other is recorded in `discarded`.
        if (options.wait && !result.error && result.otherCores >= NOISY_CORES && retryBudget.leftMs > 0) {
          console.log(
            `[${rep}/${options.reps}] ${program.name.padEnd(16)} ${impl.title.padEnd(16)} other processes used ` +
              `${result.otherCores.toFixed(1)} cores during the run: running it again`,
          );
          waitForQuiet(waitBudget);
          const again = runOnce(cmd[0], cmd[1], env, timeoutMs);
          retryBudget.leftMs -= again.wallMs;
          const keep = !again.error && again.otherCores < result.otherCores ? again : result;
          const drop = keep === again ? result : again;
          result = { ...keep, discarded: [drop] };
        }
        runs[program.name][impl.id].push(result);
        const shown = result.needsMN
          ? `skipped: this runtime ${result.error.replace(/^needs m:n: /, "says ")} (needs m:n)`
          : result.error
            ? `FAILED: ${result.error}`
            : shownFields(program, impl, result);
        const busy = result.otherCores >= 0.25 ? `, other processes used ${result.otherCores.toFixed(1)} cores` : "";
        console.log(
          `[${rep}/${options.reps}] ${program.name.padEnd(16)} ${impl.title.padEnd(16)} ${shown}  (${(result.wallMs / 1000).toFixed(1)} s${busy})`,
        );
      }
    }
  }

  // The table
  const rowsOut = [];
  const tableRows = [];
  const selected = new Set(programs.map((p) => p.name));
  const mark = (p) => (p === null ? "-" : p ? "pass" : "MISS");
  // A pair of judgements (+S 1, default) is shown when at least one could be made.
  const pairText = (name, pair) => (pair.every((p) => p === null) ? null : `${name} ${pair.map(mark).join("/")}`);
  const meets = (value, target, better) => (value === null ? null : better === "lower" ? value <= target : value >= target);
  for (const row of ROWS.filter((r) => selected.has(r.program))) {
    const program = PROGRAMS.find((p) => p.name === row.program);
    const nodeProgram = program.nodeFrom ?? row.program;
    const pick = (impl, field, name = row.program) => stats((runs[name]?.[impl] ?? []).filter((r) => !r.error).map((r) => r[field]));
    const b1 = pick("beamlineS1", row.field);
    const bD = pick("beamlineDefault", row.field);
    const e1 = pick("erlangS1", row.erlangField ?? row.field);
    const eD = pick("erlangDefault", row.erlangField ?? row.field);
    const nd = pick("node", row.nodeField ?? row.field, nodeProgram);
    const noisy = (impl, name = row.program) => (runs[name]?.[impl] ?? []).some((r) => !r.error && r.otherCores >= NOISY_CORES);
    const refused = (impl) => runs[row.program][impl].some((r) => r.needsMN);
    const beamlineCell = (s, impl) => (s === null && refused(impl) ? "needs m:n" : cell(s, row.unit, noisy(impl)));
    const ratio = (a, b) => (a && b && b.median > 0 ? a.median / b.median : null);
    const r1 = ratio(b1, e1);
    const rD = ratio(bD, eD);
    // Plain Node runs one thread: it is compared with Beamline +S 1, or, in the rows that need two
    // schedulers (where plain Node is a postMessage between two threads), with the default.
    const nodeAgainst = b1 ?? (program.minSchedulers > 1 ? bD : null);
    const rN = ratio(nodeAgainst, nd);
    const result = [];
    const ratioPass = row.ratio === undefined ? null : [meets(r1, row.ratio, row.better), meets(rD, row.ratio, row.better)];
    if (ratioPass) result.push(pairText("ratio", ratioPass));
    const absPass = row.abs === undefined ? null : [b1, bD].map((b) => (b ? b.median <= row.abs : null));
    if (absPass) result.push(pairText("abs", absPass));
    // The speed-up of the default count over one scheduler, in the row's own direction.
    const speedup = b1 && bD ? (row.better === "lower" ? b1.median / bD.median : bD.median / b1.median) : null;
    const scalingPass = row.scaling === undefined ? null : meets(speedup, row.scaling * DEFAULT_SCHEDULERS, "higher");
    if (scalingPass !== null) result.push(`scaling ${ratioText(speedup)} ${mark(scalingPass)}`);
    const vsNode = ratio(bD, nd);
    const vsNodePass = row.vsNode === undefined ? null : meets(vsNode, row.vsNode, "lower");
    if (vsNodePass !== null) result.push(`vs postMessage ${ratioText(vsNode)} ${mark(vsNodePass)}`);
    if (refused("beamlineS1") || refused("beamlineDefault")) result.unshift("needs m:n");
    rowsOut.push({
      id: row.id,
      label: row.label,
      unit: row.unit,
      better: row.better,
      beamlineS1: b1,
      beamlineDefault: bD,
      erlangS1: e1,
      erlangDefault: eD,
      node: nd,
      defaultSchedulers: DEFAULT_SCHEDULERS,
      ratioS1: r1,
      ratioDefault: rD,
      ratioVsNode: rN,
      speedupDefaultOverS1: speedup,
      target: { ratio: row.ratio ?? null, abs: row.abs ?? null, scaling: row.scaling ?? null, vsNode: row.vsNode ?? null, text: targetText(row) },
      ratioPass,
      absPass,
      scalingPass,
      vsNodePass,
    });
    tableRows.push([
      row.label,
      `${row.unit}, ${row.better}`,
      (program.minSchedulers ?? 1) > 1 ? "n/a" : beamlineCell(b1, "beamlineS1"),
      beamlineCell(bD, "beamlineDefault"),
      (program.minSchedulers ?? 1) > 1 ? "n/a" : cell(e1, row.unit, noisy("erlangS1")),
      cell(eD, row.unit, noisy("erlangDefault")),
      ratioText(r1),
      ratioText(rD),
      cell(nd, row.unit, noisy("node", nodeProgram)),
      rN !== null && b1 === null ? `${ratioText(rN)} (+S ${DEFAULT_SCHEDULERS})` : ratioText(rN),
      targetText(row),
      result.filter(Boolean).join(", ") || "-",
    ]);
  }
  const S = DEFAULT_SCHEDULERS;
  const header = [
    "benchmark",
    "unit, better",
    "Beamline +S 1",
    `Beamline +S ${S} (default)`,
    "Erlang +S 1",
    `Erlang +S ${S} (default)`,
    "B÷E, +S 1",
    `B÷E, +S ${S}`,
    "plain Node",
    "B +S 1÷Node",
    "target (Beamline)",
    `result (+S 1/+S ${S})`,
  ];
  const table = markdownTable(header, tableRows);

  // The transport between two threads, as bench/meshTransport.mjs measures it.
  const transportRuns = runs.mesh_transport?.node ?? [];
  const transportFields = [...new Set(transportRuns.filter((r) => !r.error).flatMap((r) => Object.keys(r)))].filter(
    (k) => !["wallMs", "cpuMs", "otherCores", "discarded"].includes(k) && transportRuns.some((r) => typeof r[k] === "number"),
  );
  const transport = Object.fromEntries(transportFields.map((k) => [k, stats(transportRuns.filter((r) => !r.error).map((r) => r[k]))]));
  const transportText =
    transportFields.length === 0
      ? ""
      : "Transport between two threads (bench/meshTransport.mjs, plain Node.js), medians: " +
        transportFields.map((k) => `${k} ${fmt(transport[k].median, k.endsWith("PerSec") ? "/s" : "")}`).join(", ") +
        ".";

  const durationSec = (performance.now() - suiteStarted) / 1000;
  const allRuns = Object.values(runs).flatMap((byImpl) => Object.values(byImpl).flat());
  const noisyRuns = allRuns.filter((r) => r.otherCores >= NOISY_CORES).length;
  const refused = allRuns.filter((r) => r.needsMN).length;
  console.log(`\n${table}\n`);
  console.log(
    [
      "Cells: median (min–max) of " + options.reps + " run(s), each in a fresh OS process.",
      `+S 1: one scheduler (Beamline --schedulers 1, erl +S 1); +S ${S} (default): one per core, os.availableParallelism(), passed to both.`,
      'Ratios are Beamline ÷ other: below 1 is better for "lower" rows (times, bytes), above 1 for "higher" rows (throughput).',
      `B÷E compares the columns with the same scheduler count; "B +S 1÷Node" compares Beamline +S 1 with plain Node, or Beamline +S ${S} where the row needs two schedulers (marked).`,
      `Targets are judged per scheduler count (result: +S 1/+S ${S}); scaling is Beamline +S 1 ÷ Beamline +S ${S}; cross rows need two schedulers (n/a with one).`,
      "The cross rows' plain Node column is a postMessage between two worker threads, from bench/meshTransport.mjs in the same suite run" +
        (meshTransportMissing ? " (missing in this tree: no figure)." : "."),
      erlangSkipped ? `Erlang figures skipped: ${erlangSkipped}` : `Erlang: ${erlang.text}; the cross rows bind processes with erlang:spawn_opt(M, F, A, [{scheduler, N}]).`,
      refused > 0 ? `${refused} run(s) were refused by a runtime without m:n scheduling (--schedulers N or spawnOn): those cells say "needs m:n".` : "",
      noisyRuns > 0
        ? `* ${noisyRuns} of ${allRuns.length} runs shared the CPU with other processes (>= ${NOISY_CORES} cores on average during the run): ` +
          "cells marked * contain such runs and are noisy; see otherCores in the JSON."
        : `No run shared the CPU with other processes (each saw < ${NOISY_CORES} cores of other load).`,
      transportText,
      freshPageText(machine.freshPageUs, runs.spawn_memory?.beamlineS1),
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
    benchN: Object.fromEntries(programs.filter((p) => p.n !== undefined).map((p) => [p.name, options.quick ? p.quickN : p.n])),
    rows: rowsOut,
    transport,
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
  const failures = allRuns.filter((r) => r.error && !r.needsMN).length;
  if (failures > 0) {
    console.log(`${failures} run(s) failed; see above.`);
    process.exitCode = 1;
  }
}

main();
