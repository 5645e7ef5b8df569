// The visualizer reads process pages and deltas in place (ProcessFrameView) instead of decoding
// them into objects: it must read back every field that was encoded. A unit test, kept with the
// browser tests because it guards the visualizer's hot path. Malformed frames are fuzzed in
// test/protocol.test.ts, through decodeFrame, which reads process frames with the same view.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { encodeFrame, readProcessFrame } from "../../protocol/index.js";
import { processFrame } from "../processFrameArbitraries.js";

test("a process frame read in place holds every field that was encoded", () => {
  fc.assert(
    fc.property(processFrame, (frame) => {
      const view = readProcessFrame(encodeFrame(frame))!;
      assert.equal(view.type, frame.type);
      const records = Array.from({ length: view.count }, (_, i) => view.info(i));
      if (frame.type === "process-page") {
        assert.deepEqual({ snapshot: view.snapshot, page: view.page, pages: view.pages, total: view.total }, { snapshot: frame.snapshot, page: frame.page, pages: frame.pages, total: frame.total });
        assert.deepEqual(records, frame.processes);
        assert.equal(view.removedCount, 0);
      } else if (frame.type === "process-delta") {
        assert.deepEqual({ seq: view.seq, unlisted: view.unlisted }, { seq: frame.seq, unlisted: frame.unlisted });
        assert.deepEqual(records, frame.changed);
        assert.deepEqual(Array.from({ length: view.updateCount }, (_, i) => view.updateInfo(i)), frame.updated);
        assert.deepEqual(Array.from({ length: view.removedCount }, (_, i) => view.removed(i)), frame.removed);
      }
    }),
  );
});

test("other frame types are left to decodeFrame", () => {
  assert.equal(readProcessFrame(encodeFrame({ type: "site-aggregates", aggregates: [] })), null);
  assert.equal(readProcessFrame(encodeFrame({ type: "events", dropped: 0, events: [] })), null);
});
