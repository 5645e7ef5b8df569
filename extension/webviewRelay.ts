// A WebSocket relay in the extension host between a visualizer webview and the runtime. The
// runtime refuses browser Origins other than its own page and `vscode-webview://`; a webview in a
// browser-hosted VS Code (code-server, vscode.dev tunnels) has the editor's origin instead. The
// webview connects here (same token as the runtime, as a query or as the token subprotocol), the
// relay connects to the runtime as a non-browser client with the token in a header, and passes
// frames both ways, unchanged. A slow webview pauses the
// runtime side, so the runtime's own catch-up logic (coalesced frames, fresh keyframe) applies.

import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import WebSocket, { WebSocketServer } from "ws";
import { SUBPROTOCOL, tokenFromSubprotocols } from "../protocol/control.js";

const HIGH_WATER = 4 * 1024 * 1024;

export interface Relay {
  port: number;
  close(): Promise<void>;
}

/** Starts a relay on 127.0.0.1 for the runtime WebSocket at `upstreamUrl` (`ws://host:port/ws`). */
export async function startRelay(upstreamUrl: string, token: string): Promise<Relay> {
  const expected = Buffer.from(token);
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 64 * 1024,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const offered = req.headers["sec-websocket-protocol"]?.split(",").map((p) => p.trim()) ?? [];
    const given = Buffer.from(url.searchParams.get("token") ?? tokenFromSubprotocols(offered) ?? "");
    if (url.pathname !== "/ws" || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    // The client's other parameters (channels) go on; the relay presents the token itself.
    url.searchParams.delete("token");
    const query = url.searchParams.toString();
    wss.handleUpgrade(req, socket, head, (client) => bridge(client, `${upstreamUrl}${query === "" ? "" : `?${query}`}`, token));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
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
