// The main thread's telemetry aggregator. It samples the schedulers' shared counters on its own
// timer (so it answers and reports even while a scheduler is stuck), forwards the deltas and
// keyframe pages the scheduler threads encode, judges warnings, answers client requests, and
// fans everything out to clients by channel. A client that falls behind gets frames dropped and
// counted, then a fresh keyframe: latest state wins. Every byte queued for a client is bounded,
// responses included: a client's requests are read only while it reads what it was sent
// (docs/protocol.md, section 6).

import { formatPid, MAX_REQUEST_BYTES, parseRequest, type Channel, CHANNELS, type Hello, type Request, type Response, type Site, type Warning } from "../../protocol/control.js";
import { encodeFrame, MAILBOX_BUCKETS, type SchedulerSample } from "../../protocol/frames.js";
import { ProtocolError } from "../../protocol/binaryCursor.js";
import { Counter } from "../core/schedulerCounters.js";
import type { FromScheduler, ToScheduler } from "../host/schedulerMessages.js";
import { FaultHistory } from "./faultHistory.js";
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
  constructor(
    readonly connection: ClientConnection,
    channels: readonly Channel[],
  ) {
    this.channels = new Set(channels);
  }
}

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
  private warnings: Warning[] = [];
  private warningsText = "[]";
  /** The sequence number of the last delta a scheduler sent: warnings say which tick they are of. */
  private deltaSeq = 0;
  private previous: Float64Array[];
  private lastSampleAt = performance.now();
  private intervalMs: number;
  private timer: NodeJS.Timeout;
  private nextSnapshot = 1;
  private nextRequest = 1;
  private readonly pending = new Map<number, { client: Client; id: number; timer: NodeJS.Timeout }>();
  /** When main started, on the samples' clock (see mainStarted). */
  private mainStartedAt: number | undefined;
  private viewerConnected!: () => void;
  /** Settles when the first client connects (`--wait-for-viewer` starts the program then). */
  readonly firstViewer = new Promise<void>((resolve) => (this.viewerConnected = resolve));

  constructor(
    private readonly schedulers: SchedulerHandle[],
    private readonly hello: Omit<Hello, "channels" | "sampleIntervalMs">,
    private readonly sites: Site[],
    intervalMs: number,
  ) {
    this.intervalMs = intervalMs;
    const siteNames = new Map(sites.map((s) => [s.id, `${s.file}:${s.line}`]));
    const receiveSites = new Set(sites.filter((s) => s.kind === "receive" && s.name === "receive").map((s) => s.id));
    this.rules = new WarningRules(
      (id) => siteNames.get(id) ?? "",
      (id) => receiveSites.has(id),
    );
    this.previous = schedulers.map((s) => Float64Array.from(s.counters));
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Messages from a scheduler thread that concern telemetry. */
  fromScheduler(message: FromScheduler): void {
    switch (message.type) {
      case "telemetry": {
        // The tick's warnings go out before its delta, marked with its seq: a viewer has them by
        // the time it has applied the delta, and shows the two together (docs/protocol.md).
        this.deltaSeq = new DataView(message.delta).getUint32(3, true);
        this.rules.observe(message.watch);
        this.rules.faults(message.faults);
        this.faults.add(message.faults);
        // Faults go before the warnings judged from them.
        if (message.faults.length > 0) {
          const faults = message.faults.map((m) => JSON.stringify(m));
          for (const client of this.clients.values()) this.sendFaults(client, faults);
        }
        this.judgeWarnings();
        for (const client of this.clients.values()) {
          if (client.snapshot === null) this.sendBulk(client, "processes", message.delta);
          this.sendBulk(client, "sites", message.sites);
          if (message.events !== null) this.sendBulk(client, "events", message.events);
        }
        break;
      }
      case "keyframe-page":
        // A keyframe that lists processes no delta listed is every viewer's: deltas take them as
        // known from now on. The others start over from its first page, their deltas held back
        // until its last, like the viewer that asked.
        if (message.listsNew && isFirstPage(message.frame)) {
          for (const client of this.clients.values()) if (client.channels.has("processes")) client.snapshot = message.snapshot;
        }
        for (const client of this.clients.values()) {
          if (client.snapshot !== message.snapshot) continue;
          if (isFirstPage(message.frame) && client.channels.has("processes") && !this.mayStartKeyframe(client)) {
            // Sent whole or not at all: it waits for a fresh keyframe once it has caught up.
            client.snapshot = null;
            client.behind = true;
            client.dropped += pagesOf(message.frame);
            continue;
          }
          if (client.channels.has("processes")) {
            client.keyframeSize = (isFirstPage(message.frame) ? 0 : client.keyframeSize) + message.frame.byteLength;
            client.connection.send(message.frame);
            client.keyframeBytes = client.connection.bufferedAmount;
          }
          // The last page lets the deltas through again.
          if (isLastPage(message.frame)) client.snapshot = null;
        }
        break;
      case "response": {
        const pending = this.pending.get(message.id);
        if (pending === undefined) return;
        clearTimeout(pending.timer);
        this.pending.delete(message.id);
        this.reply(pending.client, message.ok ? { type: "response", id: pending.id, ok: true, result: message.result } : { type: "response", id: pending.id, ok: false, error: message.error });
        pending.client.inFlight--;
        this.serve(pending.client);
        break;
      }
      case "non-preemptible":
        this.rules.nonPreemptibleSlice(message.pid, message.site, message.ms, this.now());
        break;
    }
  }

  /** A new client: hello, the site table, current warnings, then a paged keyframe and deltas. */
  connect(connection: ClientConnection, channels: readonly Channel[] = CHANNELS): () => void {
    const client = new Client(connection, channels);
    this.clients.set(connection, client);
    connection.send(JSON.stringify({ ...this.hello, ...(this.mainStartedAt !== undefined ? { mainStartedAt: this.mainStartedAt } : {}), sampleIntervalMs: this.intervalMs, channels: [...client.channels] }));
    connection.send(JSON.stringify({ type: "sites", sites: this.sites }));
    if (client.channels.has("warnings")) connection.send(this.warningsMessage());
    if (client.channels.has("faults")) this.sendFaults(client, this.faults.replay());
    if (client.channels.has("processes")) this.requestKeyframe(client);
    this.viewerConnected();
    return () => this.disconnect(client);
  }

  private disconnect(client: Client): void {
    this.clients.delete(client.connection);
    client.held.length = 0;
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
      this.reply(client, { type: "response", id: idOf(message), ok: false, error: (error as ProtocolError).message });
      return;
    }
    switch (request.type) {
      case "subscribe":
        if (!client.channels.has(request.channel)) {
          client.channels.add(request.channel);
          if (request.channel === "processes") this.requestKeyframe(client);
          if (request.channel === "warnings") client.connection.send(this.warningsMessage());
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
        if (failed !== undefined) this.reply(client, { type: "response", id: request.id, ok: false, error: `the interval could not be passed to scheduler 1: ${failed}` });
        else this.reply(client, { type: "response", id: request.id, ok: true, result: { intervalMs: request.ms } });
        return;
      }
      default: {
        const internal = this.nextRequest++;
        const failed = this.toScheduler({ type: "request", id: internal, request });
        if (failed !== undefined) {
          this.reply(client, { type: "response", id: request.id, ok: false, error: `the request could not be passed to scheduler 1: ${failed}` });
          return;
        }
        const timer = setTimeout(() => {
          this.pending.delete(internal);
          this.reply(client, {
            type: "response",
            id: request.id,
            ok: false,
            error: `scheduler 1 did not answer within ${REQUEST_TIMEOUT_MS} ms; it may be stuck in a plain function`,
          });
          client.inFlight--;
          this.serve(client);
        }, REQUEST_TIMEOUT_MS);
        this.pending.set(internal, { client, id: request.id, timer });
        client.inFlight++;
      }
    }
  }

  /** Main starts now: uptime counts from here, not from the wait for a viewer (issue 13 item 12). */
  mainStarted(): void {
    this.mainStartedAt = this.now();
    const text = JSON.stringify({ type: "main-started", at: this.mainStartedAt });
    for (const client of this.clients.values()) client.connection.send(text);
  }

  /** Tells clients that main ended (with --keep-alive the run goes on). */
  mainExited(crashed: boolean): void {
    const text = JSON.stringify({ type: "main-exited", crashed });
    for (const client of this.clients.values()) client.connection.send(text);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const p of this.pending.values()) clearTimeout(p.timer);
  }

  /** Returns why the scheduler could not be told, or undefined. */
  private setInterval(ms: number): string | undefined {
    this.intervalMs = ms;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.sample(), ms);
    this.timer.unref();
    return this.toScheduler({ type: "set-interval", ms });
  }

  /**
   * Posts to every scheduler thread; returns why a post failed, or undefined. A post can throw
   * (a structured clone that overflows the stack, a value it cannot clone), and what a client
   * sent must never end the runtime, so the caller answers with the reason instead.
   */
  private toScheduler(message: ToScheduler): string | undefined {
    for (const s of this.schedulers) {
      try {
        s.post(message);
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    }
    return undefined;
  }

  private requestKeyframe(client: Client): void {
    client.snapshot = this.nextSnapshot++;
    // A keyframe that was never asked for would hold this client's deltas back for good.
    if (this.toScheduler({ type: "keyframe", snapshot: client.snapshot, pageSize: KEYFRAME_PAGE_SIZE }) !== undefined) client.snapshot = null;
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
    let stuckNow: { scheduler: number; pid: string; ms: number; site: string } | undefined;
    this.schedulers.forEach((s, i) => {
      const c = s.counters;
      const before = this.previous[i]!;
      const delta = (k: number) => c[k]! - before[k]!;
      const stuck = s.stuck();
      // A stuck scheduler has not finished its run loop, so its busy time is not counted yet.
      const utilization = stuck.ms > 0 ? 1 : Math.min(1, delta(Counter.busyMs) / elapsed);
      if (stuck.ms > 0) stuckNow = { scheduler: i + 1, pid: formatPid(stuck.pid), ms: stuck.ms, site: stuck.site };
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
      });
      summary.processes += c[Counter.processes]!;
      summary.runnable += c[Counter.runQueue]!;
      summary.waiting += c[Counter.waiting]!;
      summary.queued += c[Counter.queued]!;
      summary.crashes += delta(Counter.crashes);
      summary.restarts += delta(Counter.restarts);
      for (let b = 0; b < MAILBOX_BUCKETS; b++) summary.mailboxHistogram[b]! += c[Counter.histogram + b]!;
      before.set(c);
    });
    this.rules.stuckNow(stuckNow);
    this.judgeWarnings();
    const frame = encodeFrame({ type: "schedulers", time: this.now(), intervalMs: elapsed, schedulers: samples, summary });
    for (const client of this.clients.values()) {
      this.catchUp(client);
      this.sendBulk(client, "schedulers", frame);
      if (client.warningsStale && this.backlog(client) <= this.highWater(client)) this.sendWarnings(client);
      this.serve(client);
    }
  }

  private judgeWarnings(): void {
    const runQueues = this.schedulers.map((s) => s.counters[Counter.runQueue]!);
    const warnings = this.rules.judge(runQueues, this.now());
    this.warnings = warnings;
    const text = JSON.stringify(warnings.map(({ since: _since, ...rest }) => rest));
    if (text === this.warningsText) return;
    this.warningsText = text;
    for (const client of this.clients.values()) {
      // Latest wins: a client that is behind gets the list it missed once it has drained.
      if (this.backlog(client) > this.highWater(client)) client.warningsStale = client.channels.has("warnings");
      else this.sendWarnings(client);
    }
  }

  private sendWarnings(client: Client): void {
    client.warningsStale = false;
    if (client.channels.has("warnings")) client.connection.send(this.warningsMessage());
  }

  /** Unsent bytes besides the keyframe being sent; the keyframe's part shrinks as the socket drains. */
  private backlog(client: Client): number {
    const buffered = client.connection.bufferedAmount;
    client.keyframeBytes = Math.min(client.keyframeBytes, buffered);
    return buffered - client.keyframeBytes;
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
    return !client.behind && client.connection.bufferedAmount <= HIGH_WATER_BYTES;
  }

  private warningsMessage(): string {
    return JSON.stringify({ type: "warnings", seq: this.deltaSeq, warnings: this.warnings });
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

function isFirstPage(frame: ArrayBuffer): boolean {
  return new DataView(frame).getUint32(7, true) === 0;
}

function heldSize(message: ClientMessage): number {
  return HELD_MESSAGE_OVERHEAD + (message === BINARY ? 0 : message.length);
}

function pagesOf(frame: ArrayBuffer): number {
  return new DataView(frame).getUint32(11, true);
}

function isLastPage(frame: ArrayBuffer): boolean {
  // Page header: magic, version, type, then u32 snapshot, page, pages (see frames.ts).
  const view = new DataView(frame);
  return view.getUint32(7, true) === view.getUint32(11, true) - 1;
}

function idOf(text: string): number {
  try {
    const id = (JSON.parse(text) as { id?: unknown }).id;
    return Number.isInteger(id) ? (id as number) : -1;
  } catch {
    return -1;
  }
}
