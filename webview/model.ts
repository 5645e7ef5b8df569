// Everything the visualizer knows about the runtime, fed by the connection and read by the views.
// Views never talk to the socket themselves; they read this model and call its actions.

import { formatPid, type ControlMessage, type Crash, type EndedWarning, type GaveUp, type Hello, type RecordingDropped, type Site, type Warning } from "../protocol/control.js";
import type { Frame, NodeSummary, ProcessFrameView, SchedulerSample, TraceEvent } from "../protocol/frames.js";
import type { ChartDomain } from "./charts.js";
import { Series, type TimelineSlot } from "./history.js";
import { ProcessFeed } from "./processFeed.js";
import { ProcessStore, type Ran } from "./store.js";

const TIMELINE = 600;
/** Past warnings kept; older ones are counted (the Warnings view says how many). */
const PAST_WARNINGS = 1000;
/** Processes shown by name in a timeline column. */
const TOP_RAN = 6;
/** The sequence diagram keeps this many events; older ones are dropped (and the view says so). */
export const EVENT_CAP = 2000;

/** Restarts remembered for "restarted as" in the inspector. */
const RESTARTED_AS = 1000;

/** Crash and gave-up messages kept for the Supervision view's lists. */
const RECENT_CRASHES = 50;

/** A slice this long makes a scheduler stuck for the views, as for the runtime's warning; shorter ones are only slow. */
const STUCK_AFTER_MS = 500;

/** A scheduler held by one slice it cannot preempt, from its latest sample and the warning that names the line. */
export interface StuckScheduler {
  scheduler: number;
  pid: number;
  ms: number;
  /** `file:line` of the plain function it is stuck in, when the runtime's warning names it; else "". */
  site: string;
}

export class SchedulerHistory {
  readonly utilization = new Series();
  readonly runQueue = new Series();
  readonly processes = new Series();
  /** Per second at each sample: processes started here, spawns placed elsewhere, messages across schedulers. */
  readonly placed = new Series();
  readonly placedElsewhere = new Series();
  readonly crossIn = new Series();
  readonly crossOut = new Series();
  readonly timeline: TimelineSlot[] = [];
  last: SchedulerSample | null = null;
}

export class Model {
  hello: Hello | null = null;
  readonly sites = new Map<number, Site>();
  readonly store = new ProcessStore();
  private readonly feed = new ProcessFeed(this.store, (frame, at) => this.processFrameApplied(frame, at));
  schedulers: SchedulerHistory[] = [];
  /** The whole run's samples (docs/protocol.md, section 5: a late viewer gets the recorded ones first). */
  readonly processes = new Series();
  readonly runnable = new Series();
  readonly waiting = new Series();
  readonly queued = new Series();
  readonly messagesPerSecond = new Series();
  readonly reductionsPerSecond = new Series();
  readonly heap = new Series();
  /** Crashes and restarts since the first sample, a running total of the samples' counts: the timeline's past totals. */
  readonly crashesSoFar = new Series();
  readonly restartsSoFar = new Series();
  /** The run time of the first and the latest sample applied; -1 before the first. */
  firstSampleTime = -1;
  lastSampleTime = -1;
  /** What the runtime's recording dropped to stay within its cap, from `history`: the charts start later than the run. */
  recordingDropped: RecordingDropped | null = null;
  recordingCapBytes = 0;
  summary: NodeSummary | null = null;
  /** Milliseconds since the run started, at the last sample, and when that sample arrived here. */
  runTime = 0;
  runTimeAt = 0;
  /** The warnings shown: those of the last delta the store has applied (see control). */
  warnings: Warning[] = [];
  /** Warnings received ahead of the delta of their tick (see control), held until the store has applied it. */
  private pendingWarnings: { warnings: Warning[]; seq: number } | null = null;
  /** The seq of the last delta the store applied; -1 before the first, when warnings wait for none. */
  private appliedSeq = -1;
  /** When main started, in run time (the samples' clock); null while it waits for a viewer. */
  mainStartedAt: number | null = null;
  /** The run time of the last frame the store applied: the moment the top lists and warnings describe. */
  processesTime = 0;
  /** Whether any process frame has been applied in this run (a stuck scheduler may never send one). */
  processesKnown = false;
  readonly events: TraceEvent[] = [];
  eventsSeen = 0;
  eventsDropped = 0;
  /** When main ended (run time) and whether it crashed; null while it runs. */
  mainExited: { crashed: boolean; at: number } | null = null;
  /** Warnings that held and ended, oldest end first (at most PAST_WARNINGS; `pastWarningsForgotten` older ones). */
  readonly pastWarnings: EndedWarning[] = [];
  pastWarningsForgotten = 0;
  /** Ended warnings received with a list that waits for its delta (see control); shown with it. */
  private pendingEnded: EndedWarning[] = [];
  /** The past warnings known, by kind, pid, scheduler, site and since: a reconnect's replay adds none twice. */
  private readonly pastKeys = new Set<string>();
  laggedFrames = 0;
  /**
   * Crashes and restarts since telemetry started, from the `faults` channel (docs/protocol.md,
   * section 8): each message carries its group's total (a crash's source line, a supervisor's
   * restarts), and a client is sent the latest of every group when it connects, so the sums are
   * the run's, not only what this viewer saw, and a replayed message does not count twice.
   */
  crashes = 0;
  restarts = 0;
  supervisorsGaveUp = 0;
  private readonly crashTotals = new Map<string, number>();
  private readonly restartTotals = new Map<number, number>();
  private readonly gaveUp = new Set<string>();
  /** The pid a supervisor restarted each recently ended child as, by the old pid (at most RESTARTED_AS entries). */
  private readonly restartedAs = new Map<number, { pid: number; supervisor: number }>();
  /** The supervisors that gave up, oldest first: they are gone from the supervision tree. */
  readonly recentGaveUp: GaveUp[] = [];
  /** The latest crash messages, oldest first (each may stand for several crashes of its line: `count`). */
  readonly recentCrashes: Crash[] = [];
  /** Bumped per kind of change, so each view redraws only for what it shows. */
  readonly versions = { samples: 0, processes: 0, warnings: 0, events: 0, hello: 0, faults: 0 };

  /** A new run (a different start time or OS process) starts from nothing; a reconnect keeps the data. */
  hello_(hello: Hello): void {
    const sameRun = this.hello !== null && this.hello.startedAt === hello.startedAt && this.hello.osPid === hello.osPid;
    this.hello = hello;
    if (!sameRun) {
      this.feed.clear();
      this.store.clear();
      this.schedulers = [];
      for (const r of [this.processes, this.runnable, this.waiting, this.queued, this.messagesPerSecond, this.reductionsPerSecond, this.heap, this.crashesSoFar, this.restartsSoFar]) r.clear();
      this.firstSampleTime = this.lastSampleTime = -1;
      this.recordingDropped = null;
      this.pastWarnings.length = 0;
      this.pastWarningsForgotten = 0;
      this.pendingEnded = [];
      this.pastKeys.clear();
      this.events.length = 0;
      this.eventsSeen = 0;
      this.warnings = [];
      this.pendingWarnings = null;
      this.appliedSeq = -1;
      this.summary = null;
      this.mainExited = null;
      this.mainStartedAt = null;
      this.processesKnown = false;
      this.crashTotals.clear();
      this.restartTotals.clear();
      this.gaveUp.clear();
      this.crashes = this.restarts = this.supervisorsGaveUp = 0;
      this.recentCrashes.length = 0;
      this.recentGaveUp.length = 0;
      this.restartedAs.clear();
      this.versions.faults++;
    }
    // One row per scheduler from the start, before the first sample.
    this.lane(hello.schedulers);
    if (hello.mainStartedAt !== undefined) this.mainStartedAt = hello.mainStartedAt;
    this.store.intervalMs = hello.sampleIntervalMs;
    this.versions.hello++;
  }

  control(message: ControlMessage): void {
    switch (message.type) {
      case "hello":
        this.hello_(message);
        break;
      case "sites":
        this.sites.clear();
        for (const s of message.sites) this.sites.set(s.id, s);
        this.versions.hello++;
        break;
      case "warnings":
        // The runtime sends a tick's warnings, then its delta: they are shown once the store has
        // applied that delta, so that their numbers and the store's are of one moment. A later list
        // replaces a pending one, but the warnings that ended are news each time: they add up.
        this.pendingWarnings = { warnings: message.warnings, seq: message.seq ?? 0 };
        this.pendingEnded.push(...(message.ended ?? []));
        this.showPendingWarnings();
        break;
      case "history":
        this.recordingDropped = message.dropped.samples > 0 || message.dropped.warnings > 0 ? message.dropped : null;
        this.recordingCapBytes = message.capBytes;
        if (message.mainExited !== undefined) this.mainExited = message.mainExited;
        this.versions.hello++;
        break;
      case "main-started":
        this.mainStartedAt = message.at;
        this.versions.hello++;
        break;
      case "lagging":
        this.laggedFrames += message.droppedFrames;
        break;
      case "main-exited":
        this.mainExited = { crashed: message.crashed, at: message.at };
        this.versions.hello++;
        break;
      case "response":
        break;
      case "crash": {
        const grew = raise(this.crashTotals, crashGroup(message), message.total);
        // A replayed message (on reconnect), or an update that lists victims on other schedulers
        // (count 0), is of a crash this viewer may have listed: it replaces that entry.
        if (grew === 0) {
          const i = this.recentCrashes.findIndex((c) => c.pid === message.pid && c.time === message.time);
          if (i >= 0 && this.recentCrashes[i]!.linkedDown.length !== message.linkedDown.length) {
            this.recentCrashes[i] = { ...message, count: this.recentCrashes[i]!.count };
            this.versions.faults++;
          }
          break;
        }
        this.crashes += grew;
        this.recentCrashes.push(message);
        if (this.recentCrashes.length > RECENT_CRASHES) this.recentCrashes.splice(0, this.recentCrashes.length - RECENT_CRASHES);
        this.versions.faults++;
        break;
      }
      case "restart":
        this.restarts += raise(this.restartTotals, message.supervisor, message.supervisorRestarts);
        this.restartedAs.set(message.oldPid, { pid: message.newPid, supervisor: message.supervisor });
        if (this.restartedAs.size > RESTARTED_AS) this.restartedAs.delete(this.restartedAs.keys().next().value!);
        this.versions.faults++;
        break;
      case "gave-up": {
        const key = `${message.supervisor}@${message.time}`;
        if (!this.gaveUp.has(key)) {
          this.gaveUp.add(key);
          this.supervisorsGaveUp++;
          this.recentGaveUp.push(message);
          if (this.recentGaveUp.length > RECENT_CRASHES) this.recentGaveUp.splice(0, this.recentGaveUp.length - RECENT_CRASHES);
          this.versions.faults++;
        }
        break;
      }
    }
  }

  frame(frame: Frame, now: number): void {
    switch (frame.type) {
      case "schedulers":
        this.sample(frame.time, frame.intervalMs, frame.schedulers, frame.summary, now);
        break;
      case "process-page":
      case "process-delta":
        // The connection reads these in place and hands them to processFrame.
        break;
      case "site-aggregates":
        // Per-site aggregates are for the extension's code lenses; the table has the same numbers.
        break;
      case "sample-history":
        // The recorded samples before the live ones; on a reconnect, those this viewer already has are skipped.
        for (const f of frame.samples) this.sample(f.time, f.intervalMs, f.schedulers, f.summary, now);
        break;
      case "events":
        this.eventsDropped = frame.dropped;
        this.eventsSeen += frame.events.length;
        this.events.push(...frame.events);
        if (this.events.length > EVENT_CAP) this.events.splice(0, this.events.length - EVENT_CAP);
        if (frame.events.length > 0) this.versions.events++;
        break;
    }
  }

  /** A process page or delta, read in place (see ProcessFrameView) and applied in slices. */
  processFrame(frame: ProcessFrameView, now: number): void {
    this.feed.push(frame, now);
  }

  /** A process frame is in the store whole. */
  private processFrameApplied(frame: ProcessFrameView, at: number): void {
    this.processesTime = this.runTimeAt === 0 ? this.runTime : this.runTime + (at - this.runTimeAt);
    this.processesKnown = true;
    if (frame.type === "process-delta") {
      this.appliedSeq = frame.seq;
      this.timeline(this.store.ran, frame.deltaScheduler);
    }
    this.versions.processes++;
    this.showPendingWarnings();
  }

  private showPendingWarnings(): void {
    const pending = this.pendingWarnings;
    // A viewer that gets no deltas (not subscribed to processes) shows them as they come.
    if (pending === null || (this.appliedSeq >= 0 && this.appliedSeq < pending.seq)) return;
    this.pendingWarnings = null;
    this.warnings = pending.warnings;
    for (const w of this.pendingEnded) {
      const key = `${w.kind} ${w.pid ?? ""} ${w.scheduler ?? ""} ${w.site ?? ""} ${w.since}`;
      if (this.pastKeys.has(key)) continue;
      this.pastKeys.add(key);
      this.pastWarnings.push(w);
    }
    this.pendingEnded = [];
    if (this.pastWarnings.length > PAST_WARNINGS) {
      const old = this.pastWarnings.splice(0, this.pastWarnings.length - PAST_WARNINGS);
      this.pastWarningsForgotten += old.length;
    }
    this.versions.warnings++;
  }

  /**
   * What the charts span: the whole run, from main's start (or the first sample, before main
   * started) to the latest sample (a replay's: the recording's end), with main's end marked.
   */
  chartDomain(): ChartDomain {
    const origin = this.mainStartedAt ?? Math.max(0, this.firstSampleTime);
    const marks = this.mainExited === null ? [] : [{ time: this.mainExited.at, label: this.mainExited.crashed ? "main crashed" : "main ended" }];
    // A replay ends where its recording does, main's end included: a run that ended sampled last
    // up to an interval before that.
    return { origin, to: Math.max(origin, this.lastSampleTime, this.hello?.replay?.endsAt ?? 0), marks };
  }

  /**
   * The schedulers stuck now: a stuck scheduler sends no deltas, so the store (the processes table,
   * the top lists) shows what it last reported while the samples go on (issue 13 item 9).
   */
  stuckSchedulers(): StuckScheduler[] {
    const stuck: StuckScheduler[] = [];
    for (const h of this.schedulers) {
      const s = h.last;
      if (s === null || s.stuckMs < STUCK_AFTER_MS) continue;
      const pid = formatPid(s.stuckPid);
      const warning = this.warnings.find((w) => w.kind === "non-preemptible" && w.pid === pid && w.site !== undefined);
      stuck.push({ scheduler: s.scheduler, pid: s.stuckPid, ms: s.stuckMs, site: warning?.site ?? "" });
    }
    return stuck;
  }

  /** The process a supervisor restarted `pid` as, following restart after restart, if the faults said so. */
  successor(pid: number): { pid: number; supervisor: number } | undefined {
    let next = this.restartedAs.get(pid);
    for (let hops = 0; next !== undefined && hops < RESTARTED_AS; hops++) {
      const after = this.restartedAs.get(next.pid);
      if (after === undefined) break;
      next = after;
    }
    return next;
  }

  siteText(id: number): string {
    const s = this.sites.get(id);
    return s === undefined ? "" : `${s.file}:${s.line}`;
  }

  /** The run's time now, extrapolated from the last sample; a replay's is where its recording ends. */
  runTimeNow(now: number): number {
    if (this.hello?.replay !== undefined) return Math.max(this.runTime, this.hello.replay.endsAt);
    return this.runTime + (this.runTimeAt === 0 ? 0 : now - this.runTimeAt);
  }

  /** How long main has run, now: not the time the runtime waited for a viewer; null before main started. */
  uptime(now: number): number | null {
    return this.mainStartedAt === null ? null : Math.max(0, this.runTimeNow(now) - this.mainStartedAt);
  }

  /** A run time (samples, warnings, events) as the time since main started, which the views show. */
  programTime(runTime: number): number {
    return Math.max(0, runTime - (this.mainStartedAt ?? 0));
  }

  private sample(time: number, intervalMs: number, samples: SchedulerSample[], summary: NodeSummary, now: number): void {
    if (time <= this.lastSampleTime) return;
    if (this.firstSampleTime < 0) this.firstSampleTime = time;
    this.lastSampleTime = time;
    this.runTime = time;
    this.runTimeAt = now;
    this.summary = summary;
    let sends = 0;
    let reductions = 0;
    let heap = 0;
    const perSecond = 1000 / Math.max(1, intervalMs);
    for (const s of samples) {
      const h = this.lane(s.scheduler);
      h.utilization.push(time, s.utilization);
      h.runQueue.push(time, s.runQueue);
      h.processes.push(time, s.processes);
      h.placed.push(time, s.spawns * perSecond);
      h.placedElsewhere.push(time, s.placedElsewhere * perSecond);
      h.crossIn.push(time, s.crossIn * perSecond);
      h.crossOut.push(time, s.crossOut * perSecond);
      h.last = s;
      sends += s.sends;
      reductions += s.reductions;
      heap += s.heapUsed;
      // A stuck scheduler sends no deltas: mark its lane from the sample instead.
      if (s.stuckMs > 0) h.timeline.push({ time, total: 0, top: [], stuckPid: s.stuckPid, stuckMs: s.stuckMs });
      if (h.timeline.length > TIMELINE) h.timeline.splice(0, h.timeline.length - TIMELINE);
    }
    this.processes.push(time, summary.processes);
    this.runnable.push(time, summary.runnable);
    this.waiting.push(time, summary.waiting);
    this.queued.push(time, summary.queued);
    this.messagesPerSecond.push(time, sends * perSecond);
    this.reductionsPerSecond.push(time, reductions * perSecond);
    this.heap.push(time, heap);
    this.crashesSoFar.push(time, this.crashesSoFar.last() + summary.crashes);
    this.restartsSoFar.push(time, this.restartsSoFar.last() + summary.restarts);
    this.versions.samples++;
  }

  /** A scheduler's history (1-based), made when first needed. */
  private lane(scheduler: number): SchedulerHistory {
    for (let i = this.schedulers.length; i < scheduler; i++) this.schedulers.push(new SchedulerHistory());
    return this.schedulers[scheduler - 1]!;
  }

  /**
   * A timeline column for the scheduler whose tick the delta is (each scheduler ticks on its own):
   * the delta's total reductions and its biggest few processes. A delta of no scheduler (0) gives
   * every lane a column.
   */
  private timeline(ran: Ran, scheduler: number): void {
    if (scheduler > 0) this.lane(scheduler);
    const lanes = this.schedulers.length;
    if (lanes === 0) return;
    const totals = new Float64Array(lanes);
    // Top TOP_RAN per lane by insertion into small sorted arrays: no object or sort per record.
    const topPid: number[][] = [];
    const topRed: number[][] = [];
    for (let l = 0; l < lanes; l++) {
      topPid.push([]);
      topRed.push([]);
    }
    for (let i = 0; i < ran.count; i++) {
      const lane = ran.scheduler[i]! - 1;
      if (lane < 0 || lane >= lanes) continue;
      const r = ran.reductions[i]!;
      totals[lane]! += r;
      const reds = topRed[lane]!;
      if (reds.length === TOP_RAN && r <= reds[TOP_RAN - 1]!) continue;
      const pids = topPid[lane]!;
      let j = reds.length < TOP_RAN ? reds.length : TOP_RAN - 1;
      while (j > 0 && reds[j - 1]! < r) {
        if (j < TOP_RAN) {
          reds[j] = reds[j - 1]!;
          pids[j] = pids[j - 1]!;
        }
        j--;
      }
      reds[j] = r;
      pids[j] = ran.pid[i]!;
    }
    for (let l = 0; l < lanes; l++) {
      if (scheduler > 0 && l !== scheduler - 1) continue;
      const h = this.schedulers[l]!;
      const top = topPid[l]!.map((pid, k) => ({ pid, reductions: topRed[l]![k]! }));
      h.timeline.push({ time: this.runTime, total: totals[l]!, top, stuckPid: 0, stuckMs: 0 });
      if (h.timeline.length > TIMELINE) h.timeline.splice(0, h.timeline.length - TIMELINE);
    }
  }
}

/** A crash's group, as the runtime groups them: its source line, else its spawn site, else its function. */
function crashGroup(c: Crash): string {
  return c.at !== null ? `${c.at.file}:${c.at.line}` : c.spawnSite !== 0 ? `site ${c.spawnSite}` : `fn ${c.fn}`;
}

/** Sets a group's total if it grew, and returns by how much. */
function raise<K>(totals: Map<K, number>, key: K, total: number): number {
  const before = totals.get(key) ?? 0;
  if (total <= before) return 0;
  totals.set(key, total);
  return total - before;
}
