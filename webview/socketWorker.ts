// The telemetry WebSocket on a thread of its own (built as visualizer-worker.js). Chromium reads a
// WebSocket message on the thread that owns the socket, and a 860 KB delta (20,000 processes) costs
// that thread 20–80 ms of native work: here it does not hold up the page's frames. Each message
// reaches the page as an ArrayBuffer that is transferred, not copied.

/** From the page to the worker. */
export type SocketCommand = { type: "open"; url: string; protocols: string[] } | { type: "send"; text: string } | { type: "close" };
/** From the worker to the page. */
export type SocketEvent = { type: "open" } | { type: "message"; data: ArrayBuffer | string } | { type: "close" };

/** The part of a dedicated worker's global scope used here (this project type-checks against the DOM library). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<SocketCommand>) => void) | null;
  postMessage(message: SocketEvent, transfer?: Transferable[]): void;
  close(): void;
}

const scope = self as unknown as WorkerScope;
let ws: WebSocket | null = null;

scope.onmessage = ({ data: command }) => {
  switch (command.type) {
    case "open": {
      const socket = new WebSocket(command.url, command.protocols);
      socket.binaryType = "arraybuffer";
      socket.onopen = () => scope.postMessage({ type: "open" });
      socket.onmessage = ({ data }: MessageEvent<ArrayBuffer | string>) => scope.postMessage({ type: "message", data }, typeof data === "string" ? [] : [data]);
      socket.onclose = () => scope.postMessage({ type: "close" });
      ws = socket;
      return;
    }
    case "send":
      ws?.send(command.text);
      return;
    case "close":
      if (ws !== null) {
        ws.onclose = null;
        ws.close();
      }
      scope.close();
      return;
  }
};
