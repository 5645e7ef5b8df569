// Ring in plain Node.js: async functions with mailboxes pass a token that counts down the hops.
// Same shapes as bench/programs/ring.ts: 10,000 x 100 laps and 100 x 10,000 laps.
import { Mailbox, benchN, print } from "./mailbox.mjs";

async function node(box, next, main) {
  for (;;) {
    const m = await box.receive();
    if (m === "stop") {
      next.send("stop");
      return;
    }
    if (m === 0) main.send("done");
    else next.send(m - 1);
  }
}

async function run(size, laps) {
  const main = new Mailbox();
  const t0 = performance.now();
  const boxes = [];
  for (let i = 0; i < size; i++) boxes.push(new Mailbox());
  for (let i = 0; i < size; i++) node(boxes[i], boxes[(i + 1) % size], main);
  const t1 = performance.now();
  const hops = size * laps;
  boxes[0].send(hops);
  await main.receive();
  const t2 = performance.now();
  boxes[0].send("stop");
  return { hops, setupMs: t1 - t0, hopsPerSec: hops / ((t2 - t1) / 1000) };
}

const hops = benchN(1_000_000);
// Warm up (JIT and heap) with a small ring, untimed.
await run(1000, 10);
const big = await run(10_000, Math.max(1, Math.floor(hops / 10_000)));
const small = await run(100, Math.max(1, Math.floor(hops / 100)));
print({
  bigHops: big.hops,
  bigSetupMs: big.setupMs,
  bigHopsPerSec: big.hopsPerSec,
  smallHops: small.hops,
  smallSetupMs: small.setupMs,
  smallHopsPerSec: small.hopsPerSec,
});
