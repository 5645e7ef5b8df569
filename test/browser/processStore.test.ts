// The visualizer's process store applies a delta's update records to the processes it holds: the
// fields that change as a process runs are replaced, the ones an update does not carry (function,
// spawn site, scheduler, name) are kept. Guards the bug where an update would have blanked them.

import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeFrame, readProcessFrame, type ProcessInfo } from "../../protocol/index.js";
import { ProcessIndex } from "../../webview/processIndex.js";
import { FREE, ProcessStore, STATUS_NAMES } from "../../webview/store.js";

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
  monitoredBy: 0,
  trapExit: false,
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
      scheduler: 1,
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

test("issue 13 item 11: a process that ends leaves the table's order at the next tick, the others keeping their order", () => {
  const store = new ProcessStore();
  applyWhole(store, encodeFrame({ type: "process-page", snapshot: 1, page: 0, pages: 1, total: 6, processes: [1, 2, 3, 4, 5, 6].map((pid) => proc(pid, { mailbox: 10 * pid })) }), 1000);
  const index = new ProcessIndex(store, { sort: "mailbox", descending: true, text: "", status: "", site: null, scheduler: 0 }, () => undefined);
  index.tick(1000);
  const pids = () => Array.from(index.order.subarray(0, index.length), (slot) => store.pid[slot]!);
  assert.deepEqual(pids(), [6, 5, 4, 3, 2, 1]);
  applyWhole(store, encodeFrame({ type: "process-delta", seq: 1, scheduler: 1, unlisted: 0, changed: [], updated: [], removed: [6, 3] }), 1100);
  // Too soon for a resort (it is throttled): the ended rows go anyway, none shown as "exited".
  index.tick(1100);
  assert.deepEqual(pids(), [5, 4, 2, 1]);
  assert.ok(index.length <= store.live, "never more rows than live processes");
});

test("issue 13 item 11: the store grows a column per step, and applying after it keeps every value", () => {
  const store = new ProcessStore();
  applyWhole(store, encodeFrame({ type: "process-page", snapshot: 1, page: 0, pages: 1, total: 3, processes: [proc(1, { mailbox: 7 }), proc(2), proc(3)] }), 1000);
  const before = store.capacity;
  const steps = store.reserveInSteps(before * 4);
  let yields = 0;
  for (let r = steps.next(); !r.done; r = steps.next()) {
    yields++;
    assert.equal(store.capacity, before, "the capacity changes only once every column has grown");
  }
  assert.ok(yields >= 8, `one step per column or two, got ${yields}`);
  assert.equal(store.capacity, before * 4);
  assert.equal(store.mailbox[store.slotOf(1)], 7);
  assert.equal(store.status[before * 4 - 1], FREE, "new slots are free");
});

test("issue 15: the processes table filters by scheduler and sorts by it", () => {
  const store = new ProcessStore();
  const processes = [1, 2, 3, 4, 5, 6].map((pid) => proc(pid, { scheduler: (pid % 2) + 1, mailbox: pid }));
  applyWhole(store, encodeFrame({ type: "process-page", snapshot: 1, page: 0, pages: 1, total: 6, processes }), 1000);
  const index = new ProcessIndex(store, { sort: "mailbox", descending: true, text: "", status: "", site: null, scheduler: 2 }, () => undefined);
  index.tick(1000);
  const pids = () => Array.from(index.order.subarray(0, index.length), (slot) => store.pid[slot]!);
  assert.deepEqual(pids(), [5, 3, 1], "scheduler 2 holds the odd pids");
  index.setQuery({ ...index.query, scheduler: 0, sort: "scheduler", descending: false });
  index.tick(1001);
  assert.deepEqual(pids(), [2, 4, 6, 1, 3, 5], "scheduler 1 first, each in slot order");
});
