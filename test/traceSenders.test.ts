// Who a traced send names as its sender (docs/protocol.md, section 7, type 5): the sending process,
// also when it runs on another scheduler, and pid 0 only for a message that no process sent (a
// telemetry client's `send` request, which the visualizer shows as sent by "viewer").

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { TraceEvent } from "../protocol/index.js";
import { processesOf, startRuntime, TestClient, type RunningRuntime } from "./telemetryClient.js";

let runtime: RunningRuntime;
let client: TestClient;
let near = 0;
let far = 0;
before(async () => {
  runtime = await startRuntime("test/fixtures/sends_across.ts", ["--schedulers", "2"]);
  client = await TestClient.connect(runtime);
  const pidOf = async (name: string) => {
    const m = await client.waitFor((m) => processesOf(m).some((p) => p.name === name), name);
    return processesOf(m).find((p) => p.name === name)!.pid;
  };
  near = await pidOf("near");
  far = await pidOf("far");
  // The fixture puts them on schedulers 1 and 2 (a pid's scheduler is its id modulo 2, docs/architecture.md).
  assert.notEqual(near % 2, far % 2, "near and far run on different schedulers");
});
after(async () => {
  client.close();
  await runtime.stop();
});

const pid = (n: number) => `<0.${n}.0>`;
const sends = (test: (e: TraceEvent) => boolean) => (m: { type: string; events?: TraceEvent[] }) => m.type === "events" && (m.events ?? []).some((e) => e.kind === "send" && test(e));

test("a traced process's message from a process on another scheduler names that process as its sender, not pid 0", async () => {
  assert.deepEqual((await client.request({ type: "trace", pid: pid(near), enabled: true })).result, { traced: true });
  await client.waitFor(sends((e) => e.other === near && e.text.includes("far")), "far's send to near, traced at near");
  const fromFar = client.received.flatMap((m) => (m.type === "events" ? m.events : [])).filter((e) => e.kind === "send" && e.other === near);
  assert.ok(fromFar.length > 0);
  for (const e of fromFar) assert.equal(e.pid, far, `near's message "${e.text}" names its sender`);
});

test("a traced process's send to a process on another scheduler is traced though the receiver is not", async () => {
  await client.waitFor(sends((e) => e.pid === near && e.other === far), "near's send to far");
  // Traced once, on the sender's scheduler: the receiver's does not record it again.
  assert.deepEqual((await client.request({ type: "trace", pid: pid(near), enabled: false })).result, { traced: false });
  assert.deepEqual((await client.request({ type: "trace", pid: pid(far), enabled: true })).result, { traced: true });
  assert.deepEqual((await client.request({ type: "trace", pid: pid(near), enabled: true })).result, { traced: true });
  const since = client.received.length;
  await client.waitFor((m) => client.received.indexOf(m) >= since && sends((e) => e.pid === near && e.other === far)(m), "near's send to far with both traced");
  await client.waitFor((m) => client.received.indexOf(m) >= since && sends((e) => e.pid === far && e.other === near)(m), "far's send to near with both traced");
  // Each message is numbered by its sender: a message traced on both schedulers would appear twice.
  const seen = client.received.slice(since).flatMap((m) => (m.type === "events" ? m.events : [])).filter((e) => e.kind === "send");
  const texts = seen.map((e) => `${e.pid}>${e.other} ${e.text}`);
  assert.equal(new Set(texts).size, texts.length, `no send traced twice: ${texts.join(", ")}`);
});

test("a message sent by a `send` request is traced with sender pid 0: no process sent it", async () => {
  assert.deepEqual((await client.request({ type: "send", to: "near", message: ["from", "the viewer"] })).result, { delivered: pid(near) });
  const m = await client.waitFor(sends((e) => e.other === near && e.text.includes("the viewer")), "the request's message traced");
  const e = (m as { events: TraceEvent[] }).events.find((e) => e.kind === "send" && e.text.includes("the viewer"))!;
  assert.equal(e.pid, 0);
});
