// How busy the shared machine is: other engineers run tests and browsers on it, so benchmarks
// wait for it to quiet down before a run and record how much CPU others used during it. Reads
// /proc/stat (the whole machine), /proc/self/stat (this process's waited-for children) and
// /proc/*/stat (this process's live descendants).

import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export const TICKS_PER_SECOND = (() => {
  const n = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** Others may use this many cores before a run starts. */
export const QUIET_CORES = 0.3;
/** A run during which others used this many cores is noisy. */
export const NOISY_CORES = 0.5;

/** Busy and total CPU ticks of the whole machine, or null off Linux. */
export function machineTicks() {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = fields[3] + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** CPU ticks of this process's waited-for children (user + system), or null off Linux. */
export function childTicks() {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[13]) + Number(fields[14]);
  } catch {
    return null;
  }
}

/**
 * CPU ticks (user + system) of a process (this one by default) and its live descendants, such as a
 * browser it drives, or null off Linux.
 */
export function treeTicks(root = process.pid) {
  let entries;
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return null;
  }
  const parent = new Map();
  const ticks = new Map();
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // It ended while we looked.
    }
  }
  let sum = 0;
  for (const [pid, t] of ticks) {
    for (let at = pid; at > 1; at = parent.get(at) ?? 0) {
      if (at === root) {
        sum += t;
        break;
      }
    }
  }
  return sum;
}

const sleepMs = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Cores' worth of CPU that other processes use, sampled over `ms`. */
export function otherLoad(ms) {
  const a = machineTicks();
  if (a === null) return 0;
  sleepMs(ms);
  const b = machineTicks();
  return (b.busy - a.busy) / TICKS_PER_SECOND / (ms / 1000);
}

/**
 * Waits until other processes use less than QUIET_CORES, up to 15 s per call and as long as
 * `budget.leftMs` lasts (it is shared by a whole suite); returns the load it saw last.
 */
export function waitForQuiet(budget) {
  let load = otherLoad(200);
  if (load < QUIET_CORES || budget.leftMs <= 0) return load;
  process.stdout.write(`    (other processes use ${load.toFixed(1)} cores: waiting for the machine to quiet down...`);
  const started = performance.now();
  while (load >= QUIET_CORES && performance.now() - started < 15_000 && budget.leftMs > 0) {
    load = otherLoad(1000);
    budget.leftMs -= 1000;
  }
  console.log(` ${load < QUIET_CORES ? "quiet" : `still ${load.toFixed(1)} cores, running anyway`} after ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  return load;
}

/**
 * Microseconds that the first touch of a fresh 4 KiB page costs, measured in a new process that
 * fills 256 MiB. On these VMs freed memory goes back to the host, so this is what every new page
 * of a heap costs; spawn-heavy benchmarks are bounded below by it (docs/performance.md).
 */
export function freshPageMicros() {
  const script = "const b = Buffer.allocUnsafeSlow(256 << 20); const t = performance.now(); b.fill(1); console.log((performance.now() - t) * 1000 / 65536);";
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  const us = Number(r.stdout.trim());
  return Number.isFinite(us) ? us : null;
}
