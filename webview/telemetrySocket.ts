// The socket the connection talks through: the WebSocket lives in a worker (socketWorker.ts) where
// the page may start one, so that reading a large message never blocks a frame; otherwise it lives
// on the page's thread. VS Code webviews load their scripts from another origin than the page's,
// and a worker must come from the page's own origin.

import type { SocketCommand, SocketEvent } from "./socketWorker.js";

export interface TelemetrySocket {
  /** Open and not yet closed: sends go through. */
  readonly open: boolean;
  send(text: string): void;
  /** Closes without calling `closed`. */
  close(): void;
}

export interface SocketHandlers {
  opened(): void;
  message(data: ArrayBuffer | string): void;
  closed(): void;
}

// Read while the bundle runs: document.currentScript is null once it has.
const scriptUrl = document.currentScript instanceof HTMLScriptElement ? document.currentScript.src : "";
let workerUrl = scriptUrl !== "" && new URL(scriptUrl).origin === location.origin ? new URL("visualizer-worker.js", scriptUrl).href : null;

/** Opens `url` offering `protocols` (the token travels as one, see protocol/control.ts). */
export function openSocket(url: string, protocols: string[], handlers: SocketHandlers): TelemetrySocket {
  return workerUrl === null ? new PageSocket(url, protocols, handlers) : new WorkerSocket(workerUrl, url, protocols, handlers);
}

class PageSocket implements TelemetrySocket {
  private readonly ws: WebSocket;

  constructor(url: string, protocols: string[], handlers: SocketHandlers) {
    this.ws = new WebSocket(url, protocols);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => handlers.opened();
    this.ws.onmessage = (event: MessageEvent) => handlers.message(event.data as ArrayBuffer | string);
    this.ws.onclose = () => handlers.closed();
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  close(): void {
    this.ws.onclose = null;
    this.ws.close();
  }
}

class WorkerSocket implements TelemetrySocket {
  private readonly worker: Worker;
  private state: "connecting" | "open" | "closed" = "connecting";

  constructor(script: string, url: string, protocols: string[], handlers: SocketHandlers) {
    this.worker = new Worker(script);
    this.worker.onmessage = ({ data: event }: MessageEvent<SocketEvent>) => {
      if (this.state === "closed") return;
      if (event.type === "message") handlers.message(event.data);
      else if (event.type === "open") {
        this.state = "open";
        handlers.opened();
      } else {
        this.state = "closed";
        this.worker.terminate();
        handlers.closed();
      }
    };
    // The worker script could not run (missing, or refused by a CSP): from now on, the page's thread.
    this.worker.onerror = () => {
      if (this.state === "closed") return;
      workerUrl = null;
      this.state = "closed";
      this.worker.terminate();
      handlers.closed();
    };
    this.post({ type: "open", url, protocols });
  }

  get open(): boolean {
    return this.state === "open";
  }

  send(text: string): void {
    this.post({ type: "send", text });
  }

  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    // The worker closes the socket cleanly, then itself.
    this.post({ type: "close" });
  }

  private post(command: SocketCommand): void {
    this.worker.postMessage(command);
  }
}
