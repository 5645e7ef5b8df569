// Spawn time and heap bytes per idle "process" in plain Node.js: 1,000,000 async functions that
// each await a message in their own mailbox; then a second million into the warm heap, once the
// first have ended. Run with --expose-gc for a clean heap figure.
import { getHeapStatistics } from "node:v8";
import { Mailbox, benchN, print } from "./mailbox.mjs";

const N = benchN(1_000_000);
let stopped = 0;

async function idle(box) {
  await box.receive();
  stopped++;
}

const gc = globalThis.gc;
const heap = () => {
  gc?.();
  return getHeapStatistics().used_heap_size;
};

const boxes = new Array(N).fill(null);

/** Starts N idle functions, each with its mailbox in `boxes`; returns the milliseconds it took. */
function spawnAll() {
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    const box = new Mailbox();
    boxes[i] = box;
    idle(box);
  }
  return performance.now() - started;
}

async function stopAll() {
  stopped = 0;
  for (let i = 0; i < N; i++) boxes[i].send("stop");
  await new Promise((resolve) => setImmediate(resolve));
  if (stopped !== N) throw new Error(`only ${stopped} of ${N} stopped`);
}

const before = heap();
const spawnMs = spawnAll();
const after = heap();
await stopAll();
heap();
const warmMs = spawnAll();
await stopAll();
print({
  processes: N,
  spawnUs: (spawnMs * 1000) / N,
  spawnAndParkUs: (spawnMs * 1000) / N,
  bytesPerProcess: (after - before) / N,
  warmSpawnUs: (warmMs * 1000) / N,
  gcExposed: gc !== undefined,
});
