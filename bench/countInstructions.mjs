#!/usr/bin/env node
// Instructions per operation of one build, counted by valgrind, which a loaded machine does not
// change (this VM has no `perf stat` counters): `node bench/countInstructions.mjs DIR PROGRAM N1 N2`
// runs bench/instructions/PROGRAM.ts on the built tree DIR (as bench/compareBuilds.mjs takes it)
// with one scheduler (or BEAMLINE_SCHEDULERS), once with BENCH_N=N1 and once with N2, and prints the scheduler thread's
// instructions per unit of BENCH_N: (count at N2 - count at N1) / (N2 - N1), so that start-up, the
// loader and the main thread drop out. V8 runs with --predictable (no compiler or GC threads), so
// two runs of the same build count within about 0.05% of each other. Each run takes a minute or
// more under valgrind. The programs are in bench/instructions/ (docs/performance.md, "Where issue
// 14's rows stand").

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const [dirArg, program, n1Arg, n2Arg] = process.argv.slice(2);
const n1 = Number(n1Arg);
const n2 = Number(n2Arg);
if (dirArg === undefined || program === undefined || !(n2 > n1 && n1 > 0)) {
  console.error("usage: node bench/countInstructions.mjs DIR PROGRAM N1 N2 (N2 > N1 > 0; PROGRAM from bench/instructions/)");
  process.exit(2);
}
const dir = resolve(dirArg);
// One scheduler unless BEAMLINE_SCHEDULERS says otherwise (the default column's per-slice costs).
const schedulers = process.env.BEAMLINE_SCHEDULERS ?? "1";
const source = resolve(import.meta.dirname, "instructions", `${program}.ts`);

/** The instructions of the busiest thread other than the main thread: the scheduler's. */
function schedulerInstructions(n) {
  const out = mkdtempSync(join(tmpdir(), "beamline-callgrind-"));
  try {
    const run = spawnSync(
      "valgrind",
      ["--tool=callgrind", "--separate-threads=yes", `--callgrind-out-file=${out}/cg`, process.execPath, "--predictable", `${dir}/dist/runtime/cli.js`, "run", source],
      { cwd: dir, env: { ...process.env, BEAMLINE_SCHEDULERS: schedulers, BENCH_N: String(n) }, encoding: "utf8" },
    );
    if (!run.stdout.includes("BENCH ")) throw new Error(`${program} with BENCH_N=${n} printed no BENCH line:\n${run.stderr.slice(-2000)}`);
    let most = 0;
    for (const file of readdirSync(out)) {
      // Thread 1 is the main thread; callgrind names each thread's file cg-NN.
      if (!/-\d+$/.test(file) || file.endsWith("-01")) continue;
      const summary = /^summary: (\d+)/m.exec(readFileSync(join(out, file), "utf8"));
      if (summary !== null) most = Math.max(most, Number(summary[1]));
    }
    return most;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const at1 = schedulerInstructions(n1);
const at2 = schedulerInstructions(n2);
console.log(`${program} ${dir}: ${((at2 - at1) / (n2 - n1)).toFixed(0)} instructions per unit of BENCH_N (${at1} at ${n1}, ${at2} at ${n2})`);
