// The extension's view of a supervised program, against a real runtime and without VS Code: its
// own telemetry connection (faults channel, site aggregates) folds five crashes at one line into
// one problem with a count and the supervisor that restarted it, and the lens above
// startSupervisor counts the restarts, a kill's included.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { FaultLedger } from "../extension/faultLedger.js";
import { countsOf, lensesForFile, lensTitle } from "../extension/siteLenses.js";
import { TelemetryConnection } from "../extension/telemetryConnection.js";
import { formatPid } from "../protocol/control.js";
import { startRuntime, WAIT_DEADLINE_MS } from "./telemetryClient.js";

const FIXTURE = "test/fixtures/supervised_flaky.ts";
const lineOf = (needle: string) => readFileSync(FIXTURE, "utf8").split("\n").findIndex((l) => l.includes(needle)) + 1;

/** Waits until `check` holds, re-checked whenever `on` fires; fails saying what it waited for. */
function until(what: string, on: (wake: () => void) => { dispose(): void }, check: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}`));
    }, WAIT_DEADLINE_MS);
    const sub = on(() => {
      if (!check()) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
    if (check()) {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    }
  });
}

test("issue 14: the extension's diagnostics and lenses for a supervised child that crashed five times at one line, then was killed", async () => {
  // main waits for the connection, so that the samples' totals see every crash and restart.
  const runtime = await startRuntime(FIXTURE, ["--wait-for-viewer"]);
  const connection = new TelemetryConnection(`ws://127.0.0.1:${runtime.port}/ws`, runtime.token);
  try {
    const ledger = new FaultLedger((id) => connection.sites.find((s) => s.id === id));
    connection.onFault.on((fault) => {
      if (fault.type === "crash") ledger.crash(fault);
      else if (fault.type === "restart") ledger.restart(fault);
      else ledger.gaveUpAt(fault);
    });
    await connection.connect();
    const supervisorLens = () => lensesForFile(connection.sites, FIXTURE, new Map()).find((l) => l.name === "startSupervisor");
    const lensText = () => {
      const lens = supervisorLens();
      return lens ? lensTitle(lens, countsOf(lens.sites, connection.aggregates)) : "";
    };

    await until("one problem counting five crashes", (wake) => connection.onFault.on(wake), () => ledger.problems().some((p) => p.count === 5));
    const problems = ledger.problems();
    assert.equal(problems.length, 1, JSON.stringify(problems));
    const [problem] = problems;
    assert.equal(problem!.file, FIXTURE);
    assert.equal(problem!.line, lineOf("throw new Error("));
    assert.match(problem!.message, /^flaky crashed 5 times: Error: boom on request \(last <0\.\d+\.0>\)$/);
    await until("the supervisor named on the problem", (wake) => connection.onFault.on(wake), () => ledger.problems()[0]!.supervisors.length === 1);
    const [supervisor] = ledger.problems()[0]!.supervisors;
    assert.equal(supervisor!.childId, "flaky");
    assert.equal(supervisor!.restarts, 5);
    assert.equal(supervisor!.at?.line, lineOf("startSupervisor({"));

    await until("the lens above startSupervisor counting 5 restarts", (wake) => connection.onAggregates.on(wake), () => lensText() === "3 processes · 5 restarts · 5 crashes · Inspect");
    const processes = await connection.fetchProcesses();
    const calc = processes.find((p) => p.fn === "calculator");
    assert.ok(calc, "the calculator child runs");
    const killed = await connection.request({ type: "kill", pid: formatPid(calc.pid), reason: "killed" });
    assert.ok(killed.ok, killed.error);
    await until("the lens counting the kill's restart", (wake) => connection.onAggregates.on(wake), () => lensText() === "3 processes · 6 restarts · 5 crashes · Inspect");
    // A restart after a kill has no line: the problems stay as they were.
    assert.equal(ledger.problems().length, 1);
    await until("the samples' restart total", (wake) => connection.onSchedulers.on(wake), () => connection.totals.restarts === 6 && connection.totals.crashes === 5);
  } finally {
    connection.close();
    await runtime.stop();
  }
});
