// Issue 15: a crash's `linkedDown` lists the linked processes it took down on every scheduler,
// not only on its own. A victim on another scheduler is reported by that scheduler, and the main
// thread adds it to the crash, sending an update (count 0) when the crash went out before.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Crash } from "../protocol/index.js";
import { startRuntime, TestClient, type RunningRuntime } from "./telemetryClient.js";

let runtime: RunningRuntime;
before(async () => {
  runtime = await startRuntime("test/fixtures/linked_across.ts", ["--schedulers", "2"]);
});
after(async () => {
  await runtime.stop();
});

test("issue 15: a crash lists the linked processes it took down on other schedulers too, and a viewer that connects later gets the whole list", async () => {
  const client = await TestClient.connect(runtime, "&channels=faults,schedulers");
  try {
    await client.waitFor((m) => m.type === "schedulers" && m.summary.processes === 6, "main, the leader and its four followers");
    const sent = await client.request({ type: "send", to: "leader", message: "crash" });
    assert.equal(sent.ok, true, JSON.stringify(sent));
    const isLeaders = (m: { type: string }): m is Crash => m.type === "crash" && (m as Crash).reason.includes("leader was told to crash");
    const full = (await client.waitFor((m) => isLeaders(m) && m.linkedDown.length === 4, "the leader's crash with its four followers")) as Crash;
    // Two on scheduler 1 (even pids) and two on scheduler 2 (odd pids): a pid names its scheduler.
    assert.deepEqual(
      [0, 1].map((s) => full.linkedDown.filter((pid) => pid % 2 === s).length),
      [2, 2],
    );
    assert.equal(new Set(full.linkedDown).size, 4);
    // One crash happened: every message of it together stands for one.
    const messages = client.received.filter(isLeaders);
    assert.equal(
      messages.reduce((n, m) => n + m.count, 0),
      1,
    );
    assert.ok(messages.every((m) => m.pid === full.pid && m.time === full.time));
    const late = await TestClient.connect(runtime, "&channels=faults");
    try {
      const replayed = (await late.waitFor((m) => isLeaders(m), "the replayed crash")) as Crash;
      assert.deepEqual([...replayed.linkedDown].sort(), [...full.linkedDown].sort());
    } finally {
      late.close();
    }
  } finally {
    client.close();
  }
});
