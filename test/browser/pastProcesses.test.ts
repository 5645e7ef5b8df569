// Issue 16: the visualizer's past process table (webview/pastProcesses.ts) asks `seek` for the
// moment on the timeline and applies the Past frame that answers it, a keyframe and the deltas
// after it, to a store of its own (docs/protocol.md, sections 7 and 9); it says when the recording
// holds no table for that moment or the runtime refused, and asks again when the moment moved on.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Request, Response } from "../../protocol/control.js";
import { encodeFrame, encodePast, readPastFrame, type ProcessInfo } from "../../protocol/frames.js";
import type { Connection } from "../../webview/connection.js";
import { PastProcesses } from "../../webview/pastProcesses.js";
import { EXITED, FREE } from "../../webview/store.js";

const proc = (pid: number, fields: Partial<ProcessInfo> = {}): ProcessInfo => ({ pid, status: "waiting", scheduler: 1, mailbox: 0, reductions: 100, memory: 380, spawnSite: 3, waitSite: 4, fn: "client", name: "", links: 0, monitors: 0, monitoredBy: 0, trapExit: false, ...fields });

const keyframe = encodeFrame({ type: "process-page", snapshot: 1, page: 0, pages: 1, total: 3, processes: [proc(1, { fn: "server", mailbox: 5 }), proc(2), proc(3)] });
const delta = (seq: number, mailbox: number, removed: number[]) =>
  encodeFrame({ type: "process-delta", seq, scheduler: 1, unlisted: 0, changed: [], updated: [{ pid: 1, status: "runnable", mailbox, reductions: 100 + seq * 1000, memory: 380, waitSite: 0 }], removed });

/** A connection that answers each `seek` as `answer` says, with the Past frame first, as the runtime does. */
function fakeConnection(answer: (time: number, id: number) => { frames: ArrayBuffer[]; processes: boolean } | string): { connection: Connection; asked: number[]; past: () => PastProcesses } {
  const asked: number[] = [];
  let past: PastProcesses;
  let id = 0;
  const connection = {
    request: async (body: Omit<Extract<Request, { type: "seek" }>, "id">): Promise<Response> => {
      const rid = ++id;
      asked.push(body.time);
      await new Promise((r) => setTimeout(r, 5));
      const a = answer(body.time, rid);
      if (typeof a === "string") return { type: "response", id: rid, ok: false, error: a };
      past.frame(readPastFrame(encodePast(rid, body.time, a.frames))!);
      return { type: "response", id: rid, ok: true, result: { time: body.time, keyframeAt: a.processes ? 1000 : -1, frames: a.frames.length, processes: a.processes, supervision: null, supervisionAt: -1 } };
    },
  } as unknown as Connection;
  past = new PastProcesses(connection);
  return { connection, asked, past: () => past };
}

const settled = async (p: PastProcesses) => {
  while (p.state.kind === "loading") await new Promise((r) => setTimeout(r, 5));
};

test("issue 16: the past table holds the keyframe and the deltas up to the moment asked for, and what ended meanwhile is gone", async () => {
  const fake = fakeConnection(() => ({ frames: [keyframe, delta(1, 200, []), delta(2, 500, [3])], processes: true }));
  const past = fake.past();
  past.want(1500, 100);
  await settled(past);
  assert.deepEqual(past.state, { kind: "ready", time: 1500, keyframeAt: 1000 });
  const s = past.store;
  const server = s.slotOf(1);
  assert.equal(s.mailbox[server], 500, "the server's mailbox at the moment: the last delta's");
  assert.equal(s.strings[s.fn[server]!], "server", "what a process started with comes from the keyframe");
  assert.ok(s.status[s.slotOf(3)] === EXITED || s.status[s.slotOf(3)] === FREE || s.slotOf(3) < 0, "a process removed before the moment is not alive then");
  assert.equal(s.live, 2);
  // Rates on the run's clock: the last delta is at the moment, one interval after the one before.
  assert.equal(Math.round(s.rate(server, 1500)), 10_000, "1,000 reductions in 100 ms");
  past.want(null, 100);
  assert.equal(past.state.kind, "live");
});

test("issue 16: the past table says when the recording holds none for a moment or the runtime refused, and asks again for a moment that moved on", async () => {
  let refuse = false;
  const fake = fakeConnection((time) => (refuse ? "this runtime does not record the process table" : time < 1000 ? { frames: [], processes: false } : { frames: [keyframe], processes: true }));
  const past = fake.past();
  past.want(2000, 100);
  // Moved on while the first request is in flight (a drag): one more request, for the latest moment.
  past.want(2500, 100);
  past.want(500, 100);
  await settled(past);
  while (fake.asked.length < 2 || past.state.kind === "loading" || (past.state as { time: number }).time !== 500) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(fake.asked, [2000, 500], "the moments in between are not asked for");
  assert.deepEqual(past.state, { kind: "not-recorded", time: 500 });
  assert.equal(past.store.live, 0, "no table is shown for a moment the recording lacks");
  refuse = true;
  past.want(3000, 100);
  while (past.state.kind !== "failed") await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(past.state, { kind: "failed", time: 3000, error: "this runtime does not record the process table" });
});
