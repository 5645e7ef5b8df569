// The extension host's own light subscription to a runtime: the site table and per-site
// aggregates (code lenses, waiting decorations), scheduler samples (status bar), warnings, and
// faults (crashes, restarts and supervisors that gave up: the diagnostics).
// Processes are fetched on demand only (a keyframe for the quick picks), never streamed.
// No vscode import: plain `ws` and the protocol codec.

import WebSocket from "ws";
import type { ControlMessage, FaultMessage, Hello, Site, Warning } from "../protocol/control.js";
import { decodeFrame, type ProcessInfo, type SchedulerSamplesFrame, type SiteAggregate } from "../protocol/frames.js";
import { learnProcessFunctions } from "./siteLenses.js";

export const LIGHT_CHANNELS = "sites,schedulers,warnings,faults";

type Listener<T> = (value: T) => void;

export class Emitter<T> {
  private listeners = new Set<Listener<T>>();
  on(listener: Listener<T>): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
}

export interface Response {
  ok: boolean;
  result?: unknown;
  error?: string;
}

export class TelemetryConnection {
  hello: Hello | undefined;
  sites: Site[] = [];
  readonly aggregates = new Map<number, SiteAggregate>();
  schedulers: SchedulerSamplesFrame | undefined;
  warnings: Warning[] = [];
  mainExited: { crashed: boolean } | undefined;
  /** Crashes and restarts since this connection opened, summed from the samples' per-interval counts. */
  readonly totals = { crashes: 0, restarts: 0 };
  /** Process function name → the spawn sites that started processes running it. */
  readonly processFunctions = new Map<string, number[]>();
  /** The last process list fetched, and when. */
  lastProcesses: ProcessInfo[] = [];

  readonly onSites = new Emitter<void>();
  readonly onAggregates = new Emitter<void>();
  readonly onSchedulers = new Emitter<SchedulerSamplesFrame>();
  readonly onWarnings = new Emitter<Warning[]>();
  readonly onMainExited = new Emitter<{ crashed: boolean }>();
  readonly onFault = new Emitter<FaultMessage>();
  readonly onClose = new Emitter<void>();

  private ws: WebSocket | undefined;
  private nextId = 1;
  private pending = new Map<number, (r: Response) => void>();
  private pageCollector: ((frame: { snapshot: number; page: number; pages: number; processes: ProcessInfo[] }) => void) | undefined;
  private closed = false;

  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  /** Opens the WebSocket; resolves when the runtime said hello. */
  connect(timeoutMs = 10000): Promise<Hello> {
    const ws = new WebSocket(`${this.url}?token=${encodeURIComponent(this.token)}&channels=${LIGHT_CHANNELS}`, { perMessageDeflate: false });
    this.ws = ws;
    return new Promise<Hello>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no hello from ${this.url} within ${timeoutMs} ms`));
        ws.terminate();
      }, timeoutMs);
      ws.on("message", (data, isBinary) => {
        try {
          if (isBinary) this.onFrame(data as Buffer);
          else {
            const message = JSON.parse(data.toString()) as ControlMessage;
            this.onControl(message);
            if (message.type === "hello") {
              clearTimeout(timer);
              resolve(message);
            }
          }
        } catch (error) {
          // A frame this side cannot read: skip it, keep the connection.
          console.error("beamline: bad telemetry message", error);
        }
      });
      ws.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      ws.on("close", () => {
        clearTimeout(timer);
        this.closed = true;
        for (const p of this.pending.values()) p({ ok: false, error: "the connection to the runtime closed" });
        this.pending.clear();
        this.onClose.fire();
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.ws?.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.closed = true;
    this.ws?.terminate();
  }

  /** Sends a request and resolves with the runtime's response. */
  request(body: Record<string, unknown> & { type: string }, timeoutMs = 10000): Promise<Response> {
    if (!this.isOpen) return Promise.resolve({ ok: false, error: "not connected to a runtime" });
    const id = this.nextId++;
    return new Promise<Response>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, error: `the runtime did not answer within ${timeoutMs} ms` });
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.ws!.send(JSON.stringify({ id, ...body }));
    });
  }

  /** All live processes, from one keyframe (subscribe to processes, collect its pages, unsubscribe). */
  async fetchProcesses(timeoutMs = 10000): Promise<ProcessInfo[]> {
    if (!this.isOpen) return this.lastProcesses;
    const collected: ProcessInfo[] = [];
    const done = new Promise<ProcessInfo[]>((resolve, reject) => {
      let snapshot: number | undefined;
      const timer = setTimeout(() => {
        this.pageCollector = undefined;
        reject(new Error("the runtime did not send its process list in time"));
      }, timeoutMs);
      this.pageCollector = (frame) => {
        if (snapshot === undefined) snapshot = frame.snapshot;
        if (frame.snapshot !== snapshot) return;
        collected.push(...frame.processes);
        if (frame.page === frame.pages - 1) {
          clearTimeout(timer);
          this.pageCollector = undefined;
          resolve(collected);
        }
      };
    });
    const sub = await this.request({ type: "subscribe", channel: "processes" });
    if (!sub.ok) {
      this.pageCollector = undefined;
      throw new Error(sub.error);
    }
    try {
      const processes = await done;
      this.lastProcesses = processes;
      if (learnProcessFunctions(this.processFunctions, processes)) this.onSites.fire();
      return processes;
    } finally {
      void this.request({ type: "unsubscribe", channel: "processes" });
    }
  }

  private onControl(message: ControlMessage): void {
    switch (message.type) {
      case "hello":
        this.hello = message;
        break;
      case "sites":
        this.sites = message.sites;
        this.onSites.fire();
        break;
      case "warnings":
        this.warnings = message.warnings;
        this.onWarnings.fire(message.warnings);
        break;
      case "main-exited":
        this.mainExited = { crashed: message.crashed };
        this.onMainExited.fire(this.mainExited);
        break;
      case "crash":
      case "restart":
      case "gave-up":
        this.onFault.fire(message);
        break;
      case "response": {
        const p = this.pending.get(message.id);
        if (p) {
          this.pending.delete(message.id);
          p(message.ok ? { ok: true, result: message.result } : { ok: false, error: message.error });
        }
        break;
      }
      default:
        break;
    }
  }

  private onFrame(data: Buffer): void {
    const frame = decodeFrame(data);
    switch (frame.type) {
      case "site-aggregates":
        for (const a of frame.aggregates) this.aggregates.set(a.site, a);
        this.onAggregates.fire();
        break;
      case "schedulers":
        this.schedulers = frame;
        this.totals.crashes += frame.summary.crashes;
        this.totals.restarts += frame.summary.restarts;
        this.onSchedulers.fire(frame);
        break;
      case "process-page":
        this.pageCollector?.(frame);
        break;
      default:
        break;
    }
  }
}
