// fast-check arbitraries for process records and the frames that carry them, shared by the
// protocol tests and the in-place reader's tests.

import fc from "fast-check";
import { PROCESS_STATUSES, type Frame, type ProcessInfo, type ProcessUpdate } from "../protocol/index.js";

const u32 = fc.nat({ max: 2 ** 32 - 1 });
const u16 = fc.nat({ max: 65535 });

/** Any process record the wire can carry: every field at any value its type allows. */
export const processInfo: fc.Arbitrary<ProcessInfo> = fc.record(
  {
    pid: u32,
    status: fc.constantFrom(...PROCESS_STATUSES),
    scheduler: u16,
    mailbox: u32,
    reductions: fc.double({ noNaN: true }),
    memory: u32,
    spawnSite: u32,
    waitSite: u32,
    // Names repeat in real frames (the string table), so draw from a few as well as any string.
    fn: fc.oneof(fc.constantFrom("waiter", "(anonymous)", "ünï ✓"), fc.string()),
    name: fc.oneof(fc.constant(""), fc.string()),
    links: u16,
    monitors: u16,
    monitoredBy: u16,
    trapExit: fc.boolean(),
  },
  { noNullPrototype: true },
);

/** Any update record: the fields a delta says of a process the viewer already has. */
export const processUpdate: fc.Arbitrary<ProcessUpdate> = fc.record(
  { pid: u32, status: fc.constantFrom(...PROCESS_STATUSES), mailbox: u32, reductions: fc.double({ noNaN: true }), memory: u32, waitSite: u32 },
  { noNullPrototype: true },
);

/** A keyframe page or a delta. */
export const processFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc
    .record({ snapshot: u32, page: fc.nat({ max: 3 }), processes: fc.array(processInfo, { maxLength: 30 }) }, { noNullPrototype: true })
    .map((p): Frame => ({ type: "process-page", snapshot: p.snapshot, page: p.page, pages: p.page + 1, total: p.processes.length, processes: p.processes })),
  fc
    .record(
      { seq: u32, scheduler: fc.integer({ min: 0, max: 0xffff }), unlisted: u32, changed: fc.array(processInfo, { maxLength: 30 }), updated: fc.array(processUpdate, { maxLength: 30 }), removed: fc.array(u32, { maxLength: 10 }) },
      { noNullPrototype: true },
    )
    .map((d): Frame => ({ type: "process-delta", seq: d.seq, scheduler: d.scheduler, unlisted: d.unlisted, changed: d.changed, updated: d.updated, removed: d.removed })),
);
