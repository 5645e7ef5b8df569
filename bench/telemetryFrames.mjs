// Telemetry frame cost on the scheduler thread, measured on the real code path: 1,000,000 live
// processes on a real Scheduler, 10,000 of them marked changed, then one telemetry tick (building
// the records and encoding the binary delta). Also a paged keyframe of all of them, and the JSON
// snapshot the design compares against. Prints one `BENCH {json}` line.
//
// Run: npm run build && node --expose-gc bench/telemetryFrames.mjs

import { receive, spawn } from "../dist/runtime/api.js";
import { scheduler } from "../dist/runtime/core/scheduler.js";
import { SchedulerTelemetry } from "../dist/runtime/telemetry/schedulerTelemetry.js";

const TOTAL = Number(process.env.BENCH_N ?? 1_000_000);
const CHANGED = Math.min(10_000, TOTAL);
const REPS = 15;

function* idle() {
  yield* receive();
}

scheduler.changed = [];
for (let i = 0; i < TOTAL; i++) spawn(idle);
// Let every process run to its receive.
while (scheduler.runQueue.length > 0) await new Promise((resolve) => setImmediate(resolve));

const posted = [];
const telemetry = new SchedulerTelemetry(scheduler, [""], { postMessage: (message) => posted.push(message) });
telemetry.tick();
posted.length = 0;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const deltaMs = [];
let deltaBytes = 0;
for (let rep = 0; rep < REPS; rep++) {
  let i = 0;
  for (let p = scheduler.newestLive; p !== null && i < CHANGED; p = p.nextLive, i++) scheduler.markChanged(p);
  const started = performance.now();
  telemetry.tick();
  deltaMs.push(performance.now() - started);
  deltaBytes = posted.at(-1).delta.byteLength;
  posted.length = 0;
}

let started = performance.now();
telemetry.keyframe(1, 10_000);
const keyframeMs = performance.now() - started;
const keyframeBytes = posted.reduce((n, m) => n + m.frame.byteLength, 0);
const keyframePages = posted.length;
posted.length = 0;

started = performance.now();
const rows = [];
for (let p = scheduler.newestLive; p !== null; p = p.nextLive) rows.push(telemetry.info(p));
const json = JSON.stringify(rows);
const jsonMs = performance.now() - started;

const result = {
  processes: TOTAL,
  changed: CHANGED,
  deltaMs: median(deltaMs),
  deltaMaxMs: Math.max(...deltaMs),
  deltaBytes,
  keyframeMs,
  keyframeBytes,
  keyframePages,
  jsonSnapshotMs: jsonMs,
  jsonSnapshotBytes: json.length,
};
console.log(`BENCH ${JSON.stringify(result)}`);
console.log(`\nTelemetry frames with ${TOTAL.toLocaleString("en")} live processes (target: a delta of 10,000 changed under 5 ms):`);
console.table({
  [`delta, ${CHANGED.toLocaleString("en")} changed`]: { ms: result.deltaMs.toFixed(2), "max ms": result.deltaMaxMs.toFixed(2), bytes: result.deltaBytes },
  [`keyframe, ${keyframePages} pages`]: { ms: result.keyframeMs.toFixed(0), "max ms": "", bytes: result.keyframeBytes },
  "JSON snapshot (for comparison)": { ms: result.jsonSnapshotMs.toFixed(0), "max ms": "", bytes: result.jsonSnapshotBytes },
});
process.exit(0);
