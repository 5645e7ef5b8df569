// Spawn time and heap bytes per idle "process" in plain Node.js: 1,000,000 async functions that
// each await a message in their own mailbox. Run with --expose-gc for a clean heap figure.
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
const before = heap();
const started = performance.now();
for (let i = 0; i < N; i++) {
  const box = new Mailbox();
  boxes[i] = box;
  idle(box);
}
const spawned = performance.now();
const after = heap();
for (let i = 0; i < N; i++) boxes[i].send("stop");
await new Promise((resolve) => setImmediate(resolve));
if (stopped !== N) throw new Error(`only ${stopped} of ${N} stopped`);
print({
  processes: N,
  spawnUs: ((spawned - started) * 1000) / N,
  spawnAndParkUs: ((spawned - started) * 1000) / N,
  bytesPerProcess: (after - before) / N,
  gcExposed: gc !== undefined,
});
