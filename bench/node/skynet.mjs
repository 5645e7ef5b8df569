// Skynet in plain Node.js: a tree of 1,000,000 async calls (10 children per level) whose
// results are summed with Promise.all. What you would write without an actor runtime.
import { benchN, print } from "./mailbox.mjs";

async function skynet(num, size, div) {
  if (size === 1) return num;
  const step = size / div;
  const children = [];
  for (let i = 0; i < div; i++) children.push(skynet(num + i * step, step, div));
  let sum = 0;
  for (const n of await Promise.all(children)) sum += n;
  return sum;
}

const size = benchN(1_000_000);
const started = performance.now();
const sum = await skynet(0, size, 10);
print({ leaves: size, sum, ms: performance.now() - started });
