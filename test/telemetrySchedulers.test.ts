// Issue 15: telemetry of a real runtime with two scheduler threads. A client gets one keyframe
// with the processes of both, requests reach the scheduler that owns the pid (inspect, send to a
// pid or to a name registered on scheduler 2, kill), and the samples carry both schedulers with
// the messages that cross between them.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { InspectResult, SchedulerSamplesFrame } from "../protocol/index.js";
import { isSample, startRuntime, TestClient, type RunningRuntime } from "./telemetryClient.js";

let runtime: RunningRuntime;
before(async () => {
  runtime = await startRuntime("test/fixtures/scheduler_pool.ts", ["--schedulers", "2"]);
});
after(async () => {
  await runtime.stop();
});

test("issue 15: with --schedulers 2 a client's keyframe holds the processes of both schedulers, as many as the samples count", async () => {
  const client = await TestClient.connect(runtime);
  try {
    const sample = (await client.waitFor((m) => isSample(m) && m.summary.processes === 11, "main, the keeper, the collector and 8 workers")) as SchedulerSamplesFrame;
    assert.equal(client.hello?.schedulers, 2);
    assert.deepEqual(
      sample.schedulers.map((s) => [s.scheduler, s.processes]),
      [
        [1, 6],
        [2, 5],
      ],
    );
    // A viewer that connects now gets one keyframe of both schedulers' parts.
    const viewer = await TestClient.connect(runtime);
    try {
      const last = await viewer.waitFor((m) => m.type === "process-page" && m.page === m.pages - 1, "the keyframe's last page");
      assert.ok(last.type === "process-page");
      const pages = viewer.received.filter((m) => m.type === "process-page");
      assert.deepEqual(
        pages.map((p) => (p.type === "process-page" ? [p.page, p.pages, p.total] : [])),
        Array.from({ length: last.pages }, (_, i) => [i, last.pages, 11]),
      );
      const listed = pages.flatMap((p) => (p.type === "process-page" ? p.processes : []));
      assert.deepEqual(
        [1, 2].map((n) => listed.filter((p) => p.scheduler === n).length),
        [6, 5],
      );
      for (const p of listed) assert.equal(p.pid % 2, p.scheduler - 1, `${p.pid} is on the scheduler its pid names`);
    } finally {
      viewer.close();
    }
    // Workers on scheduler 2 report to the collector on scheduler 1.
    await client.waitFor((m) => isSample(m) && m.schedulers[1]!.crossOut > 0 && m.schedulers[0]!.crossIn > 0, "messages across");
  } finally {
    client.close();
  }
});

test("issue 15: requests reach the scheduler that owns the process: inspect, send to a name registered on scheduler 2, kill", async () => {
  const client = await TestClient.connect(runtime);
  try {
    const sent = await client.request({ type: "send", to: "keeper", message: ["hello", 1] });
    assert.equal(sent.ok, true, sent.error);
    const keeper = sent.result.delivered as string;
    const inspected = await client.request({ type: "inspect", pid: keeper });
    assert.equal(inspected.ok, true, inspected.error);
    const info = inspected.result as InspectResult;
    assert.equal(info.scheduler, 2);
    assert.equal(info.name, "keeper");
    assert.deepEqual(info.mailbox, ["[ 'hello', 1 ]"]);
    await client.waitFor(() => [...client.processes.values()].some((p) => p.fn === "worker" && p.scheduler === 1), "a worker on scheduler 1 listed");
    const worker = [...client.processes.values()].find((p) => p.fn === "worker" && p.scheduler === 1)!;
    const killed = await client.request({ type: "kill", pid: `<0.${worker.pid}.0>` });
    assert.equal(killed.ok, true, killed.error);
    assert.deepEqual(killed.result, { killed: `<0.${worker.pid}.0>` });
    const gone = await client.request({ type: "inspect", pid: `<0.${worker.pid}.0>` });
    assert.equal(gone.error, `no process <0.${worker.pid}.0> is alive (it may have exited)`);
    const supervision = await client.request({ type: "supervision" });
    assert.equal(supervision.ok, true, supervision.error);
  } finally {
    client.close();
  }
});

test("issue 15: a scheduler that receives messages from another keeps ticking: its deltas keep pace and it answers requests", async () => {
  // Bug: the exchange at the end of a run loop woke the receiving process and scheduled the loop,
  // and the loop scheduled itself again: pending run loops doubled at every turn of scheduler 1's
  // event loop, whose telemetry ticks came 170, 260, 630, 1400 ms apart, and its requests timed out.
  const client = await TestClient.connect(runtime, "&channels=processes");
  try {
    const deltas = (scheduler: number) => client.received.filter((m) => m.type === "process-delta" && m.scheduler === scheduler).length;
    await client.waitFor(() => deltas(2) >= 40, "40 ticks of scheduler 2");
    assert.ok(deltas(1) >= 20, `scheduler 1, which the workers of scheduler 2 send to, ticked ${deltas(1)} times meanwhile`);
    const collector = [...client.processes.values()].find((p) => p.fn === "collector")!;
    const inspected = await client.request({ type: "inspect", pid: `<0.${collector.pid}.0>` });
    assert.equal(inspected.ok, true, inspected.error);
  } finally {
    client.close();
  }
});
