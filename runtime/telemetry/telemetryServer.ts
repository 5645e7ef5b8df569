// HTTP and WebSocket on 127.0.0.1 for the telemetry: the WebSocket at /ws and the standalone
// visualizer page at /. Every connection must present the run's token (query `token=`,
// `Authorization: Bearer`, or for a browser's WebSocket the token subprotocol); a browser Origin must be this server's own page or a VS Code webview;
// client messages over MAX_REQUEST_BYTES are refused.

import { timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { CHANNELS, MAX_REQUEST_BYTES, SUBPROTOCOL, type Channel } from "../../protocol/control.js";
import { presentedCredential, refusalResponse, refuseUpgrade } from "../../protocol/upgrade.js";
import { webviewDir } from "../layout.js";
import type { ClientConnection } from "./telemetryHub.js";

/** What the server serves: a live run's TelemetryHub, or a recording's ReplayHub (`beamline replay`). */
export interface TelemetrySource {
  /** A new client; returns what to call when it goes. */
  connect(connection: ClientConnection, channels: readonly Channel[]): () => void;
  request(connection: ClientConnection, text: string): void;
  binaryMessage(connection: ClientConnection): void;
}

export interface TelemetryServer {
  port: number;
  close(): Promise<void>;
}

/** The built visualizer (the webview bundle), served as the standalone page. */

export async function startTelemetryServer(hub: TelemetrySource, port: number, token: string): Promise<TelemetryServer> {
  const expected = Buffer.from(token);
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_REQUEST_BYTES,
    perMessageDeflate: false,
    // A browser that offered the token subprotocol fails the connection unless one is chosen.
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  const server = createServer((req, res) => serveHttp(req, res, authorized(req, expected)));
  let actualPort = port;

  const allowedOrigin = (origin: string): boolean => {
    if (origin.startsWith("vscode-webview://")) return true;
    return origin === `http://127.0.0.1:${actualPort}` || origin === `http://localhost:${actualPort}`;
  };

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = refuseUpgrade(req, { credential: (given) => sameToken(given, expected), origin: allowedOrigin });
    if (refusal !== undefined) {
      socket.end(refusalResponse(refusal));
      return;
    }
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const requested = url.searchParams.get("channels");
    const channels = requested === null ? [...CHANNELS] : requested.split(",").filter((c): c is Channel => CHANNELS.includes(c as Channel));
    sockets.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const connection: ClientConnection = {
        send: (data: string | ArrayBuffer) => {
          if (ws.readyState === ws.OPEN) ws.send(data);
        },
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
        pause: () => ws.pause(),
        resume: () => ws.resume(),
        close: (code: number, reason: string) => ws.close(code, reason),
      };
      const disconnect = hub.connect(connection, channels);
      ws.on("message", (data, isBinary) => {
        if (isBinary) hub.binaryMessage(connection);
        else hub.request(connection, data.toString());
      });
      ws.on("close", disconnect);
      ws.on("error", disconnect);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  actualPort = (server.address() as { port: number }).port;
  return {
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets.clients) ws.terminate();
        sockets.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function authorized(req: IncomingMessage, expected: Buffer): boolean {
  const given = presentedCredential(req);
  return given !== undefined && sameToken(given, expected);
}

function sameToken(given: string, expected: Buffer): boolean {
  const buffer = Buffer.from(given);
  return buffer.length === expected.length && timingSafeEqual(buffer, expected);
}

const CONTENT_TYPES: Record<string, string> = { ".js": "text/javascript", ".css": "text/css", ".html": "text/html; charset=utf-8", ".map": "application/json" };

function serveHttp(req: IncomingMessage, res: ServerResponse, authorizedRequest: boolean): void {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  if (req.method !== "GET") {
    res.writeHead(405).end("only GET");
    return;
  }
  if (url.pathname === "/") {
    if (!authorizedRequest) {
      res.writeHead(401, { "Content-Type": "text/plain" }).end("a valid token is required: open the URL that `beamline run --telemetry` printed");
      return;
    }
    const index = path.join(webviewDir, "index.html");
    const body = existsSync(index)
      ? readFileSync(index)
      : "<!doctype html><title>Beamline</title><p>The visualizer is not built. Run <code>npm run build</code>; the telemetry WebSocket is at /ws.</p>";
    res.writeHead(200, {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
      "Referrer-Policy": "no-referrer",
    });
    res.end(body);
    return;
  }
  // The visualizer's own static files: no data in them, so no token; never outside its folder.
  const file = path.resolve(webviewDir, `.${url.pathname}`);
  if (!file.startsWith(webviewDir + path.sep) || !existsSync(file)) {
    res.writeHead(404).end("not found");
    return;
  }
  res.writeHead(200, { "Content-Type": CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream" });
  res.end(readFileSync(file));
}
