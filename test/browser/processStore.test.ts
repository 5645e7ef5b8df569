// The visualizer's process store applies a delta's update records to the processes it holds: the
// fields that change as a process runs are replaced, the ones an update does not carry (function,
// spawn site, scheduler, name) are kept. Guards the bug where an update would have blanked them.

import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeFrame, readProcessFrame, type ProcessInfo } from "../../protocol/index.js";
import { ProcessStore, STATUS_NAMES } from "../../webview/store.js";

const proc = (pid: number, fields: Partial<ProcessInfo> = {}): ProcessInfo => ({
  pid,
  status: "waiting",
  scheduler: 1,
  mailbox: 0,
  reductions: 100,
  memory: 380,
  spawnSite: 3,
  waitSite: 4,
  fn: "worker",
  name: "",
  links: 0,
  monitors: 0,
  ...fields,
});

function applyWhole(store: ProcessStore, bytes: ArrayBuffer, now: number): void {
  const frame = readProcessFrame(bytes)!;
  store.begin(frame);
  store.apply(frame, 0, frame.count + frame.updateCount, now);
  store.end(frame);
}

test("a delta's update records change what runs and keep what a process was started with", () => {
  const store = new ProcessStore();
  applyWhole(store, encodeFrame({ type: "process-page", snapshot: 1, page: 0, pages: 1, total: 2, processes: [proc(1, { name: "db" }), proc(2)] }), 1000);
  applyWhole(
    store,
    encodeFrame({
      type: "process-delta",
      seq: 1,
      unlisted: 0,
      changed: [proc(3, { fn: "client" })],
      updated: [
        { pid: 1, status: "runnable", mailbox: 5, reductions: 1100, memory: 700, waitSite: 0 },
        // A process this store does not hold (it was cleared meanwhile) waits for a keyframe.
        { pid: 99, status: "running", mailbox: 1, reductions: 1, memory: 444, waitSite: 0 },
      ],
      removed: [2],
    }),
    1250,
  );
  const slot = store.slotOf(1);
  assert.deepEqual(
    {
      status: STATUS_NAMES[store.status[slot]!],
      mailbox: store.mailbox[slot],
      reductions: store.reductions[slot],
      memory: store.memory[slot],
      waitSite: store.waitSite[slot],
      fn: store.strings[store.fn[slot]!],
      name: store.strings[store.name[slot]!],
      spawnSite: store.spawnSite[slot],
      scheduler: store.scheduler[slot],
    },
    { status: "runnable", mailbox: 5, reductions: 1100, memory: 700, waitSite: 0, fn: "worker", name: "db", spawnSite: 3, scheduler: 1 },
  );
  assert.ok(store.rate(slot, 1250) > 0, "its reductions per second come from the update");
  assert.deepEqual(Array.from(store.ran.pid.subarray(0, store.ran.count)), [1]);
  assert.equal(store.strings[store.fn[store.slotOf(3)]!], "client");
  assert.equal(store.slotOf(99), -1);
  assert.equal(store.live, 2, "1 and 3 live, 2 ended");
});
