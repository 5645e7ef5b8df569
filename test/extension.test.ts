// Unit tests for the VS Code extension's pure pieces (no vscode): the telemetry line, syntax
// errors and crashes on stderr, the site ↔ code lens mapping, settings and run options, the
// webview HTML's CSP.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Crash, Restart, Site } from "../protocol/control.js";
import type { SiteAggregate } from "../protocol/frames.js";
import { describeExit, parseAttachUrl, parseLoadErrors, webSocketUrl } from "../extension/runtimeOutput.js";
import { parseTelemetryLine } from "../protocol/telemetryLine.js";
import { DEFAULT_SETTINGS, parseRunOptions, parseSettings, runtimeArgs } from "../extension/settings.js";
import { countsOf, countsSignature, learnProcessFunctions, lensesForFile, lensTitle, NO_COUNTS, processesOfLens, waitingLines, type SiteCounts } from "../extension/siteLenses.js";
import { FaultLedger } from "../extension/faultLedger.js";
import { contentSecurityPolicy, visualizerHtml } from "../extension/webviewHtml.js";
import { STATUS_BAR_INTERVAL_MS, StatusBarPacing } from "../extension/statusBarPacing.js";
import { busySchedulers } from "../protocol/schedulerBusy.js";

describe("the telemetry line", () => {
  test("is parsed for port, token and url", () => {
    const line = 'BEAMLINE_TELEMETRY {"port":40123,"token":"abcdefghijklmnopqrstuv","url":"http://127.0.0.1:40123/?token=abcdefghijklmnopqrstuv"}\n';
    assert.deepEqual(parseTelemetryLine(line), { port: 40123, token: "abcdefghijklmnopqrstuv", url: "http://127.0.0.1:40123/?token=abcdefghijklmnopqrstuv" });
  });
  test("without a url gets one", () => {
    assert.equal(parseTelemetryLine('BEAMLINE_TELEMETRY {"port":1,"token":"t"}')?.url, "http://127.0.0.1:1/?token=t");
  });
  test("anything else is not a telemetry line", () => {
    for (const line of ["hello", "BEAMLINE_TELEMETRY", "BEAMLINE_TELEMETRY {", 'BEAMLINE_TELEMETRY {"port":"x","token":"t"}', 'BEAMLINE_TELEMETRY {"port":0,"token":"t"}', 'BEAMLINE_TELEMETRY {"port":80,"token":""}', ' BEAMLINE_TELEMETRY {"port":80,"token":"t"}', "BEAMLINE_TELEMETRY null"]) {
      assert.equal(parseTelemetryLine(line), undefined, line);
    }
  });
  test("the WebSocket address", () => assert.equal(webSocketUrl(5), "ws://127.0.0.1:5/ws"));
  test("attach URLs: page URL with its token, ws URL with a separate token, junk", () => {
    assert.deepEqual(parseAttachUrl("http://127.0.0.1:4000/?token=abc"), { host: "127.0.0.1", port: 4000, token: "abc" });
    assert.deepEqual(parseAttachUrl("ws://localhost:4001/ws", "tok"), { host: "localhost", port: 4001, token: "tok" });
    assert.equal(parseAttachUrl("ws://localhost:4001/ws"), undefined);
    assert.equal(parseAttachUrl("not a url", "t"), undefined);
    assert.equal(parseAttachUrl("ftp://x:1/", "t"), undefined);
  });
  test("exit reasons", () => {
    assert.equal(describeExit(0, null), "exited normally");
    assert.equal(describeExit(1, null), "exited with code 1");
    assert.equal(describeExit(null, "SIGKILL"), "killed by SIGKILL");
    // The runtime's own codes say what happened (issue 13 item 7), not only a number.
    assert.equal(describeExit(137, null), "ended because main was killed (exit code 137)");
    assert.equal(describeExit(143, null), "was stopped by SIGTERM (exit code 143)");
    assert.equal(describeExit(3, null), "exited with code 3");
  });
});

describe("stderr", () => {
  test("syntax errors become source locations", () => {
    const stderr = "examples/bad.ts:3:14: error: Expected \";\" but found \"oops\"\n    const x = 1 oops\n                ^\nother text\n";
    assert.deepEqual(parseLoadErrors(stderr), [{ file: "examples/bad.ts", line: 3, column: 14, message: 'Expected ";" but found "oops"' }]);
    assert.deepEqual(parseLoadErrors("nothing here\n"), []);
  });
});

const sites: Site[] = [
  { id: 1, kind: "spawn", name: "spawn", file: "examples/pool.ts", line: 18, column: 10 },
  { id: 2, kind: "function", name: "server", file: "examples/pool.ts", line: 21, column: 1 },
  { id: 3, kind: "receive", name: "receive", file: "examples/pool.ts", line: 29, column: 12 },
  { id: 4, kind: "function", name: "helper", file: "examples/pool.ts", line: 40, column: 1 },
  { id: 5, kind: "spawn", name: "spawnLink", file: "examples/other.ts", line: 3, column: 1 },
  { id: 6, kind: "spawn", name: "spawn", file: "examples/pool.ts", line: 50, column: 3 },
  { id: 7, kind: "receive", name: "sleep", file: "examples/pool.ts", line: 45, column: 5 },
];
const aggregates = new Map<number, SiteAggregate>([
  [1, { site: 1, live: 100, queued: 12, reductions: 5, waiting: 0, crashes: 0, restarts: 0 }],
  [3, { site: 3, live: 0, queued: 0, reductions: 0, waiting: 2, crashes: 0, restarts: 0 }],
  [6, { site: 6, live: 3, queued: 1, reductions: 0, waiting: 0, crashes: 2, restarts: 0 }],
  [7, { site: 7, live: 0, queued: 0, reductions: 0, waiting: 0, crashes: 0, restarts: 0 }],
]);

describe("site ↔ lens mapping", () => {
  test("spawn and receive sites of the file get lenses, 0-based, in line order; other files' do not", () => {
    const lenses = lensesForFile(sites, "examples/pool.ts", new Map());
    assert.deepEqual(
      lenses.map((l) => [l.site, l.kind, l.line, l.column, l.sites]),
      [
        [1, "spawn", 17, 9, [1]],
        [3, "receive", 28, 11, [3]],
        [7, "receive", 44, 4, [7]],
        [6, "spawn", 49, 2, [6]],
      ],
    );
    assert.deepEqual(lensesForFile(sites, "examples/other.ts", new Map()).map((l) => l.site), [5]);
    assert.deepEqual(lensesForFile(sites, "nope.ts", new Map()), []);
  });
  test("paths compare with forward slashes and without ./", () => {
    assert.equal(lensesForFile(sites, ".\\examples\\other.ts".replace(/^\.\\/, "./"), new Map()).length, 1);
  });
  test("a function gets a lens only when processes run it, counting its spawn sites", () => {
    const functions = new Map<string, number[]>();
    assert.equal(learnProcessFunctions(functions, [{ fn: "server", spawnSite: 1 }, { fn: "server", spawnSite: 6 }, { fn: "server", spawnSite: 1 }, { fn: "main", spawnSite: 0 }]), true);
    assert.equal(learnProcessFunctions(functions, [{ fn: "server", spawnSite: 1 }]), false);
    const lens = lensesForFile(sites, "examples/pool.ts", functions).find((l) => l.kind === "function");
    assert.deepEqual(lens && [lens.site, lens.line, lens.sites], [2, 20, [1, 6]]);
    assert.deepEqual(countsOf(lens!.sites, aggregates), { live: 103, queued: 13, waiting: 0, crashes: 2, restarts: 0 });
  });
  test("titles", () => {
    const counts = (c: Partial<SiteCounts>): SiteCounts => ({ ...NO_COUNTS, ...c });
    assert.equal(lensTitle({ kind: "spawn", name: "spawn" }, counts({ live: 3, queued: 12 })), "3 processes · 12 queued · Inspect");
    assert.equal(lensTitle({ kind: "spawn", name: "spawn" }, counts({ live: 1 })), "1 process · 0 queued · Inspect");
    assert.equal(lensTitle({ kind: "function", name: "f" }, counts({ live: 1000000 })), "1,000,000 processes · 0 queued · Inspect");
    assert.equal(lensTitle({ kind: "receive", name: "receive" }, counts({ waiting: 2 })), "2 waiting here");
    assert.deepEqual(countsOf([9, 1], aggregates), { live: 100, queued: 12, waiting: 0, crashes: 0, restarts: 0 });
  });
  test("issue 14: a supervisor's lens counts its restarts, a spawnLink or spawnMonitor lens its crashes, any other lens both once there are some", () => {
    const counts = (c: Partial<SiteCounts>): SiteCounts => ({ ...NO_COUNTS, ...c });
    assert.equal(lensTitle({ kind: "spawn", name: "startSupervisor" }, counts({ live: 1 })), "1 process · 0 restarts · Inspect");
    assert.equal(lensTitle({ kind: "spawn", name: "startDynamicSupervisor" }, counts({ live: 3, restarts: 1 })), "3 processes · 1 restart · Inspect");
    assert.equal(lensTitle({ kind: "spawn", name: "startSupervisor" }, counts({ live: 0, restarts: 4, crashes: 1 })), "0 processes · 4 restarts · 1 crash · Inspect");
    assert.equal(lensTitle({ kind: "spawn", name: "spawnLink" }, counts({ live: 2 })), "2 processes · 0 queued · 0 crashes · Inspect");
    assert.equal(lensTitle({ kind: "spawn", name: "spawnMonitor" }, counts({ live: 2, crashes: 500 })), "2 processes · 0 queued · 500 crashes · Inspect");
    assert.equal(lensTitle({ kind: "spawn", name: "spawn" }, counts({ live: 2, crashes: 3 })), "2 processes · 0 queued · 3 crashes · Inspect");
    assert.equal(lensTitle({ kind: "function", name: "worker" }, counts({ live: 2, crashes: 1, restarts: 1 })), "2 processes · 0 queued · 1 crash · 1 restart · Inspect");
    const lens = lensesForFile(sites, "examples/other.ts", new Map())[0];
    assert.equal(lens?.name, "spawnLink");
  });
  test("issue 16: on a recording (beamline replay), a lens says its counts are those at the recording's end and offers to show them", () => {
    const counts = (c: Partial<SiteCounts>): SiteCounts => ({ ...NO_COUNTS, ...c });
    assert.equal(lensTitle({ kind: "spawn", name: "spawn" }, counts({ live: 3, queued: 12 }), true), "At the recording's end: 3 processes · 12 queued · Show");
    assert.equal(lensTitle({ kind: "spawn", name: "startSupervisor" }, counts({ live: 0, restarts: 4, crashes: 1 }), true), "At the recording's end: 0 processes · 4 restarts · 1 crash · Show");
    assert.equal(lensTitle({ kind: "receive", name: "receive" }, counts({ waiting: 2 }), true), "At the recording's end: 2 waiting here");
  });
  test("a lens click is about the processes spawned at, or waiting at, its sites", () => {
    const processes = [
      { pid: 1, spawnSite: 1, waitSite: 3 },
      { pid: 2, spawnSite: 6, waitSite: 0 },
      { pid: 3, spawnSite: 1, waitSite: 7 },
    ];
    assert.deepEqual(processesOfLens({ kind: "spawn", sites: [1] }, processes).map((p) => p.pid), [1, 3]);
    assert.deepEqual(processesOfLens({ kind: "function", sites: [1, 6] }, processes).map((p) => p.pid), [1, 2, 3]);
    assert.deepEqual(processesOfLens({ kind: "receive", sites: [3] }, processes).map((p) => p.pid), [1]);
  });
  test("the counts signature ignores reductions and empty sites", () => {
    const a = [...aggregates.values()];
    assert.equal(countsSignature(a), "1:100:12:0:0:0;3:0:0:2:0:0;6:3:1:0:2:0;");
    assert.equal(countsSignature(a.map((x) => ({ ...x, reductions: x.reductions + 99 }))), countsSignature(a));
    assert.notEqual(countsSignature(a.map((x) => ({ ...x, queued: x.queued + 1 }))), countsSignature(a));
    // issue 14: a restart or a crash changes what a lens says.
    assert.notEqual(countsSignature(a.map((x) => ({ ...x, restarts: x.restarts + 1 }))), countsSignature(a));
    assert.notEqual(countsSignature(a.map((x) => ({ ...x, crashes: x.crashes + 1 }))), countsSignature(a));
  });
  test("waiting lines: receive sites of the file with processes waiting now", () => {
    assert.deepEqual(
      waitingLines(sites, "examples/pool.ts", aggregates).map((w) => [w.line, w.waiting]),
      [[28, 2]],
    );
  });
});

describe("issue 14: crash diagnostics from the faults channel", () => {
  const siteTable: Site[] = [
    { id: 1, kind: "spawn", name: "startSupervisor", file: "calc.ts", line: 30, column: 15 },
    { id: 2, kind: "spawn", name: "spawnLink", file: "calc.ts", line: 40, column: 3 },
  ];
  const siteOf = (id: number) => siteTable.find((s) => s.id === id);
  const crash = (pid: number, over: Partial<Crash> = {}): Crash => ({
    type: "crash",
    time: pid,
    pid,
    fn: "calculator",
    name: "",
    reason: "Error: division by zero",
    stack: "Error: division by zero\n    at calculator (calc.ts:12:11)",
    at: { file: "calc.ts", line: 12, column: 11 },
    spawnSite: 0,
    supervisor: 5,
    linkedDown: [],
    count: 1,
    total: 1,
    ...over,
  });
  const restart = (oldPid: number, restarts: number): Restart => ({
    type: "restart",
    time: oldPid,
    supervisor: 5,
    childId: "calc",
    oldPid,
    newPid: oldPid + 1,
    reason: "Error: division by zero",
    at: { file: "calc.ts", line: 12, column: 11 },
    restarts,
    supervisorRestarts: restarts,
    spawnSite: 1,
    count: 1,
  });

  test("a child that crashes 500 times at one line is one problem with a count, not 500, counted from the runtime's totals though the channel's bound held most messages back", () => {
    const ledger = new FaultLedger(siteOf);
    // The bound (docs/protocol.md, section 8): the first 10 of a window go out, the last one stands for the rest.
    for (let i = 0; i < 500; i++) {
      if (i >= 10 && i < 499) continue;
      ledger.crash(crash(100 + i, { total: i + 1, count: i === 499 ? 490 : 1 }));
      ledger.restart(restart(100 + i, i + 1));
    }
    // A replayed message (a reconnect) counts nothing again.
    assert.equal(ledger.crash(crash(599, { total: 500 })), false);
    const problems = ledger.problems();
    assert.equal(problems.length, 1);
    assert.deepEqual({ ...problems[0]!, supervisors: undefined }, {
      kind: "crash",
      file: "calc.ts",
      line: 12,
      column: 11,
      count: 500,
      lastPid: 599,
      message: "calculator crashed 500 times: Error: division by zero (last <0.599.0>)",
      supervisors: undefined,
    });
    // Related information: the supervisor that restarted it, at the line that started the supervisor.
    assert.deepEqual(problems[0]!.supervisors, [{ pid: 5, childId: "calc", restarts: 500, at: { file: "calc.ts", line: 30, column: 15 } }]);
  });

  test("one crash says which process; crashes at different lines are different problems; a registered name is shown before the function", () => {
    const ledger = new FaultLedger(siteOf);
    ledger.crash(crash(7, { name: "calc", linkedDown: [8, 9] }));
    ledger.crash(crash(10, { at: { file: "calc.ts", line: 20, column: 5 }, fn: "adder" }));
    // A restart after an exit signal has no line: no problem changes.
    assert.equal(ledger.restart({ ...restart(11, 1), at: null }), false);
    assert.deepEqual(
      ledger.problems().map((p) => p.message),
      ["calc crashed: Error: division by zero (<0.7.0>; took down 2 linked processes)", "adder crashed: Error: division by zero (<0.10.0>)"],
    );
  });

  test("a crash without a user frame is shown at the line that spawned its process; without either it is not shown", () => {
    const ledger = new FaultLedger(siteOf);
    assert.equal(ledger.crash(crash(7, { at: null, spawnSite: 2, reason: "boom" })), true);
    assert.equal(ledger.crash(crash(8, { at: null, spawnSite: 0 })), false);
    assert.deepEqual(ledger.problems().map((p) => [p.file, p.line, p.count]), [["calc.ts", 40, 1]]);
  });

  test("a supervisor that gave up is a problem at the line that started it; clear() forgets the run", () => {
    const ledger = new FaultLedger(siteOf);
    ledger.crash(crash(7, { fn: "main" }));
    ledger.restart(restart(7, 1));
    ledger.gaveUpAt({ type: "gave-up", time: 9, supervisor: 5, fn: "supervisor", name: "", restarts: 4, periodMs: 5000, reason: "Error: division by zero", spawnSite: 1 });
    const gaveUp = ledger.problems().find((p) => p.kind === "gave-up");
    assert.deepEqual(gaveUp && [gaveUp.file, gaveUp.line], ["calc.ts", 30]);
    assert.match(gaveUp!.message, /supervisor <0\.5\.0> gave up after 4 restarts within 5,000 ms \(the last child exited with Error: division by zero\)/);
    assert.equal(ledger.mainCrash?.pid, 7);
    ledger.clear();
    assert.deepEqual(ledger.problems(), []);
    assert.equal(ledger.mainCrash, undefined);
  });

  test("the functions crashing at one line are listed, at most three and a count of the rest", () => {
    const ledger = new FaultLedger(siteOf);
    for (const [i, fn] of ["a", "b", "c", "d", "e", "a"].entries()) ledger.crash(crash(i + 1, { fn, total: i + 1 }));
    assert.equal(ledger.problems()[0]!.message, "a, b, c and 2 more crashed 6 times: Error: division by zero (last <0.6.0>)");
  });
});

describe("settings", () => {
  test("defaults when unset or wrong, clamped when out of range", () => {
    assert.deepEqual(parseSettings(() => undefined), DEFAULT_SETTINGS);
    const values: Record<string, unknown> = { schedulers: 4, reductions: "500", sampleInterval: 10, "codeLens.enabled": false, "waitingDecorations.enabled": "no" };
    assert.deepEqual(parseSettings((k) => values[k]), { schedulers: 4, reductions: 500, sampleIntervalMs: 50, codeLens: false, waitingDecorations: true });
    assert.equal(parseSettings((k) => (k === "reductions" ? Number.NaN : undefined)).reductions, 2000);
    assert.equal(parseSettings((k) => (k === "schedulers" ? -3 : undefined)).schedulers, 0);
  });
  test("run options", () => {
    const d = { schedulers: 1, reductions: 2000, sampleIntervalMs: 250 };
    assert.deepEqual(parseRunOptions("schedulers=1 reductions=500 seed=7", d), { schedulers: 1, reductions: 500, sampleIntervalMs: 250, seed: 7 });
    assert.deepEqual(parseRunOptions("  ", d), d);
    assert.deepEqual(parseRunOptions("+S 2".replace(" ", "="), d), { ...d, schedulers: 2 });
    assert.match(parseRunOptions("reductions=0", d) as string, /at least 1/);
    assert.deepEqual(parseRunOptions("schedulers=0", d), { ...d, schedulers: 0 });
    assert.match(parseRunOptions("schedulers=-1", d) as string, /0 \(one per core\) or more/);
    assert.match(parseRunOptions("speed=3", d) as string, /cannot read "speed=3"/);
  });
  test("the runtime command line", () => {
    assert.deepEqual(runtimeArgs("examples/a.ts", { schedulers: 1, reductions: 500, sampleIntervalMs: 250, seed: 3 }), [
      "run", "examples/a.ts", "--schedulers", "1", "--reductions", "500", "--seed", "3", "--sample-interval", "250", "--telemetry", "0", "--keep-alive", "--wait-for-viewer",
    ]);
    // issue 15: beamline.schedulers 0 (the default) leaves the count to the runtime: one per core.
    assert.deepEqual(runtimeArgs("examples/a.ts", { schedulers: 0, reductions: 2000, sampleIntervalMs: 250 }).slice(0, 4), ["run", "examples/a.ts", "--reductions", "2000"]);
  });
});

describe("the webview HTML", () => {
  test("CSP: nonce scripts, webview styles, WebSocket only to the runtime's port", () => {
    const csp = contentSecurityPolicy("vscode-resource:", "N0nce", 4242);
    assert.equal(csp, "default-src 'none'; script-src 'nonce-N0nce'; style-src vscode-resource:; font-src vscode-resource:; img-src vscode-resource: data:; connect-src ws://127.0.0.1:4242");
    assert.match(contentSecurityPolicy("x", "n"), /connect-src 'none'/);
  });
  test("loads the bundle with the nonce and mounts the layout", () => {
    const html = visualizerHtml({ cspSource: "https://x", scriptUri: "https://x/visualizer.js", styleUri: "https://x/visualizer.css", layout: "overview", port: 1, nonce: "abc" });
    assert.match(html, /<script nonce="abc" src="https:\/\/x\/visualizer.js"><\/script>/);
    assert.match(html, /<link rel="stylesheet" href="https:\/\/x\/visualizer.css">/);
    assert.match(html, /<div id="beamline" data-layout="overview"/);
    assert.doesNotMatch(html, /<script>(?!<)/);
  });
});

describe("the status bar's busy schedulers", () => {
  test("issue 15: a sample that changes how many schedulers are busy shows at once, other changes at most once a second (the status bar said 1/2 busy a second behind the side panel's S1 99%, S2 100%)", () => {
    const pacing = new StatusBarPacing();
    assert.equal(pacing.delay("1/2", 0), 0, "the first draw is at once");
    pacing.rendered("1/2", 0);
    assert.equal(pacing.delay("1/2", 250), STATUS_BAR_INTERVAL_MS - 250, "the same count waits for the next second");
    assert.equal(pacing.delay("2/2", 250), 0, "a new count shows with its sample");
    pacing.rendered("2/2", 250);
    assert.equal(pacing.delay("2/2", 500), STATUS_BAR_INTERVAL_MS - 250);
    assert.equal(pacing.delay("2/2", 1300), 0);
  });

  test("issue 15: busy means at least half of the sample's interval, as the side panel counts it", () => {
    assert.equal(busySchedulers([{ utilization: 0.99 }, { utilization: 1 }]), 2);
    assert.equal(busySchedulers([{ utilization: 0.5 }, { utilization: 0.49 }]), 1);
    assert.equal(busySchedulers([]), 0);
  });
});
