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
/** The worker's script, or null for the page's thread; set to null if a worker fails to start. */
let workerScript: Promise<string | null> = chooseWorkerScript();

function chooseWorkerScript(): Promise<string | null> {
  if (scriptUrl === "") return Promise.resolve(null);
  const url = new URL("visualizer-worker.js", scriptUrl);
  if (url.origin === location.origin) return Promise.resolve(url.href);
  // A VS Code webview loads its scripts from another origin, and a worker cannot start from
  // there: it starts from a blob: URL of the same script instead (the webview's CSP allows
  // `worker-src blob:`). Anything that goes wrong leaves the socket on the page's thread.
  const fetched = fetch(url)
    .then((r) => (r.ok ? r.text() : null))
    .then((text) => (text === null ? null : URL.createObjectURL(new Blob([text], { type: "text/javascript" }))))
    .catch(() => null);
  const timeout = new Promise<null>((resolve) => window.setTimeout(() => resolve(null), 2000));
  return Promise.race([fetched, timeout]);
}

/** Opens `url` offering `protocols` (the token travels as one, see protocol/control.ts). */
export function openSocket(url: string, protocols: string[], handlers: SocketHandlers): TelemetrySocket {
  return new ChosenSocket(url, protocols, handlers);
}

/** Opens a worker's or the page's socket once the worker's script is known. */
class ChosenSocket implements TelemetrySocket {
  private socket: TelemetrySocket | null = null;
  private closed = false;

  constructor(url: string, protocols: string[], handlers: SocketHandlers) {
    void workerScript.then((script) => {
      if (this.closed) return;
      this.socket = script === null ? new PageSocket(url, protocols, handlers) : new WorkerSocket(script, url, protocols, handlers);
    });
  }

  get open(): boolean {
    return this.socket?.open ?? false;
  }

  send(text: string): void {
    this.socket?.send(text);
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
  }
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
      workerScript = Promise.resolve(null);
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
