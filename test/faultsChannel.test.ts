// Issue 14 against a real runtime: a supervised child that crashes 300 times reaches a viewer as a
// bounded stream of crash and restart messages with the user's line, whose counts add up; the
// samples count the crashes; the restart-loop, supervisor-gave-up and linked-crash warnings name
// their lines; the supervision request shows the tree.

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { FAULT_MESSAGES_PER_WINDOW, FAULT_WINDOW_MS, type Crash, type GaveUp, type Restart, type Sites, type SupervisionTree, type Warnings } from "../protocol/index.js";
import { isSample, startRuntime, TestClient, type Received, type RunningRuntime } from "./telemetryClient.js";

const CRASHES = 300;
const dir = mkdtempSync(path.join(tmpdir(), "beamline-faults-test-"));
const program = path.join(dir, "faults.ts");
const source = `import { call, on, processFlag, receive, register, spawn, spawnLink, startServer, startSupervisor, sleep } from "beamline";

function* flaky() {
  const n: number = yield* call("counter", "next");
  if (n > ${CRASHES}) yield* receive(on("never"));
  yield* sleep(1);
  throw new TypeError("flaky crashed"); // FLAKY
}

function* hopeless() {
  throw new RangeError("hopeless"); // HOPELESS
}

function* member() {
  yield* receive(on("never"));
}

function* leader() {
  spawnLink(member);
  spawnLink(member);
  yield* sleep(50);
  throw new Error("leader crashed"); // LEADER
}

export function* main() {
  // The supervisor that gives up exits with "shutdown", which would end main through its link.
  processFlag("trapExit", true);
  register("counter", startServer({ init: () => 0, handleCall: (_req: string, n: number) => [n + 1, n + 1] }));
  startSupervisor({ strategy: "one_for_one", intensity: 100000, period: 1000, children: [{ id: "flaky", start: [flaky] }] }); // FLAKY_SUP
  yield* sleep(20);
  startSupervisor({ intensity: 1, period: 5000, children: [{ id: "hopeless", start: [hopeless] }] }); // HOPELESS_SUP
  spawn(leader); // LEADER_SPAWN
  yield* receive(on("never"));
}
`;
writeFileSync(program, source);
const lineOf = (marker: string) => source.split("\n").findIndex((l) => l.includes(`// ${marker}`)) + 1;

let runtime: RunningRuntime;
let client: TestClient;
before(async () => {
  runtime = await startRuntime(program, ["--wait-for-viewer"]);
  client = await TestClient.connect(runtime, "&channels=faults,warnings,schedulers,sites");
});
after(async () => {
  client?.close();
  await runtime?.stop();
});

const crashesOf = (line: number) => client.received.filter((m): m is Crash => m.type === "crash" && m.at?.line === line);

test("issue 14: 300 crashes of one line reach a viewer bounded per second, with the line, the supervisor and counts that add up", async () => {
  const flakyLine = lineOf("FLAKY");
  await client.waitFor((m) => m.type === "crash" && m.at?.line === flakyLine && m.total === CRASHES, `the crash message with total ${CRASHES}`);
  const crashes = crashesOf(flakyLine);
  assert.equal(
    crashes.reduce((n, c) => n + c.count, 0),
    CRASHES,
    "the counts add up to the crashes",
  );
  const first = crashes[0]!;
  assert.equal(first.reason, "TypeError: flaky crashed");
  assert.equal(first.fn, "flaky");
  assert.ok(first.supervisor > 0, "a supervised child names its supervisor");
  assert.ok(path.resolve(first.at!.file) === program || first.at!.file.endsWith("faults.ts"), first.at!.file);
  assert.match(first.stack, /flaky crashed/);
  // No second of the run had more than the bound of messages of this line.
  for (const c of crashes) {
    const inWindow = crashes.filter((d) => d.time >= c.time && d.time < c.time + FAULT_WINDOW_MS).length;
    // A window of the bound lasts at least FAULT_WINDOW_MS, so any second overlaps at most two.
    assert.ok(inWindow <= 2 * (FAULT_MESSAGES_PER_WINDOW + 1), `${inWindow} messages within a second of ${c.time} ms`);
  }
  assert.ok(crashes.length < CRASHES / 2, `${crashes.length} messages for ${CRASHES} crashes`);
  const restarts = client.received.filter((m): m is Restart => m.type === "restart" && m.childId === "flaky");
  await client.waitFor((m) => m.type === "restart" && m.childId === "flaky" && m.restarts === CRASHES, "the restart message with its total");
  assert.ok(restarts.every((r) => r.supervisor === first.supervisor && r.at?.line === flakyLine));
});

test("issue 14: the samples count every crash and restart, and the sites count them at the supervisor's and the crasher's spawn lines", async () => {
  await client.waitFor((m) => m.type === "crash" && m.at?.line === lineOf("LEADER"), "the leader's crash");
  // Every crash so far is in a sample once all of them are in messages.
  const messaged = () => client.received.filter((m): m is Crash => m.type === "crash").reduce((n, c) => n + c.count, 0);
  const sampled = () => client.received.filter(isSample).reduce((n, s) => n + s.summary.crashes, 0);
  // 300 of the flaky child, 2 of the child whose supervisor gave up, 1 of the leader.
  await client.waitFor(() => sampled() === CRASHES + 3 && messaged() === CRASHES + 3, "samples and messages that count every crash").catch((error: Error) => {
    throw new Error(`${error.message}; sampled ${sampled()}, messaged ${messaged()}, lagging ${JSON.stringify(client.received.filter((m) => m.type === "lagging"))}`);
  });
  const restartsSampled = client.received.filter(isSample).reduce((n, s) => n + s.summary.restarts, 0);
  assert.ok(restartsSampled >= CRASHES + 1, `${restartsSampled} restarts sampled`);
  const sites = client.received.find((m): m is Sites => m.type === "sites")!.sites;
  const supSite = sites.find((s) => s.kind === "spawn" && s.line === lineOf("FLAKY_SUP"))!;
  assert.equal(supSite.name, "startSupervisor");
  const leaderSite = sites.find((s) => s.kind === "spawn" && s.name === "spawn" && s.line === lineOf("LEADER_SPAWN"))!;
  const aggregate = (site: number, field: "crashes" | "restarts") => {
    for (let i = client.received.length - 1; i >= 0; i--) {
      const m = client.received[i]!;
      if (m.type === "site-aggregates") return m.aggregates.find((a) => a.site === site)?.[field];
    }
    return undefined;
  };
  await client.waitFor(() => aggregate(supSite.id, "restarts") === CRASHES && aggregate(leaderSite.id, "crashes") === 1, "site aggregates with the restarts and the leader's crash");
});

test("issue 14: restart-loop, supervisor-gave-up and linked-crash warnings name their lines and explain themselves", async () => {
  const file = path.basename(program);
  const has = (m: Received, kind: string, line: number) => m.type === "warnings" && m.warnings.some((w) => w.kind === kind && w.site?.endsWith(`${file}:${line}`));
  const loop = (await client.waitFor((m) => has(m, "restart-loop", lineOf("FLAKY")), "a restart-loop warning")) as Warnings;
  const w = loop.warnings.find((x) => x.kind === "restart-loop")!;
  assert.match(w.message, /restarted its child "flaky" \d+ times in the last 10 s; it last exited with TypeError: flaky crashed/);
  assert.ok(w.advice.length > 0);
  const gave = (await client.waitFor((m) => has(m, "supervisor-gave-up", lineOf("HOPELESS_SUP")), "a supervisor-gave-up warning")) as Warnings;
  assert.match(gave.warnings.find((x) => x.kind === "supervisor-gave-up")!.message, /gave up after \d+ restarts within 5000 ms/);
  const gaveUp = await client.waitFor((m): m is GaveUp => m.type === "gave-up", "the gave-up message");
  assert.equal(gaveUp.periodMs, 5000);
  // A member the balancer placed on another scheduler joins the crash a tick of that scheduler later.
  const linked = (await client.waitFor(
    (m) => has(m, "linked-crash", lineOf("LEADER")) && (m as Warnings).warnings.some((x) => x.kind === "linked-crash" && x.message.includes("took 2 linked")),
    "a linked-crash warning with both members",
  )) as Warnings;
  assert.match(linked.warnings.find((x) => x.kind === "linked-crash")!.message, /\(leader\) crashed with Error: leader crashed and took 2 linked processes down with it/);
});

test("issue 14: the supervision request shows the live supervisor with its child's restarts; the one that gave up is gone", async () => {
  const response = await client.request({ type: "supervision" });
  assert.ok(response.ok, response.error);
  const tree = response.result as SupervisionTree;
  const flaky = tree.supervisors.find((s) => s.children.some((c) => c.id === "flaky"))!;
  assert.equal(flaky.strategy, "one_for_one");
  assert.equal(flaky.children[0]!.restarts, CRASHES);
  assert.equal(flaky.children[0]!.status, "waiting");
  assert.equal(flaky.children[0]!.lastReason, "TypeError: flaky crashed");
  assert.ok(!tree.supervisors.some((s) => s.children.some((c) => c.id === "hopeless")));
});
