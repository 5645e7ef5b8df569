// The WebSocket to the runtime: decodes frames, matches responses to requests, and reconnects with
// backoff when the runtime goes away. The token is only ever put into the socket URL, never logged.

import { SUBPROTOCOL, tokenSubprotocol, type ControlMessage, type Request, type Response } from "../protocol/control.js";
import { decodeFrame, ProcessFrameView, readPastFrame, readProcessFrame, type Frame, type PastFrameView } from "../protocol/frames.js";
import { openSocket, type TelemetrySocket } from "./telemetrySocket.js";

export type ConnectionStatus = "idle" | "connecting" | "live" | "stopped";

export interface ConnectionEvents {
  frame(frame: Frame): void;
  /** Process pages and deltas, read in place rather than decoded into objects. */
  processFrame(frame: ProcessFrameView): void;
  /** The answer to a `seek`, read in place: its inner frames are applied to the past table. */
  pastFrame(frame: PastFrameView): void;
  control(message: ControlMessage): void;
  status(status: ConnectionStatus, detail: string): void;
}

type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

const REQUEST_TIMEOUT_MS = 8000;
const MAX_BACKOFF_MS = 4000;

export class Connection {
  private socket: TelemetrySocket | null = null;
  private target: { url: string; token: string } | null = null;
  private retryTimer: number | undefined;
  private backoff = 250;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Response) => void; timer: number }>();
  status: ConnectionStatus = "idle";
  /** Frames that failed to decode: shown in the status line, never thrown into the render loop. */
  badFrames = 0;

  constructor(private readonly events: ConnectionEvents) {}

  /** Connects to a runtime (again): a new target replaces the old one. */
  connect(url: string, token: string): void {
    this.target = { url, token };
    this.backoff = 250;
    this.open();
  }

  /** The host says the runtime stopped: keep the data, stop retrying until told to connect again. */
  stop(reason: string): void {
    this.target = null;
    this.closeSocket();
    this.setStatus("stopped", reason);
  }

  request(body: RequestBody): Promise<Response> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      if (this.socket === null || !this.socket.open) {
        resolve({ type: "response", id, ok: false, error: "not connected to a runtime" });
        return;
      }
      const timer = window.setTimeout(() => {
        this.pending.delete(id);
        resolve({ type: "response", id, ok: false, error: `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` });
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
      this.socket.send(JSON.stringify({ ...body, id }));
    });
  }

  private open(): void {
    this.closeSocket();
    if (this.target === null) return;
    this.setStatus("connecting", "connecting to the runtime…");
    // The token goes as a subprotocol, not in the URL, which Chromium logs when a connection fails.
    const socket: TelemetrySocket = openSocket(this.target.url, [SUBPROTOCOL, tokenSubprotocol(this.target.token)], {
      opened: () => {
        this.backoff = 250;
        this.setStatus("live", "connected");
      },
      message: (data) => this.receive(data),
      closed: () => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.failPending("the connection closed");
        this.setStatus("stopped", "runtime stopped — showing the last state; reconnecting…");
        this.scheduleRetry();
      },
    });
    this.socket = socket;
  }

  private receive(data: ArrayBuffer | string): void {
    if (typeof data === "string") {
      let message: ControlMessage;
      try {
        message = JSON.parse(data) as ControlMessage;
      } catch {
        this.badFrames++;
        return;
      }
      if (message.type === "response") {
        const p = this.pending.get(message.id);
        if (p !== undefined) {
          window.clearTimeout(p.timer);
          this.pending.delete(message.id);
          p.resolve(message);
        }
        return;
      }
      this.events.control(message);
      return;
    }
    let frame: Frame | ProcessFrameView | PastFrameView;
    try {
      // A Past frame is read in place too: its inner frames go to the past table undecoded.
      frame = readProcessFrame(data) ?? readPastFrame(data) ?? decodeFrame(data);
    } catch {
      this.badFrames++;
      return;
    }
    if (frame instanceof ProcessFrameView) this.events.processFrame(frame);
    else if (!("type" in frame)) this.events.pastFrame(frame);
    else this.events.frame(frame);
  }

  private scheduleRetry(): void {
    if (this.target === null) return;
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => this.open(), this.backoff);
    this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
  }

  private closeSocket(): void {
    window.clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.failPending("the connection was replaced");
  }

  private failPending(error: string): void {
    for (const [id, p] of this.pending) {
      window.clearTimeout(p.timer);
      p.resolve({ type: "response", id, ok: false, error });
    }
    this.pending.clear();
  }

  private setStatus(status: ConnectionStatus, detail: string): void {
    this.status = status;
    this.events.status(status, detail);
  }
}
