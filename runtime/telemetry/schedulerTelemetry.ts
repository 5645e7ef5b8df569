// The scheduler thread's side of telemetry: every interval it encodes the processes that changed
// (a delta), the per-site aggregates, traced events and the watch list of long mailboxes, and
// sends them to the main thread with the interval's fault messages and, when it changed, its
// supervision tree for the recording; on request it encodes a paged
// keyframe of all its processes and answers inspect, send, kill, trace and supervision.

import { inspect as inspectValue } from "node:util";
import { formatPid, INSPECT_LIST_LIMIT, parsePid, type FaultMessage, type InspectResult, type Request, type RequestResult, type SupervisionTree } from "../../protocol/control.js";
import { parseRef } from "../../protocol/termSyntax.js";
import { EncoderScratch, encodeFrame, ProcessFrameEncoder, type ProcessInfo, type ProcessStatus, type SiteAggregate } from "../../protocol/frames.js";
import { render } from "./eventRing.js";
import { Guard, _, matches } from "../core/pattern.js";
import { After, AwaitReply, On, type Clause } from "../core/receive.js";
import { copyTerm } from "../core/copy.js";
import { Process } from "../core/process.js";
import { serverStates } from "../behaviours/server.js";
import { WATCH_MAILBOX, type Scheduler } from "../core/scheduler.js";
import type { KeyframePage } from "../host/schedulerMessages.js";
import { Pid, Ref } from "../core/terms.js";
import { getHeapStatistics } from "node:v8";
import { Counter } from "../core/schedulerCounters.js";
import { FaultLog } from "./faultLog.js";
import { lastReasonOf, listedChildren, runningPid, SupervisionReader } from "./supervision.js";
import { supervisorOf as supervisorOfChild, supervisorSnapshot } from "../behaviours/supervisor.js";

/**
 * An empty list whose elements are already of the kind that holds objects. An empty array literal
 * holds small integers until its first push, and that change, in the middle of a run, deoptimizes
 * the delivery path that pushes.
 */
function listOfProcesses(): Process[] {
  const list: (Process | null)[] = [null];
  list.length = 0;
  return list as Process[];
}

/** Calls that make sure V8 has allocated a function's feedback vector and filled it. */
const FEEDBACK_CALLS = 32;

/** The probe's function; it never runs. */
function* probeBody(): Generator<never, void, unknown> {}

/** The watch list's look at a mailbox (callers, unmatched messages) covers this many messages at most. */
const MAILBOX_SCAN_LIMIT = 1000;

/** What the main thread needs to judge a long mailbox (see warnings.ts). */
export interface WatchedProcess {
  pid: number;
  fn: string;
  name: string;
  mailbox: number;
  waiting: boolean;
  /** `call` requests queued in the mailbox: callers blocked on this process. */
  pendingCalls: number;
  /**
   * Queued messages that match none of the clauses of the receive the process is in, or last ran
   * when it is between receives: whether it waits or is busy scanning past them, they stay.
   */
  unmatched: number;
  /** How many of the oldest messages the two counts above looked at (all of them, up to a limit). */
  scanned: number;
  waitSite: number;
  spawnSite: number;
}

export interface TelemetryTick {
  type: "telemetry";
  delta: ArrayBuffer;
  sites: ArrayBuffer;
  events: ArrayBuffer | null;
  watch: WatchedProcess[];
  /** The tick's crash, restart and gave-up messages, already bounded (faultLog.ts). */
  faults: FaultMessage[];
  /**
   * Pairs [by, pid]: a process of this scheduler that an exit signal from another scheduler's
   * process `by` ended; the main thread adds it to the crash that `by` is or was taken down by.
   */
  downByElsewhere: number[];
  /**
   * This scheduler's supervision tree (supervision.ts) and when it was read, ms on the samples'
   * clock, when it may have changed since the last one sent; null otherwise. The main thread joins
   * the schedulers' trees and records the node's (docs/protocol.md, section 5, "Supervision trees").
   */
  supervision: { time: number; tree: SupervisionTree } | null;
}

/** The soonest a tick sends the supervision tree again after a change: a restart storm costs one tree a second. */
export const TREE_MIN_MS = 1000;
/** While this scheduler runs supervisors, a tick sends the tree at least this often: its children's statuses change unannounced. */
export const TREE_REFRESH_MS = 5000;
/**
 * A tree read waits at least this many times as long as the last read took: reading trees takes a
 * scheduler at most 1% of its time (a read walks every live process for its loose links: 35 ms
 * with 200,000 linked processes).
 */
const TREE_COST_FACTOR = 100;

/** New processes a delta lists when the scheduler is busy (processes wait to run, or it ran over half the interval), and when it is not. */
export const LIST_WHEN_BUSY = 1_000;
export const LIST_WHEN_IDLE = 200_000;

/** Rough bytes: the measured size of a parked process plus a small message per queued entry. */
const PROCESS_BYTES = 380;
const MESSAGE_BYTES = 64;

/** A process's estimated bytes, as every record reports it. */
function memoryOf(p: Process): number {
  return PROCESS_BYTES + MESSAGE_BYTES * p.mailboxLength;
}

/** The site of the receive a process waits in, 0 when it is not waiting. */
function waitSiteOf(p: Process): number {
  return p.status === "waiting" ? p.waitSite : 0;
}

/** A process's status as the protocol names it. */
function statusOf(p: Process): ProcessStatus {
  return p.status === "exited" ? "exiting" : p.status;
}

/** The name of the function a process started in. */
function functionOf(p: Process): string {
  return p.fn.name || "(anonymous)";
}

function linkCount(p: Process): number {
  const links = p.signals?.links;
  return links == null ? 0 : links.size;
}

function monitorCount(p: Process): number {
  const watching = p.signals?.watching;
  return watching == null ? 0 : watching.size;
}

function monitoredByCount(p: Process): number {
  const watchers = p.signals?.watchers;
  return watchers == null ? 0 : watchers.size;
}

/**
 * A process's links, monitors both ways and trapExit in one number (each count capped as on the
 * wire), 0 for a process that has none: a tick compares it with what the viewer last got.
 */
function relationsOf(p: Process): number {
  const sig = p.signals;
  if (sig === null) return 0;
  return cap(linkCount(p)) * 2 ** 33 + cap(monitorCount(p)) * 2 ** 17 + cap(monitoredByCount(p)) * 2 + (sig.trapExit ? 1 : 0);
}

/** A count as a u16 field carries it (docs/protocol.md, section 7). */
function cap(n: number): number {
  return n < 0xffff ? n : 0xffff;
}

/** At most `limit` pids of an iteration, as `<0.N.0>`. */
function pidList(items: Iterable<Pid> | undefined, limit: number): string[] {
  const out: string[] = [];
  if (items === undefined) return out;
  for (const p of items) {
    if (out.length === limit) break;
    out.push(String(p));
  }
  return out;
}

function* targets(monitors: Map<number, { target: Pid }> | null | undefined): Generator<Pid> {
  if (monitors != null) for (const m of monitors.values()) yield m.target;
}

function* watchers(monitors: Map<number, { watcher: Pid }> | null | undefined): Generator<Pid> {
  if (monitors != null) for (const m of monitors.values()) yield m.watcher;
}

export class SchedulerTelemetry {
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private eventsDroppedSent = -1;
  private intervalMs = 250;
  /** The emptied list of changed processes that the next tick hands to the scheduler. */
  private spareChanged = listOfProcesses();
  /** The buffers every delta and keyframe page is encoded in before its copy is posted. */
  private readonly scratch = new EncoderScratch();
  /** The scheduler's busy milliseconds at the previous tick, for its utilization in between. */
  private busyMsAtTick = 0;
  /**
   * The relations (relationsOf) each listed process had in the last full record a viewer got, for
   * processes that have any: a change sends the whole record again. Processes with none, nearly
   * all of them, cost nothing here.
   */
  private readonly sentRelations = new Map<Process, number>();
  /** Crashes and restarts by site id (restarts at the supervisor's spawn site), since telemetry started. */
  private readonly siteCrashes: Float64Array;
  private readonly siteRestarts: Float64Array;
  private readonly faults: FaultLog;
  private readonly supervision: SupervisionReader;
  /**
   * Whether the supervision tree may have changed since the last one sent (a link, unlink, exit
   * signal, restart or gave-up, or a linked process that ended); when it was sent, in run time;
   * and whether it listed supervisors. Set at start: the first tick sends the tree, empty or not.
   */
  private treeChanged = true;
  private treeSentAt = -Infinity;
  private treeHasSupervisors = false;
  /** The soonest the next tree is read after the last: TREE_MIN_MS, or longer after a costly read. */
  private treeGapMs = TREE_MIN_MS;
  /** Whether the run is recorded: with `--record-cap 0` no tree is read for it. */
  private recording = true;
  /** Removes this telemetry's scheduler observer; set while telemetry runs. */
  private unobserve: (() => void) | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    /** `file:line` of each site id, index 0 for unknown. */
    private readonly siteNames: string[],
    /**
     * The main thread's port (parentPort in a scheduler thread). Frames go by copy, never with a
     * transfer list: the first ArrayBuffer a thread detaches invalidates V8's detaching protector,
     * and from then on optimized code checks every typed-array access for a detached buffer (the
     * counters, on every send and slice); ping-pong ran 10% slower (docs/performance.md, "Telemetry").
     */
    private readonly port: { postMessage(message: TelemetryTick | KeyframePage): void },
    /** The supervisor a process is a child of (runtime/behaviours/supervisor.ts); a test may fake it. */
    private readonly supervisorOf: (p: Process) => Pid | undefined = supervisorOfChild,
  ) {
    this.supervision = new SupervisionReader(scheduler, () => scheduler.events.now(), (p) => this.nameOf(p));
    this.siteCrashes = new Float64Array(scheduler.sites.size);
    this.siteRestarts = new Float64Array(scheduler.sites.size);
    this.faults = new FaultLog({
      now: () => scheduler.events.now(),
      nameOf: (p) => this.nameOf(p),
      supervisorOf: (p) => this.supervisorOf(p),
    });
  }

  /**
   * Hears of exits, signals and supervisors' faults: crashes and restarts are counted, faults
   * logged, and a process whose links or monitors another process changed is marked changed, so
   * that its record is sent again. Only while telemetry runs: none of it touches the scheduler's
   * hot paths when it is off.
   */
  private observe(): void {
    const s = this.scheduler;
    const counters = () => s.counters;
    this.unobserve = s.observe({
      exited: (p, reason, crashed) => {
        if (crashed) {
          counters()[Counter.crashes]++;
          this.siteCrashes[p.spawnSite]++;
          this.faults.crashed(p, reason);
        } else if (reason !== "normal") {
          this.faults.ended(p, reason);
        }
        const sig = p.signals;
        if (sig !== null) {
          // The monitors it held leave their targets without a signal.
          if (sig.watching !== null) for (const m of sig.watching.values()) if (m.target instanceof Process) s.markChanged(m.target);
          this.faults.forget(p);
        }
        if (this.sentRelations.size !== 0) this.sentRelations.delete(p);
        // A linked process or a supervisor that ends leaves the tree.
        if (sig !== null && ((sig.links !== null && sig.links.size > 0) || sig.supervises)) this.treeChanged = true;
      },
      signal: (kind, from, to, reason) => {
        if (kind === "link" || kind === "unlink" || kind === "exit-signal") this.treeChanged = true;
        // Either side may be on another scheduler, whose own telemetry marks it.
        if (from instanceof Process) s.markChanged(from);
        if (to instanceof Process) {
          s.markChanged(to);
          if (kind === "exit-signal") this.faults.signalled(from, to, reason);
        }
      },
      fault: (event) => {
        this.treeChanged = true;
        if (event.kind === "restart") {
          counters()[Counter.restarts]++;
          this.siteRestarts[event.supervisor.spawnSite]++;
        }
        this.faults.fault(event);
      },
    });
  }

  /** Stops ticking and observing (a test's telemetry, or a runtime that ends). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.unobserve?.();
    this.unobserve = undefined;
  }

  /** Starts ticking every `intervalMs`; `recording` says whether the run is recorded (its supervision trees are then sent). */
  start(intervalMs: number, recording = true): void {
    this.recording = recording;
    const s = this.scheduler;
    s.changed ??= listOfProcesses();
    this.writeTickFields();
    // Processes from before telemetry started are unlisted like any new one (counted afresh, so
    // that starting again does not count them twice).
    s.oldestUnlisted = null;
    s.unlisted = 0;
    for (let p = s.newestLive; p !== null && p.id > s.announcedMaxId; p = p.nextLive) {
      s.oldestUnlisted = p;
      s.unlisted++;
    }
    if (this.unobserve === undefined) this.observe();
    this.setInterval(intervalMs);
    // A first tick now, before the program runs: see writeTickFields. The objects a tick builds
    // generalize maps the first time too, and that deoptimized the program's hot code as well.
    this.tick();
  }

  /**
   * Writes every scheduler field that ticks and keyframes write, once, before the program's code
   * is optimized. V8 compiles a field that nothing wrote since its object was built as a constant,
   * so the first tick used to deoptimize every hot path that reads one (delivery, slices, spawn,
   * exit) in the middle of a run, which then ran in the interpreter until it was compiled again
   * (`node --trace-deopt`: "marking dependent code ... code dependencies" at the first tick, and
   * "Insufficient type feedback" for the branch below).
   */
  private writeTickFields(): void {
    const s = this.scheduler;
    s.interval++;
    s.removed = [];
    for (const key of ["announcedMaxId", "unlisted"] as const) {
      const value = s[key];
      s[key] = value + 1;
      s[key] = value;
    }
    const oldest = s.oldestUnlisted;
    s.oldestUnlisted = s.newestLive;
    s.oldestUnlisted = oldest;
    const changed = s.changed!;
    s.changed = this.spareChanged;
    s.changed = changed;
    // A process's first change in an interval takes a branch that, in a program of a few
    // processes, runs only for the first ones, before V8 has a feedback vector for it (it makes
    // one after several calls); the optimized code then has none for that branch and deoptimizes
    // at the first interval change. A probe process takes it now, often enough.
    const pending = changed.length;
    const probe = new Process(0, probeBody, []);
    for (let i = 0; i < FEEDBACK_CALLS; i++) {
      probe.changedIn = 0;
      s.markChanged(probe);
    }
    changed.length = pending;
  }

  setInterval(ms: number): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.intervalMs = ms;
    this.timer = setInterval(() => this.tick(), ms);
    this.timer.unref();
  }

  info(p: Process): ProcessInfo {
    const s = this.scheduler;
    return {
      pid: p.id,
      status: statusOf(p),
      scheduler: s.index + 1,
      mailbox: p.mailboxLength,
      reductions: p.reductions,
      memory: memoryOf(p),
      spawnSite: p.spawnSite,
      waitSite: waitSiteOf(p),
      fn: functionOf(p),
      name: this.nameOf(p),
      links: linkCount(p),
      monitors: monitorCount(p),
      monitoredBy: monitoredByCount(p),
      trapExit: p.signals?.trapExit === true,
    };
  }

  /** The name a process is registered under, "" when it has none. */
  private nameOf(p: Process): string {
    return this.scheduler.registry.nameFor(p) ?? "";
  }

  /** One process record, written from the process itself (no intermediate object). */
  private write(encoder: ProcessFrameEncoder, p: Process): void {
    const s = this.scheduler;
    const sig = p.signals;
    if (sig !== null) {
      const relations = relationsOf(p);
      if (relations !== 0) this.sentRelations.set(p, relations);
      else this.sentRelations.delete(p);
    } else if (this.sentRelations.size !== 0) {
      this.sentRelations.delete(p);
    }
    encoder.add(
      p.id,
      statusOf(p),
      s.index + 1,
      p.mailboxLength,
      p.reductions,
      memoryOf(p),
      p.spawnSite,
      waitSiteOf(p),
      functionOf(p),
      this.nameOf(p),
      sig === null ? 0 : linkCount(p),
      sig === null ? 0 : monitorCount(p),
      sig === null ? 0 : monitoredByCount(p),
      sig !== null && sig.trapExit,
    );
  }

  /** Whether a process's links, monitors or trapExit differ from its last full record. */
  private relationsChanged(p: Process): boolean {
    const sent = this.sentRelations;
    if (p.signals === null) return sent.size !== 0 && sent.has(p);
    return relationsOf(p) !== (sent.get(p) ?? 0);
  }

  tick(): void {
    const s = this.scheduler;
    // Two lists take turns, so that no tick allocates a fresh one: a fresh empty array changes its
    // elements kind at its first push, which deoptimizes the delivery path in the middle of a run.
    const changed = s.changed!;
    s.changed = this.spareChanged;
    s.interval++;
    const removed = s.removed;
    s.removed = [];
    s.counters[Counter.heapUsed] = getHeapStatistics().used_heap_size;
    const limit = this.listLimit();
    const renamed = s.renamed;
    const encoder = new ProcessFrameEncoder({ type: "process-delta", seq: ++this.seq, scheduler: s.index + 1, unlisted: 0 }, { scratch: this.scratch });
    // Listed processes that changed: the fields that change as they run, or whole if renamed.
    for (const p of changed) {
      if (p.status === "exited") continue;
      if ((renamed.size !== 0 && renamed.has(p)) || this.relationsChanged(p)) this.write(encoder, p);
      else encoder.update(p.id, p.status, p.mailboxLength, p.reductions, memoryOf(p), waitSiteOf(p));
    }
    renamed.clear();
    // New processes, oldest first, up to the limit; the rest wait for the next ticks.
    let p = s.oldestUnlisted;
    let listed = 0;
    for (; p !== null && listed < limit; p = p.prevLive, listed++) {
      this.write(encoder, p);
      s.announcedMaxId = p.id;
    }
    s.oldestUnlisted = p;
    s.unlisted -= listed;
    encoder.unlisted = s.unlisted;
    const delta = encoder.finish(removed);
    changed.length = 0;
    this.spareChanged = changed;
    const sites = encodeFrame({ type: "site-aggregates", aggregates: this.siteAggregates() });
    const drained = s.events.drain();
    let events: ArrayBuffer | null = null;
    if (drained.length > 0 || s.events.dropped !== this.eventsDroppedSent) {
      this.eventsDroppedSent = s.events.dropped;
      events = encodeFrame({ type: "events", dropped: s.events.dropped, events: drained });
    }
    const watch: WatchedProcess[] = [];
    for (const p of s.watched) {
      if (p.status === "exited" || p.mailboxLength < WATCH_MAILBOX) {
        s.watched.delete(p);
        continue;
      }
      const scan = scanMailbox(p);
      watch.push({
        pid: p.id,
        fn: functionOf(p),
        name: this.nameOf(p),
        mailbox: p.mailboxLength,
        waiting: p.status === "waiting",
        pendingCalls: scan.calls,
        unmatched: scan.unmatched,
        scanned: scan.scanned,
        waitSite: p.waitSite,
        spawnSite: p.spawnSite,
      });
    }
    const supervision = this.treeDue() ? this.treeNow() : null;
    this.port.postMessage({ type: "telemetry", delta, sites, events, watch, faults: this.faults.drain(), downByElsewhere: this.faults.drainVictimsOfElsewhere(), supervision });
  }

  /**
   * Whether this tick sends the supervision tree: after a change, or while there are supervisors
   * every TREE_REFRESH_MS, and never within TREE_MIN_MS of the last (or TREE_COST_FACTOR times
   * the last read's time, if longer). A scheduler without supervisors or links reads no tree at all.
   */
  private treeDue(): boolean {
    if (!this.recording || (!this.treeChanged && !this.treeHasSupervisors)) return false;
    const since = this.scheduler.events.now() - this.treeSentAt;
    return since >= this.treeGapMs && (this.treeChanged || since >= TREE_REFRESH_MS);
  }

  private treeNow(): { time: number; tree: SupervisionTree } {
    // The real clock (the events'), also in a seeded run whose performance.now() is virtual.
    const time = this.scheduler.events.now();
    const tree = this.supervision.tree();
    this.treeGapMs = Math.max(TREE_MIN_MS, TREE_COST_FACTOR * (this.scheduler.events.now() - time));
    this.treeChanged = false;
    this.treeSentAt = time;
    this.treeHasSupervisors = tree.supervisors.length > 0;
    return { time, tree };
  }

  /** Sends every live process in pages; deltas that follow bring the client up to date. */
  keyframe(snapshot: number, pageSize: number): void {
    const s = this.scheduler;
    // The keyframe shows every live process, so from now on their changes and ends are news; a
    // new interval, so that a process already marked in this one (unlisted then) is marked again.
    // Processes no delta listed are listed by this keyframe alone: the hub sends it to every viewer.
    const listsNew = s.unlisted > 0;
    s.announcedMaxId = s.lastSpawnedId;
    s.interval++;
    s.oldestUnlisted = null;
    s.unlisted = 0;
    const total = s.liveCount;
    const pages = Math.max(1, Math.ceil(total / pageSize));
    let page = 0;
    let encoder = new ProcessFrameEncoder({ type: "process-page", snapshot, page, pages, total }, { scratch: this.scratch });
    for (let p = s.newestLive; p !== null; p = p.nextLive) {
      this.write(encoder, p);
      if (encoder.count === pageSize && page < pages - 1) {
        const frame = encoder.finish();
        this.port.postMessage({ type: "keyframe-page", snapshot, frame, listsNew });
        encoder = new ProcessFrameEncoder({ type: "process-page", snapshot, page: ++page, pages, total }, { scratch: this.scratch });
      }
    }
    const frame = encoder.finish();
    this.port.postMessage({ type: "keyframe-page", snapshot, frame, listsNew });
  }

  /**
   * How many new processes the next delta may list. A spawn storm (skynet makes a million
   * processes a second) would otherwise cost the busy scheduler more to describe than to run, so
   * a busy scheduler lists a few per tick and catches up once it is idle; the counts in the
   * scheduler samples and the delta's `unlisted` stay exact meanwhile.
   */
  private listLimit(): number {
    const s = this.scheduler;
    const busyMs = s.counters[Counter.busyMs]!;
    const utilization = (busyMs - this.busyMsAtTick) / this.intervalMs;
    this.busyMsAtTick = busyMs;
    // Processes waiting to run say it is busy now; the utilization says it was in the interval.
    return s.runQueue.length > 0 || utilization > 0.5 ? LIST_WHEN_BUSY : LIST_WHEN_IDLE;
  }

  private siteAggregates(): SiteAggregate[] {
    const c = this.scheduler.sites;
    const out: SiteAggregate[] = [];
    for (let site = 1; site < c.size; site++) {
      out.push({ site, live: c.live[site]!, queued: c.queued[site]!, reductions: c.reductions[site]!, waiting: c.waiting[site]!, crashes: this.siteCrashes[site] ?? 0, restarts: this.siteRestarts[site] ?? 0 });
    }
    return out;
  }

  /** Answers a request that needs the processes; throws an Error whose message is the refusal. */
  handle(request: Request): RequestResult {
    const s = this.scheduler;
    switch (request.type) {
      case "inspect":
        return this.inspect(this.process(request.pid), request.mailboxLimit ?? 50);
      case "send": {
        // A send to a name is asked of every scheduler; only the one that runs the named process
        // delivers it, whether the registry answers with a local process or a pid of another thread.
        const named = parsePid(request.to) !== undefined ? undefined : s.registry.whereis(request.to);
        const target = parsePid(request.to) !== undefined ? this.process(request.to) : named === undefined ? undefined : s.find(named.id);
        if (target === undefined) throw new Error(`no process is registered as "${request.to}"`);
        // No process sends it: traced with sender pid 0, which the visualizer shows as the viewer.
        s.deliverFrom(target, copyTerm(fromJson(request.message)), null, false);
        return { delivered: String(target) };
      }
      case "kill": {
        const p = this.process(request.pid);
        s.kill(p, request.reason ?? "killed");
        return { killed: String(p) };
      }
      case "trace": {
        const p = this.process(request.pid);
        if (request.enabled) s.traced.add(p);
        else s.traced.delete(p);
        return { traced: request.enabled };
      }
      case "supervision":
        return this.supervision.tree();
      default:
        throw new Error(`the scheduler does not handle ${request.type} requests`);
    }
  }

  private process(text: string): Process {
    const id = parsePid(text)!;
    const p = this.scheduler.find(id);
    if (p === undefined) throw new Error(`no process ${formatPid(id)} is alive (it may have exited)`);
    return p;
  }

  /** What the inspector shows of a supervisor: strategy, restart limits and its children. */
  private supervisorFields(p: Process): Partial<InspectResult> {
    const snapshot = supervisorSnapshot(p);
    if (snapshot === undefined) return {};
    return {
      strategy: snapshot.strategy,
      intensity: snapshot.intensity,
      period: snapshot.period,
      restarts: snapshot.restarts,
      children: listedChildren(snapshot.children, INSPECT_LIST_LIMIT).map((c) => ({
        id: c.id,
        pid: String(runningPid(c, this.scheduler) ?? ""),
        type: c.type,
        restart: c.restart,
        restarts: c.restarts,
        lastReason: lastReasonOf(c),
      })),
      childCount: snapshot.children.length,
    };
  }

  private inspect(p: Process, limit: number): InspectResult {
    const mailbox: string[] = [];
    for (let node = p.head; node !== null && mailbox.length < limit; node = node.next) mailbox.push(render(node.msg));
    const info = this.info(p);
    const waiting = p.status === "waiting";
    // A startServer process waits in its loop's receive, in runtime code that has no site: it
    // waits at its startServer line, for any message, which the loop hands to the spec's handlers.
    const inServerLoop = waiting && p.waitSite === 0 && serverStates.has(p);
    const sig = p.signals;
    const supervisor = this.supervisorOf(p);
    return {
      pid: String(p),
      name: info.name,
      status: info.status,
      function: info.fn,
      spawnSite: this.siteNames[p.spawnSite] ?? "",
      waitSite: !waiting ? "" : (this.siteNames[inServerLoop ? p.spawnSite : p.waitSite] ?? ""),
      waitingFor: !waiting ? [] : inServerLoop ? [SERVER_LOOP_CLAUSES] : describeClauses(p.clauses),
      mailboxLength: p.mailboxLength,
      mailbox,
      links: pidList(sig?.links?.values(), INSPECT_LIST_LIMIT),
      linkCount: info.links,
      monitors: pidList(targets(sig?.watching), INSPECT_LIST_LIMIT),
      monitorCount: info.monitors,
      monitoredBy: pidList(watchers(sig?.watchers), INSPECT_LIST_LIMIT),
      monitoredByCount: info.monitoredBy,
      trapExit: info.trapExit,
      supervisor: supervisor !== undefined ? String(supervisor) : "",
      ...this.supervisorFields(p),
      ...(serverStates.has(p) ? { state: render(serverStates.get(p)!.state, 2000) } : {}),
      reductions: p.reductions,
      scheduler: info.scheduler,
      memory: info.memory,
      traced: this.scheduler.traced.has(p),
    };
  }
}

/** What a server waiting in its loop takes, as the inspector lists a receive's clauses. */
const SERVER_LOOP_CLAUSES = "any message: a call goes to handleCall, a cast to handleCast, anything else to handleInfo (startServer)";

/**
 * One walk over a watched process's oldest messages: the `call` requests among them, and those
 * that no clause of its (last) receive matches. The telemetry never runs the program's guards: a
 * `where(...)` counts as matching, so a guarded clause is never said to leave a message behind.
 */
function scanMailbox(p: Process): { calls: number; unmatched: number; scanned: number } {
  const patterns = receivePatterns(p.clauses);
  let calls = 0;
  let unmatched = 0;
  let scanned = 0;
  for (let node = p.head; node !== null && scanned < MAILBOX_SCAN_LIMIT; node = node.next, scanned++) {
    const m = node.msg;
    if (Array.isArray(m) && m[0] === "$call") calls++;
    if (patterns !== null && !matchesOne(patterns, m)) unmatched++;
  }
  return { calls, unmatched, scanned };
}

function matchesOne(patterns: readonly unknown[], msg: unknown): boolean {
  for (let i = 0; i < patterns.length; i++) if (matches(patterns[i], msg)) return true;
  return false;
}

/**
 * The patterns a receive takes messages with, guards replaced by `_`; null when it takes any
 * message, or when it is a call's wait for its reply (the rest of the mailbox waits for later
 * receives, by design).
 */
function receivePatterns(clauses: Clause | readonly Clause[] | null): unknown[] | null {
  if (clauses === null) return null;
  const list = clauses instanceof On || clauses instanceof After ? [clauses] : clauses;
  const patterns: unknown[] = [];
  for (const c of list) {
    if (c instanceof AwaitReply) return null;
    if (c instanceof On) patterns.push(withoutGuards(c.pattern));
  }
  return patterns;
}

function withoutGuards(pattern: unknown): unknown {
  if (pattern instanceof Guard) return _;
  if (Array.isArray(pattern)) return pattern.map(withoutGuards);
  if (typeof pattern === "object" && pattern !== null && Object.getPrototypeOf(pattern) === Object.prototype) {
    return Object.fromEntries(Object.entries(pattern).map(([k, v]) => [k, withoutGuards(v)]));
  }
  return pattern;
}

/** A receive's clauses as source-like text: `on(["add", Number])`, `after(5000)`. */
export function describeClauses(clauses: Clause | readonly Clause[] | null): string[] {
  if (clauses === null) return ["any message"];
  const list = clauses instanceof On || clauses instanceof After ? [clauses] : clauses;
  return list.map((c) => (c instanceof After ? `after(${c.ms})` : `on(${describePattern(c.pattern)})`));
}

export function describePattern(pattern: unknown): string {
  if (pattern === _) return "_";
  if (pattern === Number) return "Number";
  if (pattern === String) return "String";
  if (pattern === Boolean) return "Boolean";
  if (pattern === Pid) return "Pid";
  if (pattern === Ref) return "Ref";
  if (pattern instanceof Guard) return "where(…)";
  if (pattern instanceof Pid || pattern instanceof Ref) return String(pattern);
  if (Array.isArray(pattern)) return `[${pattern.map(describePattern).join(", ")}]`;
  if (typeof pattern === "object" && pattern !== null) {
    return `{ ${Object.entries(pattern).map(([k, v]) => `${k}: ${describePattern(v)}`).join(", ")} }`;
  }
  return typeof pattern === "string" ? JSON.stringify(pattern) : inspectValue(pattern);
}

/** JSON from a client becomes a term; `{"$pid": "<0.84.0>"}` becomes that pid, `{"$ref": "#Ref<0.0.0.7>"}` that ref. */
function fromJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJson);
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$pid" && typeof (value as { $pid: unknown }).$pid === "string") {
      const id = parsePid((value as { $pid: string }).$pid);
      if (id !== undefined) return new Pid(id);
    }
    if (keys.length === 1 && keys[0] === "$ref" && typeof (value as { $ref: unknown }).$ref === "string") {
      const ref = parseRef((value as { $ref: string }).$ref);
      if (ref !== undefined) return new Ref(ref.scheduler, ref.id);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromJson(v)]));
  }
  return value;
}
