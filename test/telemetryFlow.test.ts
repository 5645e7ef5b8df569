// Flow control and liveness of the telemetry: a slow client gets coalesced frames (dropped and
// counted, then a fresh keyframe) instead of an unbounded queue, and the main thread keeps
// sampling and reporting while the scheduler is stuck in a slice it cannot preempt.

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import WebSocket from "ws";
import { PROTOCOL_VERSION, type InspectResult, type Lagging } from "../protocol/index.js";
import { newCounters } from "../runtime/core/schedulerCounters.js";
import type { ToScheduler } from "../runtime/host/schedulerMessages.js";
import { TelemetryHub, type ClientConnection } from "../runtime/telemetry/telemetryHub.js";
import { startTelemetryServer } from "../runtime/telemetry/telemetryServer.js";
import { startRuntime, TestClient } from "./telemetryClient.js";

const dir = mkdtempSync(path.join(tmpdir(), "beamline-flow-test-"));

test("a client that stops reading is not queued without bound: frames are dropped, counted, then replaced by a keyframe", async () => {
  const file = path.join(dir, "churn.ts");
  // 100,000 processes that each wake every 20 ms: every delta carries most of them (megabytes).
  writeFileSync(
    file,
    `import { spawn, sleep, receive, on } from "beamline";
function* ticker() { for (;;) yield* sleep(20); }
export function* main() {
  for (let i = 0; i < 100000; i++) spawn(ticker);
  yield* receive(on("stop"));
}
`,
  );
  const runtime = await startRuntime(file);
  try {
    const client = await TestClient.connect(runtime);
    await client.waitFor((m) => m.type === "process-delta" && m.changed.length + m.updated.length > 20_000, "big deltas");
    const socket = (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    // Paused until a reading viewer has seen 40 MB of deltas go by: far past the 8 MiB mark and
    // the socket's own buffers, however slowly a loaded machine makes them.
    const observer = await TestClient.connect(runtime, "&channels=processes");
    let bytes = 0;
    await observer.waitFor((m) => m.type === "process-delta" && (bytes += 25 * m.updated.length + 43 * m.changed.length) > 40e6, "40 MB of deltas", 120_000);
    observer.close();
    const before = client.received.length;
    socket.resume();
    const lagging = (await client.waitFor((m) => m.type === "lagging" && client.received.indexOf(m) >= before, "a lagging notice")) as Lagging;
    assert.ok(lagging.droppedFrames > 0, `dropped ${lagging.droppedFrames}`);
    const at = client.received.indexOf(lagging);
    await client.waitFor((m) => m.type === "process-page" && client.received.indexOf(m) > at, "a fresh keyframe after catching up");
    client.close();
  } finally {
    await runtime.stop();
  }
});

test("while a scheduler is stuck in a plain function, samples go on and say so, and a warning names the line", async () => {
  const file = path.join(dir, "stuck.ts");
  writeFileSync(
    file,
    `import { spawn, sleep, receive, on } from "beamline";
function spin(ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end) {}
}
function* hog() { yield* sleep(300); spin(2500); }
export function* main() {
  spawn(hog);
  yield* receive(on("stop"));
}
`,
  );
  const runtime = await startRuntime(file);
  try {
    const client = await TestClient.connect(runtime);
    const stuck = await client.waitFor((m) => m.type === "schedulers" && m.schedulers[0]!.stuckMs > 600, "a sample while stuck");
    assert.ok(stuck.type === "schedulers");
    assert.equal(stuck.schedulers[0]!.utilization, 1);
    assert.ok(stuck.schedulers[0]!.stuckPid > 0);
    const warning = await client.waitFor((m) => m.type === "warnings" && m.warnings.some((w) => w.kind === "non-preemptible"), "a non-preemptible warning");
    assert.ok(warning.type === "warnings");
    const w = warning.warnings.find((w) => w.kind === "non-preemptible")!;
    assert.match(w.message, /stuck for \d+ ms in <0\.\d+\.0>, in a plain function at .*stuck\.ts:4 that cannot be preempted/);
    // The warning came while the scheduler was still stuck, not after the slice ended.
    const at = client.received.indexOf(warning);
    const next = await client.waitFor((m) => m.type === "schedulers" && client.received.indexOf(m) > at, "the next sample");
    assert.ok(next.type === "schedulers" && next.schedulers[0]!.stuckMs > 0, "the scheduler was no longer stuck when warned");
    client.close();
  } finally {
    await runtime.stop();
  }
});

test("a keyframe bigger than the high-water mark does not make its client count as behind", async () => {
  // Guards against a loop seen with a million processes: the 43 MB keyframe itself marked the
  // client as behind, which asked for the next keyframe, and deltas never got through.
  const file = path.join(dir, "big.ts");
  writeFileSync(
    file,
    `import { spawn, sleep, receive, on } from "beamline";
function* idle() { yield* receive(on("stop")); }
function* ticker() { for (;;) yield* sleep(10); }
export function* main() {
  for (let i = 0; i < 300000; i++) spawn(idle);
  spawn(ticker);
  console.log("spawned");
  yield* receive(on("stop"));
}
`,
  );
  const runtime = await startRuntime(file);
  try {
    // Connect once every process is spawned, so that the first keyframe lists them all.
    await new Promise<void>((resolve) => {
      const check = setInterval(() => /spawned/.test(runtime.stdout()) && (clearInterval(check), resolve()), 20);
    });
    const client = await TestClient.connect(runtime);
    // A slow reader (a browser at 1M processes): the keyframe waits in the server's buffer a while.
    const socket = (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    await new Promise((r) => setTimeout(r, 1500));
    socket.resume();
    await client.waitFor((m) => m.type === "process-page" && m.page === m.pages - 1 && m.total > 300_000, "the whole keyframe");
    const at = client.received.length;
    await client.waitFor((m) => m.type === "process-delta" && client.received.indexOf(m) >= at && m.changed.length + m.updated.length > 0, "deltas after the keyframe");
    // Ten more samples: a client wrongly counted as behind would have been told by now.
    const samples = client.received.length;
    await client.waitFor((m) => m.type === "schedulers" && client.received.filter((r, i) => i >= samples && r.type === "schedulers").length >= 10, "ten more samples");
    assert.equal(client.received.filter((m) => m.type === "lagging").length, 0, "the client was told it lagged");
    assert.equal(new Set(client.received.filter((m) => m.type === "process-page").map((m) => m.type === "process-page" && m.snapshot)).size, 1);
    client.close();
  } finally {
    await runtime.stop();
  }
});

test("issue 13 item 2: over a real WebSocket, a client that sends 10,000 inspects and never reads cannot make the server queue more than the mark; another viewer keeps its samples", async () => {
  // The real server and hub, with a scheduler that answers every inspect at once with 20 KB: the
  // hub's answers, not the scheduler's speed, are what is bounded.
  const answerBytes = 20_000;
  const mailbox = ["x".repeat(answerBytes)];
  const answer: InspectResult = { pid: "<0.5.0>", name: "", status: "waiting", function: "f", spawnSite: "", waitSite: "", waitingFor: [], mailboxLength: 1, mailbox, links: [], linkCount: 0, monitors: [], monitorCount: 0, monitoredBy: [], monitoredByCount: 0, trapExit: false, supervisor: "", reductions: 0, scheduler: 1, memory: 0, traced: false };
  const hello = { type: "hello" as const, version: PROTOCOL_VERSION, node: "test", schedulers: 1, reductions: 2000, program: "t.ts", startedAt: Date.now(), osPid: process.pid };
  const scheduler = {
    post: (m: ToScheduler) => {
      if (m.type === "request") setImmediate(() => hub.fromScheduler({ type: "response", id: m.id, ok: true, result: answer }, 0));
    },
    counters: newCounters(),
    stuck: () => ({ ms: 0, pid: 0, site: "" }),
  };
  const hub = new TelemetryHub([scheduler], hello, [], 50);
  const connections: ClientConnection[] = [];
  const connect = hub.connect.bind(hub);
  hub.connect = (connection, channels) => {
    connections.push(connection);
    return connect(connection, channels);
  };
  const token = "a-token-for-this-test-only";
  const server = await startTelemetryServer(hub, 0, token);
  const url = (channels: string) => `ws://127.0.0.1:${server.port}/ws?token=${token}&channels=${channels}`;
  try {
    const flooder = new WebSocket(url(""));
    await new Promise((resolve) => flooder.once("open", resolve));
    const socket = (flooder as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const queued = connections.at(-1)!;
    const responses: number[] = [];
    flooder.on("message", (data, isBinary) => {
      if (!isBinary) {
        const m = JSON.parse(data.toString()) as { type: string; id: number };
        if (m.type === "response") responses.push(m.id);
      }
    });
    const viewer = await new Promise<WebSocket>((resolve) => {
      const ws = new WebSocket(url("schedulers"));
      ws.once("open", () => resolve(ws));
    });
    for (let id = 0; id < 10_000; id++) flooder.send(JSON.stringify({ id, type: "inspect", pid: "<0.5.0>" }));
    // Every sample the viewer gets, the bytes queued for the flooder are checked against the bound:
    // the 8 MiB mark plus the answers to the 8 requests that may be in flight.
    let most = 0;
    await new Promise<void>((resolve) => {
      let samples = 0;
      viewer.on("message", (_data, isBinary) => {
        if (!isBinary) return;
        most = Math.max(most, queued.bufferedAmount);
        if (++samples === 40) resolve();
      });
    });
    assert.ok(most > 0, "the flooder was answered until the mark");
    assert.ok(most <= 8 * 1024 * 1024 + 8 * (answerBytes + 100), `${most} bytes were queued for a client that does not read`);
    // Once it reads, every request is answered, in order: nothing was lost.
    socket.resume();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (responses.length === 10_000) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    assert.deepEqual(responses, Array.from({ length: 10_000 }, (_, i) => i));
    flooder.close();
    viewer.close();
  } finally {
    hub.stop();
    await server.close();
  }
});
