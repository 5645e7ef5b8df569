// A WebSocket relay in the extension host between the visualizer webviews and the runtime. The
// runtime refuses browser Origins other than its own page and `vscode-webview://`; a webview in a
// browser-hosted VS Code (code-server, vscode.dev tunnels) has the editor's origin instead. So the
// webviews connect here, and the relay connects to the runtime as a non-browser client with the
// run's token in a header and passes frames both ways, unchanged. A slow webview pauses the
// runtime side, so the runtime's own catch-up logic (coalesced frames, fresh keyframe) applies.
//
// The relay admits only the webviews it serves: they present the relay's own secret (given only
// to them, with their "connect" message; the run's token is not accepted here), and a browser's
// Origin must be a VS Code webview's or one a webview of this window reported as its own. It
// answers everything else as the runtime does (protocol/upgrade.ts; docs/protocol.md, section 3).

import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import WebSocket, { WebSocketServer } from "ws";
import { MAX_REQUEST_BYTES, SUBPROTOCOL } from "../protocol/control.js";
import { refusalResponse, refuseUpgrade } from "../protocol/upgrade.js";

const HIGH_WATER = 4 * 1024 * 1024;

export interface RelayOptions {
  /** The runtime's WebSocket, `ws://host:port/ws`. */
  upstreamUrl: string;
  /** The run's token, which the relay presents to the runtime. */
  upstreamToken: string;
  /** Whether a browser Origin other than `vscode-webview://…` is one of this window's webviews. */
  isWebviewOrigin(origin: string): boolean;
}

export interface Relay {
  port: number;
  /** The credential the webviews present here, in place of the run's token. */
  secret: string;
  close(): Promise<void>;
}

/**
 * The origin a webview reported as its own (`location.origin`), when it is one the relay may
 * admit: an http(s) origin as a browser sends it. Anything else (`null`, a URL with a path) is not.
 */
export function reportedWebviewOrigin(reported: unknown): string | undefined {
  if (typeof reported !== "string") return undefined;
  try {
    const url = new URL(reported);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === reported ? reported : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a relay on 127.0.0.1 for the runtime at `options.upstreamUrl`, with a secret of its own. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const secret = randomBytes(24).toString("base64url");
  const expected = Buffer.from(secret);
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_REQUEST_BYTES,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  // No page here, only the WebSocket: plain requests get the runtime's answers for a missing file.
  const server: Server = createServer((req, res) => (req.method === "GET" ? res.writeHead(404).end("not found") : res.writeHead(405).end("only GET")));
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = refuseUpgrade(req, {
      credential: (given) => {
        const buffer = Buffer.from(given);
        return buffer.length === expected.length && timingSafeEqual(buffer, expected);
      },
      origin: (origin) => origin.startsWith("vscode-webview://") || options.isWebviewOrigin(origin),
    });
    if (refusal !== undefined) {
      socket.end(refusalResponse(refusal));
      return;
    }
    // The client's other parameters (channels) go on; the relay presents the run's token itself.
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    url.searchParams.delete("token");
    const query = url.searchParams.toString();
    wss.handleUpgrade(req, socket, head, (client) => bridge(client, `${options.upstreamUrl}${query === "" ? "" : `?${query}`}`, options.upstreamToken));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    secret,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function bridge(client: WebSocket, target: string, token: string): void {
  const upstream = new WebSocket(target, { perMessageDeflate: false, headers: { Authorization: `Bearer ${token}` } });
  const early: { data: WebSocket.RawData; isBinary: boolean }[] = [];
  let timer: NodeJS.Timeout | undefined;
  upstream.on("open", () => {
    for (const m of early.splice(0)) upstream.send(m.data, { binary: m.isBinary });
  });
  upstream.on("message", (data, isBinary) => {
    if (client.readyState !== WebSocket.OPEN) return;
    client.send(data, { binary: isBinary });
    if (client.bufferedAmount > HIGH_WATER && !timer) {
      upstream.pause();
      timer = setInterval(() => {
        if (client.bufferedAmount > HIGH_WATER / 4) return;
        clearInterval(timer);
        timer = undefined;
        upstream.resume();
      }, 50);
    }
  });
  client.on("message", (data, isBinary) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
    else early.push({ data, isBinary });
  });
  const end = () => {
    clearInterval(timer);
    if (client.readyState === WebSocket.OPEN) client.close();
    if (upstream.readyState === WebSocket.OPEN) upstream.close();
    else if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
  };
  upstream.on("close", end);
  upstream.on("error", end);
  client.on("close", end);
  client.on("error", end);
}
