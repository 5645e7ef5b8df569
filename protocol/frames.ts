// The binary frames of the telemetry stream: scheduler samples, process keyframe pages and deltas,
// per-site aggregates and traced events. Every frame starts with MAGIC, PROTOCOL_VERSION and its
// FrameType. docs/protocol.md documents every field, its unit, and whether it is a delta.

import { FrameReader, FrameWriter, ProtocolError } from "./binaryCursor.js";

export const PROTOCOL_VERSION = 6;
export const MAGIC = 0xbe;

export const FrameType = {
  SchedulerSamples: 1,
  ProcessPage: 2,
  ProcessDelta: 3,
  SiteAggregates: 4,
  Events: 5,
  SampleHistory: 6,
  Past: 7,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const PROCESS_STATUSES = ["runnable", "running", "waiting", "exiting"] as const;
export type ProcessStatus = (typeof PROCESS_STATUSES)[number];

/** Trace event kinds by wire code: new kinds are appended, so that a kind keeps its code. */
export const EVENT_KINDS = ["spawn", "exit", "crash", "link", "send", "receive", "unlink", "monitor", "demonitor", "exit-signal", "restart"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Mailbox-length histogram buckets: [0], [1], [2,3], [4,7], ... [2^(n-2), ∞). */
export const MAILBOX_BUCKETS = 24;
export function mailboxBucket(length: number): number {
  return length === 0 ? 0 : Math.min(MAILBOX_BUCKETS - 1, 32 - Math.clz32(length));
}

export interface SchedulerSample {
  /** 1-based scheduler number. */
  scheduler: number;
  /** Busy time / interval time, 0..1. */
  utilization: number;
  runQueue: number;
  /** Counts during the interval (deltas). */
  reductions: number;
  slices: number;
  sends: number;
  receives: number;
  spawns: number;
  exits: number;
  /** Processes that ended by a throw (a crash); a process ended by an exit signal is not one. */
  crashes: number;
  /** Children restarted by supervisors. */
  restarts: number;
  nonPreemptible: number;
  /** Bytes used by the scheduler thread's V8 heap (one heap per thread; there is no per-process heap). */
  heapUsed: number;
  /** How long the scheduler has been inside one slice, when it is stuck (else 0), and in which process (else 0). */
  stuckMs: number;
  stuckPid: number;
  /** Live processes on this scheduler now. */
  processes: number;
  /** Spawn calls made here whose process started on another scheduler (in the interval). */
  placedElsewhere: number;
  /** Messages sent to processes on other schedulers, and received from them (in the interval). */
  crossOut: number;
  crossIn: number;
}

export interface NodeSummary {
  processes: number;
  runnable: number;
  waiting: number;
  /** Messages in all mailboxes. */
  queued: number;
  /** Crashes and restarts in the interval, all schedulers together. */
  crashes: number;
  restarts: number;
  /** Process counts per mailbox-length bucket (see mailboxBucket). */
  mailboxHistogram: number[];
}

export interface SchedulerSamplesFrame {
  type: "schedulers";
  /** Milliseconds since the run started. */
  time: number;
  intervalMs: number;
  schedulers: SchedulerSample[];
  summary: NodeSummary;
}

export interface ProcessInfo {
  /** The pid's number: `<0.N.0>`. */
  pid: number;
  status: ProcessStatus;
  scheduler: number;
  mailbox: number;
  /** Reductions since the process started (a counter; rates are computed by the viewer). */
  reductions: number;
  /** Estimated bytes: the process, its generator and its queued messages. */
  memory: number;
  /** Site ids (see the `sites` control message); 0 = unknown or not waiting. */
  spawnSite: number;
  waitSite: number;
  /** The initial function's name. */
  fn: string;
  /** The registered name, or "". */
  name: string;
  /** Processes it is linked to (65535 stands for 65535 or more). */
  links: number;
  /** Monitors it holds on other processes (capped like links). */
  monitors: number;
  /** Monitors other processes hold on it (capped like links). */
  monitoredBy: number;
  /** Whether it traps exits: exit signals arrive as `["EXIT", pid, reason]` messages. */
  trapExit: boolean;
}

export interface ProcessPageFrame {
  type: "process-page";
  /** Identifies one keyframe; its pages share it. */
  snapshot: number;
  page: number;
  pages: number;
  total: number;
  processes: ProcessInfo[];
}

/**
 * What a delta says of a process the viewer already has: the fields that change while it runs.
 * Its scheduler, spawn site, function, name, links, monitors and trapExit stay as the viewer last
 * heard them: a change of those sends the whole record.
 */
export type ProcessUpdate = Pick<ProcessInfo, "pid" | "status" | "mailbox" | "reductions" | "memory" | "waitSite">;

export interface ProcessDeltaFrame {
  type: "process-delta";
  /** Numbered by the main thread, node-wide, in the order it forwards deltas. */
  seq: number;
  /** The scheduler whose tick this delta is (1-based): its records are all of that scheduler. */
  scheduler: number;
  /** Processes listed for the first time, or whose registered name, links, monitors or trapExit changed, with all their fields. */
  changed: ProcessInfo[];
  /** Listed processes that changed since the previous delta: only the fields that change as they run. */
  updated: ProcessUpdate[];
  /** Pids of processes that ended since the previous delta. */
  removed: number[];
  /**
   * Live processes, on all schedulers, that no frame has listed yet: during a spawn storm a busy
   * scheduler lists a bounded number of new processes per delta, oldest first, and the rest in
   * later deltas.
   */
  unlisted: number;
}

export interface SiteAggregate {
  site: number;
  /** Live processes spawned at this site. */
  live: number;
  /** Messages queued in their mailboxes. */
  queued: number;
  /** Reductions run by processes spawned here, ended ones included (a counter). */
  reductions: number;
  /** Processes waiting in a receive at this site. */
  waiting: number;
  /** Crashes of processes spawned at this site, since the run started (a counter). */
  crashes: number;
  /** Restarts made by supervisors spawned at this site, since the run started (a counter). */
  restarts: number;
}

export interface SiteAggregatesFrame {
  type: "site-aggregates";
  aggregates: SiteAggregate[];
}

export interface TraceEvent {
  /** Milliseconds since the run started. */
  time: number;
  kind: EventKind;
  pid: number;
  /** The other process: the receiver of a send, the child of a spawn, the far end of a link or monitor; 0 when none. */
  other: number;
  /** The message or reason, rendered as text and cut to a bounded length. */
  text: string;
}

export interface EventsFrame {
  type: "events";
  /** Events the bounded ring dropped since the run started (a counter). */
  dropped: number;
  events: TraceEvent[];
}

/**
 * The recorded SchedulerSamples of the run so far, oldest first, sent once on connect before the
 * live stream (docs/protocol.md, section 5): a viewer that connects late draws the whole run.
 */
export interface SampleHistoryFrame {
  type: "sample-history";
  samples: SchedulerSamplesFrame[];
}

/** A frame a Past frame may hold: what the recording keeps of the process table, aggregates and events. */
export type PastInnerFrame = ProcessPageFrame | ProcessDeltaFrame | SiteAggregatesFrame | EventsFrame;

/**
 * The answer to a `seek` request, sent right before its `response` (docs/protocol.md, section 7,
 * type 7): the recorded keyframe at or before `time`, the deltas after it up to `time`, and the
 * last SiteAggregates frame at or before `time`, each as recorded.
 */
export interface PastFrame {
  type: "past";
  /** The `id` of the `seek` request it answers. */
  requestId: number;
  /** The time asked for, ms on the samples' clock. */
  time: number;
  frames: PastInnerFrame[];
}

export type Frame = SchedulerSamplesFrame | ProcessPageFrame | ProcessDeltaFrame | SiteAggregatesFrame | EventsFrame | SampleHistoryFrame | PastFrame;

function writeHeader(w: FrameWriter, type: FrameType): void {
  w.u8(MAGIC);
  w.u8(PROTOCOL_VERSION);
  w.u8(type);
}

const SAMPLE_BYTES = 2 + 4 + 4 + 10 * 8 + 8 + 4 + 4 * 8;
const SITE_AGGREGATE_BYTES = 4 + 4 + 4 + 8 + 4 + 4 + 4;
/** Fixed part of a process record, without its two strings' bytes. */
const PROCESS_BYTES = 4 + 1 + 2 + 4 + 8 + 4 + 4 + 4 + 4 + 4 + 2 + 2 + 2 + 1;
/** Byte offsets of the fields inside a process record (see docs/protocol.md). */
const RECORD = { pid: 0, status: 4, scheduler: 5, mailbox: 7, reductions: 11, memory: 19, spawnSite: 23, waitSite: 27, fn: 31, name: 35, links: 39, monitors: 41, monitoredBy: 43, flags: 45 } as const;
/** Bits of a record's flags byte. */
const FLAG_TRAP_EXIT = 1;
/** Link and monitor counts are u16 on the wire; larger counts read as the largest. */
const MAX_COUNT = 0xffff;
/** A delta's update record: a ProcessUpdate, 25 bytes against a full record's 46. */
const UPDATE_BYTES = 4 + 1 + 4 + 8 + 4 + 4;
const UPDATE = { pid: 0, status: 4, mailbox: 5, reductions: 9, memory: 17, waitSite: 21 } as const;

export function encodeFrame(frame: Frame): ArrayBuffer {
  const w = new FrameWriter(256);
  switch (frame.type) {
    case "schedulers":
      writeHeader(w, FrameType.SchedulerSamples);
      w.f64(frame.time);
      w.f32(frame.intervalMs);
      w.u32(frame.schedulers.length);
      for (const s of frame.schedulers) {
        w.u16(s.scheduler);
        w.f32(s.utilization);
        w.u32(s.runQueue);
        for (const v of [s.reductions, s.slices, s.sends, s.receives, s.spawns, s.exits, s.crashes, s.restarts, s.nonPreemptible, s.heapUsed]) w.f64(v);
        w.f64(s.stuckMs);
        w.u32(s.stuckPid);
        w.f64(s.processes);
        w.f64(s.placedElsewhere);
        w.f64(s.crossOut);
        w.f64(s.crossIn);
      }
      w.f64(frame.summary.processes);
      w.f64(frame.summary.runnable);
      w.f64(frame.summary.waiting);
      w.f64(frame.summary.queued);
      w.f64(frame.summary.crashes);
      w.f64(frame.summary.restarts);
      w.u32(frame.summary.mailboxHistogram.length);
      for (const n of frame.summary.mailboxHistogram) w.f64(n);
      break;
    case "process-page": {
      const e = new ProcessFrameEncoder(frame, { records: frame.processes.length });
      for (const p of frame.processes) e.addInfo(p);
      return e.finish();
    }
    case "process-delta": {
      const e = new ProcessFrameEncoder(frame, { records: frame.changed.length, updates: frame.updated.length });
      for (const p of frame.changed) e.addInfo(p);
      for (const p of frame.updated) e.update(p.pid, p.status, p.mailbox, p.reductions, p.memory, p.waitSite);
      return e.finish(frame.removed);
    }
    case "site-aggregates":
      writeHeader(w, FrameType.SiteAggregates);
      w.u32(frame.aggregates.length);
      for (const a of frame.aggregates) {
        w.u32(a.site);
        w.u32(a.live);
        w.u32(a.queued);
        w.f64(a.reductions);
        w.u32(a.waiting);
        w.u32(a.crashes);
        w.u32(a.restarts);
      }
      break;
    case "sample-history":
      return encodeSampleHistory(frame.samples.map((sample) => encodeFrame(sample)));
    case "past":
      return encodePast(frame.requestId, frame.time, frame.frames.map((inner) => encodeFrame(inner)));
    case "events":
      writeHeader(w, FrameType.Events);
      w.f64(frame.dropped);
      w.u32(frame.events.length);
      for (const e of frame.events) {
        w.f64(e.time);
        w.u8(EVENT_KINDS.indexOf(e.kind));
        w.u32(e.pid);
        w.u32(e.other);
        w.str(e.text);
      }
      break;
  }
  return w.finish();
}

/**
 * A SampleHistory frame around SchedulerSamples frames encoded earlier (the hub records the
 * frames it sent): each goes whole, after its u32 byte length.
 */
export function encodeSampleHistory(samples: readonly ArrayBuffer[]): ArrayBuffer {
  const w = containerWriter(FrameType.SampleHistory, 0, samples);
  writeContained(w, samples);
  return w.finish();
}

/** A Past frame around recorded frames (ProcessPage, ProcessDelta, SiteAggregates, Events), as recorded. */
export function encodePast(requestId: number, time: number, frames: readonly ArrayBuffer[]): ArrayBuffer {
  const w = containerWriter(FrameType.Past, 4 + 8, frames);
  w.u32(requestId);
  w.f64(time);
  writeContained(w, frames);
  return w.finish();
}

/** A writer for a container frame (types 6 and 7) of `head` bytes besides its header and count, sized for `frames`. */
function containerWriter(type: FrameType, head: number, frames: readonly ArrayBuffer[]): FrameWriter {
  const w = new FrameWriter(16 + head + frames.reduce((n, f) => n + 4 + f.byteLength, 0));
  writeHeader(w, type);
  return w;
}

/** A container's count, then each frame whole after its u32 byte length. */
function writeContained(w: FrameWriter, frames: readonly ArrayBuffer[]): void {
  w.u32(frames.length);
  for (const f of frames) {
    w.u32(f.byteLength);
    w.raw(new Uint8Array(f));
  }
}

/** A container's count and frames (types 6 and 7), each frame's bytes in place; `what` names one in errors. */
function readContained(r: FrameReader, what: string): Uint8Array[] {
  const n = r.count(what, 4 + 3);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < n; i++) frames.push(r.raw(r.u32(`${what} ${i} length`), `${what} ${i}`));
  return frames;
}

const PAST_INNER_TYPES: readonly number[] = [FrameType.ProcessPage, FrameType.ProcessDelta, FrameType.SiteAggregates, FrameType.Events];

/** A Past frame read in place: its inner frames' bytes, each of an allowed type (check them with readProcessFrame or decodeFrame). */
export interface PastFrameView {
  requestId: number;
  time: number;
  frames: Uint8Array[];
}

/**
 * Reads a Past frame without decoding its inner frames, so that a viewer applies its process
 * frames in place (readProcessFrame) as it does live ones; null for any other frame type. Throws
 * ProtocolError for a malformed container or an inner frame of a type a Past frame may not hold.
 */
export function readPastFrame(data: ArrayBuffer | ArrayBufferView): PastFrameView | null {
  if (peekFrameType(data) !== FrameType.Past) return null;
  const r = new FrameReader(data);
  readHeader(r);
  const requestId = r.u32("request id");
  const time = r.f64("time");
  const frames = readContained(r, "past frame");
  r.end();
  frames.forEach((f, i) => {
    const type = peekFrameType(f);
    if (!PAST_INNER_TYPES.includes(type)) throw new ProtocolError(`past frame ${i} is of frame type ${type}; a Past frame holds only process pages, deltas, site aggregates and events`);
  });
  return { requestId, time, frames };
}

/** Status codes on the wire, by name. */
const STATUS_CODE: Record<ProcessStatus, number> = { runnable: 0, running: 1, waiting: 2, exiting: 3 };

/**
 * Buffers an encoder may reuse from frame to frame (one encoder at a time). A fresh buffer costs
 * its first touch of every page, about 13 µs per 4 KiB on the VMs Beamline is measured on: for a
 * delta of 5,000 records that was three fresh buffers per tick (the records, their growth for the
 * strings, the finished copy), now one.
 */
export class EncoderScratch {
  readonly records = new FrameWriter(64 << 10);
  readonly updates = new FrameWriter(16 << 10);
}

/**
 * Writes a process page or delta record by record, straight from the runtime's own process
 * objects, without building a ProcessInfo per process. Records are fixed-size and index a string
 * table (function and registered names repeat a lot) that follows them, so the encoder learns the
 * strings as it goes; the record count is patched in at the end. A delta's update records go to a
 * writer of their own and follow the full records.
 */
export class ProcessFrameEncoder {
  private readonly w: FrameWriter;
  private readonly u: FrameWriter | null;
  private readonly countAt: number;
  private readonly unlistedAt: number = 0;
  private readonly index = new Map<string, number>();
  private readonly strings: string[] = [];
  count = 0;
  updateCount = 0;
  /** A delta's `unlisted`, which may be set until finish. */
  unlisted = 0;

  constructor(
    header: { type: "process-page"; snapshot: number; page: number; pages: number; total: number } | { type: "process-delta"; seq: number; scheduler: number; unlisted: number },
    /** Expected counts of full and update records, to size fresh buffers; or buffers to reuse. */
    sizes: { records?: number; updates?: number; scratch?: EncoderScratch } = {},
  ) {
    const { records = 64, updates = 64, scratch } = sizes;
    const isDelta = header.type === "process-delta";
    if (scratch !== undefined) {
      scratch.records.reset();
      scratch.updates.reset();
    }
    this.w = scratch?.records ?? new FrameWriter(32 + records * PROCESS_BYTES);
    this.u = isDelta ? (scratch?.updates ?? new FrameWriter(4 + updates * UPDATE_BYTES)) : null;
    if (header.type === "process-page") {
      writeHeader(this.w, FrameType.ProcessPage);
      this.w.u32(header.snapshot);
      this.w.u32(header.page);
      this.w.u32(header.pages);
      this.w.u32(header.total);
    } else {
      writeHeader(this.w, FrameType.ProcessDelta);
      this.w.u32(header.seq);
      this.unlistedAt = this.w.offset;
      this.unlisted = header.unlisted;
      this.w.u32(0);
      this.w.u16(header.scheduler);
    }
    this.countAt = this.w.offset;
    this.w.u32(0);
  }

  add(
    pid: number,
    status: ProcessStatus,
    scheduler: number,
    mailbox: number,
    reductions: number,
    memory: number,
    spawnSite: number,
    waitSite: number,
    fn: string,
    name: string,
    links: number,
    monitors: number,
    monitoredBy: number,
    trapExit: boolean,
  ): void {
    const w = this.w;
    w.reserve(PROCESS_BYTES);
    // One record is written straight into the DataView: this runs for every changed process.
    const v = w.view;
    let o = w.offset;
    v.setUint32(o + RECORD.pid, pid, true);
    v.setUint8(o + RECORD.status, STATUS_CODE[status]);
    v.setUint16(o + RECORD.scheduler, scheduler, true);
    v.setUint32(o + RECORD.mailbox, mailbox, true);
    v.setFloat64(o + RECORD.reductions, reductions, true);
    v.setUint32(o + RECORD.memory, memory, true);
    v.setUint32(o + RECORD.spawnSite, spawnSite, true);
    v.setUint32(o + RECORD.waitSite, waitSite, true);
    v.setUint32(o + RECORD.fn, this.intern(fn), true);
    v.setUint32(o + RECORD.name, this.intern(name), true);
    v.setUint16(o + RECORD.links, links < MAX_COUNT ? links : MAX_COUNT, true);
    v.setUint16(o + RECORD.monitors, monitors < MAX_COUNT ? monitors : MAX_COUNT, true);
    v.setUint16(o + RECORD.monitoredBy, monitoredBy < MAX_COUNT ? monitoredBy : MAX_COUNT, true);
    v.setUint8(o + RECORD.flags, trapExit ? FLAG_TRAP_EXIT : 0);
    o += PROCESS_BYTES;
    w.offset = o;
    this.count++;
  }

  addInfo(p: ProcessInfo): void {
    this.add(p.pid, p.status, p.scheduler, p.mailbox, p.reductions, p.memory, p.spawnSite, p.waitSite, p.fn, p.name, p.links, p.monitors, p.monitoredBy, p.trapExit);
  }

  /** A delta's update record, for a process the viewer already has. */
  update(pid: number, status: ProcessStatus, mailbox: number, reductions: number, memory: number, waitSite: number): void {
    const u = this.u;
    if (u === null) throw new Error("a keyframe page has no update records");
    u.reserve(UPDATE_BYTES);
    const v = u.view;
    const o = u.offset;
    v.setUint32(o + UPDATE.pid, pid, true);
    v.setUint8(o + UPDATE.status, STATUS_CODE[status]);
    v.setUint32(o + UPDATE.mailbox, mailbox, true);
    v.setFloat64(o + UPDATE.reductions, reductions, true);
    v.setUint32(o + UPDATE.memory, memory, true);
    v.setUint32(o + UPDATE.waitSite, waitSite, true);
    u.offset = o + UPDATE_BYTES;
    this.updateCount++;
  }

  /** Ends the frame; a delta also carries its update records and the pids that ended. */
  finish(removed: readonly number[] = []): ArrayBuffer {
    const w = this.w;
    w.patchU32(this.countAt, this.count);
    if (this.u !== null) {
      w.patchU32(this.unlistedAt, this.unlisted);
      w.u32(this.updateCount);
      w.append(this.u);
      w.u32(removed.length);
      for (const pid of removed) w.u32(pid);
    }
    w.u32(this.strings.length);
    for (const s of this.strings) w.str(s);
    return w.finish();
  }

  private intern(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}


/** Reads and checks a frame's magic and version; returns its frame type. */
function readHeader(r: FrameReader): number {
  const magic = r.u8("magic");
  if (magic !== MAGIC) throw new ProtocolError(`not a Beamline frame: first byte is 0x${magic.toString(16)}, expected 0x${MAGIC.toString(16)}`);
  const version = r.u8("version");
  if (version !== PROTOCOL_VERSION) throw new ProtocolError(`frame has protocol version ${version}; this side speaks ${PROTOCOL_VERSION}`);
  return r.u8("frame type");
}

/** Decodes a binary frame; throws ProtocolError saying what is wrong and where. */
export function decodeFrame(data: ArrayBuffer | ArrayBufferView): Frame {
  const r = new FrameReader(data);
  const type = readHeader(r);
  let frame: Frame;
  switch (type) {
    case FrameType.SchedulerSamples: {
      const time = r.f64("time");
      const intervalMs = r.f32("interval");
      const n = r.count("scheduler", SAMPLE_BYTES);
      const schedulers: SchedulerSample[] = [];
      for (let i = 0; i < n; i++) {
        const s: SchedulerSample = {
          scheduler: r.u16("scheduler"),
          utilization: r.f32("utilization"),
          runQueue: r.u32("run queue"),
          reductions: r.f64("reductions"),
          slices: r.f64("slices"),
          sends: r.f64("sends"),
          receives: r.f64("receives"),
          spawns: r.f64("spawns"),
          exits: r.f64("exits"),
          crashes: r.f64("crashes"),
          restarts: r.f64("restarts"),
          nonPreemptible: r.f64("non-preemptible slices"),
          heapUsed: r.f64("heap used"),
          stuckMs: r.f64("stuck time"),
          stuckPid: r.u32("stuck pid"),
          processes: r.f64("scheduler process count"),
          placedElsewhere: r.f64("spawns placed elsewhere"),
          crossOut: r.f64("cross-scheduler messages out"),
          crossIn: r.f64("cross-scheduler messages in"),
        };
        schedulers.push(s);
      }
      const summary: NodeSummary = {
        processes: r.f64("process count"),
        runnable: r.f64("runnable count"),
        waiting: r.f64("waiting count"),
        queued: r.f64("queued messages"),
        crashes: r.f64("crashes"),
        restarts: r.f64("restarts"),
        mailboxHistogram: [],
      };
      const buckets = r.count("histogram bucket", 8);
      for (let i = 0; i < buckets; i++) summary.mailboxHistogram.push(r.f64("histogram bucket"));
      frame = { type: "schedulers", time, intervalMs, schedulers, summary };
      break;
    }
    case FrameType.ProcessPage:
    case FrameType.ProcessDelta: {
      // One reader of the process record layout: the in-place view, turned into objects here.
      const v = new ProcessFrameView(data);
      const processes = Array.from({ length: v.count }, (_, i) => v.info(i));
      if (v.type === "process-page") {
        return { type: "process-page", snapshot: v.snapshot, page: v.page, pages: v.pages, total: v.total, processes };
      }
      return {
        type: "process-delta",
        seq: v.seq,
        scheduler: v.deltaScheduler,
        unlisted: v.unlisted,
        changed: processes,
        updated: Array.from({ length: v.updateCount }, (_, i) => v.updateInfo(i)),
        removed: Array.from({ length: v.removedCount }, (_, i) => v.removed(i)),
      };
    }
    case FrameType.SiteAggregates: {
      const n = r.count("site", SITE_AGGREGATE_BYTES);
      const aggregates: SiteAggregate[] = [];
      for (let i = 0; i < n; i++) {
        aggregates.push({
          site: r.u32("site"),
          live: r.u32("live"),
          queued: r.u32("queued"),
          reductions: r.f64("reductions"),
          waiting: r.u32("waiting"),
          crashes: r.u32("crashes"),
          restarts: r.u32("restarts"),
        });
      }
      frame = { type: "site-aggregates", aggregates };
      break;
    }
    case FrameType.Events: {
      const dropped = r.f64("dropped");
      const n = r.count("event", 21);
      const events: TraceEvent[] = [];
      for (let i = 0; i < n; i++) {
        const time = r.f64("event time");
        const code = r.u8("event kind");
        const kind = EVENT_KINDS[code];
        if (kind === undefined) throw new ProtocolError(`event ${i} has unknown kind ${code}`);
        events.push({ time, kind, pid: r.u32("event pid"), other: r.u32("event other pid"), text: r.str("event text") });
      }
      frame = { type: "events", dropped, events };
      break;
    }
    case FrameType.SampleHistory: {
      const samples = readContained(r, "recorded sample").map((bytes, i) => {
        const inner = decodeFrame(bytes);
        if (inner.type !== "schedulers") throw new ProtocolError(`recorded sample ${i} is a ${inner.type} frame, not a SchedulerSamples frame`);
        return inner;
      });
      frame = { type: "sample-history", samples };
      break;
    }
    case FrameType.Past: {
      const view = readPastFrame(data)!;
      return { type: "past", requestId: view.requestId, time: view.time, frames: view.frames.map((bytes) => decodeFrame(bytes) as PastInnerFrame) };
    }
    default:
      throw new ProtocolError(`unknown frame type ${type}`);
  }
  r.end();
  return frame;
}

/**
 * A process page or delta read in place, without a ProcessInfo per record: for a viewer that
 * applies 20,000 records ten times a second (or a million in a keyframe), objects and the garbage
 * they leave cost more than the work itself. The constructor checks the frame as thoroughly as
 * decodeFrame does (the same ProtocolErrors); then record i's fields are read straight from the
 * bytes by index, and its strings are indices into `strings`, the frame's string table.
 *
 *     const f = readProcessFrame(bytes);
 *     if (f !== null) for (let i = 0; i < f.count; i++) use(f.pid(i), f.reductions(i), f.strings[f.fn(i)]);
 */
export class ProcessFrameView {
  readonly type: "process-page" | "process-delta";
  /** Page header (0 in a delta). */
  readonly snapshot: number = 0;
  readonly page: number = 0;
  readonly pages: number = 0;
  readonly total: number = 0;
  /** Delta header (0 in a page). */
  readonly seq: number = 0;
  readonly unlisted: number = 0;
  /** The scheduler whose tick a delta is, 1-based (its records' `scheduler(i)`). */
  readonly deltaScheduler: number = 0;
  /** Number of full process records. */
  readonly count: number;
  /** Number of a delta's update records (always 0 in a page); read with the update* accessors. */
  readonly updateCount: number = 0;
  /** Number of removed pids (always 0 in a page). */
  readonly removedCount: number = 0;
  /** The frame's string table, which fn(i) and name(i) index. */
  readonly strings: string[];
  private readonly view: DataView;
  private readonly records: number;
  private readonly updatesAt: number = 0;
  private readonly removedAt: number;

  /** Use readProcessFrame. */
  constructor(data: ArrayBuffer | ArrayBufferView) {
    const r = new FrameReader(data);
    const type = readHeader(r);
    if (type === FrameType.ProcessPage) {
      this.type = "process-page";
      this.snapshot = r.u32("snapshot");
      this.page = r.u32("page");
      this.pages = r.u32("page count");
      this.total = r.u32("total");
      if (this.page >= this.pages) throw new ProtocolError(`process page ${this.page} is not below its page count ${this.pages}`);
    } else if (type === FrameType.ProcessDelta) {
      this.type = "process-delta";
      this.seq = r.u32("sequence");
      this.unlisted = r.u32("unlisted count");
      this.deltaScheduler = r.u16("scheduler");
    } else {
      throw new ProtocolError(`frame type ${type} is not a process page or delta`);
    }
    const n = r.count("process", PROCESS_BYTES);
    this.count = n;
    const buffer = data instanceof ArrayBuffer ? data : data.buffer;
    const start = data instanceof ArrayBuffer ? 0 : data.byteOffset;
    this.view = new DataView(buffer, start, data.byteLength);
    this.records = r.offset;
    r.offset += n * PROCESS_BYTES;
    if (this.type === "process-delta") {
      this.updateCount = r.count("process update", UPDATE_BYTES);
      this.updatesAt = r.offset;
      r.offset += this.updateCount * UPDATE_BYTES;
      this.removedCount = r.count("removed pid", 4);
      this.removedAt = r.offset;
      r.offset += this.removedCount * 4;
    } else {
      this.removedAt = r.offset;
    }
    const stringCount = r.count("string table", 4);
    const strings: string[] = [];
    for (let i = 0; i < stringCount; i++) strings.push(r.str(`string ${i}`));
    this.strings = strings;
    r.end();
    // The same checks as decodeFrame, in one pass over the records: statuses and string indices.
    const v = this.view;
    for (let i = 0, o = this.records; i < n; i++, o += PROCESS_BYTES) {
      const status = v.getUint8(o + RECORD.status);
      if (status >= PROCESS_STATUSES.length) throw new ProtocolError(`process ${i} has unknown status ${status}`);
      const fn = v.getUint32(o + RECORD.fn, true);
      if (fn >= stringCount) throw new ProtocolError(`process ${i}'s function refers to string ${fn}, but the table has ${stringCount}`);
      const name = v.getUint32(o + RECORD.name, true);
      if (name >= stringCount) throw new ProtocolError(`process ${i}'s name refers to string ${name}, but the table has ${stringCount}`);
      const flags = v.getUint8(o + RECORD.flags);
      if ((flags & ~FLAG_TRAP_EXIT) !== 0) throw new ProtocolError(`process ${i} has unknown flags 0x${flags.toString(16)}`);
    }
    for (let i = 0, o = this.updatesAt; i < this.updateCount; i++, o += UPDATE_BYTES) {
      const status = v.getUint8(o + UPDATE.status);
      if (status >= PROCESS_STATUSES.length) throw new ProtocolError(`process update ${i} has unknown status ${status}`);
    }
  }

  pid(i: number): number {
    return this.view.getUint32(this.records + i * PROCESS_BYTES, true);
  }
  /** The status as its index in PROCESS_STATUSES. */
  statusCode(i: number): number {
    return this.view.getUint8(this.records + i * PROCESS_BYTES + RECORD.status);
  }
  status(i: number): ProcessStatus {
    return PROCESS_STATUSES[this.statusCode(i)]!;
  }
  scheduler(i: number): number {
    return this.view.getUint16(this.records + i * PROCESS_BYTES + RECORD.scheduler, true);
  }
  mailbox(i: number): number {
    return this.view.getUint32(this.records + i * PROCESS_BYTES + RECORD.mailbox, true);
  }
  reductions(i: number): number {
    return this.view.getFloat64(this.records + i * PROCESS_BYTES + RECORD.reductions, true);
  }
  memory(i: number): number {
    return this.view.getUint32(this.records + i * PROCESS_BYTES + RECORD.memory, true);
  }
  spawnSite(i: number): number {
    return this.view.getUint32(this.records + i * PROCESS_BYTES + RECORD.spawnSite, true);
  }
  waitSite(i: number): number {
    return this.view.getUint32(this.records + i * PROCESS_BYTES + RECORD.waitSite, true);
  }
  /** Index of the initial function's name in `strings`. */
  fn(i: number): number {
    return this.view.getUint32(this.records + i * PROCESS_BYTES + RECORD.fn, true);
  }
  /** Index of the registered name (or "") in `strings`. */
  name(i: number): number {
    return this.view.getUint32(this.records + i * PROCESS_BYTES + RECORD.name, true);
  }
  links(i: number): number {
    return this.view.getUint16(this.records + i * PROCESS_BYTES + RECORD.links, true);
  }
  monitors(i: number): number {
    return this.view.getUint16(this.records + i * PROCESS_BYTES + RECORD.monitors, true);
  }
  monitoredBy(i: number): number {
    return this.view.getUint16(this.records + i * PROCESS_BYTES + RECORD.monitoredBy, true);
  }
  trapExit(i: number): boolean {
    return (this.view.getUint8(this.records + i * PROCESS_BYTES + RECORD.flags) & FLAG_TRAP_EXIT) !== 0;
  }
  /** Update record i of a delta. */
  updatePid(i: number): number {
    return this.view.getUint32(this.updatesAt + i * UPDATE_BYTES + UPDATE.pid, true);
  }
  updateStatusCode(i: number): number {
    return this.view.getUint8(this.updatesAt + i * UPDATE_BYTES + UPDATE.status);
  }
  updateMailbox(i: number): number {
    return this.view.getUint32(this.updatesAt + i * UPDATE_BYTES + UPDATE.mailbox, true);
  }
  updateReductions(i: number): number {
    return this.view.getFloat64(this.updatesAt + i * UPDATE_BYTES + UPDATE.reductions, true);
  }
  updateMemory(i: number): number {
    return this.view.getUint32(this.updatesAt + i * UPDATE_BYTES + UPDATE.memory, true);
  }
  updateWaitSite(i: number): number {
    return this.view.getUint32(this.updatesAt + i * UPDATE_BYTES + UPDATE.waitSite, true);
  }

  /** Update record i as a ProcessUpdate (allocates: for tests and the odd single record). */
  updateInfo(i: number): ProcessUpdate {
    return {
      pid: this.updatePid(i),
      status: PROCESS_STATUSES[this.updateStatusCode(i)]!,
      mailbox: this.updateMailbox(i),
      reductions: this.updateReductions(i),
      memory: this.updateMemory(i),
      waitSite: this.updateWaitSite(i),
    };
  }

  /** The i-th removed pid of a delta. */
  removed(i: number): number {
    return this.view.getUint32(this.removedAt + i * 4, true);
  }

  /** Record i as a ProcessInfo (allocates: for tests and the odd single record). */
  info(i: number): ProcessInfo {
    return {
      pid: this.pid(i),
      status: this.status(i),
      scheduler: this.scheduler(i),
      mailbox: this.mailbox(i),
      reductions: this.reductions(i),
      memory: this.memory(i),
      spawnSite: this.spawnSite(i),
      waitSite: this.waitSite(i),
      fn: this.strings[this.fn(i)]!,
      name: this.strings[this.name(i)]!,
      links: this.links(i),
      monitors: this.monitors(i),
      monitoredBy: this.monitoredBy(i),
      trapExit: this.trapExit(i),
    };
  }
}

/** Where the main thread reads and rewrites a process frame's header (see the layouts above). */
const DELTA_SEQ_AT = 3;
const DELTA_UNLISTED_AT = 7;
const DELTA_SCHEDULER_AT = 11;
const PAGE_AT = 7;
const PAGES_AT = 11;
const PAGE_TOTAL_AT = 15;

/** A delta's header fields, read without checking the rest of the frame (the scheduler encoded it). */
export function deltaHeader(frame: ArrayBuffer): { seq: number; unlisted: number; scheduler: number } {
  const v = new DataView(frame);
  return { seq: v.getUint32(DELTA_SEQ_AT, true), unlisted: v.getUint32(DELTA_UNLISTED_AT, true), scheduler: v.getUint16(DELTA_SCHEDULER_AT, true) };
}

/**
 * Gives a delta the main thread's node-wide `seq` and the `unlisted` of all schedulers: each
 * scheduler numbers and counts only its own (docs/protocol.md, section 7).
 */
export function restampDelta(frame: ArrayBuffer, seq: number, unlisted: number): void {
  const v = new DataView(frame);
  v.setUint32(DELTA_SEQ_AT, seq, true);
  v.setUint32(DELTA_UNLISTED_AT, unlisted, true);
}

/** A keyframe page's place, read without checking the rest of the frame. */
export function pageHeader(frame: ArrayBuffer): { page: number; pages: number; total: number } {
  const v = new DataView(frame);
  return { page: v.getUint32(PAGE_AT, true), pages: v.getUint32(PAGES_AT, true), total: v.getUint32(PAGE_TOTAL_AT, true) };
}

/** Renumbers a scheduler's keyframe page as page `page` of `pages` of a node-wide keyframe of `total` processes. */
export function restampPage(frame: ArrayBuffer, page: number, pages: number, total: number): void {
  const v = new DataView(frame);
  v.setUint32(PAGE_AT, page, true);
  v.setUint32(PAGES_AT, pages, true);
  v.setUint32(PAGE_TOTAL_AT, total, true);
}

const EVENTS_DROPPED_AT = 3;

/** An events frame's `dropped` (a scheduler's own count), read without checking the rest. */
export function eventsDropped(frame: ArrayBuffer): number {
  return new DataView(frame).getFloat64(EVENTS_DROPPED_AT, true);
}

/** Gives an events frame the `dropped` of all schedulers. */
export function restampEvents(frame: ArrayBuffer, dropped: number): void {
  new DataView(frame).setFloat64(EVENTS_DROPPED_AT, dropped, true);
}

/** The frame type of a binary frame (its third byte), or -1 if it is too short to say. */
export function peekFrameType(data: ArrayBuffer | ArrayBufferView): number {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data, 0, Math.min(3, data.byteLength)) : new Uint8Array(data.buffer, data.byteOffset, Math.min(3, data.byteLength));
  return bytes.length < 3 ? -1 : bytes[2]!;
}

/**
 * Reads a process page or delta in place (see ProcessFrameView); null for any other frame type,
 * which decodeFrame handles. Throws ProtocolError for a malformed process frame.
 */
export function readProcessFrame(data: ArrayBuffer | ArrayBufferView): ProcessFrameView | null {
  const type = peekFrameType(data);
  if (type !== FrameType.ProcessPage && type !== FrameType.ProcessDelta) return null;
  return new ProcessFrameView(data);
}
