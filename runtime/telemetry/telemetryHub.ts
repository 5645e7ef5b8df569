// The main thread's telemetry aggregator. It samples the schedulers' shared counters on its own
// timer (so it answers and reports even while a scheduler is stuck), merges the deltas and
// keyframe pages that N scheduler threads encode, judges warnings, routes each client request to
// the scheduler that owns its process (or asks them all and merges the answers), and fans
// everything out to clients by channel. A client that falls behind gets frames dropped and
// counted, then a fresh keyframe: latest state wins. Every byte queued for a client is bounded,
// responses included: a client's requests are read only while it reads what it was sent
// (docs/protocol.md, section 6).

import { formatPid, MAX_REQUEST_BYTES, parsePid, parseRequest, requestIdOf, type Channel, CHANNELS, type Hello, type History, type MainExited, type Request, type RequestResult, type Response, type Site, type SupervisionTree, type Warning, type Warnings, type FaultMessage } from "../../protocol/control.js";
import { decodeFrame, deltaHeader, encodeFrame, encodePast, encodeSampleHistory, eventsDropped, MAILBOX_BUCKETS, restampDelta, restampEvents, type SchedulerSample, type SiteAggregate } from "../../protocol/frames.js";
import { ProtocolError } from "../../protocol/binaryCursor.js";
import { Counter } from "../core/schedulerCounters.js";
import type { FromScheduler, ToScheduler } from "../host/schedulerMessages.js";
import { CrashVictims } from "./crashVictims.js";
import { FaultHistory } from "./faultHistory.js";
import { KeyframeAssembly } from "./keyframeAssembly.js";
import { DEFAULT_RECORD_CAP_BYTES, Recording } from "./recording.js";
import { RecordingFile, type RecordingState } from "./recordingFile.js";
import type { RecordingItem } from "../../protocol/recordingFile.js";
import { mergeSupervisionTrees } from "./supervisionMerge.js";
import { WarningRules } from "./warnings/warningRules.js";

/** The transport side of one client (a WebSocket in telemetryServer.ts). */
export interface ClientConnection {
  send(data: string | ArrayBuffer): void;
  /** Bytes given to `send` and not yet written out. */
  readonly bufferedAmount: number;
  /** Stop reading the client's messages (a few already read may still arrive), and go on. */
  pause(): void;
  resume(): void;
  /** Close with a WebSocket close code and a reason of at most 123 bytes. */
  close(code: number, reason: string): void;
}

/** The WebSocket close code and reason for a client that went on sending while it was paused. */
export const FLOODING_CLOSE_CODE = 1008;

/**
 * Above this many unsent bytes (besides a keyframe) a client is behind: bulk frames are dropped
 * for it, and once it has drained it gets a fresh keyframe. For a client whose last keyframe was
 * bigger, that keyframe's size is the mark instead: catching up with deltas is cheaper than another
 * keyframe until the deltas outweigh it (a browser that takes seconds to apply a 43 MB keyframe of
 * a million processes would otherwise be sent a second one).
 */
const HIGH_WATER_BYTES = 8 * 1024 * 1024;
/** Below this it has caught up and gets a fresh keyframe. */
const LOW_WATER_BYTES = 1024 * 1024;
const KEYFRAME_PAGE_SIZE = 10_000;
const REQUEST_TIMEOUT_MS = 5_000;
/**
 * Requests of one client that may wait for the scheduler at once; more are read once these are
 * answered. It bounds the answers on their way to a client that does not read them (an inspect
 * answer is up to about a megabyte).
 */
const MAX_REQUESTS_IN_FLIGHT = 8;
/**
 * Messages of a paused client that may wait to be handled: what the transport had read before it
 * paused (a socket read, at most 64 KiB, and one message). A client past this is closed with
 * FLOODING_CLOSE_CODE, for a transport that does not pause.
 */
const MAX_HELD_BYTES = 4 * MAX_REQUEST_BYTES;
/** What a held message counts besides its text, so that empty or binary messages count too. */
const HELD_MESSAGE_OVERHEAD = 64;

/** A message from a client: a request's text, or BINARY for a binary message (refused). */
const BINARY = Symbol("binary message");
type ClientMessage = string | typeof BINARY;

class Client {
  readonly channels: Set<Channel>;
  /** The keyframe this client waits for; deltas are held back until its last page went out. */
  snapshot: number | null = null;
  behind = false;
  dropped = 0;
  /**
   * Unsent bytes that belong to keyframe pages: a keyframe is sent whole (a million processes is
   * 43 MB), so it must not count as falling behind, or every keyframe would trigger the next one.
   * It shrinks as the socket drains.
   */
  keyframeBytes = 0;
  /** The size of the last keyframe sent to this client, all pages. */
  keyframeSize = 0;
  /** Its requests sent to the scheduler and not answered yet. */
  inFlight = 0;
  /** Messages read from it and not handled yet, oldest first, and their bytes. */
  readonly held: ClientMessage[] = [];
  heldBytes = 0;
  /** Whether the transport was told to stop reading its messages. */
  paused = false;
  /** The warnings changed while it was behind; it gets the current list once it is not. */
  warningsStale = false;
  /**
   * The history sent on connect (docs/protocol.md, section 5): unsent bytes at its end, which
   * shrink as the socket drains. Like a keyframe, it goes whole and is not a backlog.
   */
  historyBytes = 0;
  /** How many of the run's ended warnings (Recording.endedTotal) it was sent. */
  endedSeen = 0;
  constructor(
    readonly connection: ClientConnection,
    channels: readonly Channel[],
  ) {
    this.channels = new Set(channels);
  }
}

/** One scheduler thread as the hub sees it; the hub's array is indexed by `scheduler.index` (id - 1). */
export interface SchedulerHandle {
  post(message: ToScheduler): void;
  counters: Float64Array;
  /** How long the scheduler has been stuck in one slice (0 when it is not), and where. */
  stuck(): { ms: number; pid: number; site: string };
}

export class TelemetryHub {
  private readonly clients = new Map<ClientConnection, Client>();
  private readonly rules: WarningRules;
  private readonly faults = new FaultHistory();
  private readonly crashVictims = new CrashVictims();
  /** The run so far, for viewers that connect late (docs/protocol.md, section 5). */
  readonly recording: Recording;
  private warnings: Warning[] = [];
  /** When the current list was judged, in run time. */
  private warningsTime = 0;
  private warningsText = "[]";
  /** The node-wide number of the last delta forwarded: warnings say which tick they are of. */
  private deltaSeq = 0;
  /** Each scheduler's `unlisted` from its latest delta: deltas carry their sum. */
  private readonly unlisted: number[];
  /** Each scheduler's latest site aggregates and count of dropped events: clients get the sums. */
  private readonly siteParts: SiteAggregate[][];
  private readonly eventsDroppedBy: number[];
  /** Each scheduler's latest supervision tree: the recording gets the node's, joined, when one changes. */
  private readonly treeParts: SupervisionTree[];
  /** Keyframes being put together from the schedulers' parts, by snapshot. */
  private readonly assemblies = new Map<number, KeyframeAssembly>();
  /** The keyframe the recording takes, while its pages come (docs/protocol.md, section 5, "Keyframes"). */
  private recordingSnapshot: number | null = null;
  /** Live processes at the last sample: what a keyframe for the recording would list. */
  private processCount = 0;
  /** Each scheduler's counters at the last sample, and the copy the next sample reads into. */
  private previous: Float64Array[];
  private current: Float64Array[];
  private lastSampleAt = performance.now();
  private intervalMs: number;
  private timer: NodeJS.Timeout;
  private nextSnapshot = 1;
  private nextRequest = 1;
  private readonly pending = new Map<number, PendingRequest>();
  /** When main started, on the samples' clock (see mainStarted). */
  private mainStartedAt: number | undefined;
  /** The recording file of `--record FILE`, written as the recording grows (docs/protocol.md, section 13). */
  private readonly file: RecordingFile | undefined;
  private viewerConnected!: () => void;
  /** Settles when the first client connects (`--wait-for-viewer` starts the program then). */
  readonly firstViewer = new Promise<void>((resolve) => (this.viewerConnected = resolve));

  constructor(
    private readonly schedulers: SchedulerHandle[],
    private readonly hello: Omit<Hello, "channels" | "sampleIntervalMs">,
    private readonly sites: Site[],
    intervalMs: number,
    /** The recording's cap in bytes (`--record-cap`). */
    recordCapBytes: number = DEFAULT_RECORD_CAP_BYTES,
    /** `--record FILE`: the file the recording is written to as well; opening it may throw. */
    recordPath?: string,
  ) {
    this.intervalMs = intervalMs;
    this.recording = new Recording(recordCapBytes);
    const { program, startedAt, schedulers: schedulerCount, reductions, node } = hello;
    this.file =
      recordPath === undefined
        ? undefined
        : new RecordingFile(recordPath, { program, startedAt, schedulers: schedulerCount, reductions, node, sampleIntervalMs: intervalMs, capBytes: recordCapBytes, sites }, () => this.recordingState());
    const siteNames = new Map(sites.map((s) => [s.id, `${s.file}:${s.line}`]));
    const receiveSites = new Set(sites.filter((s) => s.kind === "receive" && s.name === "receive").map((s) => s.id));
    this.rules = new WarningRules(
      (id) => siteNames.get(id) ?? "",
      (id) => receiveSites.has(id),
    );
    this.previous = schedulers.map((s) => Float64Array.from(s.counters));
    this.current = schedulers.map((s) => Float64Array.from(s.counters));
    this.unlisted = schedulers.map(() => 0);
    this.siteParts = schedulers.map(() => []);
    this.eventsDroppedBy = schedulers.map(() => 0);
    this.treeParts = schedulers.map(() => ({ supervisors: [], omittedSupervisors: 0, looseLinks: [], truncated: 0 }));
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Messages from scheduler thread `from` (0-based, its index in the handles) that concern telemetry. */
  fromScheduler(message: FromScheduler, from: number): void {
    switch (message.type) {
      case "telemetry": {
        // The tick's warnings go out before its delta, marked with its seq: a viewer has them by
        // the time it has applied the delta, and shows the two together (docs/protocol.md).
        this.unlisted[from] = deltaHeader(message.delta).unlisted;
        restampDelta(message.delta, ++this.deltaSeq, this.unlisted.reduce((a, b) => a + b, 0));
        this.rules.observe(from, message.watch);
        // Victims on other schedulers join their crash: a crash that went out before goes again
        // as an update (count 0); the history holds the crash itself, which now lists them.
        const updates = this.crashVictims.crashed(message.faults);
        if (message.downByElsewhere.length > 0) updates.push(...this.crashVictims.down(message.downByElsewhere));
        this.faults.add(message.faults);
        const faults = updates.length === 0 ? message.faults : [...message.faults, ...updates];
        this.rules.faults(faults);
        for (const fault of faults) this.file?.append({ kind: "fault", message: fault });
        // Faults go before the warnings judged from them.
        if (faults.length > 0) {
          const texts = faults.map((m) => JSON.stringify(m));
          for (const client of this.clients.values()) this.sendFaults(client, texts);
        }
        this.judgeWarnings();
        const now = this.now();
        this.forwardDelta(message.delta, from, now);
        const sites = this.siteTotals(message.sites, from);
        if (this.recording.siteAggregates(sites, now, this.intervalMs)) this.file?.append({ kind: "aggregates", time: now, frame: sites });
        if (message.events !== null) {
          this.eventsDroppedBy[from] = eventsDropped(message.events);
          restampEvents(message.events, this.eventsDroppedBy.reduce((a, b) => a + b, 0));
          if (this.recording.traceEvents(message.events, now)) this.file?.append({ kind: "events", time: now, frame: message.events });
        }
        if (message.supervision !== null) this.recordTree(message.supervision, from);
        this.recordKeyframeIfDue(now);
        for (const client of this.clients.values()) {
          this.sendBulk(client, "sites", sites);
          if (message.events !== null) this.sendBulk(client, "events", message.events);
        }
        break;
      }
      case "keyframe-page":
        this.keyframePage(message.snapshot, from, message.frame, message.listsNew);
        break;
      case "response":
        this.answered(message, from);
        break;
      case "non-preemptible":
        this.rules.nonPreemptibleSlice(from + 1, message.pid, message.site, message.ms, this.now());
        break;
    }
  }

  /** Scheduler `from`'s supervision tree joined with the others' latest: the recording keeps the node's as it changes. */
  private recordTree(part: { time: number; tree: SupervisionTree }, from: number): void {
    this.treeParts[from] = part.tree;
    const tree = mergeSupervisionTrees(this.treeParts);
    const time = this.recording.supervisionTree(tree, part.time);
    if (time >= 0) this.file?.append({ kind: "supervision", time, tree });
  }

  /** The node's site aggregates: scheduler `from`'s new ones added to the others' latest. */
  private siteTotals(frame: ArrayBuffer, from: number): ArrayBuffer {
    if (this.schedulers.length === 1) return frame;
    const decoded = decodeFrame(frame);
    if (decoded.type !== "site-aggregates") return frame;
    this.siteParts[from] = decoded.aggregates;
    const sum = new Map<number, SiteAggregate>();
    for (const part of this.siteParts) {
      for (const a of part) {
        const t = sum.get(a.site);
        if (t === undefined) sum.set(a.site, { ...a });
        else {
          t.live += a.live;
          t.queued += a.queued;
          t.reductions += a.reductions;
          t.waiting += a.waiting;
          t.crashes += a.crashes;
          t.restarts += a.restarts;
        }
      }
    }
    return encodeFrame({ type: "site-aggregates", aggregates: [...sum.values()].sort((a, b) => a.site - b.site) });
  }

  /**
   * A delta goes to every client that holds a table. A client waiting for a keyframe gets it after
   * that keyframe when the delta's scheduler had already sent its part (the delta is newer), and
   * not at all otherwise (the keyframe is newer).
   */
  private forwardDelta(frame: ArrayBuffer, from: number, now: number): void {
    // The recording is a viewer too: the table it follows, and the keyframe it takes, if any.
    if (this.recording.delta(frame, now)) this.file?.append({ kind: "delta", time: now, frame });
    if (this.recordingSnapshot !== null) {
      const assembly = this.assemblies.get(this.recordingSnapshot);
      if (assembly?.partDone(from)) this.recording.heldDelta(frame, now);
      if (assembly !== undefined && this.recording.heldBytes > HIGH_WATER_BYTES) this.abandonForRecording(assembly, now);
    }
    const held = new Set<KeyframeAssembly>();
    for (const client of this.clients.values()) {
      if (client.snapshot === null) {
        this.sendBulk(client, "processes", frame);
        continue;
      }
      const assembly = this.assemblies.get(client.snapshot);
      if (assembly === undefined || !assembly.partDone(from) || held.has(assembly)) continue;
      held.add(assembly);
      assembly.holdDelta(frame);
      // A keyframe that some scheduler never finishes (it is stuck) must not hold deltas for good:
      // its clients are behind, and get a fresh keyframe once they have caught up.
      if (assembly.heldBytes > HIGH_WATER_BYTES) this.abandon(assembly);
    }
  }

  private keyframePage(snapshot: number, from: number, frame: ArrayBuffer, listsNew: boolean): void {
    const assembly = this.assemblies.get(snapshot);
    if (assembly === undefined) {
      // A keyframe given up or no longer wanted; but a part that lists new processes made them
      // known to its scheduler's deltas, so every viewer needs a fresh keyframe now.
      if (listsNew) this.allBehind();
      return;
    }
    for (const page of assembly.page(from, frame, listsNew)) {
      const first = KeyframeAssembly.isFirst(page);
      // A keyframe that lists processes no delta listed is every viewer's: deltas take them as
      // known from now on. The others start over from its first page, their deltas held back
      // until its last, like the viewer that asked.
      if (first && assembly.listsNew) {
        for (const client of this.clients.values()) if (client.channels.has("processes")) client.snapshot = snapshot;
        if (this.recordingSnapshot !== snapshot) this.joinForRecording(assembly);
      }
      if (this.recordingSnapshot === snapshot) this.recording.keyframePage(page);
      for (const client of this.clients.values()) {
        if (client.snapshot !== snapshot) continue;
        if (first && client.channels.has("processes") && !this.mayStartKeyframe(client)) {
          // Sent whole or not at all: it waits for a fresh keyframe once it has caught up.
          client.snapshot = null;
          client.behind = true;
          client.dropped += assembly.pagesTotal;
          continue;
        }
        if (client.channels.has("processes")) {
          client.keyframeSize = (first ? 0 : client.keyframeSize) + page.byteLength;
          client.connection.send(page);
          client.keyframeBytes = client.connection.bufferedAmount;
        }
      }
    }
    if (!assembly.done) return;
    // The last page lets the deltas through again, those held for it first.
    this.assemblies.delete(snapshot);
    if (this.recordingSnapshot === snapshot) this.keyframeRecorded();
    for (const client of this.clients.values()) {
      if (client.snapshot !== snapshot) continue;
      client.snapshot = null;
      for (const delta of assembly.heldDeltas) this.sendBulk(client, "processes", delta);
    }
  }

  /** Asks the schedulers for a keyframe for the recording when one is due (see Recording.keyframeDue). */
  private recordKeyframeIfDue(now: number): void {
    if (this.recordingSnapshot !== null || !this.recording.keyframeDue(now, this.processCount, this.unlisted.reduce((a, b) => a + b, 0))) return;
    const snapshot = this.nextSnapshot++;
    this.assemblies.set(snapshot, new KeyframeAssembly(snapshot, this.schedulers.length));
    if (this.toSchedulers({ type: "keyframe", snapshot, pageSize: KEYFRAME_PAGE_SIZE }) !== undefined) {
      this.assemblies.delete(snapshot);
      this.recording.keyframeAbandoned(now);
      return;
    }
    this.recordingSnapshot = snapshot;
    this.recording.keyframeStarted();
  }

  /**
   * A keyframe that lists new processes goes to every viewer, and to the recording: deltas take
   * those processes as known from now on. The deltas already held for it come with it.
   */
  private joinForRecording(assembly: KeyframeAssembly): void {
    if (this.recording.off) return;
    const now = this.now();
    const other = this.recordingSnapshot === null ? undefined : this.assemblies.get(this.recordingSnapshot);
    if (other !== undefined) this.abandonForRecording(other, now);
    this.recordingSnapshot = assembly.snapshot;
    this.recording.keyframeStarted();
    for (const delta of assembly.heldDeltas) this.recording.heldDelta(delta, now);
  }

  /** The recording's keyframe is complete: it follows it from now on, and the file gets it with the deltas held for it. */
  private keyframeRecorded(): void {
    this.recordingSnapshot = null;
    const segment = this.recording.keyframeDone(this.now());
    if (segment === undefined || this.file === undefined) return;
    for (const frame of segment.pages) this.file.append({ kind: "keyframe-page", time: segment.time, frame });
    for (const d of segment.deltas) this.file.append({ kind: "delta", time: d.time, frame: d.frame });
  }

  /** The recording gives up the keyframe it waits for (a scheduler does not finish it); the viewers that wait for it go on waiting. */
  private abandonForRecording(assembly: KeyframeAssembly, now: number): void {
    this.recordingSnapshot = null;
    this.recording.keyframeAbandoned(now);
    if (![...this.clients.values()].some((c) => c.snapshot === assembly.snapshot)) {
      this.assemblies.delete(assembly.snapshot);
      if (assembly.listsNew) this.allBehind();
    }
  }

  /** Gives up a keyframe: its clients are behind and ask again once they have caught up. */
  private abandon(assembly: KeyframeAssembly): void {
    this.assemblies.delete(assembly.snapshot);
    if (this.recordingSnapshot === assembly.snapshot) {
      this.recordingSnapshot = null;
      this.recording.keyframeAbandoned(this.now());
    }
    // A part that listed new processes made them known to deltas: every viewer needs a keyframe.
    if (assembly.listsNew) {
      this.allBehind();
      return;
    }
    for (const client of this.clients.values()) {
      if (client.snapshot !== assembly.snapshot) continue;
      client.snapshot = null;
      client.behind = true;
      client.dropped++;
    }
  }

  /** Every viewer of processes is behind: it gets a fresh keyframe once it has caught up; the recording asks for one. */
  private allBehind(): void {
    this.recording.tableLost(this.now());
    for (const client of this.clients.values()) {
      if (!client.channels.has("processes")) continue;
      client.snapshot = null;
      client.behind = true;
      client.dropped++;
    }
  }

  /**
   * A new client: hello, the site table, the recorded history, current warnings (with the ended
   * ones), then a paged keyframe and deltas. Everything recorded before this call is in the
   * history and everything after goes live: the main thread does both, so nothing is missed or
   * sent twice between them.
   */
  connect(connection: ClientConnection, channels: readonly Channel[] = CHANNELS): () => void {
    const client = new Client(connection, channels);
    this.clients.set(connection, client);
    connection.send(JSON.stringify({ ...this.hello, ...(this.mainStartedAt !== undefined ? { mainStartedAt: this.mainStartedAt } : {}), sampleIntervalMs: this.intervalMs, channels: [...client.channels] }));
    connection.send(JSON.stringify({ type: "sites", sites: this.sites }));
    this.sendHistory(client);
    if (client.channels.has("warnings")) this.sendWarnings(client);
    if (client.channels.has("faults")) this.sendFaults(client, this.faults.replay());
    if (client.channels.has("processes")) this.requestKeyframe(client);
    this.viewerConnected();
    return () => this.disconnect(client);
  }

  /** The recording: what it holds and dropped, when main ended, and the samples so far if subscribed. */
  private sendHistory(client: Client): void {
    const r = this.recording;
    const samples = client.channels.has("schedulers") ? r.sampleCount : 0;
    const history: History = { type: "history", capBytes: r.capBytes, bytes: r.bytes, samples, dropped: { ...r.dropped }, ...(r.mainExited !== undefined ? { mainExited: r.mainExited } : {}), processesFrom: r.processesFrom, eventCount: r.eventCount };
    client.connection.send(JSON.stringify(history));
    if (samples === 0) return;
    client.connection.send(encodeSampleHistory(r.sampleFrames()));
    client.historyBytes = client.connection.bufferedAmount;
  }

  private disconnect(client: Client): void {
    this.clients.delete(client.connection);
    client.held.length = 0;
    // A keyframe nobody waits for any more is not put together: with a scheduler that never
    // answers, viewers that come and go would each leave the other schedulers' pages behind.
    const wanted = client.snapshot === null ? undefined : this.assemblies.get(client.snapshot);
    if (wanted !== undefined && wanted.snapshot !== this.recordingSnapshot && ![...this.clients.values()].some((c) => c.snapshot === wanted.snapshot)) {
      this.assemblies.delete(wanted.snapshot);
      if (wanted.listsNew) this.allBehind();
    }
    for (const [id, p] of this.pending) {
      if (p.client === client) {
        clearTimeout(p.timer);
        this.pending.delete(id);
      }
    }
  }

  /** A text message from a client: a request, answered or refused with a reason. */
  request(connection: ClientConnection, text: string): void {
    this.receive(connection, text);
  }

  /** A binary message from a client: refused, in its turn. */
  binaryMessage(connection: ClientConnection): void {
    this.receive(connection, BINARY);
  }

  private receive(connection: ClientConnection, message: ClientMessage): void {
    const client = this.clients.get(connection);
    if (client === undefined) return;
    client.held.push(message);
    client.heldBytes += heldSize(message);
    if (client.heldBytes > MAX_HELD_BYTES) {
      connection.close(FLOODING_CLOSE_CODE, `sent over ${MAX_HELD_BYTES} bytes of requests while its reading was paused`);
      this.disconnect(client);
      return;
    }
    this.serve(client);
  }

  /**
   * Handles a client's held messages while it may ask (it reads what it is sent and has few
   * requests in flight), and has its transport read more only then: a client that does not read
   * cannot make the runtime queue answers for it.
   */
  private serve(client: Client): void {
    while (client.held.length > 0 && this.mayAsk(client)) {
      const message = client.held.shift()!;
      client.heldBytes -= heldSize(message);
      this.handle(client, message);
    }
    const pause = client.held.length > 0 || !this.mayAsk(client);
    if (pause === client.paused || !this.clients.has(client.connection)) return;
    client.paused = pause;
    if (pause) client.connection.pause();
    else client.connection.resume();
  }

  private mayAsk(client: Client): boolean {
    return client.inFlight < MAX_REQUESTS_IN_FLIGHT && this.backlog(client) <= this.highWater(client);
  }

  private handle(client: Client, message: ClientMessage): void {
    if (message === BINARY) {
      this.reply(client, { type: "response", id: -1, ok: false, error: "requests are JSON text messages, not binary" });
      return;
    }
    let request: Request;
    try {
      request = parseRequest(message);
    } catch (error) {
      this.reply(client, { type: "response", id: requestIdOf(message), ok: false, error: (error as ProtocolError).message });
      return;
    }
    switch (request.type) {
      case "subscribe":
        if (!client.channels.has(request.channel)) {
          client.channels.add(request.channel);
          if (request.channel === "processes") this.requestKeyframe(client);
          if (request.channel === "warnings") {
            client.endedSeen = 0;
            this.sendWarnings(client);
          }
          if (request.channel === "faults") this.sendFaults(client, this.faults.replay());
        }
        this.reply(client, { type: "response", id: request.id, ok: true, result: { channels: [...client.channels] } });
        return;
      case "unsubscribe":
        client.channels.delete(request.channel);
        this.reply(client, { type: "response", id: request.id, ok: true, result: { channels: [...client.channels] } });
        return;
      case "set-interval": {
        const failed = this.setInterval(request.ms);
        if (failed !== undefined) this.reply(client, { type: "response", id: request.id, ok: false, error: `the interval could not be passed to ${failed}` });
        else this.reply(client, { type: "response", id: request.id, ok: true, result: { intervalMs: request.ms } });
        return;
      }
      case "seek": {
        // The Past frame goes right before its response (docs/protocol.md, section 7, type 7).
        const past = this.recording.seek(request.time);
        client.connection.send(encodePast(request.id, request.time, past.frames));
        this.reply(client, { type: "response", id: request.id, ok: true, result: past.result });
        return;
      }
      case "events":
        this.reply(client, { type: "response", id: request.id, ok: true, result: this.recording.findEvents(request) });
        return;
      default:
        this.ask(client, request);
    }
  }

  /**
   * Sends a request to the scheduler that owns its process (pid id % N is the scheduler's index),
   * or to every scheduler when it names none (supervision) or names a registered name (send):
   * their answers are merged into one response.
   */
  private ask(client: Client, request: Exclude<Request, { type: "subscribe" | "unsubscribe" | "set-interval" | "seek" | "events" }>): void {
    const internal = this.nextRequest++;
    const pidText = request.type === "send" ? request.to : request.type === "supervision" ? undefined : request.pid;
    const pid = pidText === undefined ? undefined : parsePid(pidText);
    const targets = pid !== undefined ? [pid % this.schedulers.length] : this.schedulers.map((_, i) => i);
    const failed = this.toSchedulers({ type: "request", id: internal, request }, targets);
    if (failed !== undefined) {
      this.reply(client, { type: "response", id: request.id, ok: false, error: `the request could not be passed to ${failed}` });
      return;
    }
    const timer = setTimeout(() => {
      const p = this.pending.get(internal);
      if (p === undefined) return;
      this.pending.delete(internal);
      const silent = [...p.waiting].map((i) => i + 1);
      this.reply(client, {
        type: "response",
        id: request.id,
        ok: false,
        error: `${schedulerList(silent)} did not answer within ${REQUEST_TIMEOUT_MS} ms; ${silent.length === 1 ? "it" : "they"} may be stuck in a plain function`,
      });
      client.inFlight--;
      this.serve(client);
    }, REQUEST_TIMEOUT_MS);
    this.pending.set(internal, { client, id: request.id, type: request.type, timer, waiting: new Set(targets), answers: [] });
    client.inFlight++;
  }

  /** A scheduler's answer; the client's response goes once every scheduler asked has answered. */
  private answered(message: Extract<FromScheduler, { type: "response" }>, from: number): void {
    const pending = this.pending.get(message.id);
    if (pending === undefined || !pending.waiting.delete(from)) return;
    pending.answers.push(message);
    if (pending.waiting.size > 0) return;
    clearTimeout(pending.timer);
    this.pending.delete(message.id);
    this.reply(pending.client, mergeAnswers(pending.id, pending.type, pending.answers));
    pending.client.inFlight--;
    this.serve(pending.client);
  }

  /** Main starts now: uptime counts from here, not from the wait for a viewer (issue 13 item 12). */
  mainStarted(): void {
    this.mainStartedAt = this.now();
    this.file?.append({ kind: "main-started", message: { type: "main-started", at: this.mainStartedAt } });
    const text = JSON.stringify({ type: "main-started", at: this.mainStartedAt });
    for (const client of this.clients.values()) client.connection.send(text);
  }

  /** Tells clients that main ended (with --keep-alive the run goes on), and records when. */
  mainExited(crashed: boolean): void {
    const message: MainExited = { type: "main-exited", crashed, at: this.now() };
    this.recording.mainExited = { at: message.at, crashed };
    this.file?.append({ kind: "main-exited", message });
    const text = JSON.stringify(message);
    for (const client of this.clients.values()) client.connection.send(text);
  }

  /** The run is over (it ended or was stopped): no more samples, and the recording file is closed. */
  stop(): void {
    clearInterval(this.timer);
    for (const p of this.pending.values()) clearTimeout(p.timer);
    if (this.file === undefined) return;
    // The file ends with the run: a last sample covers the time since the one before.
    this.sample();
    // The warnings that held when the run ended end with it: the file lists them with their span.
    const now = this.now();
    const ended = this.recording.endAll(now);
    for (const warning of this.recording.endedSince(this.recording.endedTotal - ended)) this.file.append({ kind: "ended-warning", warning });
    this.warnings = [];
    this.warningsTime = now;
    if (this.warningsText !== "[]") this.file.append({ kind: "warnings", time: now, warnings: [] });
    this.file.close(now);
  }

  /** What the recording holds, oldest first, for writing the recording file anew. */
  private recordingState(): RecordingState {
    const r = this.recording;
    const timed: { time: number; item: RecordingItem }[] = [];
    if (this.mainStartedAt !== undefined) timed.push({ time: this.mainStartedAt, item: { kind: "main-started", message: { type: "main-started", at: this.mainStartedAt } } });
    for (const s of r.sampleEntries()) timed.push({ time: s.time, item: { kind: "sample", frame: s.frame } });
    for (const w of r.endedSince(0)) timed.push({ time: w.until, item: { kind: "ended-warning", warning: w } });
    for (const text of this.faults.replay()) {
      const message = JSON.parse(text) as FaultMessage;
      timed.push({ time: message.time, item: { kind: "fault", message } });
    }
    if (r.mainExited !== undefined) timed.push({ time: r.mainExited.at, item: { kind: "main-exited", message: { type: "main-exited", ...r.mainExited } } });
    timed.push({ time: this.warningsTime, item: { kind: "warnings", time: this.warningsTime, warnings: this.warnings } });
    // A keyframe's held deltas were recorded before its last page: they sort with it, after it.
    for (const s of r.processSegments()) {
      for (const frame of s.pages) timed.push({ time: s.time, item: { kind: "keyframe-page", time: s.time, frame } });
      for (const d of s.deltas) timed.push({ time: Math.max(s.time, d.time), item: { kind: "delta", time: d.time, frame: d.frame } });
    }
    for (const a of r.siteAggregateEntries()) timed.push({ time: a.time, item: { kind: "aggregates", time: a.time, frame: a.frame } });
    for (const e of r.eventEntries()) timed.push({ time: e.time, item: { kind: "events", time: e.time, frame: e.frame } });
    for (const t of r.treeEntries()) timed.push({ time: t.time, item: { kind: "supervision", time: t.time, tree: JSON.parse(t.text) as SupervisionTree } });
    // A stable sort: items of the same time keep the order above.
    timed.sort((a, b) => a.time - b.time);
    return { dropped: { ...r.dropped }, items: timed.map((t) => t.item) };
  }

  /** Returns why the scheduler could not be told, or undefined. */
  private setInterval(ms: number): string | undefined {
    this.intervalMs = ms;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.sample(), ms);
    this.timer.unref();
    return this.toSchedulers({ type: "set-interval", ms });
  }

  /**
   * Posts to the scheduler threads of the given indices (all by default); returns which one
   * could not be told and why ("scheduler 2: <reason>"), or undefined. A post can throw (a
   * structured clone that overflows the stack, a value it cannot clone), and what a client sent
   * must never end the runtime, so the caller answers with the reason instead.
   */
  private toSchedulers(message: ToScheduler, targets: readonly number[] = this.schedulers.map((_, i) => i)): string | undefined {
    for (const i of targets) {
      try {
        this.schedulers[i]!.post(message);
      } catch (error) {
        return `scheduler ${i + 1}: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    return undefined;
  }

  private requestKeyframe(client: Client): void {
    const snapshot = this.nextSnapshot++;
    const assembly = new KeyframeAssembly(snapshot, this.schedulers.length);
    this.assemblies.set(snapshot, assembly);
    client.snapshot = snapshot;
    // A keyframe that was never asked for would hold this client's deltas back for good.
    if (this.toSchedulers({ type: "keyframe", snapshot, pageSize: KEYFRAME_PAGE_SIZE }) !== undefined) {
      this.assemblies.delete(snapshot);
      client.snapshot = null;
      return;
    }
    // The recording takes a viewer's keyframe when it is due for one: it costs nothing more.
    const now = this.now();
    if (this.recordingSnapshot === null && this.recording.keyframeDue(now, this.processCount, this.unlisted.reduce((a, b) => a + b, 0))) this.joinForRecording(assembly);
  }

  /** Milliseconds since the run started (hello.startedAt), the time base of samples, events and warnings. */
  private now(): number {
    return performance.timeOrigin + performance.now() - this.hello.startedAt;
  }

  /** Turns the shared counters into one sample per scheduler; the hub's own timer calls it every interval. */
  sample(): void {
    const now = performance.now();
    const elapsed = Math.max(1, now - this.lastSampleAt);
    this.lastSampleAt = now;
    const samples: SchedulerSample[] = [];
    const summary = { processes: 0, runnable: 0, waiting: 0, queued: 0, crashes: 0, restarts: 0, mailboxHistogram: new Array<number>(MAILBOX_BUCKETS).fill(0) };
    const stuckNow: { scheduler: number; pid: string; ms: number; site: string }[] = [];
    this.schedulers.forEach((s, i) => {
      // One copy of the counters, read once: the scheduler thread goes on counting meanwhile, and
      // what it counts after the copy belongs to the next sample, not to neither.
      const c = this.current[i]!;
      c.set(s.counters);
      const before = this.previous[i]!;
      const delta = (k: number) => c[k]! - before[k]!;
      const stuck = s.stuck();
      // A stuck scheduler has not finished its run loop, so its busy time is not counted yet.
      const utilization = stuck.ms > 0 ? 1 : Math.min(1, delta(Counter.busyMs) / elapsed);
      if (stuck.ms > 0) stuckNow.push({ scheduler: i + 1, pid: formatPid(stuck.pid), ms: stuck.ms, site: stuck.site });
      samples.push({
        scheduler: i + 1,
        utilization,
        runQueue: c[Counter.runQueue]!,
        reductions: delta(Counter.reductions),
        slices: delta(Counter.slices),
        sends: delta(Counter.sends),
        receives: delta(Counter.receives),
        spawns: delta(Counter.spawns),
        exits: delta(Counter.exits),
        crashes: delta(Counter.crashes),
        restarts: delta(Counter.restarts),
        nonPreemptible: delta(Counter.nonPreemptible),
        heapUsed: c[Counter.heapUsed]!,
        stuckMs: stuck.ms,
        stuckPid: stuck.ms > 0 ? stuck.pid : 0,
        processes: c[Counter.processes]!,
        placedElsewhere: delta(Counter.placedElsewhere),
        crossOut: delta(Counter.crossOut),
        crossIn: delta(Counter.crossIn),
      });
      summary.processes += c[Counter.processes]!;
      summary.runnable += c[Counter.runQueue]!;
      summary.waiting += c[Counter.waiting]!;
      summary.queued += c[Counter.queued]!;
      summary.crashes += delta(Counter.crashes);
      summary.restarts += delta(Counter.restarts);
      for (let b = 0; b < MAILBOX_BUCKETS; b++) summary.mailboxHistogram[b]! += c[Counter.histogram + b]!;
      this.previous[i] = c;
      this.current[i] = before;
    });
    this.processCount = summary.processes;
    this.rules.stuckNow(stuckNow);
    this.rules.sampled(samples);
    this.judgeWarnings();
    // The moment the interval ended, the one `elapsed` measured to: consecutive samples' times
    // differ by exactly the later one's interval.
    const time = performance.timeOrigin + now - this.hello.startedAt;
    const frame = encodeFrame({ type: "schedulers", time, intervalMs: elapsed, schedulers: samples, summary });
    this.recording.sample(frame, time);
    this.file?.append({ kind: "sample", frame });
    for (const client of this.clients.values()) {
      this.catchUp(client);
      this.sendBulk(client, "schedulers", frame);
      if (client.warningsStale && this.backlog(client) <= this.highWater(client)) this.sendWarnings(client);
      this.serve(client);
    }
  }

  private judgeWarnings(): void {
    const now = this.now();
    const warnings = this.rules.judge(now);
    this.warnings = warnings;
    this.warningsTime = now;
    const ended = this.recording.warnings(warnings, now, (w) => this.rules.heldUntil(w));
    const text = JSON.stringify(warnings.map(({ since: _since, ...rest }) => rest));
    // A warning ends a while after it left the list (WARNING_GAP_MS): that is news too.
    if (text === this.warningsText && ended === 0) return;
    if (this.file !== undefined) {
      for (const warning of this.recording.endedSince(this.recording.endedTotal - ended)) this.file.append({ kind: "ended-warning", warning });
      if (text !== this.warningsText) this.file.append({ kind: "warnings", time: now, warnings });
    }
    this.warningsText = text;
    for (const client of this.clients.values()) {
      // Latest wins: a client that is behind gets the list it missed once it has drained.
      if (this.backlog(client) > this.highWater(client)) client.warningsStale = client.channels.has("warnings");
      else this.sendWarnings(client);
    }
  }

  private sendWarnings(client: Client): void {
    client.warningsStale = false;
    if (client.channels.has("warnings")) client.connection.send(this.warningsMessage(client));
  }

  /**
   * Unsent bytes besides the keyframe being sent and the history sent on connect; their parts
   * shrink as the socket drains. Both are the oldest unsent bytes, so the larger covers the other.
   */
  private backlog(client: Client): number {
    const buffered = client.connection.bufferedAmount;
    client.keyframeBytes = Math.min(client.keyframeBytes, buffered);
    client.historyBytes = Math.min(client.historyBytes, buffered);
    return buffered - Math.max(client.keyframeBytes, client.historyBytes);
  }

  /** The mark for a client's backlog: HIGH_WATER_BYTES, or its last keyframe's size if bigger. */
  private highWater(client: Client): number {
    return Math.max(HIGH_WATER_BYTES, client.keyframeSize);
  }

  /**
   * A keyframe goes out whole (it may be tens of megabytes), so one starts only for a client with
   * at most HIGH_WATER_BYTES unsent in all: a viewer that does not read is not sent keyframe
   * after keyframe as other viewers connect.
   */
  private mayStartKeyframe(client: Client): boolean {
    const buffered = client.connection.bufferedAmount;
    client.historyBytes = Math.min(client.historyBytes, buffered);
    return !client.behind && buffered - client.historyBytes <= HIGH_WATER_BYTES;
  }

  /** The current list, and the warnings that ended since the client's previous list. */
  private warningsMessage(client: Client): string {
    const ended = this.recording.endedSince(client.endedSeen);
    client.endedSeen = this.recording.endedTotal;
    const message: Warnings = { type: "warnings", seq: this.deltaSeq, time: this.warningsTime, warnings: this.warnings, ended };
    return JSON.stringify(message);
  }

  /**
   * Fault messages go like bulk frames: dropped and counted for a client that is behind, which
   * gets the latest of each group once it has caught up (their totals make that exact).
   */
  private sendFaults(client: Client, texts: readonly string[]): void {
    if (!client.channels.has("faults") || texts.length === 0) return;
    if (client.behind || this.backlog(client) > this.highWater(client)) {
      client.behind = true;
      client.dropped += texts.length;
      return;
    }
    for (const text of texts) client.connection.send(text);
  }

  private sendBulk(client: Client, channel: Channel, frame: ArrayBuffer): void {
    if (!client.channels.has(channel)) return;
    if (client.behind || this.backlog(client) > this.highWater(client)) {
      client.behind = true;
      client.dropped++;
      return;
    }
    client.connection.send(frame);
  }

  /** A client that was behind and has drained gets told what it missed and a fresh keyframe. */
  private catchUp(client: Client): void {
    // All of it, keyframes included: a fresh keyframe behind one still unread would be refused.
    if (!client.behind || client.connection.bufferedAmount > LOW_WATER_BYTES) return;
    client.behind = false;
    client.connection.send(JSON.stringify({ type: "lagging", droppedFrames: client.dropped }));
    client.dropped = 0;
    this.sendFaults(client, this.faults.replay());
    if (client.channels.has("processes")) this.requestKeyframe(client);
  }

  private reply(client: Client, response: Response): void {
    client.connection.send(JSON.stringify(response));
  }
}

function heldSize(message: ClientMessage): number {
  return HELD_MESSAGE_OVERHEAD + (message === BINARY ? 0 : message.length);
}

/** A request sent to one scheduler or several, waiting for their answers. */
interface PendingRequest {
  client: Client;
  /** The client's id for it, and its type, which says how answers merge. */
  id: number;
  type: Request["type"];
  timer: NodeJS.Timeout;
  /** The schedulers (0-based) that have not answered yet. */
  waiting: Set<number>;
  answers: Extract<FromScheduler, { type: "response" }>[];
}

/**
 * One response from the answers of the schedulers asked. A request for one process had one
 * answer. A `send` to a name went to all: the scheduler that holds the name delivers, and the
 * others say that they have no such name. `supervision` joins every scheduler's tree.
 */
function mergeAnswers(id: number, type: Request["type"], answers: readonly Extract<FromScheduler, { type: "response" }>[]): Response {
  const failed = answers.find((a) => !a.ok);
  if (type === "supervision" && failed === undefined) {
    const trees = answers.map((a) => (a as { result: RequestResult }).result as SupervisionTree);
    return { type: "response", id, ok: true, result: mergeSupervisionTrees(trees) };
  }
  const ok = answers.find((a) => a.ok);
  if (ok !== undefined && (type === "send" || failed === undefined)) return { type: "response", id, ok: true, result: ok.result };
  return { type: "response", id, ok: false, error: failed !== undefined && !failed.ok ? failed.error : "no scheduler answered" };
}

/** "scheduler 2", "schedulers 1 and 3", "schedulers 1, 2 and 4". */
function schedulerList(ids: readonly number[]): string {
  if (ids.length === 1) return `scheduler ${ids[0]}`;
  return `schedulers ${ids.slice(0, -1).join(", ")} and ${ids.at(-1)}`;
}
