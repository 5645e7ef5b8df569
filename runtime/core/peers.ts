// A scheduler's side of the other schedulers (docs/architecture.md, "Schedulers"): it sends
// messages and spawns to processes that live on another scheduler thread as envelopes over the
// mesh (runtime/mesh/), and delivers the envelopes that arrive. Only a run with more than one
// scheduler has one; with one scheduler nothing here runs.
//
// A pid names its scheduler (`id % count`). A local process becomes addressable by id once its
// pid crosses to another scheduler, or when it was spawned from one: `exported` finds it then.

import type { Scheduler } from "./scheduler.js";
import { copyTerm } from "./copy.js";
import { Process, type ProcessGenerator } from "./process.js";
import type { Liveness } from "./liveness.js";
import { budget } from "./reductions.js";
import { Counter } from "./schedulerCounters.js";
import * as signals from "./signals.js";
import type { Monitor } from "./signals.js";
import { Pid, Ref } from "./terms.js";
import { setPidDecoder, setPidEncodeHook } from "../mesh/termCodec.js";

/** What the scheduler needs of the mesh's term writer (runtime/mesh/termCodec.ts). */
export interface EnvelopeWriter {
  u8(v: number): void;
  f64(v: number): void;
  string(s: string): void;
  term(value: unknown, root?: string): void;
}

/** What the scheduler needs of the mesh's term reader. */
export interface EnvelopeReader {
  u8(): number;
  f64(): number;
  string(): string;
  term(): unknown;
}

/** What the scheduler needs of its mesh (runtime/mesh/mesh.ts). */
export interface MeshPort {
  begin(to: number): EnvelopeWriter;
  /** Returns whether the envelope waits in a spill because the ring is full. */
  end(): boolean;
  abort(): void;
  flush(): void;
  ready(): boolean;
  drain(onEnvelope: (from: number, reader: EnvelopeReader) => void): number;
  sleep(timeoutMs: number): Promise<void>;
}

const enum Envelope {
  /** A message: the receiver's id, the sender's id, whether the sender's scheduler traced it (u8), then the term. */
  Send = 1,
  /**
   * A process to start here: the function's name, the arguments, the spawn site, the new pid's id,
   * then its Tie to the spawner and what the tie needs.
   */
  Spawn = 2,
  /** The signals of signals.ts: from, to (pid ids), and what each needs. */
  Link = 3,
  Unlink = 4,
  /** from, to, the reason, and whether a link carried it. */
  Exit = 5,
  /** The monitor's ref, the watcher, the target. */
  Monitor = 6,
  Demonitor = 7,
  /** The monitor's ref, the watcher, the target, the reason. */
  Down = 8,
}

/**
 * What ties a process started elsewhere to its spawner: spawnLink's link or spawnMonitor's monitor
 * travels in the Spawn envelope and is set up before the process's first slice, so that a child
 * that dies at once still sends its exit signal or DOWN with its own reason.
 */
const enum Tie {
  None = 0,
  /** The linker's id. */
  Link = 1,
  /** The linker's id; the linker is a supervisor (Signals.supervises), so the child is its child. */
  SupervisorLink = 2,
  /** The monitor's ref (scheduler, id), then the watcher's id. */
  Monitor = 3,
}

/**
 * What schedulers share besides the rings, a line of 16 int32 each, so that two schedulers' slots
 * never share a cache line: the counter from which others take the ids of processes they start on
 * this scheduler, and, for the balancer, this scheduler's run-queue length as of its last batch and
 * how many of those processes it had started by then. SERIAL - STARTED is what is on its way.
 */
const LINE = 16;
const SERIAL = 0;
const RUN_QUEUE = 1;
const STARTED = 2;

export function newPeerCounters(count: number): SharedArrayBuffer {
  return new SharedArrayBuffer(count * LINE * 4);
}

/** A scheduler with fewer runnable processes than this starts every new process itself. */
const BALANCE_FROM = 2;

/** What the balancer learned of a process function from the processes that ran it here. */
const enum Kind {
  /** A process of it waited for a message in its first slice, and none used a whole slice: it talks. */
  Talker = 1,
  /**
   * A process of it used a whole slice computing (preempted with no mail waiting, or past its
   * budget in a plain function): it computes.
   */
  Worker = 2,
}

export class Peers {
  /** Local processes that other schedulers may address by id. */
  private readonly exported = new Map<number, Process>();
  /**
   * Messages to processes that another scheduler started here and whose Spawn envelope has not
   * arrived yet: a third scheduler that got the pid may be faster than the spawner's ring.
   */
  private readonly early = new Map<number, { msg: unknown; fromId: number; tracedBySender: boolean }[]>();
  /** Remote-allocated serials below this one all arrived; those above it that arrived are in `arrivedAbove`. */
  private arrivedBelow = 0;
  private readonly arrivedAbove = new Set<number>();
  private readonly shared: Int32Array;
  /** Processes other schedulers started here (Spawn envelopes that arrived), published with the run queue. */
  private startedHere = 0;
  private publishedStarted = 0;
  private publishedRunQueue = 0;
  /** Process functions by what their processes did here (Kind); one not in it is not known yet. */
  private readonly kinds = new Map<Function, Kind>();
  private readonly count: number;
  private readonly index: number;
  /** Envelopes sent and received; the main thread compares the totals to tell an idle run from a busy one. */
  sent = 0;
  received = 0;
  /** Envelopes ended since the last flush: the run loop publishes after a slice that sent any. */
  unflushed = 0;

  constructor(
    private readonly s: Scheduler,
    private readonly mesh: MeshPort,
    shared: SharedArrayBuffer,
    private readonly liveness: Liveness,
  ) {
    this.shared = new Int32Array(shared);
    this.count = s.count;
    this.index = s.index;
    setPidDecoder(this.pidFor);
    setPidEncodeHook(this.onPid);
  }

  /** The scheduler index (0-based) a pid lives on. */
  ownerOf(pid: Pid): number {
    return pid.id % this.count;
  }

  /** Called for every pid that an envelope carries: a local process becomes addressable by id. */
  readonly onPid = (pid: Pid): void => {
    if (pid instanceof Process && pid.status !== "exited") this.exported.set(pid.id, pid);
  };

  /** The pid an envelope names: a local process, or a plain Pid (another scheduler's, or one that ended). */
  readonly pidFor = (id: number): Pid => {
    if (id % this.count === this.index) return this.exported.get(id) ?? new Pid(id);
    return new Pid(id);
  };

  /** A local process started: alive for isAlive on every scheduler. */
  born(id: number): void {
    this.liveness.set(id);
  }

  /** A local process ended: nothing can address it by id any more. */
  exited(p: Process): void {
    this.exported.delete(p.id);
    this.liveness.clear(p.id);
  }

  /** Whether the process with this id, on any scheduler, is alive (the name table's check, registry.ts). */
  readonly isAliveId = (id: number): boolean => this.liveness.isAlive(id);

  /** Whether the process with this id (on any scheduler) is alive. */
  isAlive(pid: Pid): boolean {
    return pid instanceof Process ? pid.status !== "exited" : this.liveness.isAlive(pid.id);
  }

  /** Sends `msg` (not yet copied) to a pid that is not a local Process. */
  send(to: Pid, msg: unknown): void {
    const owner = to.id % this.count;
    const from = this.s.current!;
    if (owner === this.index) {
      this.deliverById(to.id, copyTerm(msg), from.id, false);
      return;
    }
    // A traced sender's send is recorded here, where it is traced; the receiver's scheduler records
    // it when its process is traced and the sender's scheduler did not (docs/protocol.md, section 7).
    const traced = this.s.traced.size !== 0 && this.s.traced.has(from);
    if (traced) this.s.events.record("send", from.id, to.id, msg);
    const w = this.mesh.begin(owner);
    w.u8(Envelope.Send);
    w.f64(to.id);
    w.f64(from.id);
    w.u8(traced ? 1 : 0);
    this.term(w, msg, "msg");
    this.end();
    this.s.counters[Counter.crossOut]++;
  }

  /**
   * Starts `name(...args)` on scheduler `owner` (0-based) and returns its pid at once; the process
   * starts there when the envelope arrives, before any message sent to it afterwards. With a
   * `spawner`, the child starts linked to it (spawnLink), or monitored by it with `monitorRef`
   * (spawnMonitor): the spawner's own half is the caller's to set (signals.ts, linkedSpawn and
   * monitoredSpawn).
   */
  spawn(owner: number, name: string, args: unknown[], site: number, spawner: Process | null = null, monitorRef: Ref | null = null): Pid {
    const w = this.mesh.begin(owner);
    w.u8(Envelope.Spawn);
    w.string(name);
    this.term(w, args, "args");
    w.f64(site);
    // The id is taken last, once the arguments proved sendable, so that every id taken arrives.
    const serial = Atomics.add(this.shared, owner * LINE + SERIAL, 1);
    const id = (serial * 2 + 1) * this.count + owner;
    w.f64(id);
    if (spawner === null) w.u8(Tie.None);
    else {
      // The child's exit signal or DOWN comes back addressed by the spawner's id.
      this.onPid(spawner);
      if (monitorRef !== null) {
        w.u8(Tie.Monitor);
        w.f64(monitorRef.scheduler);
        w.f64(monitorRef.id);
      } else w.u8(spawner.signals?.supervises === true ? Tie.SupervisorLink : Tie.Link);
      w.f64(spawner.id);
    }
    this.liveness.set(id);
    this.end();
    this.s.counters[Counter.placedElsewhere]++;
    return new Pid(id);
  }

  link(from: Process, to: Pid): void {
    this.signal(Envelope.Link, from, to);
  }

  unlink(from: Process, to: Pid): void {
    this.signal(Envelope.Unlink, from, to);
  }

  exitSignal(from: Pid, to: Pid, reason: unknown, viaLink: boolean): void {
    this.onPid(from);
    const w = this.mesh.begin(to.id % this.count);
    w.u8(Envelope.Exit);
    w.f64(from.id);
    w.f64(to.id);
    this.term(w, reason, "reason");
    w.u8(viaLink ? 1 : 0);
    this.end();
  }

  /** Asks the target's scheduler to watch `m.target` for the local `m.watcher`. */
  monitor(m: Monitor): void {
    this.monitorSignal(Envelope.Monitor, m);
  }

  /** Tells the target's scheduler that the monitor ended at its watcher. */
  demonitor(m: Monitor): void {
    this.monitorSignal(Envelope.Demonitor, m);
  }

  /** Tells the watcher's scheduler that the local `m.target` exited. */
  down(m: Monitor, reason: unknown): void {
    const w = this.mesh.begin(m.watcher.id % this.count);
    this.writeMonitor(w, Envelope.Down, m);
    this.term(w, reason, "reason");
    this.end();
  }

  private signal(kind: Envelope, from: Pid, to: Pid): void {
    this.onPid(from);
    const w = this.mesh.begin(to.id % this.count);
    w.u8(kind);
    w.f64(from.id);
    w.f64(to.id);
    this.end();
  }

  /** To the target's scheduler. */
  private monitorSignal(kind: Envelope, m: Monitor): void {
    this.writeMonitor(this.mesh.begin(m.target.id % this.count), kind, m);
    this.end();
  }

  private writeMonitor(w: EnvelopeWriter, kind: Envelope, m: Monitor): void {
    // Pids written as raw ids, not as terms, so the hook that makes a local process addressable is called here.
    this.onPid(m.watcher);
    this.onPid(m.target);
    w.u8(kind);
    w.f64(m.ref.scheduler);
    w.f64(m.ref.id);
    w.f64(m.watcher.id);
    w.f64(m.target.id);
  }

  /** Writes a term into the envelope begun last; an unsendable one drops the envelope, so nothing half-written is read. */
  private term(w: EnvelopeWriter, value: unknown, root: string): void {
    try {
      w.term(value, root);
    } catch (error) {
      this.mesh.abort();
      throw error;
    }
  }

  /** Ends the envelope begun last and counts it (heartbeat.ts compares sent and received). */
  private end(): void {
    // A sender that outruns the reader of a full ring gives up the rest of its slice, so that what
    // waits in the spill stays short and the scheduler's other processes (and the flush) run.
    if (this.mesh.end() && budget.r > 0) budget.r = 0;
    this.sent++;
    this.unflushed++;
  }

  /**
   * The balancer: where a new process running `fn` starts (0-based). On the spawner's scheduler,
   * unless its run queue is longer than another's by more than one. Another's load is its run queue
   * as of its last batch, plus the processes any scheduler placed there that it had not started by
   * then. A function whose processes talk (they wait for messages and never use a whole slice) keeps
   * them with their spawners, where a message costs a fraction of a crossing; one whose processes
   * compute, or that has not run here yet, is spread. A closure always starts here. A live process
   * never moves (docs/architecture.md, "Schedulers").
   */
  place(fn: Function): number {
    const own = this.s.runQueue.length;
    if (own < BALANCE_FROM || this.kinds.get(fn) === Kind.Talker || this.s.functions.nameFor(fn) === undefined) return this.index;
    let best = this.index;
    let bestLoad = own - 1;
    for (let k = 0; k < this.count; k++) {
      if (k === this.index) continue;
      const load = this.loadOf(k);
      if (load < bestLoad) {
        best = k;
        bestLoad = load;
      }
    }
    return best;
  }

  /**
   * Scheduler k's runnable processes as it published them, plus those placed there and not yet
   * started. STARTED is read before the run queue, which k stores first: a reader that sees the new
   * count sees the run queue that holds those processes.
   */
  private loadOf(k: number): number {
    const shared = this.shared;
    const started = Atomics.load(shared, k * LINE + STARTED);
    const queued = Atomics.load(shared, k * LINE + RUN_QUEUE);
    return queued + ((Atomics.load(shared, k * LINE + SERIAL) - started) | 0);
  }

  /** A process of `p`'s function waited for a message in its first slice: unless others computed, keep them with their spawners. */
  waitedFirst(p: Process): void {
    if (this.kinds.get(p.fn) === undefined) this.kinds.set(p.fn, Kind.Talker);
  }

  /** A process used a whole slice: its function's processes are spread by the balancer from now on. */
  ranLong(p: Process): void {
    if (this.kinds.get(p.fn) !== Kind.Worker) this.kinds.set(p.fn, Kind.Worker);
  }

  /** Delivers what arrived; returns how many envelopes. */
  drain(): number {
    return this.mesh.drain(this.onEnvelope);
  }

  /**
   * Publishes this scheduler's run-queue length and how many placed processes it started, for the
   * others' balancers, then what was written to the rings since the last flush (and what waited in
   * a spill): a peer that reads an envelope sent now also sees the load as of now.
   */
  flush(): void {
    const at = this.index * LINE;
    // One runnable process or none makes no difference to a balancer (BALANCE_FROM), and a process
    // that talks across schedulers makes that change at every message.
    const queued = this.s.runQueue.length;
    if (queued !== this.publishedRunQueue && (queued > 1 || this.publishedRunQueue > 1)) {
      this.publishedRunQueue = queued;
      Atomics.store(this.shared, at + RUN_QUEUE, queued);
    }
    if (this.startedHere !== this.publishedStarted) {
      this.publishedStarted = this.startedHere;
      Atomics.store(this.shared, at + STARTED, this.startedHere);
    }
    this.unflushed = 0;
    this.mesh.flush();
  }

  /** Whether an envelope waits to be drained. */
  ready(): boolean {
    return this.mesh.ready();
  }

  sleep(timeoutMs: number): Promise<void> {
    return this.mesh.sleep(timeoutMs);
  }

  private readonly onEnvelope = (_from: number, r: EnvelopeReader): void => {
    this.received++;
    const kind = r.u8();
    switch (kind) {
      case Envelope.Send: {
        this.s.counters[Counter.crossIn]++;
        const id = r.f64();
        const fromId = r.f64();
        const tracedBySender = r.u8() === 1;
        this.deliverById(id, r.term(), fromId, tracedBySender);
        break;
      }
      case Envelope.Spawn: {
        const name = r.string();
        const args = r.term() as unknown[];
        const site = r.f64();
        const id = r.f64();
        const p = this.started(id, name, args, site);
        const tie = r.u8() as Tie;
        if (tie === Tie.Monitor) {
          const ref = new Ref(r.f64(), r.f64());
          signals.monitoredFromPeer(this.s, new signals.Monitor(ref, this.pidFor(r.f64()), p));
        } else if (tie !== Tie.None) signals.linkedFromPeer(this.s, this.pidFor(r.f64()), p, tie === Tie.SupervisorLink);
        this.deliverEarly(p);
        break;
      }
      case Envelope.Link:
      case Envelope.Unlink: {
        const from = this.pidFor(r.f64());
        const toId = r.f64();
        const to = this.exported.get(toId);
        if (kind === Envelope.Unlink) to?.signals?.links?.delete(from.id);
        // A link to a process that is gone gets the "noproc" exit signal back.
        else if (to === undefined) this.exitSignal(new Pid(toId), from, "noproc", true);
        else signals.linkedFromPeer(this.s, from, to);
        break;
      }
      case Envelope.Exit: {
        const from = this.pidFor(r.f64());
        const to = this.exported.get(r.f64());
        const reason = r.term();
        const viaLink = r.u8() === 1;
        if (to !== undefined) signals.exitSignalFromPeer(this.s, from, to, reason, viaLink);
        break;
      }
      case Envelope.Monitor:
      case Envelope.Demonitor:
      case Envelope.Down: {
        const ref = new Ref(r.f64(), r.f64());
        const watcherId = r.f64();
        const targetId = r.f64();
        if (kind === Envelope.Down) {
          const reason = r.term();
          const watcher = this.exported.get(watcherId);
          if (watcher !== undefined) signals.downFromPeer(this.s, watcher, ref, this.pidFor(targetId), reason);
          break;
        }
        const target = this.exported.get(targetId);
        if (kind === Envelope.Demonitor) target?.signals?.watchers?.delete(signals.refKey(ref));
        else {
          const m = new signals.Monitor(ref, this.pidFor(watcherId), target ?? new Pid(targetId));
          if (target === undefined) this.down(m, "noproc");
          else signals.monitoredFromPeer(this.s, m);
        }
        break;
      }
      default:
        throw new Error(`scheduler ${this.index + 1}: an envelope of unknown kind ${kind} arrived; the mesh is corrupt`);
    }
  };

  /** Starts a process that another scheduler spawned here; it runs after this envelope is read. */
  private started(id: number, name: string, args: unknown[], site: number): Process {
    this.startedHere++;
    const serial = ((id - this.index) / this.count - 1) / 2;
    if (serial === this.arrivedBelow) {
      this.arrivedBelow++;
      while (this.arrivedAbove.delete(this.arrivedBelow)) this.arrivedBelow++;
    } else this.arrivedAbove.add(serial);
    const fn = this.s.functions.byKey(name);
    if (fn === undefined) {
      // Every scheduler loads the same program, so this is Beamline's bug, not the program's.
      throw new Error(`scheduler ${this.index + 1}: no process function named ${name} to start ${new Pid(id)}`);
    }
    const p = this.s.spawn(fn as (...args: unknown[]) => ProcessGenerator, args, site, id);
    this.exported.set(id, p);
    return p;
  }

  /** Messages that a third scheduler sent to `p` before its Spawn envelope arrived, after its tie to its spawner. */
  private deliverEarly(p: Process): void {
    const waiting = this.early.get(p.id);
    if (waiting !== undefined) {
      this.early.delete(p.id);
      for (const m of waiting) this.deliverTo(p, m.msg, m.fromId, m.tracedBySender);
    }
  }

  /** Delivers with its sender by id, made a Pid only while something is traced (a message between schedulers is hot). */
  private deliverTo(p: Process, msg: unknown, fromId: number, tracedBySender: boolean): void {
    this.s.deliverFrom(p, msg, this.s.traced.size === 0 ? null : this.pidFor(fromId), tracedBySender);
  }

  /** Delivers a copied message to a local process by id: one that ended drops it, one not yet started keeps it. */
  private deliverById(id: number, msg: unknown, fromId: number, tracedBySender: boolean): void {
    const p = this.exported.get(id);
    if (p !== undefined) {
      this.deliverTo(p, msg, fromId, tracedBySender);
      return;
    }
    const k = (id - this.index) / this.count;
    if (k % 2 === 1) {
      const serial = (k - 1) / 2;
      if (serial >= this.arrivedBelow && !this.arrivedAbove.has(serial)) {
        const waiting = this.early.get(id);
        const early = { msg, fromId, tracedBySender };
        if (waiting === undefined) this.early.set(id, [early]);
        else waiting.push(early);
      }
    }
  }
}
