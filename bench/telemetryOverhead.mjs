// Telemetry overhead: skynet and ping-pong run with telemetry off, then with telemetry on and one
// client attached (subscribed to every channel, reading everything), as a ratio of the times.
// Target (issue 3): under 5% slower. Prints one `BENCH {json}` line per benchmark and repetition.
//
// Run: npm run build && node bench/telemetryOverhead.mjs [reps]

import { spawn } from "node:child_process";
import WebSocket from "ws";

const reps = Number(process.argv[2] ?? 3);
const cli = new URL("../dist/runtime/cli.js", import.meta.url).pathname;
const programs = [
  { name: "skynet", file: "bench/programs/skynet.ts", metric: "ms" },
  { name: "ping_pong", file: "bench/programs/ping_pong.ts", metric: "bareUs" },
  { name: "ping_pong_call", file: "bench/programs/ping_pong.ts", metric: "callUs" },
];

/** Runs a program; with telemetry, a client connects before the program's delayed start. */
function runOnce(file, telemetry) {
  const args = [cli, "run", file, ...(telemetry ? ["--telemetry"] : [])];
  const child = spawn(process.execPath, args, { env: { ...process.env, BENCH_DELAY_MS: "400" }, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let frames = 0;
  let bytes = 0;
  let ws;
  child.stdout.on("data", (d) => {
    out += d;
    const m = /BEAMLINE_TELEMETRY (.*)\n/.exec(out);
    if (m && ws === undefined) {
      const { port, token } = JSON.parse(m[1]);
      ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
      ws.on("message", (data) => {
        frames++;
        bytes += data.length ?? data.byteLength;
      });
      ws.on("error", () => {});
    }
  });
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => {
      ws?.terminate();
      const line = /BENCH (.*)/.exec(out);
      if (code !== 0 || !line) reject(new Error(`${file} exited with ${code}: ${out}`));
      else resolve({ result: JSON.parse(line[1]), frames, bytes });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const file of [...new Set(programs.map((p) => p.file))]) {
  const off = [];
  const on = [];
  let clientFrames = 0;
  for (let i = 0; i < reps; i++) {
    // Alternate, so that drift in the machine's speed hits both sides alike.
    off.push((await runOnce(file, false)).result);
    const run = await runOnce(file, true);
    on.push(run.result);
    clientFrames = run.frames;
  }
  for (const p of programs.filter((p) => p.file === file)) {
    const offValue = median(off.map((r) => r[p.metric]));
    const onValue = median(on.map((r) => r[p.metric]));
    const row = { benchmark: p.name, metric: p.metric, off: offValue, on: onValue, ratio: onValue / offValue, clientFrames };
    rows.push(row);
    console.log("BENCH " + JSON.stringify(row));
  }
}
console.table(rows.map((r) => ({ ...r, ratio: r.ratio.toFixed(3), slower: `${((r.ratio - 1) * 100).toFixed(1)}%` })));
