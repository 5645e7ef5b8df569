#!/usr/bin/env node
// The transport between scheduler threads (issue 15, runtime/mesh/): a round trip of a small
// envelope [pid, n] between two threads over the mesh's shared-memory rings, beside a postMessage
// round trip measured in the same run, and one-way messages per second of each.
//
//   node scripts/build.mjs runtime && node bench/meshTransport.mjs [--quick]
//
// Prints a table and a `BENCH {...}` line (µs per round trip, messages/s) for bench/run.mjs.
// MESH_SPIN=µs and MESH_BLOCK=µs set the Mesh's spinMicros and blockMicros (docs/mesh.md).
// The main thread is one end, a worker thread running this same file the other.

import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import path from "node:path";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = (file) => import(path.join(ROOT, "dist", "runtime", file));
const { Mesh } = await dist("mesh/mesh.js");
const { createMeshBuffers } = await dist("mesh/meshBuffers.js");
const { TermReader, TermWriter } = await dist("mesh/termCodec.js");
const { Pid } = await dist("core/terms.js");

const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 5_000 : 50_000;
const POST_ROUNDS = quick ? 2_000 : 20_000;
const ONE_WAY = quick ? 200_000 : 2_000_000;
const POST_ONE_WAY = quick ? 50_000 : 300_000;
/** Envelopes written between two flushes when sending one way, like a scheduler's batch. */
const BATCH = 256;
const IDLE_MS = 1000;
const SPIN = { ...(process.env.MESH_SPIN ? { spinMicros: Number(process.env.MESH_SPIN) } : {}), ...(process.env.MESH_BLOCK ? { blockMicros: Number(process.env.MESH_BLOCK) } : {}) };

// ---------------------------------------------------------------------------------------------
// The worker thread: echoes or counts, over postMessage and over the mesh.

async function peer() {
  const mesh = new Mesh(workerData.buffers, 1, SPIN);
  /** What a port message does in the current job; the job's first message says which. */
  let onPost = null;
  parentPort.on("message", (m) => {
    if (onPost !== null) return onPost(m);
    if (m === "post-echo") {
      onPost = (e) => {
        if (e === "stop") onPost = null;
        else parentPort.postMessage([e[0], e[1] + 1]);
      };
      parentPort.postMessage("ready");
    } else if (m === "post-count") {
      let n = 0;
      onPost = (e) => {
        if (e !== "stop") return n++;
        onPost = null;
        parentPort.postMessage(n);
      };
      parentPort.postMessage("ready");
    } else if (m === "mesh-echo") meshEcho(mesh);
    else if (m === "mesh-count") meshCount(mesh);
  });
}

async function meshEcho(mesh) {
  parentPort.postMessage("ready");
  let stop = false;
  const echo = (_from, reader) => {
    const m = reader.term();
    if (m === null) {
      stop = true;
      return;
    }
    mesh.begin(0).term([m[0], m[1] + 1]);
    mesh.end();
  };
  while (!stop) {
    if (mesh.drain(echo) > 0) mesh.flush();
    else await mesh.sleep(IDLE_MS);
  }
  parentPort.postMessage("done");
}

async function meshCount(mesh) {
  parentPort.postMessage("ready");
  let n = 0;
  let stop = false;
  const count = (_from, reader) => {
    const m = reader.term();
    if (m === null) stop = true;
    else n++;
  };
  while (!stop) if (mesh.drain(count) === 0) await mesh.sleep(IDLE_MS);
  parentPort.postMessage(n);
}

// ---------------------------------------------------------------------------------------------
// The main thread: drives each measurement.

function next(worker) {
  return new Promise((resolve) => worker.once("message", resolve));
}

async function postRoundTrip(worker) {
  worker.postMessage("post-echo");
  await next(worker);
  const started = performance.now();
  for (let i = 0; i < POST_ROUNDS; i++) {
    const reply = next(worker);
    worker.postMessage([7, i]);
    const [, n] = await reply;
    if (n !== i + 1) throw new Error(`postMessage echo: got ${n}, expected ${i + 1}`);
  }
  const us = ((performance.now() - started) * 1000) / POST_ROUNDS;
  worker.postMessage("stop");
  return us;
}

async function meshRoundTrip(worker, mesh, pid) {
  worker.postMessage("mesh-echo");
  await next(worker);
  let got = -1;
  const onReply = (_from, reader) => {
    got = reader.term()[1];
  };
  const started = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    mesh.begin(1).term([pid, i]);
    mesh.end();
    mesh.flush();
    while (mesh.drain(onReply) === 0) await mesh.sleep(IDLE_MS);
    if (got !== i + 1) throw new Error(`mesh echo: got ${got}, expected ${i + 1}`);
  }
  const us = ((performance.now() - started) * 1000) / ROUNDS;
  const done = next(worker);
  mesh.begin(1).term(null);
  mesh.end();
  mesh.flush();
  await done;
  return us;
}

async function postOneWay(worker) {
  worker.postMessage("post-count");
  await next(worker);
  const started = performance.now();
  for (let i = 0; i < POST_ONE_WAY; i++) worker.postMessage([7, i]);
  const counted = next(worker);
  worker.postMessage("stop");
  const n = await counted;
  if (n !== POST_ONE_WAY) throw new Error(`postMessage one way: ${n} of ${POST_ONE_WAY} arrived`);
  return POST_ONE_WAY / ((performance.now() - started) / 1000);
}

async function meshOneWay(worker, mesh, pid) {
  worker.postMessage("mesh-count");
  await next(worker);
  const started = performance.now();
  for (let i = 0; i < ONE_WAY; i++) {
    mesh.begin(1).term([pid, i]);
    mesh.end();
    if ((i & (BATCH - 1)) === BATCH - 1) {
      mesh.flush();
      // Back-pressure, as a scheduler would: wait for room rather than grow the spill without end.
      while (mesh.spilling) {
        await mesh.sleep(IDLE_MS);
        mesh.flush();
      }
    }
  }
  const counted = next(worker);
  mesh.begin(1).term(null);
  mesh.end();
  mesh.flush();
  while (mesh.spilling) {
    await mesh.sleep(IDLE_MS);
    mesh.flush();
  }
  const n = await counted;
  if (n !== ONE_WAY) throw new Error(`mesh one way: ${n} of ${ONE_WAY} arrived`);
  return ONE_WAY / ((performance.now() - started) / 1000);
}

function codecNs(pid) {
  const writer = new TermWriter();
  const reader = new TermReader();
  const n = quick ? 200_000 : 2_000_000;
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    writer.reset();
    writer.term([pid, i]);
    reader.over(writer.bytes, 0, writer.pos);
    sum += reader.term()[1];
  }
  const ns = ((performance.now() - started) * 1e6) / n;
  if (sum < 0) console.log(sum);
  return ns;
}

async function main() {
  const buffers = createMeshBuffers(2);
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { buffers } });
  const mesh = new Mesh(buffers, 0, SPIN);
  const pid = new Pid(1234);
  // A warm-up of each path, so that both run optimized code when measured.
  codecNs(pid);
  const postRtUs = await postRoundTrip(worker);
  const meshRtUs = await meshRoundTrip(worker, mesh, pid);
  const postRtUs2 = await postRoundTrip(worker);
  const meshRtUs2 = await meshRoundTrip(worker, mesh, pid);
  const postPerSec = await postOneWay(worker);
  const meshPerSec = await meshOneWay(worker, mesh, pid);
  const encodeDecodeNs = codecNs(pid);
  await worker.terminate();

  const result = {
    postMessageRoundTripUs: Math.min(postRtUs, postRtUs2),
    meshRoundTripUs: Math.min(meshRtUs, meshRtUs2),
    postMessagePerSec: postPerSec,
    meshPerSec,
    encodeDecodeNs,
  };
  const ratio = result.postMessageRoundTripUs / result.meshRoundTripUs;
  const rows = [
    ["round trip [pid, n], postMessage", `${result.postMessageRoundTripUs.toFixed(2)} µs`],
    ["round trip [pid, n], mesh", `${result.meshRoundTripUs.toFixed(2)} µs`],
    ["  mesh faster by", `${ratio.toFixed(1)}x (target >= 10x)`],
    ["one way, postMessage", `${(postPerSec / 1e6).toFixed(2)} M msg/s`],
    ["one way, mesh", `${(meshPerSec / 1e6).toFixed(2)} M msg/s`],
    ["encode+decode [pid, n], one thread", `${encodeDecodeNs.toFixed(0)} ns`],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
  console.log("BENCH " + JSON.stringify(result));
}

if (isMainThread) await main();
else await peer();
