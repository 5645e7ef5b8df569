// Issue 14 on the scheduler thread's side of telemetry: process records and the inspector show
// links, monitors both ways and trapExit; crashes and restarts are counted per interval and per
// site; crashes and restarts become bounded fault messages whose counts add up.

import assert from "node:assert/strict";
import fc from "fast-check";
import { afterEach, test } from "node:test";
import { FAULT_MESSAGES_PER_WINDOW, FAULT_WINDOW_MS, type Crash, type FaultMessage, type InspectResult, type Restart } from "../protocol/control.js";
import { readProcessFrame, type ProcessFrameView } from "../protocol/frames.js";
import { _, demonitor, link, monitor, on, processFlag, receive, spawn, spawnLink, unlink } from "../runtime/api.js";
import { crashReason } from "../runtime/core/exitReason.js";
import { Process } from "../runtime/core/process.js";
import { budget } from "../runtime/core/reductions.js";
import { scheduler, SiteCounters } from "../runtime/core/scheduler.js";
import { Counter } from "../runtime/core/schedulerCounters.js";
import { FaultLog } from "../runtime/telemetry/faultLog.js";
import { SchedulerTelemetry, type TelemetryTick } from "../runtime/telemetry/schedulerTelemetry.js";
import { decodeFrame } from "../protocol/frames.js";
import { pinOneScheduler, runProcess, yieldSlice } from "./harness.js";
import { EventRing } from "../runtime/telemetry/eventRing.js";

pinOneScheduler("it reads the counters and telemetry of the scheduler of this thread; the telemetry of several is tested in telemetrySchedulers.test.ts");

function* idle() {
  yield* receive(on("stop"));
}

function* crashes(message: string) {
  yield* receive(on("go"));
  throw new TypeError(message);
}

const running: SchedulerTelemetry[] = [];
afterEach(() => {
  for (const t of running.splice(0)) t.stop();
});

/** Telemetry for the test's scheduler, keeping its ticks. */
function recorded(supervisorOf?: (p: Process) => Process | undefined) {
  const ticks: TelemetryTick[] = [];
  const telemetry = new SchedulerTelemetry(
    scheduler,
    ["", "a.ts:1", "a.ts:2", "a.ts:3"],
    {
      postMessage(message) {
        if (message.type === "telemetry") ticks.push(message);
      },
    },
    supervisorOf,
  );
  running.push(telemetry);
  const lastDelta = (): ProcessFrameView => readProcessFrame(ticks.at(-1)!.delta)!;
  return { telemetry, ticks, lastDelta };
}

/** Full records of a delta by pid: links, monitors, monitoredBy, trapExit. */
function relations(f: ProcessFrameView): Map<number, [number, number, number, boolean]> {
  const out = new Map<number, [number, number, number, boolean]>();
  for (let i = 0; i < f.count; i++) out.set(f.pid(i), [f.links(i), f.monitors(i), f.monitoredBy(i), f.trapExit(i)]);
  return out;
}

/** Runs until every other process has had its slices. */
function* settle() {
  while (scheduler.runQueue.length > 0) yield* yieldSlice();
}

test("issue 14: a process record carries its real link and monitor counts and trapExit, and a change sends it whole", async () => {
  const { telemetry, lastDelta } = recorded();
  await runProcess(function* () {
    telemetry.start(60_000);
    const a = spawn(idle) as Process;
    const b = spawn(idle) as Process;
    yield* settle();
    telemetry.tick();
    assert.deepEqual(relations(lastDelta()).get(a.id), [0, 0, 0, false], "listed with nothing");

    // The test process links to a and monitors b: both ends change, though a and b never ran.
    link(a);
    const ref = monitor(b);
    telemetry.tick();
    const linked = relations(lastDelta());
    assert.deepEqual(linked.get(a.id), [1, 0, 0, false]);
    assert.deepEqual(linked.get(b.id), [0, 0, 1, false]);
    assert.deepEqual(linked.get(scheduler.current!.id), [1, 1, 0, false]);

    // Trapping exits is a flag of the record; undoing the link and the monitor goes out too.
    processFlag("trapExit", true);
    unlink(a);
    demonitor(ref);
    telemetry.tick();
    const undone = relations(lastDelta());
    assert.deepEqual(undone.get(scheduler.current!.id), [0, 0, 0, true]);
    assert.deepEqual(undone.get(a.id), [0, 0, 0, false]);
    assert.deepEqual(undone.get(b.id), [0, 0, 0, false]);

    // Nothing changed since: the processes that run send update records only.
    telemetry.tick();
    assert.equal(lastDelta().count, 0);
    processFlag("trapExit", false);
    scheduler.kill(a);
    scheduler.kill(b);
  });
});

test("issue 14: a monitor's target hears that its watcher ended, and a normal exit's link partner loses the link", async () => {
  const { telemetry, lastDelta } = recorded();
  await runProcess(function* () {
    telemetry.start(60_000);
    const target = spawn(idle) as Process;
    const partner = spawn(idle) as Process;
    yield* settle();
    const watcher = spawn(function* (t: Process, p: Process) {
      monitor(t);
      link(p);
      yield* receive(on("stop"));
    }, target, partner) as Process;
    yield* settle();
    telemetry.tick();
    assert.deepEqual(relations(lastDelta()).get(target.id), [0, 0, 1, false]);
    assert.deepEqual(relations(lastDelta()).get(partner.id), [1, 0, 0, false]);
    // The watcher ends normally: no DOWN, no exit signal that kills, yet both counts drop.
    scheduler.deliver(watcher, "stop");
    yield* settle();
    telemetry.tick();
    assert.deepEqual(relations(lastDelta()).get(target.id), [0, 0, 0, false]);
    assert.deepEqual(relations(lastDelta()).get(partner.id), [0, 0, 0, false]);
    scheduler.kill(target);
    scheduler.kill(partner);
  });
});

test("issue 14: the inspector lists links, monitors both ways, trapExit and the supervisor", async () => {
  let supervisor: Process | undefined;
  const { telemetry } = recorded((p) => (supervisor !== undefined && p !== supervisor ? supervisor : undefined));
  await runProcess(function* () {
    telemetry.start(60_000);
    const a = spawn(idle) as Process;
    const b = spawn(idle) as Process;
    supervisor = spawn(idle) as Process;
    link(a);
    monitor(b);
    const ref = monitor(b);
    processFlag("trapExit", true);
    const self = scheduler.current!;
    const mine = telemetry.handle({ id: 1, type: "inspect", pid: String(self) }) as InspectResult;
    assert.deepEqual(
      { links: mine.links, linkCount: mine.linkCount, monitors: mine.monitors, monitorCount: mine.monitorCount, trapExit: mine.trapExit, supervisor: mine.supervisor },
      { links: [String(a)], linkCount: 1, monitors: [String(b), String(b)], monitorCount: 2, trapExit: true, supervisor: String(supervisor) },
    );
    const watched = telemetry.handle({ id: 2, type: "inspect", pid: String(b) }) as InspectResult;
    assert.deepEqual([watched.monitoredBy, watched.monitoredByCount, watched.links, watched.trapExit], [[String(self), String(self)], 2, [], false]);
    const top = telemetry.handle({ id: 3, type: "inspect", pid: String(supervisor) }) as InspectResult;
    assert.equal(top.supervisor, "", "a process with no supervisor");
    demonitor(ref);
    processFlag("trapExit", false);
    unlink(a);
    for (const p of [a, b, supervisor]) scheduler.kill(p);
  });
});

test("issue 14: crashes are counted per interval and per spawn site, and a crash lists the linked processes it took down", async () => {
  const savedSites = scheduler.sites;
  scheduler.sites = new SiteCounters(4);
  try {
    const { telemetry, ticks } = recorded();
    const crashesBefore = scheduler.counters[Counter.crashes]!;
    await runProcess(function* () {
      telemetry.start(60_000);
      budget.s = 2;
      const crasher = spawn(function* () {
        // Two linked processes: the first traps exits and survives, the second dies, and so does
        // the one linked to it (a chain), which is also the crash's.
        const survivor = spawnLink(function* () {
          processFlag("trapExit", true);
          yield* receive(on(["EXIT", _, _]));
        });
        const victim = spawnLink(function* () {
          spawnLink(idle);
          yield* receive(on("stop"));
        });
        void survivor;
        void victim;
        yield* receive(on("go"));
        throw new TypeError("bad input");
      }) as Process;
      yield* settle();
      const linked = [...crasher.signals!.links!.values()] as Process[];
      const victim = linked.find((p) => p.signals?.links?.size === 2)!;
      const chained = [...victim.signals!.links!.values()].find((p) => p !== crasher)!;
      scheduler.deliver(crasher, "go");
      yield* settle();
      telemetry.tick();
      assert.equal(scheduler.counters[Counter.crashes]! - crashesBefore, 1, "one crash; the processes it took down did not crash");
      const sites = decodeFrame(ticks.at(-1)!.sites);
      assert.ok(sites.type === "site-aggregates");
      assert.deepEqual(sites.aggregates.map((a) => a.crashes), [0, 1, 0]);
      const crash = ticks.at(-1)!.faults.find((f): f is Crash => f.type === "crash")!;
      assert.equal(crash.pid, crasher.id);
      assert.equal(crash.reason, "TypeError: bad input");
      assert.equal(crash.spawnSite, 2);
      assert.deepEqual(crash.linkedDown, [victim.id, chained.id]);
      assert.match(crash.stack, /bad input/);
      assert.ok(crash.at === null || (crash.at.line > 0 && crash.at.file.endsWith("faultTelemetry.test.ts")), JSON.stringify(crash.at));
      for (const p of linked) if (p.status !== "exited") scheduler.kill(p);
    });
  } finally {
    scheduler.sites = savedSites;
  }
});

test("issue 14: a supervisor's restarts are counted per interval and at its own spawn site, and become restart messages", async () => {
  const savedSites = scheduler.sites;
  scheduler.sites = new SiteCounters(4);
  try {
    const { telemetry, ticks } = recorded();
    const before = scheduler.counters[Counter.restarts]!;
    await runProcess(function* () {
      telemetry.start(60_000);
      budget.s = 3;
      const sup = spawn(idle) as Process;
      const reason = crashReason(new RangeError("out of range"));
      scheduler.reportFault({ kind: "restart", supervisor: sup, childId: "worker", oldPid: 7, newPid: 9, reason });
      scheduler.reportFault({ kind: "restart", supervisor: sup, childId: "worker", oldPid: 9, newPid: 11, reason: "killed" });
      scheduler.reportFault({ kind: "gave-up", supervisor: sup, restarts: 2, periodMs: 5000, reason: "killed" });
      telemetry.tick();
      assert.equal(scheduler.counters[Counter.restarts]! - before, 2);
      const sites = decodeFrame(ticks.at(-1)!.sites);
      assert.ok(sites.type === "site-aggregates");
      assert.deepEqual(sites.aggregates.map((a) => a.restarts), [0, 0, 2]);
      const faults = ticks.at(-1)!.faults;
      const restarts = faults.filter((f): f is Restart => f.type === "restart");
      assert.deepEqual(
        restarts.map((r) => [r.childId, r.oldPid, r.newPid, r.reason, r.restarts, r.supervisorRestarts, r.spawnSite, r.count]),
        [
          ["worker", 7, 9, "RangeError: out of range", 1, 1, 3, 1],
          ["worker", 9, 11, "killed", 2, 2, 3, 1],
        ],
      );
      assert.equal(restarts[1]!.at, null, "a restart after a kill has no crash line");
      assert.deepEqual(faults.find((f) => f.type === "gave-up"), { type: "gave-up", time: faults[2]!.time, supervisor: sup.id, fn: "idle", name: "", restarts: 2, periodMs: 5000, reason: "killed", spawnSite: 3 });
      scheduler.kill(sup);
    });
  } finally {
    scheduler.sites = savedSites;
  }
});

test("issue 14: a child crashing 500 times sends a bounded number of crash messages, and their counts add up to 500", () => {
  let now = 0;
  const log = new FaultLog({ now: () => now, nameOf: () => "", supervisorOf: () => undefined });
  const child = new Process(42, idle as never, []);
  const reason = { error: "TypeError", message: "boom", stack: "TypeError: boom\n    at worker (src/pool.ts:12:5)", at: "src/pool.ts:12:5" };
  const other = { ...reason, at: "src/other.ts:3:1" };
  const sent: FaultMessage[] = [];
  // 500 crashes over 2 s (one every 4 ms), ticks every 250 ms; and one crash of another line.
  for (let i = 0; i < 500; i++) {
    now = i * 4;
    log.crashed(child, reason);
    if (i === 100) log.crashed(child, other);
    if (now % 250 === 0) sent.push(...log.drain());
  }
  for (let t = 0; t < 5; t++) {
    now += 250;
    sent.push(...log.drain());
  }
  const crashes = sent.filter((m): m is Crash => m.type === "crash" && m.at?.file === "src/pool.ts");
  assert.equal(
    crashes.reduce((n, m) => n + m.count, 0),
    500,
    "the counts add up",
  );
  assert.equal(crashes.at(-1)!.total, 500, "the last message carries the total");
  // Per window of a second: the first 10 as they happen, then one that stands for the rest.
  assert.ok(crashes.length <= 2 * (FAULT_MESSAGES_PER_WINDOW + 1), `${crashes.length} messages`);
  for (let start = 0; start < 2000; start += FAULT_WINDOW_MS) {
    const inWindow = crashes.filter((m) => m.time >= start && m.time < start + FAULT_WINDOW_MS);
    assert.ok(inWindow.length <= FAULT_MESSAGES_PER_WINDOW + 1, `${inWindow.length} in the window from ${start} ms`);
  }
  assert.deepEqual(crashes[0]!.at, { file: "src/pool.ts", line: 12, column: 5 });
  // Another line has its own bound: its single crash went out.
  assert.equal(sent.filter((m) => m.type === "crash" && m.at?.file === "src/other.ts").length, 1);
});

test("issue 14: for any crashes of any lines at any times, the messages' counts add up per line, each line's last total is its crashes, and no line sends more than two windows' bound in any second", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat({ max: 3000 }), fc.nat({ max: 1 })), { maxLength: 400 }),
      fc.integer({ min: 50, max: 1000 }),
      (events, tickMs) => {
        let now = 0;
        const log = new FaultLog({ now: () => now, nameOf: () => "", supervisorOf: () => undefined });
        const child = new Process(1, idle as never, []);
        const sent: Crash[] = [];
        const take = () => sent.push(...(log.drain() as Crash[]));
        const sorted = [...events].sort((a, b) => a[0] - b[0]);
        let nextTick = tickMs;
        for (const [time, line] of sorted) {
          for (; nextTick <= time; nextTick += tickMs) {
            now = nextTick;
            take();
          }
          now = time;
          log.crashed(child, { error: "Error", message: "x", stack: "", at: `f.ts:${line + 1}:1` });
        }
        for (let i = 0; i < 10; i++) {
          now = nextTick += tickMs;
          take();
        }
        for (let line = 1; line <= 2; line++) {
          const crashes = sorted.filter(([, l]) => l + 1 === line).length;
          const messages = sent.filter((m) => m.at!.line === line);
          assert.equal(messages.reduce((n, m) => n + m.count, 0), crashes);
          if (crashes > 0) assert.equal(messages.at(-1)!.total, crashes);
          for (const m of messages) {
            const inWindow = messages.filter((d) => d.time >= m.time && d.time < m.time + FAULT_WINDOW_MS).length;
            // A window lasts at least FAULT_WINDOW_MS, so any second overlaps at most two.
            assert.ok(inWindow <= 2 * (FAULT_MESSAGES_PER_WINDOW + 1), `${inWindow} messages of line ${line} within a second`);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

test("issue 14: a traced crash event reads as one line, TypeError: message, not the reason object", () => {
  const ring = new EventRing(4);
  ring.record("crash", 5, 0, { error: "TypeError", message: "x is not a function", stack: "TypeError: x is not a function\n    at f (a.ts:1:2)", at: "a.ts:1:2" });
  assert.equal(ring.drain()[0]!.text, "TypeError: x is not a function");
});
