#!/usr/bin/env node
// The runtime's memory while a client sends small `inspect` requests and never reads the answers
// (issue 13 item 2): `node scripts/build.mjs runtime && node bench/slowClientMemory.mjs [requests] [seconds]`.
// Runs a program whose process holds 2,000 messages, connects a client that pauses its socket and
// sends the requests (mailboxLimit 1000, about 200 KB per answer), and a second viewer that counts
// its samples. Prints the runtime's RSS before, at its peak and after the client left, and the
// longest wait between the viewer's samples. Before the fix: 74 MB → 1,025 MB in 60 s.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const requests = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 60);
const program = path.join(mkdtempSync(path.join(os.tmpdir(), "beamline-slow-client-")), "hoard.ts");
writeFileSync(
  program,
  `import { spawn, receive, on, send } from "beamline";
function* hoarder() {
  yield* receive(on("never-sent"));
}
export function* main() {
  const h = spawn(hoarder);
  for (let i = 0; i < 2000; i++) send(h, "job " + i + " " + "x".repeat(300));
  yield* receive(on("stop"));
}
`,
);
const child = spawn(process.execPath, [path.join(ROOT, "dist/runtime/cli.js"), "run", program, "--telemetry", "--keep-alive"], { stdio: ["ignore", "pipe", "inherit"] });
let out = "";
child.stdout.on("data", (d) => (out += d));
const line = await new Promise((resolve) => child.stdout.on("data", () => /BEAMLINE_TELEMETRY (.*)\n/.test(out) && resolve(/BEAMLINE_TELEMETRY (.*)\n/.exec(out)[1])));
const { port, token } = JSON.parse(line);
const megabytes = (field) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))[1]) / 1024);
const settle = (ms) => new Promise((r) => setTimeout(r, ms));
await settle(1500);
const before = megabytes("VmRSS");

const viewer = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}&channels=schedulers`);
let lastSample = performance.now();
let longestGap = 0;
viewer.on("message", (_data, isBinary) => {
  if (!isBinary) return;
  longestGap = Math.max(longestGap, performance.now() - lastSample);
  lastSample = performance.now();
});
const client = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}&channels=`);
await new Promise((r) => client.once("open", r));
client._socket.pause();
for (let id = 0; id < requests; id++) client.send(JSON.stringify({ id, type: "inspect", pid: "<0.2.0>", mailboxLimit: 1000 }));
let peak = before;
for (let t = 0; t < seconds * 2; t++) {
  await settle(500);
  peak = Math.max(peak, megabytes("VmRSS"));
}
client.terminate();
await settle(2000);
console.log(`${requests} inspect requests, not read, over ${seconds} s: RSS ${before} MB before, ${peak} MB at its peak, ${megabytes("VmRSS")} MB after the client left; the other viewer waited at most ${Math.round(longestGap)} ms between samples`);
viewer.terminate();
child.kill("SIGTERM");
