// The JSON control messages of the telemetry stream: what the runtime tells a client (hello, the
// site table, warnings, responses) and the requests a client may send, each answered or refused
// with a reason. docs/protocol.md documents every message.

import { ProtocolError } from "./binaryCursor.js";

export const CHANNELS = ["schedulers", "processes", "sites", "events", "warnings"] as const;
export type Channel = (typeof CHANNELS)[number];

/** Client requests over this many bytes are refused (the server closes the connection with 1009). */
export const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * A `send` request's message may nest arrays and objects at most this deep (`[1]` is 1 level).
 * It is the runtime's own limit for a term (runtime/core/copy.ts treats deeper as a cycle); a deeper
 * message is refused here, before it reaches the scheduler thread, whose structured clone of a
 * few thousand levels overflows the stack (docs/protocol.md, section 9).
 */
export const MAX_MESSAGE_DEPTH = 1000;

/** The WebSocket subprotocol the runtime answers with. */
export const SUBPROTOCOL = "beamline";
const TOKEN_SUBPROTOCOL_PREFIX = "beamline.token.";

/**
 * The subprotocol that carries the run's token, for browsers, which cannot set headers on a
 * WebSocket: unlike a `?token=` query, it is not in the URL that the browser logs when a
 * connection fails. The token is base64url of its UTF-8 bytes, so any token fits the header.
 */
export function tokenSubprotocol(token: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(token)) binary += String.fromCharCode(byte);
  return TOKEN_SUBPROTOCOL_PREFIX + btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The token in a list of offered subprotocols, or undefined. */
export function tokenFromSubprotocols(offered: Iterable<string>): string | undefined {
  for (const p of offered) {
    if (!p.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) continue;
    const encoded = p.slice(TOKEN_SUBPROTOCOL_PREFIX.length).replaceAll("-", "+").replaceAll("_", "/");
    try {
      const binary = atob(encoded + "=".repeat((4 - (encoded.length % 4)) % 4));
      return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface Hello {
  type: "hello";
  version: number;
  /** The node's name, like Erlang's `nonode@nohost`. */
  node: string;
  schedulers: number;
  reductions: number;
  /** The program's path, relative to the runtime's working directory. */
  program: string;
  /** Wall-clock start time, milliseconds since the Unix epoch. */
  startedAt: number;
  /** The runtime's OS process id. */
  osPid: number;
  /**
   * When main started, in milliseconds since startedAt (the samples' clock); absent while
   * `--wait-for-viewer` holds it back, and then sent as `main-started`. Uptime counts from here.
   */
  mainStartedAt?: number;
  sampleIntervalMs: number;
  /** The channels this connection is subscribed to. */
  channels: Channel[];
}

export type SiteKind = "spawn" | "receive" | "function";

/** A place in the user's source that the runtime counts things by. */
export interface Site {
  id: number;
  kind: SiteKind;
  /** Path relative to the runtime's working directory. */
  file: string;
  line: number;
  column: number;
  /** The called function (spawn, receive, call, sleep) or the process function's name. */
  name: string;
}

export interface Sites {
  type: "sites";
  sites: Site[];
}

export type WarningKind = "mailbox-growing" | "bottleneck" | "unmatched-messages" | "non-preemptible" | "imbalance";

export interface Warning {
  kind: WarningKind;
  /** The process concerned, as `<0.N.0>`, when there is one. */
  pid?: string;
  scheduler?: number;
  /** `file:line` of the source line concerned. */
  site?: string;
  /** One sentence: what is happening. */
  message: string;
  /** One sentence: what to do about it. */
  advice: string;
  /** Milliseconds since the run started, when the condition was first seen. */
  since: number;
}

export interface Warnings {
  type: "warnings";
  /**
   * The seq of the process delta of the tick they were judged at (0 before the first): they are
   * sent before that delta, so that a viewer can show them with the processes of the same moment.
   */
  seq: number;
  warnings: Warning[];
}

/** A slow client caught up: frames it did not get since the last notice; a fresh keyframe follows (latest state wins). */
export interface Lagging {
  type: "lagging";
  droppedFrames: number;
}

/** The program's main process started (`--wait-for-viewer` holds it back until a viewer connects). */
export interface MainStarted {
  type: "main-started";
  /** Milliseconds since the run started (hello.startedAt), on the samples' clock. */
  at: number;
}

/** The program's main process ended; with --keep-alive the runtime goes on. */
export interface MainExited {
  type: "main-exited";
  crashed: boolean;
}

export interface InspectResult {
  pid: string;
  name: string;
  status: string;
  function: string;
  spawnSite: string;
  /** `file:line` of the receive the process waits in, or "". */
  waitSite: string;
  /** The clauses of that receive, as source-like text. */
  waitingFor: string[];
  mailboxLength: number;
  /** The first messages of the mailbox, oldest first, rendered as text. */
  mailbox: string[];
  links: string[];
  monitors: string[];
  /** A server process's state, rendered as text, when it has one. */
  state?: string;
  reductions: number;
  scheduler: number;
  memory: number;
  traced: boolean;
}

export type Request =
  | { id: number; type: "subscribe" | "unsubscribe"; channel: Channel }
  | { id: number; type: "inspect"; pid: string; mailboxLimit?: number }
  | { id: number; type: "send"; to: string; message: unknown }
  | { id: number; type: "kill"; pid: string; reason?: string }
  | { id: number; type: "trace"; pid: string; enabled: boolean }
  | { id: number; type: "set-interval"; ms: number };

/** What each request's response carries as `result` when it succeeds (docs/protocol.md, section 9). */
export interface RequestResults {
  subscribe: { channels: Channel[] };
  unsubscribe: { channels: Channel[] };
  "set-interval": { intervalMs: number };
  inspect: InspectResult;
  send: { delivered: string };
  kill: { killed: string };
  trace: { traced: boolean };
}

export type RequestResult = RequestResults[Request["type"]];

export type Response = { type: "response"; id: number; ok: true; result: RequestResult } | { type: "response"; id: number; ok: false; error: string };

export type ControlMessage = Hello | Sites | Warnings | Lagging | MainStarted | MainExited | Response;

const PID_TEXT = /^<0\.(\d+)\.0>$/;

/** The number inside `<0.N.0>`, or undefined when the text is not a pid. */
export function parsePid(text: string): number | undefined {
  const m = PID_TEXT.exec(text);
  return m ? Number(m[1]) : undefined;
}

export function formatPid(id: number): string {
  return `<0.${id}.0>`;
}

/** Parses and validates a client request; the error names the field that is wrong. */
export function parseRequest(text: string): Request {
  if (text.length > MAX_REQUEST_BYTES) throw new ProtocolError(`request is ${text.length} characters; the limit is ${MAX_REQUEST_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProtocolError(`request is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ProtocolError("request must be a JSON object");
  const r = value as Record<string, unknown>;
  if (typeof r.id !== "number" || !Number.isInteger(r.id)) throw new ProtocolError("request.id must be an integer");
  const pidField = (field: string): string => {
    const v = r[field];
    if (typeof v !== "string" || parsePid(v) === undefined) throw new ProtocolError(`request.${field} must be a pid like "<0.84.0>", got ${JSON.stringify(v)}`);
    return v;
  };
  switch (r.type) {
    case "subscribe":
    case "unsubscribe":
      if (!CHANNELS.includes(r.channel as Channel)) {
        throw new ProtocolError(`request.channel must be one of ${CHANNELS.join(", ")}, got ${JSON.stringify(r.channel)}`);
      }
      return { id: r.id, type: r.type, channel: r.channel as Channel };
    case "inspect": {
      const limit = r.mailboxLimit;
      if (limit !== undefined && (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0 || limit > 1000)) {
        throw new ProtocolError("request.mailboxLimit must be an integer from 0 to 1000");
      }
      return { id: r.id, type: "inspect", pid: pidField("pid"), ...(limit !== undefined ? { mailboxLimit: limit } : {}) };
    }
    case "send": {
      if (typeof r.to !== "string" || r.to.length === 0) throw new ProtocolError(`request.to must be a pid like "<0.84.0>" or a registered name`);
      if (!("message" in r)) throw new ProtocolError("request.message is missing");
      const depth = nestingDepth(r.message);
      if (depth > MAX_MESSAGE_DEPTH) throw new ProtocolError(`request.message is nested ${depth} levels deep; the limit is ${MAX_MESSAGE_DEPTH} levels of arrays and objects`);
      return { id: r.id, type: "send", to: r.to, message: r.message };
    }
    case "kill":
      if (r.reason !== undefined && typeof r.reason !== "string") throw new ProtocolError("request.reason must be a string");
      return { id: r.id, type: "kill", pid: pidField("pid"), ...(r.reason !== undefined ? { reason: r.reason as string } : {}) };
    case "trace":
      if (typeof r.enabled !== "boolean") throw new ProtocolError("request.enabled must be true or false");
      return { id: r.id, type: "trace", pid: pidField("pid"), enabled: r.enabled };
    case "set-interval":
      if (typeof r.ms !== "number" || !Number.isInteger(r.ms) || !(r.ms >= 50 && r.ms <= 10_000)) throw new ProtocolError("request.ms must be a whole number from 50 to 10000");
      return { id: r.id, type: "set-interval", ms: r.ms };
    default:
      throw new ProtocolError(`unknown request type ${JSON.stringify(r.type)}`);
  }
}

/** How deep arrays and objects nest in a parsed JSON value (`1` is 0, `[1]` is 1), without recursion. */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [v, depth] = top;
    if (typeof v !== "object" || v === null) continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
  }
  return deepest;
}
