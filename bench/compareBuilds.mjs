#!/usr/bin/env node
// Two builds of Beamline side by side, for a change to a hot path: `node bench/compareBuilds.mjs
// BASE_DIR NEW_DIR [repetitions] [program...]`. Each directory is a tree with `dist/runtime` built
// (`git archive <sha> | tar -x -C DIR`, a node_modules link, `node scripts/build.mjs runtime`).
// Every repetition runs each program once on each build, alternating which goes first, so that a
// drift in the machine's speed hits both alike; prints the median of every BENCH field, new/base of
// the medians, and the median of the pairs' own ratios (each pair ran back to back).
// Pin it to one CPU (`taskset -c 1`) on this machine kind: its two vCPUs differ in speed
// (docs/performance.md, "Why runs vary"). The machine is shared, so each pair waits for the others
// to quiet down first (bench/machineLoad.mjs), and a pair during which other processes used half a
// core or more is run again once; what was left noisy is counted at the end. `cpuMs` is each run's
// CPU time as a whole (start-up included), which others' load moves less than the wall times. Each pair's ratios are
// printed as it ends, so that a long comparison shows its progress.

import { spawnSync } from "node:child_process";
import { childTicks, machineTicks, NOISY_CORES, TICKS_PER_SECOND, waitForQuiet } from "./machineLoad.mjs";

const [baseDir, newDir, repsArg, ...only] = process.argv.slice(2);
if (baseDir === undefined || newDir === undefined) {
  console.error("usage: node bench/compareBuilds.mjs BASE_DIR NEW_DIR [repetitions] [program...]");
  process.exit(2);
}
const reps = Number(repsArg ?? 5);
const programs = only.length > 0 ? only : ["ping_pong", "ring", "bottleneck", "skynet", "spawn_memory"];
/** Fields that are the workload's size, not a measurement. */
const SIZES = new Set(["rounds", "leaves", "sum", "processes", "clients", "callsPerClient", "poolSize", "bigHops", "smallHops", "restarts"]);
/** Each wait for quiet may take 15 s; the whole comparison waits at most this long in all. */
const waitBudget = { leftMs: Number(process.env.COMPARE_WAIT_MS ?? 600_000) };

/** Runs one program on one build; returns its BENCH fields and how many cores others used meanwhile. */
function runOnce(dir, program) {
  const ticks0 = machineTicks();
  const kids0 = childTicks();
  const started = performance.now();
  // --expose-gc as in bench/run.mjs, so that spawn_memory measures its heap after a full GC.
  const out = spawnSync(process.execPath, ["--expose-gc", `${dir}/dist/runtime/cli.js`, "run", `${dir}/bench/programs/${program}.ts`], {
    cwd: dir,
    env: { ...process.env, BENCH_N: process.env.BENCH_N ?? "1000000" },
    encoding: "utf8",
  });
  const wallSec = (performance.now() - started) / 1000;
  const ticks1 = machineTicks();
  const kids1 = childTicks();
  const otherCores =
    ticks0 && ticks1 && kids0 !== null && kids1 !== null
      ? Math.max(0, ((ticks1.busy - ticks0.busy) / TICKS_PER_SECOND - (kids1 - kids0) / TICKS_PER_SECOND) / wallSec)
      : 0;
  const line = out.stdout.split("\n").find((l) => l.startsWith("BENCH "));
  if (line === undefined) {
    console.error(`${dir} ${program} printed no BENCH line:\n${out.stderr.slice(0, 500)}`);
    return null;
  }
  // The whole run's CPU time (start-up included) is a second measure that others' load moves less
  // than the wall time the programs report.
  const cpuMs = kids0 !== null && kids1 !== null ? ((kids1 - kids0) / TICKS_PER_SECOND) * 1000 : undefined;
  return { fields: { ...JSON.parse(line.slice(6)), cpuMs }, otherCores };
}

const results = { base: {}, new: {} };
/** ratios[program][field] = new/base of each pair */
const ratios = {};
let noisyPairs = 0;
for (let r = 0; r < reps; r++) {
  for (const program of programs) {
    const order = r % 2 === 0 ? [["base", baseDir], ["new", newDir]] : [["new", newDir], ["base", baseDir]];
    let pair = null;
    for (let attempt = 0; attempt < 2; attempt++) {
      waitForQuiet(waitBudget);
      const got = {};
      for (const [label, dir] of order) got[label] = runOnce(dir, program);
      if (got.base === null || got.new === null) break;
      pair = got;
      if (Math.max(got.base.otherCores, got.new.otherCores) < NOISY_CORES) break;
      console.log(`  ${program}: other processes used ${Math.max(got.base.otherCores, got.new.otherCores).toFixed(1)} cores during the pair${attempt < 1 ? ", running it again" : ", keeping it"}`);
    }
    if (pair === null) continue;
    if (Math.max(pair.base.otherCores, pair.new.otherCores) >= NOISY_CORES) noisyPairs++;
    for (const label of ["base", "new"]) {
      for (const [field, value] of Object.entries(pair[label].fields)) {
        if (typeof value === "number" && !SIZES.has(field)) ((results[label][program] ??= {})[field] ??= []).push(value);
      }
    }
    const shown = [];
    for (const [field, value] of Object.entries(pair.new.fields)) {
      const base = pair.base.fields[field];
      if (typeof value !== "number" || typeof base !== "number" || base === 0 || SIZES.has(field)) continue;
      ((ratios[program] ??= {})[field] ??= []).push(value / base);
      shown.push(`${field} ${(value / base).toFixed(3)}`);
    }
    const others = Math.max(pair.base.otherCores, pair.new.otherCores).toFixed(1);
    console.log(`[${r + 1}/${reps}] ${program}: new/base ${shown.join(", ")} (others used ${others} cores)`);
  }
}

const median = (values) => {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};
const short = (values) => values.map((v) => v.toPrecision(3)).join(" ");
for (const program of programs) {
  for (const [field, base] of Object.entries(results.base[program] ?? {})) {
    const next = results.new[program]?.[field];
    if (next === undefined) continue;
    const ratio = (median(next) / median(base)).toFixed(3);
    const pairs = median(ratios[program]?.[field] ?? [NaN]).toFixed(3);
    console.log(
      `${`${program} ${field}`.padEnd(28)} base ${median(base).toPrecision(4).padStart(10)}  new ${median(next).toPrecision(4).padStart(10)}  new/base ${ratio}  pairs ${pairs}   [base ${short(base)}] [new ${short(next)}]`,
    );
  }
}
console.log(`${noisyPairs} pair(s) kept although other processes used >= ${NOISY_CORES} cores during them.`);
