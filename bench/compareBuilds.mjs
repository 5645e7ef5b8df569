#!/usr/bin/env node
// Two builds of Beamline side by side, for a change to a hot path: `node bench/compareBuilds.mjs
// BASE_DIR NEW_DIR [repetitions] [program...]`. Each directory is a tree with `dist/runtime` built
// (`git archive <sha> | tar -x -C DIR`, a node_modules link, `node scripts/build.mjs runtime`).
// Every repetition runs each program once on each build, alternating which goes first, so that a
// drift in the machine's speed hits both alike; prints the median of every BENCH field and new/base.
// Pin it to one CPU (`taskset -c 1`) on this machine kind: its two vCPUs differ in speed
// (docs/performance.md, "Why runs vary").

import { spawnSync } from "node:child_process";

const [baseDir, newDir, repsArg, ...only] = process.argv.slice(2);
if (baseDir === undefined || newDir === undefined) {
  console.error("usage: node bench/compareBuilds.mjs BASE_DIR NEW_DIR [repetitions] [program...]");
  process.exit(2);
}
const reps = Number(repsArg ?? 5);
const programs = only.length > 0 ? only : ["ping_pong", "ring", "bottleneck", "skynet", "spawn_memory"];
/** Fields that are the workload's size, not a measurement. */
const SIZES = new Set(["rounds", "leaves", "sum", "processes", "clients", "callsPerClient", "poolSize", "bigHops", "smallHops"]);

const results = { base: {}, new: {} };
for (let r = 0; r < reps; r++) {
  for (const program of programs) {
    const order = r % 2 === 0 ? [["base", baseDir], ["new", newDir]] : [["new", newDir], ["base", baseDir]];
    for (const [label, dir] of order) {
      const out = spawnSync(process.execPath, [`${dir}/dist/runtime/cli.js`, "run", `${dir}/bench/programs/${program}.ts`], {
        cwd: dir,
        env: { ...process.env, BENCH_N: "1000000" },
        encoding: "utf8",
      });
      const line = out.stdout.split("\n").find((l) => l.startsWith("BENCH "));
      if (line === undefined) {
        console.error(`${label} ${program} printed no BENCH line:\n${out.stderr.slice(0, 500)}`);
        continue;
      }
      for (const [field, value] of Object.entries(JSON.parse(line.slice(6)))) {
        if (typeof value === "number" && !SIZES.has(field)) ((results[label][program] ??= {})[field] ??= []).push(value);
      }
    }
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const short = (values) => values.map((v) => v.toPrecision(3)).join(" ");
for (const program of programs) {
  for (const [field, base] of Object.entries(results.base[program] ?? {})) {
    const next = results.new[program]?.[field];
    if (next === undefined) continue;
    const ratio = (median(next) / median(base)).toFixed(3);
    console.log(`${`${program} ${field}`.padEnd(28)} base ${median(base).toPrecision(4).padStart(10)}  new ${median(next).toPrecision(4).padStart(10)}  new/base ${ratio}   [base ${short(base)}] [new ${short(next)}]`);
  }
}
