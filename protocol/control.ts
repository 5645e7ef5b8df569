// The JSON control messages of the telemetry stream: what the runtime tells a client (hello, the
// site table, warnings, responses) and the requests a client may send, each answered or refused
// with a reason. docs/protocol.md documents every message.

import { ProtocolError } from "./binaryCursor.js";
import { EVENT_KINDS, type EventKind, type TraceEvent } from "./frames.js";

export const CHANNELS = ["schedulers", "processes", "sites", "events", "warnings", "faults"] as const;
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
  /**
   * Present when `beamline replay` serves a recording file, not a live run (docs/protocol.md,
   * section 13): nothing is live, and requests that need a runtime are refused.
   */
  replay?: ReplayInfo;
}

/** The recording file a replay serves. */
export interface ReplayInfo {
  /** The file's path as given to `beamline replay`. */
  file: string;
  /** Whether the run closed the file (it ended or was stopped); false for a run that was killed, or that still runs. */
  complete: boolean;
  /** The run time of the recording's last item, in milliseconds since the run started. */
  endsAt: number;
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

export const WARNING_KINDS = [
  "mailbox-growing",
  "bottleneck",
  "unmatched-messages",
  "non-preemptible",
  "imbalance",
  "restart-loop",
  "supervisor-gave-up",
  "linked-crash",
] as const;
export type WarningKind = (typeof WARNING_KINDS)[number];

/** The largest reading of what a warning's rule measures (a mailbox's length, a slice's ms, ...), and its unit. */
export interface Peak {
  value: number;
  /** What the value counts, to be written after it: `queued`, `unmatched`, `ms`, `restarts`, `waiting to run`, `linked down`. */
  unit: string;
}

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
  /** The largest reading since `since` (absent for a rule that measures nothing). */
  peak?: Peak;
}

/** A warning that held from `since` to `until` and no longer does: its last text, and its peak. */
export interface EndedWarning extends Warning {
  /** Milliseconds since the run started, when it was first judged not to hold. */
  until: number;
}

export interface Warnings {
  type: "warnings";
  /**
   * The seq of the process delta of the tick they were judged at (0 before the first): they are
   * sent before that delta, so that a viewer can show them with the processes of the same moment.
   */
  seq: number;
  /** When they were judged, in milliseconds since the run started. */
  time: number;
  warnings: Warning[];
  /**
   * Warnings that ended since the previous `warnings` message to this connection, oldest first;
   * the first one on a connection (and after subscribing) carries every ended warning recorded.
   */
  ended: EndedWarning[];
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
  /** Milliseconds since the run started, on the samples' clock. */
  at: number;
}

/**
 * What the run's recording holds, sent once on connect before the live stream (docs/protocol.md,
 * section 5): a SampleHistory frame with `samples` samples follows when `samples` is above 0.
 */
export interface History {
  type: "history";
  /** The recording's size cap, in bytes (`--record-cap`). */
  capBytes: number;
  /** The bytes it holds now. */
  bytes: number;
  /** SchedulerSamples in the SampleHistory frame that follows (0: none follows, e.g. not subscribed to `schedulers`). */
  samples: number;
  /** What the cap made the recording drop, oldest first, since the run started. */
  dropped: RecordingDropped;
  /** When main ended and whether it crashed; absent while it runs. */
  mainExited?: { at: number; crashed: boolean };
  /** The run time of the oldest recorded keyframe: `seek` finds the process table from then on; -1 none yet. */
  processesFrom: number;
  /** Trace events the recording holds (the `events` request reads them). */
  eventCount: number;
}

/** The part of a run the recording dropped to stay within its cap: counted, never silent. */
export interface RecordingDropped {
  samples: number;
  /** Ended warnings dropped. */
  warnings: number;
  bytes: number;
  /** The run time of the newest sample dropped; -1 when none was. The recording starts after it. */
  samplesUntil: number;
  /** Keyframes dropped, each with the deltas that depend on it. */
  keyframes: number;
  /** ProcessDelta frames dropped (those of dropped keyframes included). */
  deltas: number;
  /** The run time of the newest keyframe or delta dropped; -1 when none was. `seek` finds no process table up to it. */
  processesUntil: number;
  /** Trace events dropped (counted one by one, from the Events frames dropped). */
  events: number;
  /** The run time of the newest trace event dropped; -1 when none was. */
  eventsUntil: number;
  /** SiteAggregates frames dropped. */
  aggregates: number;
  /** Supervision trees dropped. */
  trees: number;
  /** The run time of the newest supervision tree dropped; -1 when none was. `seek` finds no tree up to it. */
  treesUntil: number;
}

/** Nothing dropped: what a recording's `dropped` starts as. */
export function noneDropped(): RecordingDropped {
  return { samples: 0, warnings: 0, bytes: 0, samplesUntil: -1, keyframes: 0, deltas: 0, processesUntil: -1, events: 0, eventsUntil: -1, aggregates: 0, trees: 0, treesUntil: -1 };
}

/** Lists of pids in an InspectResult hold at most this many; the counts beside them say how many there are. */
export const INSPECT_LIST_LIMIT = 200;

/** A supervisor's child as the inspector shows it. */
export interface InspectChild {
  /** The child spec's id (a dynamic supervisor's children are "1", "2", ...). */
  id: string;
  /** `<0.N.0>`, or "" while the child is not running. */
  pid: string;
  type: "worker" | "supervisor";
  /** `permanent`, `transient` or `temporary`. */
  restart: string;
  /** Times the supervisor restarted this child. */
  restarts: number;
  /** The reason the child last exited with, on one line; "" if it never exited. */
  lastReason: string;
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
  /** The processes it is linked to, at most INSPECT_LIST_LIMIT of them; `linkCount` is how many there are. */
  links: string[];
  linkCount: number;
  /** The processes it monitors (at most INSPECT_LIST_LIMIT; `monitorCount` in all). */
  monitors: string[];
  monitorCount: number;
  /** The processes that monitor it (at most INSPECT_LIST_LIMIT; `monitoredByCount` in all). */
  monitoredBy: string[];
  monitoredByCount: number;
  /** Whether it traps exits (`processFlag("trapExit", true)`). */
  trapExit: boolean;
  /** The supervisor it is a child of, `<0.N.0>`, or "". */
  supervisor: string;
  /** For a supervisor: its strategy (`one_for_one`, `one_for_all`, `rest_for_one`, `simple_one_for_one`). */
  strategy?: string;
  /** For a supervisor: more than `intensity` restarts within `period` ms make it give up. */
  intensity?: number;
  period?: number;
  /** For a supervisor: the restarts it made since it started. */
  restarts?: number;
  /** For a supervisor: its children (at most INSPECT_LIST_LIMIT, chosen as in SupervisionTree), and how many it has. */
  children?: InspectChild[];
  childCount?: number;
  /** A server process's state, rendered as text, when it has one. */
  state?: string;
  reductions: number;
  scheduler: number;
  memory: number;
  traced: boolean;
}

/** A supervisor's children listed in a SupervisorNode at most; `childCount` says how many it has. */
export const SUPERVISION_CHILD_LIMIT = 200;
/** Supervisors listed in a SupervisionTree at most; the rest are counted in `omittedSupervisors`. */
export const SUPERVISION_SUPERVISOR_LIMIT = 1000;
/** Linked processes outside any supervisor listed at most; the rest are counted in `truncated`. */
export const SUPERVISION_LOOSE_LIMIT = 500;
/** Link pids listed per loose process at most. */
export const SUPERVISION_LOOSE_LINKS_LIMIT = 100;

/** One child of a supervisor in the supervision tree. */
export interface ChildNode {
  /** The child spec's id (a dynamic supervisor's children are "1", "2", ...). */
  id: string;
  /** N of `<0.N.0>`, 0 while it is not running. */
  pid: number;
  type: "worker" | "supervisor";
  /** `permanent`, `transient` or `temporary`. */
  restart: string;
  /** Times the supervisor restarted it. */
  restarts: number;
  /** When it was last restarted, in ms on the samples' clock (since hello.startedAt); -1 never. */
  lastRestartMs: number;
  /** The reason it last exited with, on one line; "" if it never exited. */
  lastReason: string;
  /** Its process status (`runnable`, `running`, `waiting`), `stopped` while it is not running, or `remote` on another scheduler than its supervisor. */
  status: string;
}

/** A live supervisor; a child that is a supervisor has a node of its own, whose `parent` is this one. */
export interface SupervisorNode {
  pid: number;
  /** Registered name, or "". */
  name: string;
  /** The supervisor process's function name. */
  fn: string;
  strategy: string;
  intensity: number;
  period: number;
  /** The supervisor it is a child of, 0 for a root. */
  parent: number;
  /** Restarts it made since it started. */
  restarts: number;
  /** Site of its `startSupervisor` (or `startDynamicSupervisor`) call, 0 unknown. */
  spawnSite: number;
  /** How many children it has; at most SUPERVISION_CHILD_LIMIT are in `children`. */
  childCount: number;
  /**
   * Its children in the supervisor's order (start order). With more than SUPERVISION_CHILD_LIMIT,
   * the ones listed are those restarted most recently, then the first in order, still in order.
   */
  children: ChildNode[];
}

/** A linked process that is neither a supervisor nor a supervisor's child. */
export interface LooseLink {
  pid: number;
  fn: string;
  name: string;
  /** The pids it is linked to, at most SUPERVISION_LOOSE_LINKS_LIMIT. */
  links: number[];
}

/** The answer to a `supervision` request: every live supervisor, and the linked processes outside them. */
export interface SupervisionTree {
  /** Parents before their children (roots first, depth first), at most SUPERVISION_SUPERVISOR_LIMIT. */
  supervisors: SupervisorNode[];
  omittedSupervisors: number;
  /** At most SUPERVISION_LOOSE_LIMIT, oldest process first. */
  looseLinks: LooseLink[];
  /** Linked processes outside any supervisor left out of `looseLinks`. */
  truncated: number;
}

export type Request =
  | { id: number; type: "subscribe" | "unsubscribe"; channel: Channel }
  | { id: number; type: "supervision" }
  | { id: number; type: "inspect"; pid: string; mailboxLimit?: number }
  | { id: number; type: "send"; to: string; message: unknown }
  | { id: number; type: "kill"; pid: string; reason?: string }
  | { id: number; type: "trace"; pid: string; enabled: boolean }
  | { id: number; type: "set-interval"; ms: number }
  | { id: number; type: "seek"; time: number }
  | EventsRequest;

/** An `events` request: the recorded trace events that match every filter given (docs/protocol.md, section 9). */
export interface EventsRequest {
  id: number;
  type: "events";
  /** Run times, ms on the samples' clock: from <= time <= to. */
  from?: number;
  to?: number;
  /** Events whose pid or other is one of these (N of `<0.N.0>`). */
  pids?: number[];
  /** Case-insensitive: in the event's text, or in either end's function or registered name. */
  text?: string;
  kinds?: EventKind[];
  /** At most this many, oldest first: EVENTS_LIMIT_DEFAULT when absent, at most EVENTS_LIMIT_MAX. */
  limit?: number;
}

/** Events an `events` answer holds when the request gives no `limit`, and the most it may ask for. */
export const EVENTS_LIMIT_DEFAULT = 2000;
export const EVENTS_LIMIT_MAX = 10_000;
/** Pids an `events` request may name at most, and the longest `text` it may search for. */
export const EVENTS_PIDS_MAX = 1000;
export const EVENTS_TEXT_MAX = 200;

/** The answer to `seek`: a Past frame (type 7) with the same request id came right before it. */
export interface SeekResult {
  /** The time asked for. */
  time: number;
  /** The run time of the keyframe in the Past frame; -1 when it holds none. */
  keyframeAt: number;
  /** Inner frames in the Past frame. */
  frames: number;
  /** False when the recording holds no process table for that moment (dropped by the cap, or before the first keyframe). */
  processes: boolean;
  /**
   * The supervision tree recorded last at or before the moment (docs/protocol.md, section 5), as
   * the `supervision` request answered then; null when the recording holds none for it (no
   * supervisor or link yet, or dropped by the cap: `history.dropped.treesUntil`).
   */
  supervision: SupervisionTree | null;
  /** When that tree was recorded, ms on the samples' clock; -1 with none. */
  supervisionAt: number;
}

/** The answer to `events`. */
export interface EventsResult {
  /** The matching events, oldest first, at most the request's limit. */
  events: TraceEvent[];
  /** Matching events the recording holds, beyond the limit included. */
  total: number;
  /** Whether matching events beyond the limit were left out (`total` > `events.length`). */
  more: boolean;
  /** Trace events the recording's cap dropped since the run started (they match or not: unknown). */
  dropped: number;
}

/** What each request's response carries as `result` when it succeeds (docs/protocol.md, section 9). */
export interface RequestResults {
  subscribe: { channels: Channel[] };
  unsubscribe: { channels: Channel[] };
  "set-interval": { intervalMs: number };
  inspect: InspectResult;
  send: { delivered: string };
  kill: { killed: string };
  trace: { traced: boolean };
  supervision: SupervisionTree;
  seek: SeekResult;
  events: EventsResult;
}

export type RequestResult = RequestResults[Request["type"]];

export type Response = { type: "response"; id: number; ok: true; result: RequestResult } | { type: "response"; id: number; ok: false; error: string };

/** A source position: `file` relative to the runtime's working directory, 1-based line and column. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/**
 * A process crashed (it threw). On the `faults` channel, at most FAULT_MESSAGES_PER_WINDOW per
 * source line per FAULT_WINDOW_MS (docs/protocol.md, section 8, "faults").
 */
export interface Crash {
  type: "crash";
  /** Milliseconds since the run started, on the samples' clock. */
  time: number;
  pid: number;
  fn: string;
  /** Its registered name, or "". */
  name: string;
  /** The reason on one line: `TypeError: x is undefined`, or the thrown term rendered. */
  reason: string;
  /** The source-mapped stack, without runtime frames; "" when the reason has none. */
  stack: string;
  /** Where it threw: the user's innermost frame; null when unknown. */
  at: SourcePosition | null;
  spawnSite: number;
  /** Its supervisor's pid, 0 when it has none. */
  supervisor: number;
  /** Linked processes this crash took down (the exit signal ended them), at most LINKED_DOWN_LIMIT. */
  linkedDown: number[];
  /** How many crashes of this source line the message stands for: 1, or more for the last of a window. */
  count: number;
  /** Crashes of this source line since the run started, this one included. */
  total: number;
}

/** A supervisor restarted a child. Bounded like Crash, per supervisor and child id. */
export interface Restart {
  type: "restart";
  time: number;
  supervisor: number;
  childId: string;
  /** The child's pid before and after the restart. */
  oldPid: number;
  newPid: number;
  /** The reason the old child exited with, on one line. */
  reason: string;
  /** Where the old child threw, when it crashed; null otherwise or when unknown. */
  at: SourcePosition | null;
  /** Restarts of this child by this supervisor since telemetry started, this one included. */
  restarts: number;
  /** Restarts this supervisor made since telemetry started, this one included. */
  supervisorRestarts: number;
  /** The supervisor's spawn site. */
  spawnSite: number;
  /** How many restarts of this child the message stands for: 1, or more for the last of a window. */
  count: number;
}

/** A supervisor exceeded its restart intensity: it stopped its children and exited with reason "shutdown". */
export interface GaveUp {
  type: "gave-up";
  time: number;
  supervisor: number;
  fn: string;
  name: string;
  /** Restarts within the period when it gave up. */
  restarts: number;
  periodMs: number;
  /** The exit reason of the child whose restart was one too many, on one line. */
  reason: string;
  spawnSite: number;
}

export type FaultMessage = Crash | Restart | GaveUp;

/** The `faults` channel's bound: messages per source line (Crash) or child (Restart) per window. */
export const FAULT_MESSAGES_PER_WINDOW = 10;
export const FAULT_WINDOW_MS = 1000;
/** Fault messages a scheduler sends per telemetry tick at most; the rest are held and counted. */
export const FAULT_MESSAGES_PER_TICK = 200;
/** Groups whose latest fault message the main thread keeps, to replay to a client. */
export const FAULT_HISTORY_LIMIT = 1000;
/** Pids listed in a Crash's `linkedDown` at most. */
export const LINKED_DOWN_LIMIT = 100;

/**
 * The group a fault message is bounded and replayed in (docs/protocol.md, section 8): a crash by
 * its source line (else its spawn site, else its function), a restart by supervisor and child, a
 * surrender by supervisor.
 */
export function faultGroupKey(m: FaultMessage): string {
  switch (m.type) {
    case "crash":
      return m.at !== null ? `crash ${m.at.file}:${m.at.line}` : m.spawnSite !== 0 ? `crash site ${m.spawnSite}` : `crash fn ${m.fn}`;
    case "restart":
      return `restart ${m.supervisor} ${m.childId}`;
    case "gave-up":
      return `gave-up ${m.supervisor}`;
  }
}

export type ControlMessage = Hello | Sites | History | Warnings | Lagging | MainStarted | MainExited | Response | FaultMessage;

const PID_TEXT = /^<0\.(\d+)\.0>$/;

/** The number inside `<0.N.0>`, or undefined when the text is not a pid. */
export function parsePid(text: string): number | undefined {
  const m = PID_TEXT.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The one formatter of pid text: every part of Beamline writes a pid with it (docs/protocol.md, section 7). */
export function formatPid(id: number): string {
  return `<0.${id}.0>`;
}

const PID_SEARCH = /^(?:<0\.)?(\d+)(?:\.0?>?)?$/;

/** The pid a person typed to find one: `<0.84.0>`, `84`, or a pid typed partway (`<0.84`); else undefined. */
export function pidTyped(text: string): number | undefined {
  const m = PID_SEARCH.exec(text.trim());
  return m ? Number(m[1]) : undefined;
}

/** The `id` of a request that parseRequest refused, so that its error answers it; -1 when it has none. */
export function requestIdOf(text: string): number {
  try {
    const id = (JSON.parse(text) as { id?: unknown }).id;
    return Number.isInteger(id) ? (id as number) : -1;
  } catch {
    return -1;
  }
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
    case "supervision":
      return { id: r.id, type: "supervision" };
    case "set-interval":
      if (typeof r.ms !== "number" || !Number.isInteger(r.ms) || !(r.ms >= 50 && r.ms <= 10_000)) throw new ProtocolError("request.ms must be a whole number from 50 to 10000");
      return { id: r.id, type: "set-interval", ms: r.ms };
    case "seek":
      return { id: r.id, type: "seek", time: runTime(r, "time")! };
    case "events":
      return parseEventsRequest(r.id, r);
    default:
      throw new ProtocolError(`unknown request type ${JSON.stringify(r.type)}`);
  }
}

/** A run time field (ms on the samples' clock): undefined when absent and optional. */
function runTime(r: Record<string, unknown>, field: string, optional = false): number | undefined {
  const v = r[field];
  if (v === undefined && optional) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ProtocolError(`request.${field} must be a number (ms on the samples' clock), got ${JSON.stringify(v) ?? "nothing"}`);
  return v;
}

function parseEventsRequest(id: number, r: Record<string, unknown>): EventsRequest {
  const request: EventsRequest = { id, type: "events" };
  const from = runTime(r, "from", true);
  const to = runTime(r, "to", true);
  if (from !== undefined) request.from = from;
  if (to !== undefined) request.to = to;
  if (r.pids !== undefined) {
    const pids = r.pids;
    if (!Array.isArray(pids) || pids.length > EVENTS_PIDS_MAX || !pids.every((p) => Number.isInteger(p) && (p as number) >= 0 && (p as number) <= 0xffffffff)) {
      throw new ProtocolError(`request.pids must be an array of at most ${EVENTS_PIDS_MAX} pid numbers (N of <0.N.0>), got ${JSON.stringify(pids).slice(0, 100)}`);
    }
    request.pids = pids as number[];
  }
  if (r.text !== undefined) {
    if (typeof r.text !== "string" || r.text.length > EVENTS_TEXT_MAX) throw new ProtocolError(`request.text must be a string of at most ${EVENTS_TEXT_MAX} characters`);
    request.text = r.text;
  }
  if (r.kinds !== undefined) {
    if (!Array.isArray(r.kinds)) throw new ProtocolError(`request.kinds must be an array of event kinds (${EVENT_KINDS.join(", ")})`);
    for (const k of r.kinds) {
      if (!EVENT_KINDS.includes(k as EventKind)) throw new ProtocolError(`request.kinds has unknown kind ${JSON.stringify(k)}; the kinds are ${EVENT_KINDS.join(", ")}`);
    }
    request.kinds = r.kinds as EventKind[];
  }
  if (r.limit !== undefined) {
    const limit = r.limit;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > EVENTS_LIMIT_MAX) throw new ProtocolError(`request.limit must be a whole number from 1 to ${EVENTS_LIMIT_MAX}`);
    request.limit = limit;
  }
  return request;
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
