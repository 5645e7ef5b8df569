// Process lifecycle: crash isolation, kills, and calls made outside a process.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { _, after, exit, formatReason, isAlive, monitor, on, Pid, receive, self, send, sleep, spawn } from "../runtime/api.js";
import type { Process } from "../runtime/core/process.js";
import { Heartbeat, readOverrunSite } from "../runtime/core/heartbeat.js";
import { budget } from "../runtime/core/reductions.js";
import { scheduler } from "../runtime/core/scheduler.js";
import { runProcess, yieldSlice } from "./harness.js";
import { crashSoon } from "./processes/common.js";
import { doubler } from "./processes/processes.js";
import { WAIT_DEADLINE_MS } from "./telemetryClient.js";

test("a crashing process does not disturb the others", async () => {
  const { value, crashes } = await runProcess(function* () {
    const me = self();
    const worker = spawn(doubler, me);
    const crasher = spawn(crashSoon, "boom");
    const results = [];
    for (let i = 1; i <= 3; i++) {
      send(worker, i);
      results.push(yield* receive());
      yield* sleep(1);
    }
    // Waits for the crash, not for a time: on another scheduler it comes when it comes.
    monitor(crasher);
    yield* receive(on(["DOWN", _, "process", crasher, _]));
    return { results, alive: isAlive(worker) };
  });
  assert.deepEqual(value, { results: [2, 4, 6], alive: true });
  assert.equal(crashes.length, 1);
  assert.match(formatReason(crashes[0]!.reason), /Error: boom/);
});

test("exit(pid, reason) stops a process waiting in receive; its messages are dropped", async () => {
  const { value } = await runProcess(function* () {
    const waiting = spawn(function* () {
      yield* receive(on("never"));
    });
    send(waiting, "unread");
    yield* sleep(1);
    exit(waiting, "shutdown");
    send(waiting, "after death");
    return { alive: isAlive(waiting), processes: scheduler.find(waiting.id) !== undefined };
  });
  assert.deepEqual(value, { alive: false, processes: false });
});

test("a process killed while runnable never runs again", async () => {
  let ran = false;
  await runProcess(function* () {
    const p = spawn(function* () {
      ran = true;
    });
    exit(p, "kill");
    yield* sleep(1);
  });
  assert.equal(ran, false);
});

test("self() outside a process is a clear error", () => {
  assert.throws(() => self(), /self\(\) was called outside a process; call it from a process function/);
});

test("pids print like Erlang's", async () => {
  const { value } = await runProcess(function* () {
    return String(self());
  });
  assert.match(value, /^<0\.\d+\.0>$/);
});

/** Runs a program through the CLI (loader, instrumentation, source maps), as a user does. */
function runCli(name: string, source: string): { code: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "beamline-processes-test-"));
  const file = path.join(dir, name);
  writeFileSync(file, source);
  const result = spawnSync(process.execPath, [path.resolve("dist/runtime/cli.js"), "run", file], { encoding: "utf8", timeout: WAIT_DEADLINE_MS });
  rmSync(dir, { recursive: true, force: true });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("issue 13 item 16: yield receive/call/sleep without the star crashes that process with 'use yield*' and the user's line", () => {
  const { code, stdout, stderr } = runCli(
    "no_star.ts",
    `import { _, call, monitor, on, receive, reply, self, send, sleep, spawn, From } from "beamline";
function* forgetsStar() {
  const msg = yield receive(on("ping"));
  console.log("never: receive gave", msg);
}
function* callsWithoutStar(server: ReturnType<typeof self>) {
  const answer = yield call(server, "question");
  console.log("never: call gave", answer);
}
function* sleepsWithoutStar() {
  yield sleep(10);
  console.log("never: slept");
}
function* server() {
  for (;;) yield* receive(on(["$call", From, "question"], ([, from]) => reply(from, 42)));
}
export function* main() {
  const forgets = spawn(forgetsStar);
  const processes = [forgets, spawn(callsWithoutStar, spawn(server)), spawn(sleepsWithoutStar)];
  // Waits for the three crashes, not for a time: on another scheduler they may come later.
  for (const p of processes) monitor(p);
  send(forgets, "ping");
  for (let i = 0; i < processes.length; i++) yield* receive(on(["DOWN", _, "process", _, _]));
  console.log("main goes on");
}
`,
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "main goes on\n");
  const crashes = stderr.split(/\n(?=<0\.)/);
  assert.equal(crashes.length, 3, stderr);
  for (const [name, line, column] of [
    ["receive", 3, 21],
    ["call", 7, 24],
    ["sleep", 11, 9],
  ] as const) {
    const report = crashes.find((c) => c.includes(`use yield* ${name}(...)`));
    assert.ok(report, `no crash names yield* ${name}:\n${stderr}`);
    assert.match(report, new RegExp(`^<0\\.\\d+\\.0> crashed: Error: use yield\\* ${name}\\(\\.\\.\\.\\): `));
    assert.match(report.trimEnd(), new RegExp(`\\n {4}at .*no_star\\.ts:${line}:${column}$`), report);
  }
});

test("issue 13 item 16: without instrumentation too, yielding a receive crashes the process instead of returning undefined", async () => {
  const { value, crashes } = await runProcess(function* () {
    spawn(function* (parent: Pid) {
      send(parent, ["got", yield receive(after(0))]);
    }, self());
    return yield* receive(on(["got", _]), after(20, () => "nothing arrived"));
  });
  assert.equal(value, "nothing arrived");
  assert.equal(crashes.length, 1);
  assert.match(formatReason(crashes[0]!.reason), /^Error: use yield\* receive\(\.\.\.\): /);
});

test("a bare yield of the process's own pid is still only a yield", async () => {
  const { value, crashes } = await runProcess(function* () {
    const got = yield self();
    return got;
  });
  assert.equal(value, undefined);
  assert.equal(crashes.length, 0);
});

test("a plain function that runs past its slice: its first overrun site is told to the watchdog, every reduction it counted is the process's, and the process yields at its next own check", async () => {
  // The check the loader puts at the top of a plain function and in its loops (runtime/loader/instrument.ts).
  const grace = scheduler.reductionBudget;
  const plain = (site: string, n: number) => {
    for (let i = 0; i < n; i++) if (--budget.r < -grace) budget.over(site);
  };
  const { value } = await runProcess(function* () {
    const me = self() as Process;
    const before = me.reductions;
    plain("prog.ts:1", 5 * grace);
    plain("prog.ts:2", 5 * grace);
    const left = budget.r;
    const site = readOverrunSite(scheduler.heartbeat, scheduler.heartbeat[Heartbeat.slice]!);
    yield* yieldSlice();
    return { counted: me.reductions - before, left, site };
  });
  assert.ok(value.counted >= 10 * grace, `the slice counted ${value.counted} reductions, not the ${10 * grace} its plain functions did`);
  assert.ok(value.left <= 0, `after the overrun the budget is ${value.left}, so the process's own check would not yield`);
  assert.equal(value.site, "prog.ts:1");
});
