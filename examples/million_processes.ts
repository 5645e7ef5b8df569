// A million processes: processes are cheap, so spawning 1,000,000 of them is fine.
//
// Each process waits in receive for ["stop", parent], replies ["stopped"] and ends. main measures
// how long the spawns take and how much heap the waiting processes use, then stops them all and
// counts the replies.
//
// Run:   npx beamline run examples/million_processes.ts
//   or:  node dist/runtime/cli.js run examples/million_processes.ts
//   with --expose-gc the heap figures are measured after a full garbage collection:
//        node --expose-gc dist/runtime/cli.js run examples/million_processes.ts
//
// What to watch: the time per spawn (a few microseconds), the heap bytes per waiting process
// (a few hundred bytes; the chapter's BEAM figure is about 2 KB, mostly each process's own heap
// and stack), "1,000,000 of 1,000,000 replied", and "processes still alive: 0".

import v8 from "node:v8";
import { spawn, send, receive, on, self, sleep, isAlive, Pid } from "beamline";

const COUNT = 1_000_000;

function* waiter() {
  const parent = yield* receive(on(["stop", Pid], ([, from]) => from));
  send(parent, ["stopped"]);
}

function heapUsed(): number {
  globalThis.gc?.();
  return v8.getHeapStatistics().used_heap_size;
}

export function* main() {
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  console.log(`garbage collection before measuring: ${globalThis.gc ? "yes (--expose-gc)" : "no (run node with --expose-gc for steadier heap figures)"}`);

  const heapBefore = heapUsed();
  const started = performance.now();
  const pids: Pid[] = new Array(COUNT);
  for (let i = 0; i < COUNT; i++) pids[i] = spawn(waiter);
  const spawnMs = performance.now() - started;
  console.log(`spawned ${fmt(COUNT)} processes in ${fmt(spawnMs)} ms: ${((spawnMs * 1000) / COUNT).toFixed(2)} µs per spawn`);
  console.log("  (this includes starting them: main's loop is preempted every ~1000 spawns, and the new ones run up to their receive)");

  // Give up the thread for a moment: the run queue is FIFO, so every new process runs its first
  // slice (up to its receive, where it waits) before main continues.
  yield* sleep(1);
  const waitedMs = performance.now() - started;
  const heapAfter = heapUsed();
  console.log(`all of them now wait in receive (${fmt(waitedMs)} ms after the first spawn)`);
  console.log(`heap: ${fmt(heapBefore / 2 ** 20)} MB before, ${fmt(heapAfter / 2 ** 20)} MB after: about ${fmt((heapAfter - heapBefore) / COUNT)} bytes per waiting process`);

  const stopStarted = performance.now();
  for (const pid of pids) send(pid, ["stop", self()]);
  let replies = 0;
  while (replies < COUNT) {
    yield* receive(on(["stopped"]));
    replies++;
  }
  console.log(`\nsent each one ["stop", main]; ${fmt(replies)} of ${fmt(COUNT)} replied in ${fmt(performance.now() - stopStarted)} ms`);
  console.log(`processes still alive: ${pids.filter(isAlive).length}`);
}
