// The recording file that `beamline run --record FILE` writes and `beamline replay FILE` reads
// (docs/protocol.md, section 13): a header, then the recorded items in the order they happened,
// each a wire frame or a wire message of the telemetry protocol, and a trailer when the run
// closed the file. Only this module reads and writes the format.

import { FrameReader, FrameWriter, ProtocolError } from "./binaryCursor.js";
import { noneDropped, type EndedWarning, type FaultMessage, type MainExited, type MainStarted, type RecordingDropped, type Site, type SupervisionTree, type Warning } from "./control.js";
import { decodeFrame, PROTOCOL_VERSION } from "./frames.js";

/** The first 8 bytes of every recording file, ASCII. */
export const RECORDING_MAGIC = "BEAMLREC";
/** The version of the file's layout; a reader refuses a newer one. Version 2 added the item kinds 8 to 11, version 3 kind 12. */
export const RECORDING_VERSION = 3;

const MAGIC_BYTES = new TextEncoder().encode(RECORDING_MAGIC);
/** Magic, u16 recording version, u8 protocol version. */
const PREFIX_BYTES = MAGIC_BYTES.length + 2 + 1;
/** An item's kind byte and its u32 payload length. */
const ITEM_HEAD_BYTES = 1 + 4;

/** What the header says about the run (JSON after the fixed prefix). */
export interface RecordingHeader {
  /** The program's path, relative to the runtime's working directory. */
  program: string;
  /** Wall-clock start time, milliseconds since the Unix epoch; item times count from it. */
  startedAt: number;
  schedulers: number;
  reductions: number;
  node: string;
  /** The sample interval the run started with, in milliseconds. */
  sampleIntervalMs: number;
  /** The recording's cap in bytes (`--record-cap`). */
  capBytes: number;
  /** What the cap made the recording drop before the first item of this file (counted, never silent). */
  dropped: RecordingDropped;
  /** The site table of the run (the `sites` message). */
  sites: Site[];
}

/** The current warnings, written each time the list changes: the last one holds at the end. */
export interface WarningsListItem {
  kind: "warnings";
  /** When they were judged, milliseconds since the run started. */
  time: number;
  warnings: Warning[];
}

/** The trailer: the run closed the file (it ended, or was stopped) and nothing follows. */
export interface RecordingEnd {
  kind: "end";
  /** When the file was closed, milliseconds since the run started. */
  at: number;
  /** The items before it. */
  items: number;
}

/** A recorded frame of the process table, site aggregates or trace events, with its run time (version 2). */
export interface TimedFrameItem {
  kind: TimedFrameKind;
  /** Milliseconds since the run started: when the main thread recorded it. */
  time: number;
  /** The frame as recorded. */
  frame: ArrayBuffer;
}

/** The node's supervision tree, written each time it changed (version 3). */
export interface SupervisionItem {
  kind: "supervision";
  /** Milliseconds since the run started: when the main thread recorded it. */
  time: number;
  /** As the `supervision` request answers it (docs/protocol.md, section 9). */
  tree: SupervisionTree;
}

/** The timed frame items and the frame type each holds. */
const TIMED_FRAME_TYPES = { "keyframe-page": "process-page", delta: "process-delta", aggregates: "site-aggregates", events: "events" } as const;
export type TimedFrameKind = keyof typeof TIMED_FRAME_TYPES;

export type RecordingItem =
  | { kind: "sample"; frame: ArrayBuffer }
  | TimedFrameItem
  | { kind: "ended-warning"; warning: EndedWarning }
  | WarningsListItem
  | { kind: "main-started"; message: MainStarted }
  | { kind: "main-exited"; message: MainExited }
  | { kind: "fault"; message: FaultMessage }
  | SupervisionItem
  | RecordingEnd;

/** Item kinds by their code in the file; a code is never reused. */
const ITEM_KINDS = ["sample", "ended-warning", "warnings", "main-started", "main-exited", "fault", "end", "keyframe-page", "delta", "aggregates", "events", "supervision"] as const;
/** How many item kinds each format version has, by version - 1: a file's kinds above its version's are refused as unknown. */
const KINDS_OF_VERSION = [7, 11, 12];
type ItemKind = (typeof ITEM_KINDS)[number];
const itemCode = (kind: ItemKind): number => ITEM_KINDS.indexOf(kind) + 1;

/** A decoded sample keeps its frame as recorded, and its time. */
export type DecodedItem = Exclude<RecordingItem, { kind: "sample" } | RecordingEnd> | { kind: "sample"; frame: ArrayBuffer; time: number };

export interface DecodedRecording {
  header: RecordingHeader;
  /** Every item but the trailer, in the file's order. */
  items: DecodedItem[];
  /** The trailer; undefined when the run did not close the file (it was killed), and then what was written is all there is. */
  end: RecordingEnd | undefined;
}

/** A file that is not a readable recording: what is wrong, and at which byte offset of the file. */
export class RecordingError extends ProtocolError {
  override name = "RecordingError";
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const encoder = new TextEncoder();

/** The start of a file: the prefix and the header. */
export function encodeRecordingStart(header: RecordingHeader): Uint8Array {
  const w = new FrameWriter(PREFIX_BYTES + 256);
  w.raw(MAGIC_BYTES);
  w.u16(RECORDING_VERSION);
  w.u8(PROTOCOL_VERSION);
  w.str(JSON.stringify(header));
  return new Uint8Array(w.finish());
}

/** One item, to be appended to a file. */
export function encodeRecordingItem(item: RecordingItem): Uint8Array {
  const payload = item.kind === "sample" ? new Uint8Array(item.frame) : isTimedFrame(item) ? timedPayload(item) : encoder.encode(JSON.stringify(itemJson(item)));
  const bytes = new Uint8Array(ITEM_HEAD_BYTES + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, itemCode(item.kind));
  view.setUint32(1, payload.length, true);
  bytes.set(payload, ITEM_HEAD_BYTES);
  return bytes;
}

function isTimedFrame(item: { kind: string }): item is TimedFrameItem {
  return item.kind in TIMED_FRAME_TYPES;
}

/** A timed frame's payload: its f64 time, then the frame. */
function timedPayload(item: TimedFrameItem): Uint8Array {
  const bytes = new Uint8Array(8 + item.frame.byteLength);
  new DataView(bytes.buffer).setFloat64(0, item.time, true);
  bytes.set(new Uint8Array(item.frame), 8);
  return bytes;
}

function itemJson(item: Exclude<RecordingItem, { kind: "sample" } | TimedFrameItem>): unknown {
  switch (item.kind) {
    case "ended-warning":
      return item.warning;
    case "warnings":
      return { time: item.time, warnings: item.warnings };
    case "main-started":
    case "main-exited":
    case "fault":
      return item.message;
    case "supervision":
      return { time: item.time, tree: item.tree };
    case "end":
      return { at: item.at, items: item.items };
  }
}

/**
 * Reads a whole recording file. Throws RecordingError, with the byte offset, for a file that is not
 * a recording, one of a newer format or of another protocol version, a cut-off item or a damaged one.
 */
export function decodeRecording(data: Uint8Array): DecodedRecording {
  if (data.length < MAGIC_BYTES.length || !MAGIC_BYTES.every((b, i) => data[i] === b)) {
    throw new RecordingError(`not a Beamline recording: it does not start with "${RECORDING_MAGIC}" (byte offset 0)`, 0);
  }
  if (data.length < PREFIX_BYTES) throw truncated("the format and protocol versions", MAGIC_BYTES.length, PREFIX_BYTES - MAGIC_BYTES.length, data.length);
  const r = new FrameReader(data, "the recording");
  r.offset = MAGIC_BYTES.length;
  const version = r.u16("the format version");
  if (version > RECORDING_VERSION) {
    throw new RecordingError(`the recording is of format version ${version} (byte offset ${MAGIC_BYTES.length}), newer than this beamline reads (${RECORDING_VERSION}); replay it with a newer beamline`, MAGIC_BYTES.length);
  }
  if (version < 1) throw new RecordingError(`the recording's format version is ${version} (byte offset ${MAGIC_BYTES.length}); versions start at 1`, MAGIC_BYTES.length);
  const protocol = r.u8("the protocol version");
  if (protocol !== PROTOCOL_VERSION) {
    const newer = protocol > PROTOCOL_VERSION;
    throw new RecordingError(
      `the recording's frames are of telemetry protocol version ${protocol} (byte offset ${PREFIX_BYTES - 1}); this beamline reads version ${PROTOCOL_VERSION}${newer ? "; replay it with a newer beamline" : ", and does not convert older recordings"}`,
      PREFIX_BYTES - 1,
    );
  }
  const headerAt = r.offset;
  const header = readJson(r, "the header", headerAt) as RecordingHeader;
  checkHeader(header, headerAt);
  // A version 1 file counts only samples and warnings as dropped: it recorded nothing else.
  header.dropped = { ...noneDropped(), ...header.dropped };
  const items: DecodedItem[] = [];
  let end: RecordingEnd | undefined;
  while (r.remaining > 0) {
    const at = r.offset;
    if (end !== undefined) throw new RecordingError(`${r.remaining} bytes follow the trailer at byte offset ${at}; a recording ends with its trailer`, at);
    const n = items.length + 1;
    if (r.remaining < ITEM_HEAD_BYTES) throw truncated(`item ${n}`, at, ITEM_HEAD_BYTES, data.length);
    const code = r.u8("item kind");
    const length = r.u32("item length");
    const kind = code <= KINDS_OF_VERSION[version - 1]! ? ITEM_KINDS[code - 1] : undefined;
    if (kind === undefined) throw new RecordingError(`item ${n} at byte offset ${at} has unknown kind ${code}`, at);
    if (length > r.remaining) throw truncated(`item ${n} (${article(kind)})`, at, ITEM_HEAD_BYTES + length, data.length);
    const payload = r.raw(length, kind);
    if (kind === "sample") {
      let frame;
      try {
        frame = decodeFrame(payload);
      } catch (error) {
        throw new RecordingError(`item ${n} (a sample) at byte offset ${at}: ${(error as Error).message} (offsets within the frame, which starts at byte offset ${at + ITEM_HEAD_BYTES})`, at);
      }
      if (frame.type !== "schedulers") throw new RecordingError(`item ${n} at byte offset ${at} should be a SchedulerSamples frame, but is a ${frame.type} frame`, at);
      items.push({ kind, frame: payload.slice().buffer, time: frame.time });
      continue;
    }
    if (kind in TIMED_FRAME_TYPES) {
      items.push(timedItem(kind as TimedFrameKind, payload, n, at));
      continue;
    }
    const json = parseJson(payload, `item ${n} (${article(kind)})`, at) as Record<string, unknown>;
    const item = jsonItem(kind as Exclude<ItemKind, "sample" | TimedFrameKind>, json, `item ${n} (${article(kind)}) at byte offset ${at}`, at);
    if (item.kind === "end") {
      if (item.items !== items.length) throw new RecordingError(`the trailer at byte offset ${at} counts ${item.items} items, but ${items.length} come before it`, at);
      end = item;
    } else items.push(item);
  }
  return { header, items, end };
}

/** A timed frame item's payload read and checked: its time, and a whole frame of the type its kind holds. */
function timedItem(kind: TimedFrameKind, payload: Uint8Array, n: number, at: number): TimedFrameItem {
  const what = `item ${n} (${article(kind)}) at byte offset ${at}`;
  if (payload.length < 8) throw new RecordingError(`${what} is ${payload.length} bytes, too short for its time`, at);
  const time = new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0, true);
  if (!Number.isFinite(time)) throw new RecordingError(`${what} has time ${time}, not a number of milliseconds`, at);
  const bytes = payload.subarray(8);
  let type: string;
  try {
    type = decodeFrame(bytes).type;
  } catch (error) {
    throw new RecordingError(`${what}: ${(error as Error).message} (offsets within the frame, which starts at byte offset ${at + ITEM_HEAD_BYTES + 8})`, at);
  }
  if (type !== TIMED_FRAME_TYPES[kind]) throw new RecordingError(`${what} should be a ${TIMED_FRAME_TYPES[kind]} frame, but is a ${type} frame`, at);
  return { kind, time, frame: bytes.slice().buffer };
}

function jsonItem(kind: Exclude<ItemKind, "sample" | TimedFrameKind>, json: Record<string, unknown>, where: string, at: number): Exclude<DecodedItem, { kind: "sample" }> | RecordingEnd {
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new RecordingError(`${where}: ${what}`, at);
  };
  const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  switch (kind) {
    case "ended-warning":
      need(typeof json.kind === "string" && typeof json.message === "string" && num(json.since) && num(json.until), "a warning needs kind, message, since and until");
      return { kind, warning: json as unknown as EndedWarning };
    case "warnings":
      need(num(json.time) && Array.isArray(json.warnings), "needs time and a warnings list");
      return { kind, time: json.time as number, warnings: json.warnings as Warning[] };
    case "main-started":
      need(json.type === "main-started" && num(json.at), 'needs {"type":"main-started","at":...}');
      return { kind, message: json as unknown as MainStarted };
    case "main-exited":
      need(json.type === "main-exited" && num(json.at) && typeof json.crashed === "boolean", 'needs {"type":"main-exited","crashed":...,"at":...}');
      return { kind, message: json as unknown as MainExited };
    case "fault":
      need((json.type === "crash" || json.type === "restart" || json.type === "gave-up") && num(json.time), "needs a crash, restart or gave-up message with its time");
      return { kind, message: json as unknown as FaultMessage };
    case "supervision": {
      const tree = json.tree as Partial<SupervisionTree> | undefined;
      need(num(json.time) && typeof tree === "object" && tree !== null && Array.isArray(tree.supervisors) && Array.isArray(tree.looseLinks) && num(tree.omittedSupervisors) && num(tree.truncated), "needs time and a tree with supervisors, omittedSupervisors, looseLinks and truncated");
      return { kind, time: json.time as number, tree: tree as SupervisionTree };
    }
    case "end":
      need(num(json.at) && Number.isInteger(json.items), "needs at and items");
      return { kind, at: json.at as number, items: json.items as number };
  }
}

function checkHeader(h: RecordingHeader, at: number): void {
  const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  const d = h.dropped as Partial<RecordingDropped> | undefined;
  const ok =
    typeof h === "object" && h !== null &&
    typeof h.program === "string" && typeof h.node === "string" &&
    num(h.startedAt) && Number.isInteger(h.schedulers) && h.schedulers >= 1 && num(h.reductions) && num(h.sampleIntervalMs) && num(h.capBytes) && h.capBytes > 0 &&
    Array.isArray(h.sites) && d !== undefined && num(d.samples) && num(d.warnings) && num(d.bytes) && num(d.samplesUntil);
  if (!ok) throw new RecordingError(`the header at byte offset ${at} lacks a field or has one of the wrong type (program, node, startedAt, schedulers, reductions, sampleIntervalMs, capBytes, dropped, sites)`, at);
}

/** A JSON text with its u32 length, as a str. */
function readJson(r: FrameReader, what: string, at: number): unknown {
  if (r.remaining < 4) throw truncated(what, at, 4, at + r.remaining);
  const length = r.u32(`${what} length`);
  if (length > r.remaining) throw truncated(what, at, 4 + length, at + 4 + r.remaining);
  return parseJson(r.raw(length, what), what, at);
}

function parseJson(payload: Uint8Array, what: string, at: number): unknown {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch (error) {
    throw new RecordingError(`${what} at byte offset ${at} is not UTF-8 JSON: ${(error as Error).message}`, at);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new RecordingError(`${what} at byte offset ${at} is not a JSON object`, at);
  return value;
}

function truncated(what: string, at: number, needs: number, fileBytes: number): RecordingError {
  return new RecordingError(`the recording is cut off: ${what} at byte offset ${at} needs ${needs} bytes, but the file ends at byte ${fileBytes}`, at);
}

function article(kind: ItemKind): string {
  return {
    sample: "a sample",
    "ended-warning": "an ended warning",
    warnings: "a warnings list",
    "main-started": "main's start",
    "main-exited": "main's end",
    fault: "a fault",
    end: "the trailer",
    "keyframe-page": "a keyframe page",
    delta: "a process delta",
    aggregates: "site aggregates",
    events: "trace events",
    supervision: "a supervision tree",
  }[kind];
}
