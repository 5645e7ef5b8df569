// One scheduler: a run queue, a timer heap and the processes it runs, in one thread.
// It runs each runnable process for one slice (a reduction budget), then the next, FIFO.
// Today one scheduler thread runs one of these; pids already encode their scheduler
// (`id % count`), so that a message could be routed without asking anyone (docs/architecture.md).
// The counters it keeps for telemetry are incremental (never a scan over all processes).

import { mailboxBucket } from "../../protocol/frames.js";
import { EventRing } from "../telemetry/eventRing.js";
import type { InstrumentedSite } from "../loader/instrument.js";
import { crashReason, ProcessExit } from "./exitReason.js";
import { MessageNode, Process, TIMED_OUT, type ProcessGenerator } from "./process.js";
import { AwaitReply, yieldedReceiveError } from "./receive.js";
import { budget, WAIT } from "./reductions.js";
import { beatSliceBegins, beatSliceEnds, Heartbeat, newHeartbeat, writeOverrunSite } from "./heartbeat.js";
import type { Peers } from "./peers.js";
import { ProcessFunctions } from "./processFunctions.js";
import type { NameTable } from "./nameTable.js";
import { Registry } from "./registry.js";
import { RunQueue } from "./runQueue.js";
import { Counter, newCounters } from "./schedulerCounters.js";
import { NOT_EXITED, propagateExit, unwatchCallee } from "./signals.js";
import { Ref, type Pid } from "./terms.js";
import { ARMING, Timer, TimerHeap } from "./timers.js";

/** What a process ended with: "normal", a CrashReason (exitReason.ts) if it threw, or any term it was given. */
export type ExitReason = unknown;

/** The kinds of signal observers hear of; they are also trace event kinds (protocol/frames.ts). */
export type SignalKind = "link" | "unlink" | "monitor" | "demonitor" | "exit-signal";

/** What supervisors report (docs/api.md, "Supervisors"): a restart, or giving up after too many. */
export type FaultEvent =
  | { kind: "restart"; supervisor: Process; childId: string; oldPid: number; newPid: number; reason: unknown }
  | { kind: "gave-up"; supervisor: Process; restarts: number; periodMs: number; reason: unknown };

/** Who hears of exits and overruns: the scheduler thread's host, the test harness, telemetry. */
export interface SchedulerObserver {
  /**
   * A process ended; `crashed` says whether it threw (a process ended by an exit signal did not,
   * whatever its reason). Processes it took down through links end after this call.
   */
  exited(p: Process, reason: ExitReason, crashed: boolean): void;
  /**
   * A link, unlink, monitor, demonitor, or an exit signal that reached a live process (`reason`
   * only for those). One side may be a process on another scheduler (a plain Pid).
   */
  signal(kind: SignalKind, from: Pid, to: Pid, reason: unknown): void;
  /** A supervisor restarted a child or gave up. */
  fault(event: FaultEvent): void;
  /** A slice that ran past its budget inside a plain function, which cannot be preempted, ended `ms` milliseconds after it overran. */
  nonPreemptible(p: Process, site: string, ms: number): void;
}

/** Per-site counters for code lenses, indexed by site id (0 = unknown). */
export class SiteCounters {
  readonly live: Float64Array;
  readonly queued: Float64Array;
  readonly reductions: Float64Array;
  readonly waiting: Float64Array;
  constructor(readonly size: number) {
    this.live = new Float64Array(size);
    this.queued = new Float64Array(size);
    this.reductions = new Float64Array(size);
    this.waiting = new Float64Array(size);
  }
}

/**
 * The counter slots that every send, receive and slice bumps, as numbers: the build compiles an
 * enum's members to numbers only in the file that declares it, and each read of Counter's from
 * another module cost about 11 instructions, 6.6% of a round trip (docs/performance.md, "Counter
 * slots as numbers"). Mirrors Counter (test/schedulerCounters.test.ts checks that they agree).
 */
export enum Hot {
  reductions = 0,
  slices = 1,
  sends = 2,
  receives = 3,
  spawns = 4,
  exits = 5,
  processes = 10,
  waiting = 11,
  queued = 12,
  histogram = 18,
}

/** With telemetry on, a process whose mailbox reaches this length is watched for warnings. */
export const WATCH_MAILBOX = 50;

/**
 * The longest a scheduler with nothing to run polls the rings before it sleeps. The spin adapts
 * (see spinForPeers): it halves after each spin that found nothing, down to MIN_SPIN_MS, and comes
 * back in full when a spin finds an envelope or a sleep is ended by a peer sooner than this.
 */
const PEER_SPIN_MS = 0.2;
/**
 * The shortest spin: it costs little, and a peer that answers within it restores the full spin,
 * which a wake-up through the event loop, slower than PEER_SPIN_MS on a busy machine, may not.
 */
const MIN_SPIN_MS = 0.01;

/** An idle scheduler wakes this often even when no doorbell rang, as a safety net. */
const PEER_SLEEP_MS = 1000;

/** Run this long at most before letting the thread's event loop handle control messages. */
const MAX_RUN_MS = 20;
/** Timeouts this long or longer are armed on the run loop's clock instead of a fresh reading (armTimer). */
const LONG_TIMEOUT_MS = 1000;
/** How many taken mailbox nodes a scheduler keeps for reuse: a drained long queue frees the rest. */
const MAX_SPARE_NODES = 1024;
/** The most slices the run loop runs between two readings of the clock, exchanges and timer checks. */
const BATCH_SLICES = 64;
/** How many long timeouts armTimer defers before it puts them into the heap: each slice of a batch parks at most once. */
const MAX_ARMING = BATCH_SLICES;

/** Virtual milliseconds a reduction takes under --seed: 0.1 µs, so a 2,000-reduction slice is 0.2 ms. */
export const VIRTUAL_MS_PER_REDUCTION = 0.0001;

/**
 * The thread's real clock, taken before a seeded run makes `performance.now` read the virtual
 * clock (virtualClock.ts): slices, timeouts on real time and overrun reports stay on real time.
 */
const realNow = performance.now.bind(performance);

export class Scheduler {
  index = 0;
  count = 1;
  /**
   * Local ids step by this: `count` with one scheduler; with more, twice that, so that the odd
   * multiples stay free for processes other schedulers start here (peers.ts).
   */
  idStride = 1;
  /** The other schedulers, when there are any (peers.ts). */
  peers: Peers | null = null;
  /** The program's process functions by name, for spawns from other schedulers. */
  readonly functions = new ProcessFunctions();
  reductionBudget = 2000;
  /** With `--seed`, each slice gets a seeded random budget, so a seed picks one repeatable interleaving. */
  random: (() => number) | undefined = undefined;
  /**
   * With `--seed`, time is virtual (docs/api.md, "Repeatable runs"): it advances by the reductions
   * processes spend, and when no process can run it jumps to the next timer's deadline, so which
   * `after` fires first depends on the seed only, never on the machine's speed.
   */
  virtualTime = false;
  /** The virtual clock in milliseconds, as of the start of the running slice (or between slices). */
  virtualNow = 0;
  readonly runQueue = new RunQueue();
  readonly timers = new TimerHeap();
  /** Registered names: this thread's own with one scheduler, the node-wide table's with several (connect). */
  registry: Registry<Pid> = new Registry();
  /** Live processes, newest first, linked through the processes themselves. */
  newestLive: Process | null = null;
  /** Always-on totals (see schedulerCounters.ts), shared with the main thread. */
  counters: Float64Array = newCounters();
  private siteCounters = new SiteCounters(1);
  /** How many site ids there are (0 for unknown, then the loader's): a process's sites are below. */
  siteCount = 1;
  // The arrays of siteCounters, read straight from the scheduler on every send, receive and slice.
  private siteLive = this.siteCounters.live;
  private siteQueued = this.siteCounters.queued;
  private siteWaiting = this.siteCounters.waiting;
  private siteReductions = this.siteCounters.reductions;

  /** Per spawn or wait site (the loader's ids), what the code lenses show. */
  get sites(): SiteCounters {
    return this.siteCounters;
  }

  set sites(sites: SiteCounters) {
    this.siteCounters = sites;
    this.siteCount = sites.size;
    this.siteLive = sites.live;
    this.siteQueued = sites.queued;
    this.siteWaiting = sites.waiting;
    this.siteReductions = sites.reductions;
  }
  /** The loader's sites by id - 1, where the program's source positions are: for errors that name the user's line. */
  sourceSites: readonly InstrumentedSite[] = [];
  /**
   * The process whose receive (or call, or sleep) began and was not stepped into yet: a process
   * that yields while it is here wrote `yield receive(...)` instead of `yield* receive(...)`.
   */
  unsteppedReceive: Process | null = null;
  current: Process | null = null;
  /** See observe(); a list, so that the host and a test harness never overwrite each other. */
  private observers: readonly Partial<SchedulerObserver>[] = [];
  /** Read by the main thread's watchdog (heartbeat.ts). */
  heartbeat: Int32Array<ArrayBufferLike> = new Int32Array(newHeartbeat());
  /**
   * With telemetry on: processes changed in the current interval, and pids that ended. Only
   * processes that a frame has listed (an id up to `announcedMaxId`) are tracked: newer ones are
   * listed by a later tick as they are, and if they end before it, no viewer needs to hear of them.
   */
  changed: Process[] | null = null;
  removed: number[] = [];
  /** With telemetry on: listed processes whose registered name changed in the interval (a delta sends them whole). */
  readonly renamed = new Set<Process>();
  /** With telemetry on: processes whose mailbox reached WATCH_MAILBOX, listed or not yet. */
  readonly watched = new Set<Process>();
  interval = 1;
  announcedMaxId = 0;
  /**
   * With telemetry on: the oldest live process that no frame has listed yet, and how many such
   * processes live. Deltas list them oldest first, a bounded number per tick (see
   * schedulerTelemetry.ts), so every unlisted process is newer than every listed one.
   */
  oldestUnlisted: Process | null = null;
  unlisted = 0;
  /** The id of the latest spawned process. */
  lastSpawnedId = 0;
  /** Processes whose events are recorded, and the bounded ring they go to. */
  readonly traced = new Set<Process>();
  readonly events = new EventRing(10_000);

  /** Processes that exit signals ended, waiting their turn: see exitBySignal. */
  private readonly dying: unknown[] = [];
  /**
   * Taken mailbox nodes, linked through `next`, for the next deliveries: a reused node is old, so
   * storing it into an old process's mailbox needs no write-barrier call, only its message does
   * (docs/performance.md, "Mailbox nodes reused").
   */
  private spareNodes: MessageNode | null = null;
  private spareCount = 0;
  /** Processes that armed a long timeout in this batch, with its deadline: see armTimer. */
  private readonly arming: (Process | null)[] = new Array(MAX_ARMING).fill(null);
  private readonly armingDeadlines = new Float64Array(MAX_ARMING);
  private armingCount = 0;
  private draining = false;
  private nextSerial = 1;
  private nextRef = 1;
  private running = false;
  private scheduled = false;
  /** Waiting for another scheduler's doorbell (peers.ts). */
  private sleeping = false;
  /** How long the next idle spin may poll the rings (spinForPeers). */
  private spinMs = PEER_SPIN_MS;
  private nodeTimer: NodeJS.Timeout | undefined = undefined;
  private overrunAt = 0;
  /** The real clock at the start of the current batch of slices. */
  private clock = realNow();
  /** The budget the running slice was granted, so that the virtual clock can count what it used so far. */
  private granted = 0;

  constructor() {
    budget.onOverrun = (site) => {
      if (this.current === null) return;
      const peers = this.peers;
      if (peers !== null) {
        peers.ranLong(this.current);
        // What the batch sent to other schedulers so far goes out now, not when the batch ends:
        // this slice may run for long without yielding (a plain function), and a peer may be idle,
        // waiting for it. Short slices leave it to the batch's end, which saves a check on every
        // slice (docs/performance.md, "Mailbox nodes reused").
        if (peers.unflushed !== 0) peers.flush();
      }
      this.overrunAt = realNow();
      writeOverrunSite(this.heartbeat, site);
    };
  }

  /** Joins the other schedulers of the run, once the program is loaded here: what they sent is delivered from now on. */
  connect(peers: Peers, names: NameTable): void {
    this.peers = peers;
    this.registry = new Registry<Pid>({ table: names, pidFor: peers.pidFor, isAlive: peers.isAliveId });
    this.wake();
  }

  /** Adds an observer of exits and overruns; returns the function that removes it. */
  observe(observer: Partial<SchedulerObserver>): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
    };
  }

  get liveCount(): number {
    return this.counters[Hot.processes]!;
  }

  /**
   * Starts a process, under a new id of this scheduler or under `id`, taken already by another
   * scheduler that spawned it here (peers.ts): one way to start a process, whoever asked.
   */
  spawn(fn: (...args: unknown[]) => ProcessGenerator, args: unknown[], site: number, id = this.nextSerial++ * this.idStride + this.index): Process {
    const p = new Process(id, fn, args);
    if (this.peers !== null) this.peers.born(id);
    p.spawnSite = site < this.siteCount ? site : 0;
    this.lastSpawnedId = id;
    const newest = this.newestLive;
    if (newest !== null) newest.prevLive = p;
    p.nextLive = newest;
    this.newestLive = p;
    if (this.changed !== null) {
      this.unlisted++;
      this.oldestUnlisted ??= p;
    }
    const c = this.counters;
    c[Hot.processes]++;
    c[Hot.spawns]++;
    c[Hot.histogram]++;
    this.siteLive[p.spawnSite]++;
    if (this.traced.size !== 0 && this.current !== null && this.traced.has(this.current)) {
      this.events.record("spawn", this.current.id, id, fn.name);
    }
    this.runQueue.push(p);
    this.wake();
    return p;
  }

  makeRef(): Ref {
    return new Ref(this.index, this.nextRef++);
  }

  /**
   * Puts an already copied message that the running process sent into a local process's mailbox,
   * waking it if it waits. Two arguments only: every local send and reply comes here, and the
   * sender's other cases (deliverFrom) made it cost 1.4% more per round trip (docs/performance.md, "Where issue 14's rows stand").
   */
  deliver(p: Process, msg: unknown): void {
    if (this.traced.size !== 0) this.traceSend(p, msg, this.current);
    this.putInMailbox(p, msg);
  }

  /**
   * deliver for a message that the running process did not send: `from` sent it (null: no
   * process did, a telemetry client's `send` request); `tracedBySender` when another scheduler
   * traced the send already.
   */
  deliverFrom(p: Process, msg: unknown, from: Pid | null, tracedBySender: boolean): void {
    if (this.traced.size !== 0 && !tracedBySender) this.traceSend(p, msg, from);
    this.putInMailbox(p, msg);
  }

  /** The mailbox half of deliver and deliverFrom. */
  private putInMailbox(p: Process, msg: unknown): void {
    const c = this.counters;
    c[Hot.sends]++;
    if (p.status === "exited") return;
    let node = this.spareNodes;
    if (node === null) node = new MessageNode(msg);
    else {
      this.spareNodes = node.next;
      this.spareCount--;
      node.next = null;
      node.msg = msg;
    }
    p.enqueue(node);
    const length = p.mailboxLength;
    c[Hot.queued]++;
    // The histogram bucket only changes when the length reaches a power of two. From 0 to 1, the
    // common case of a process that takes each message as it comes, the buckets are known.
    if (length === 1) {
      c[Hot.histogram]--;
      c[Hot.histogram + 1]++;
    } else if ((length & (length - 1)) === 0) {
      c[Hot.histogram + mailboxBucket(length - 1)]--;
      c[Hot.histogram + mailboxBucket(length)]++;
    }
    this.siteQueued[p.spawnSite]++;
    if (length === WATCH_MAILBOX && this.changed !== null) this.watched.add(p);
    this.markChanged(p);
    if (p.status === "waiting") this.makeRunnable(p);
  }

  /** Accounts for a message that receive took out of `p`'s mailbox, and keeps its unlinked node for reuse. */
  took(p: Process, node: MessageNode): void {
    const msg = node.msg;
    node.msg = undefined;
    if (this.spareCount < MAX_SPARE_NODES) {
      node.next = this.spareNodes;
      this.spareNodes = node;
      this.spareCount++;
    }
    const c = this.counters;
    const length = p.mailboxLength;
    c[Hot.receives]++;
    c[Hot.queued]--;
    // As in putInMailbox: from 1 to 0 the buckets are known.
    if (length === 0) {
      c[Hot.histogram + 1]--;
      c[Hot.histogram]++;
    } else if (((length + 1) & length) === 0) {
      c[Hot.histogram + mailboxBucket(length + 1)]--;
      c[Hot.histogram + mailboxBucket(length)]++;
    }
    this.siteQueued[p.spawnSite]--;
    if (this.traced.size !== 0 && this.traced.has(p)) this.events.record("receive", p.id, 0, msg);
  }

  /** The process waits in a receive; `p.waitSite` says where. */
  park(p: Process): void {
    // A process that waits in its first slice tells the balancer its function is a talker (peers.ts).
    if (this.peers !== null && p.reductions === 0) this.peers.waitedFirst(p);
    p.status = "waiting";
    this.counters[Hot.waiting]++;
    this.siteWaiting[p.waitSite]++;
  }

  /**
   * Marks a process as changed in this telemetry interval (a name, a mailbox, a slice). It runs on
   * every delivery and slice, so after the first change of an interval it is one comparison.
   */
  markChanged(p: Process): void {
    if (p.changedIn !== this.interval) this.firstChange(p);
  }

  /** A registered name was taken or freed: a listed process goes whole into the next delta. */
  markRenamed(p: Process): void {
    this.markChanged(p);
    if (this.changed !== null && p.id <= this.announcedMaxId) this.renamed.add(p);
  }

  /** A process's first change in this interval: a listed one goes into the next delta. */
  private firstChange(p: Process): void {
    p.changedIn = this.interval;
    if (this.changed !== null && p.id <= this.announcedMaxId) this.changed.push(p);
  }

  /** The live process with this id; a walk over the live list, for the rare lookups that have no Process. */
  find(id: number): Process | undefined {
    for (let p = this.newestLive; p !== null; p = p.nextLive) if (p.id === id) return p;
    return undefined;
  }

  /** The clock processes see: the virtual clock under --seed (counting the running slice's reductions so far), else the real one. */
  now(): number {
    if (!this.virtualTime) return realNow();
    return this.current === null ? this.virtualNow : this.virtualNow + (this.granted - budget.r + budget.o) * VIRTUAL_MS_PER_REDUCTION;
  }

  /** Starts (or restarts at 0) the virtual clock of a seeded run. */
  useVirtualTime(on: boolean): void {
    this.virtualTime = on;
    this.virtualNow = 0;
  }

  armTimer(p: Process, ms: number): void {
    // Virtual time is exact. On real time, long timeouts (a call's 5 s) use the run loop's clock,
    // read once per batch, plus a margin of 1% (10 ms or more), larger than its staleness even when
    // the OS paused the thread for a few ms after the read, so they never fire early; shorter ones
    // read the clock, since a pause that the margin of a 150 ms timeout (2 ms) did not cover made
    // one fire early on a loaded machine.
    if (!this.virtualTime && ms >= LONG_TIMEOUT_MS) {
      // A long timeout goes into the heap at the end of the batch, if its receive still waits
      // then: most calls have their reply sooner, and their timer then costs no heap entry.
      if (this.armingCount === MAX_ARMING) this.armPending();
      const i = this.armingCount++;
      this.arming[i] = p;
      this.armingDeadlines[i] = this.clock + ms + ms / 100;
      p.timer = ARMING;
      return;
    }
    const timer = new Timer(this.virtualTime ? this.now() + ms : realNow() + ms, p);
    p.timer = timer;
    this.timers.add(timer);
  }

  cancelTimer(p: Process): void {
    if (p.timer instanceof Timer) this.timers.cancel(p.timer);
    p.timer = null;
  }

  /**
   * Puts the long timeouts armed since the last call into the heap, those whose receive still
   * waits. The latest arming of a process comes first, so a process that armed twice in the batch
   * gets the later deadline and its earlier entry is skipped.
   */
  private armPending(): void {
    for (let i = this.armingCount - 1; i >= 0; i--) {
      const p = this.arming[i]!;
      this.arming[i] = null;
      if (p.timer !== ARMING) continue;
      const timer = new Timer(this.armingDeadlines[i]!, p);
      p.timer = timer;
      this.timers.add(timer);
    }
    this.armingCount = 0;
  }

  /** Ends a process: frees its name, mailbox and timer, and tells the observers. */
  exit(p: Process, reason: ExitReason, crashed: boolean): void {
    if (p.status === "exited") return;
    if (p.status === "waiting") this.unpark(p);
    p.status = "exited";
    const c = this.counters;
    c[Hot.queued] -= p.mailboxLength;
    c[Hot.histogram + mailboxBucket(p.mailboxLength)]--;
    c[Hot.processes]--;
    c[Hot.exits]++;
    this.siteLive[p.spawnSite]--;
    this.siteQueued[p.spawnSite] -= p.mailboxLength;
    p.body = null;
    p.head = p.tail = p.scanAfter = null;
    if (p.signals !== null) p.signals.handlers = null;
    p.mailboxLength = 0;
    this.cancelTimer(p);
    if (p.clauses instanceof AwaitReply) unwatchCallee(p.clauses);
    if (this.changed !== null) {
      if (p.id <= this.announcedMaxId) this.removed.push(p.id);
      else {
        // No viewer heard of it, so none needs to hear that it ended.
        this.unlisted--;
        if (this.oldestUnlisted === p) this.oldestUnlisted = p.prevLive;
      }
    }
    this.unlinkLive(p);
    if (this.peers !== null) this.peers.exited(p);
    if (this.traced.size !== 0 && this.traced.delete(p)) this.events.record(crashed ? "crash" : "exit", p.id, 0, reason);
    for (const o of this.observers) o.exited?.(p, reason, crashed);
    // After the observers, so that a crash report can still name the process.
    this.registry.release(p);
    if (p.signals !== null) propagateExit(this, p, p.signals, reason);
  }

  /**
   * Ends a process that an exit signal reached. A chain of linked processes ends one after another
   * from a queue, not by recursion, so that a long chain cannot overflow the stack.
   */
  exitBySignal(p: Process, reason: ExitReason): void {
    const dying = this.dying;
    dying.push(p, reason);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let i = 0; i < dying.length; i += 2) this.exit(dying[i] as Process, dying[i + 1], false);
    } finally {
      dying.length = 0;
      this.draining = false;
    }
  }

  /** Wakes a caller whose callee exited: its call throws CallExitError (receive.ts). */
  wakeCaller(p: Process): void {
    if (p.status === "waiting") this.makeRunnable(p);
  }

  /** Tells observers of a signal, and records it if either process is traced. */
  noteSignal(kind: SignalKind, from: Pid, to: Pid, reason: unknown): void {
    for (const o of this.observers) o.signal?.(kind, from, to, reason);
    if (this.traced.size !== 0 && (this.traced.has(from as Process) || this.traced.has(to as Process))) this.events.record(kind, from.id, to.id, reason ?? "");
  }

  /** A supervisor's restart or surrender, for telemetry and traces. */
  reportFault(event: FaultEvent): void {
    for (const o of this.observers) o.fault?.(event);
    if (event.kind === "restart" && this.traced.has(event.supervisor)) {
      this.events.record("restart", event.supervisor.id, event.newPid, [event.childId, event.reason]);
    }
  }

  /** Stops a process from outside the program (a telemetry client's kill), untrappable like `exit(pid, "kill")`. */
  kill(p: Process, reason: ExitReason = "killed"): void {
    this.exitBySignal(p, reason);
  }

  /** A send is recorded with its sender, pid 0 when no process sent it (docs/protocol.md, section 7, type 5). */
  private traceSend(to: Process, msg: unknown, from: Pid | null): void {
    if (this.traced.has(to) || (from !== null && this.traced.has(from as Process))) this.events.record("send", from?.id ?? 0, to.id, msg);
  }

  private unlinkLive(p: Process): void {
    if (p.prevLive === null) this.newestLive = p.nextLive;
    else p.prevLive.nextLive = p.nextLive;
    if (p.nextLive !== null) p.nextLive.prevLive = p.prevLive;
    p.prevLive = p.nextLive = null;
  }

  private unpark(p: Process): void {
    this.counters[Hot.waiting]--;
    this.siteWaiting[p.waitSite]--;
  }

  private makeRunnable(p: Process): void {
    if (p.status === "waiting") this.unpark(p);
    p.status = "runnable";
    this.runQueue.push(p);
    this.wake();
  }

  /** Makes sure the run loop will run soon; inside the run loop there is nothing to do. */
  private wake(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.runLoop);
  }

  private readonly runLoop = (): void => {
    this.scheduled = false;
    this.running = true;
    const peers = this.peers;
    if (peers !== null) Atomics.store(this.heartbeat, Heartbeat.idle, 0);
    const started = realNow();
    let now = started;
    for (;;) {
      this.clock = now;
      if (peers !== null) this.exchange(peers);
      if (this.armingCount !== 0) this.armPending();
      this.fireTimers(this.virtualTime ? this.virtualNow : now);
      if (this.runQueue.length === 0) {
        if (peers !== null && !this.virtualTime && this.spinForPeers(peers)) continue;
        if (!this.virtualTime || this.timers.size === 0) break;
        // Virtual time: nothing can run, so the clock jumps to the next deadline at once.
        this.virtualNow = Math.max(this.virtualNow, this.timers.nextDeadline);
        continue;
      }
      // Reading the clock costs about 100 ns here, so it is read after a batch of short slices,
      // or after any slice that spent its whole budget (such a slice may have been long). The
      // batch does nothing else: what its slices sent to other schedulers goes out after it, or
      // when a slice overruns (budget.onOverrun).
      for (let i = 0; i < BATCH_SLICES && this.runQueue.length > 0; i++) if (this.runSlice(this.runQueue.shift()!)) break;
      now = realNow();
      if (now - started > MAX_RUN_MS) break;
    }
    this.running = false;
    if (this.armingCount !== 0) this.armPending();
    this.counters[Counter.busyMs] += now - started;
    this.counters[Counter.runQueue] = this.runQueue.length;
    if (peers !== null) this.exchange(peers);
    if (this.runQueue.length > 0 || (this.virtualTime && this.timers.size > 0)) {
      // The exchange above may have woken a process and scheduled the loop already. Two pending
      // run loops would each schedule two more: the event loop's other work (telemetry ticks, the
      // main thread's requests) waited longer at every turn.
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.runLoop);
      }
    } else {
      this.armNodeTimer();
      if (peers !== null) this.sleepUntilPeersRing(peers);
    }
  };

  /** Sends what the batch wrote to other schedulers, and delivers what they sent. */
  private exchange(peers: Peers): void {
    // Drain first: what arrives may send at once (a DOWN for a monitor of a process that is gone, an
    // exit signal down a link), and that must be published now, not when this scheduler next wakes.
    if (peers.drain() > 0) Atomics.store(this.heartbeat, Heartbeat.received, peers.received | 0);
    peers.flush();
    const sent = peers.sent | 0;
    if (sent !== this.heartbeat[Heartbeat.sent]) Atomics.store(this.heartbeat, Heartbeat.sent, sent);
  }

  /**
   * With nothing to run, first polls the rings for a short while, as the BEAM's schedulers busy-wait
   * before they sleep: a reply from another scheduler usually comes within microseconds, and
   * waking from a sleep through the event loop costs far more (docs/performance.md). Returns
   * whether an envelope arrived. The spin is adaptive, as the BEAM's is: each spin that found
   * nothing halves the next one, down to 10 µs, so that a scheduler whose peers are quiet, or have
   * no core to answer on, gives its core away; an envelope found, or a quick wake-up by a peer
   * (wokeUp), restores it.
   */
  private spinForPeers(peers: Peers): boolean {
    peers.flush();
    // A reply often comes within a microsecond or two: poll before paying for a clock read.
    for (let i = 0; i < 64; i++) {
      if (peers.ready()) {
        this.spinMs = PEER_SPIN_MS;
        return true;
      }
    }
    const until = Math.min(realNow() + this.spinMs, this.timers.nextDeadline);
    do {
      for (let i = 0; i < 64; i++) {
        if (peers.ready()) {
          this.spinMs = PEER_SPIN_MS;
          return true;
        }
      }
    } while (realNow() < until);
    this.spinMs = this.spinMs / 2 < MIN_SPIN_MS ? MIN_SPIN_MS : this.spinMs / 2;
    return false;
  }

  /**
   * With nothing to run, the thread waits for another scheduler's doorbell (and its own timers,
   * armed apart). It says it is idle, so that the main thread can tell when every scheduler waits
   * and no envelope is in flight: then no process can ever run again.
   */
  private sleepUntilPeersRing(peers: Peers): void {
    if (this.timers.size === 0) Atomics.store(this.heartbeat, Heartbeat.idle, 1);
    if (this.sleeping) return;
    this.sleeping = true;
    const sleptAt = realNow();
    void peers.sleep(PEER_SLEEP_MS).then(this.wokeUp(peers, sleptAt));
  }

  /**
   * What runs when a sleep ends: the run loop at once, not after another turn of the event loop.
   * A peer that rang within the longest spin would have been caught by one, so the spin comes back.
   */
  private wokeUp(peers: Peers, sleptAt: number): () => void {
    return () => {
      this.sleeping = false;
      if (this.spinMs < PEER_SPIN_MS && realNow() - sleptAt < PEER_SPIN_MS && peers.ready()) this.spinMs = PEER_SPIN_MS;
      if (this.running || this.scheduled) return;
      this.scheduled = true;
      this.runLoop();
    };
  }

  /** Runs one slice; returns whether the process was preempted (it used its whole budget). */
  private runSlice(p: Process): boolean {
    if (p.status === "exited") return false;
    this.current = p;
    p.status = "running";
    const heartbeat = this.heartbeat;
    beatSliceBegins(heartbeat, p.id);
    const granted = this.random === undefined ? this.reductionBudget : 1 + Math.floor(this.random() * this.reductionBudget);
    budget.r = granted;
    this.granted = granted;
    budget.o = 0;
    budget.overSite = undefined;
    let result: IteratorResult<unknown, unknown>;
    try {
      let body = p.body!;
      if (Array.isArray(body)) {
        // Called without a receiver, so that stacks name the user's function, not Process.
        const start = p.fn;
        body = p.body = start(...body);
      }
      result = body.next();
    } catch (error) {
      this.endSlice(p, granted);
      this.threw(p, error);
      return false;
    }
    this.endSlice(p, granted);
    // The rarer endings are methods of their own, so that this hot one stays small enough to inline.
    if (p.signals !== null && p.signals.pendingExit !== NOT_EXITED) {
      // An exit signal reached the process while it ran; it ends now that its slice is over.
      this.exitBySignal(p, p.signals.pendingExit);
      return false;
    }
    if (result.done) this.exit(p, "normal", false);
    else if (result.value !== WAIT) {
      if (result.value === p && this.unsteppedReceive === p) {
        this.yieldedReceive(p);
        return false;
      }
      // PREEMPT from an instrumented loop, or a bare `yield`: give up the rest of the slice.
      p.status = "runnable";
      this.runQueue.push(p);
      if (budget.r > 0) return false;
      // A process preempted with mail waiting is busy talking, not computing.
      if (this.peers !== null && p.mailboxLength === 0) this.peers.ranLong(p);
      return true;
    }
    return false;
  }

  /** A slice threw: `exit(reason)` ends the process with that reason, anything else is a crash. */
  private threw(p: Process, error: unknown): void {
    if (error instanceof ProcessExit) this.exit(p, error.reason, false);
    else this.exit(p, crashReason(error), true);
  }

  /** A receive the process yielded instead of delegating to: it would get undefined back. */
  private yieldedReceive(p: Process): void {
    this.exit(p, crashReason(yieldedReceiveError(p, this.sourceSites)), true);
  }

  private endSlice(p: Process, granted: number): void {
    const used = granted - budget.r + budget.o;
    if (this.virtualTime) this.virtualNow += used * VIRTUAL_MS_PER_REDUCTION;
    p.reductions += used;
    const c = this.counters;
    c[Hot.reductions] += used;
    c[Hot.slices]++;
    this.siteReductions[p.spawnSite] += used;
    this.markChanged(p);
    beatSliceEnds(this.heartbeat);
    this.current = null;
    if (budget.overSite !== undefined) this.endedNonPreemptible(p, budget.overSite);
  }

  private endedNonPreemptible(p: Process, site: string): void {
    this.counters[Counter.nonPreemptible]++;
    // The slice ran long, so the batch's clock is stale: long timeouts armed next read it (armTimer).
    this.clock = realNow();
    const ms = this.clock - this.overrunAt;
    for (const o of this.observers) o.nonPreemptible?.(p, site, ms);
  }

  private fireTimers(now: number): void {
    let timer: Timer | undefined;
    while ((timer = this.timers.popDue(now)) !== undefined) {
      const p = timer.process;
      p.timer = TIMED_OUT;
      if (p.status === "waiting") this.makeRunnable(p);
    }
  }

  /** When only timers are left, sleep the thread until the earliest one. */
  private armNodeTimer(): void {
    if (this.nodeTimer !== undefined) clearTimeout(this.nodeTimer);
    this.nodeTimer = undefined;
    const deadline = this.timers.nextDeadline;
    if (deadline === Infinity) return;
    this.nodeTimer = setTimeout(() => {
      this.nodeTimer = undefined;
      this.wake();
    }, Math.max(0, Math.ceil(deadline - realNow())));
  }
}

/** The scheduler of this thread. */
export const scheduler = new Scheduler();
