// The checks on a telemetry WebSocket upgrade and the answers that refuse one, shared by the
// runtime's server (runtime/telemetry/telemetryServer.ts) and the extension's webview relay
// (extension/webviewRelay.ts), so that a client gets the same answer from both: the path first,
// then the credential, then the Origin (docs/protocol.md, section 3). No Node imports: each server
// compares the credential itself, in constant time.

import { tokenFromSubprotocols } from "./control.js";

/** The parts of an HTTP upgrade request the checks read (Node's IncomingMessage fits). */
export interface UpgradeRequest {
  url?: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface UpgradeRefusal {
  status: 401 | 403 | 404;
  statusText: string;
  body: string;
}

/** What a server accepts: its credential, and which browser Origins may connect. */
export interface UpgradePolicy {
  credential(given: string): boolean;
  origin(origin: string): boolean;
}

function header(request: UpgradeRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The credential a request presents: the `token` query, else `Authorization: Bearer`, else the token subprotocol. */
export function presentedCredential(request: UpgradeRequest): string | undefined {
  const query = new URL(request.url ?? "/", "http://127.0.0.1").searchParams.get("token");
  if (query !== null) return query;
  const authorization = header(request, "authorization");
  if (authorization?.startsWith("Bearer ")) return authorization.slice(7);
  const offered = header(request, "sec-websocket-protocol")?.split(",").map((p) => p.trim()) ?? [];
  return tokenFromSubprotocols(offered);
}

/** Why an upgrade is refused, or undefined when it may go on. */
export function refuseUpgrade(request: UpgradeRequest, policy: UpgradePolicy): UpgradeRefusal | undefined {
  if (new URL(request.url ?? "/", "http://127.0.0.1").pathname !== "/ws") {
    return { status: 404, statusText: "Not Found", body: "the telemetry WebSocket is at /ws" };
  }
  const given = presentedCredential(request);
  if (given === undefined || !policy.credential(given)) {
    return { status: 401, statusText: "Unauthorized", body: "a valid token is required (?token=, Authorization: Bearer, or the token subprotocol)" };
  }
  const origin = header(request, "origin");
  // No Origin (or an empty one): not a browser, so the credential is the only check.
  if (origin !== undefined && origin !== "" && !policy.origin(origin)) {
    return { status: 403, statusText: "Forbidden", body: `origin ${origin} may not connect` };
  }
  return undefined;
}

/** The refusal as the raw HTTP response written to the upgrade's socket before it closes. */
export function refusalResponse(refusal: UpgradeRefusal): string {
  const length = new TextEncoder().encode(refusal.body).length;
  return `HTTP/1.1 ${refusal.status} ${refusal.statusText}\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${length}\r\n\r\n${refusal.body}`;
}
