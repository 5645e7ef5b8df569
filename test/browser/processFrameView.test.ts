// The visualizer reads process pages and deltas in place (ProcessFrameView) instead of decoding them
// into objects: it must see exactly what decodeFrame sees, and refuse exactly what it refuses. A
// unit test, kept with the browser tests because it guards the visualizer's hot path.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeFrame, encodeFrame, PROCESS_STATUSES, ProtocolError, readProcessFrame, type Frame, type ProcessInfo } from "../../protocol/index.js";

const info = fc.record<ProcessInfo>({
  pid: fc.nat({ max: 2 ** 32 - 1 }),
  status: fc.constantFrom(...PROCESS_STATUSES),
  scheduler: fc.nat({ max: 65535 }),
  mailbox: fc.nat({ max: 2 ** 32 - 1 }),
  reductions: fc.double({ noNaN: true }),
  memory: fc.nat({ max: 2 ** 32 - 1 }),
  spawnSite: fc.nat({ max: 2 ** 32 - 1 }),
  waitSite: fc.nat({ max: 2 ** 32 - 1 }),
  fn: fc.constantFrom("waiter", "keeper", "(anonymous)", "ünï ✓"),
  name: fc.constantFrom("", "todo_server", "x"),
  links: fc.nat({ max: 65535 }),
  monitors: fc.nat({ max: 65535 }),
});

const frames = fc.oneof(
  fc.record({ snapshot: fc.nat(), page: fc.nat({ max: 3 }), processes: fc.array(info, { maxLength: 30 }) }).map(
    (p): Frame => ({ type: "process-page", snapshot: p.snapshot, page: p.page, pages: p.page + 1, total: p.processes.length, processes: p.processes }),
  ),
  fc.record({ seq: fc.nat(), unlisted: fc.nat({ max: 2 ** 32 - 1 }), changed: fc.array(info, { maxLength: 30 }), removed: fc.array(fc.nat({ max: 2 ** 32 - 1 }), { maxLength: 10 }) }).map(
    (d): Frame => ({ type: "process-delta", ...d }),
  ),
);

test("a process frame read in place holds what decodeFrame decodes", () => {
  fc.assert(
    fc.property(frames, (frame) => {
      const bytes = encodeFrame(frame);
      const decoded = decodeFrame(bytes);
      const view = readProcessFrame(bytes)!;
      assert.equal(view.type, decoded.type);
      const records = Array.from({ length: view.count }, (_, i) => view.info(i));
      if (decoded.type === "process-page") {
        assert.deepEqual({ snapshot: view.snapshot, page: view.page, pages: view.pages, total: view.total }, { snapshot: decoded.snapshot, page: decoded.page, pages: decoded.pages, total: decoded.total });
        assert.deepEqual(records, decoded.processes);
        assert.equal(view.removedCount, 0);
      } else if (decoded.type === "process-delta") {
        assert.equal(view.seq, decoded.seq);
        assert.deepEqual(records, decoded.changed);
        assert.deepEqual(Array.from({ length: view.removedCount }, (_, i) => view.removed(i)), decoded.removed);
      }
    }),
  );
});

test("a truncated or corrupted process frame is refused as decodeFrame refuses it", () => {
  fc.assert(
    fc.property(frames, fc.nat(), fc.nat({ max: 255 }), (frame, at, byte) => {
      const bytes = new Uint8Array(encodeFrame(frame));
      const outcome = (f: () => unknown): string => {
        try {
          f();
          return "ok";
        } catch (e) {
          assert.ok(e instanceof ProtocolError, `a ProtocolError, not ${String(e)}`);
          return "refused";
        }
      };
      const cut = bytes.slice(0, at % bytes.length);
      // As the connection reads a frame: in place if it is a process frame, else decoded.
      assert.equal(outcome(() => readProcessFrame(cut) ?? decodeFrame(cut)), outcome(() => decodeFrame(cut)));
      const changed = bytes.slice();
      changed[3 + (at % (bytes.length - 3))] = byte;
      assert.equal(outcome(() => readProcessFrame(changed) ?? decodeFrame(changed)), outcome(() => decodeFrame(changed)));
    }),
  );
});

test("other frame types are left to decodeFrame", () => {
  assert.equal(readProcessFrame(encodeFrame({ type: "site-aggregates", aggregates: [] })), null);
  assert.equal(readProcessFrame(encodeFrame({ type: "events", dropped: 0, events: [] })), null);
});
