// What `inspect` says about a process, through a real runtime (the loader's sites included).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { InspectResult } from "../protocol/index.js";
import { processesOf, startRuntime, TestClient, type RunningRuntime } from "./telemetryClient.js";

let runtime: RunningRuntime;
before(async () => {
  runtime = await startRuntime("test/fixtures/counter_server.ts");
});
after(async () => {
  await runtime.stop();
});

// Issue 13 item 13: a startServer process showed "waiting" but "Waits at: not waiting" and
// "Spawned at —": its loop's receive is runtime code, and startServer was not a spawn site.
test("issue 13 item 13: a waiting startServer process says where it was spawned and where it waits", async () => {
  const client = await TestClient.connect(runtime);
  try {
    const m = await client.waitFor((m) => processesOf(m).some((p) => p.name === "counter" && p.status === "waiting"), "the counter server waiting");
    const counter = processesOf(m).find((p) => p.name === "counter")!;
    const response = await client.request({ type: "inspect", pid: `<0.${counter.pid}.0>` });
    assert.equal(response.ok, true, response.error);
    const info = response.result as InspectResult;
    assert.equal(info.status, "waiting");
    assert.equal(info.function, "counter");
    assert.equal(info.spawnSite, "test/fixtures/counter_server.ts:7");
    assert.equal(info.waitSite, "test/fixtures/counter_server.ts:7", "it waits in its server loop, started at that line");
    assert.match(info.waitingFor.join(" "), /any message: a call goes to handleCall/);
    assert.equal(info.state, "1");
  } finally {
    client.close();
  }
});
