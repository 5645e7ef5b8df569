// The wire contract: every frame type round-trips, and malformed or truncated frames and requests
// get a clear ProtocolError instead of a crash or garbage.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  decodeFrame,
  encodeFrame,
  findTelemetryLine,
  MAGIC,
  MAILBOX_BUCKETS,
  MAX_MESSAGE_DEPTH,
  mailboxBucket,
  parsePid,
  parseRequest,
  pidTyped,
  parseTelemetryLine,
  PROTOCOL_VERSION,
  readProcessFrame,
  ProtocolError,
  telemetryLine,
  tokenFromSubprotocols,
  tokenSubprotocol,
  type Frame,
  type PastInnerFrame,
  type ProcessInfo,
  encodePast,
  encodeSampleHistory,
  readPastFrame,
  FrameType,
} from "../protocol/index.js";
import { processFrame } from "./processFrameArbitraries.js";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const proc = (pid: number, extra: Partial<ProcessInfo> = {}): ProcessInfo => ({
  pid,
  status: "waiting",
  scheduler: 1,
  mailbox: pid % 7,
  reductions: pid * 1000,
  memory: 380,
  spawnSite: 3,
  waitSite: 4,
  fn: pid % 2 ? "worker" : "server",
  name: pid === 5 ? "todo_server" : "",
  links: 0,
  monitors: 0,
  monitoredBy: 0,
  trapExit: false,
  ...extra,
});

const examples: Frame[] = [
  {
    type: "schedulers",
    time: 1234.5,
    intervalMs: 250,
    schedulers: [
      {
        scheduler: 1,
        utilization: 0.5,
        runQueue: 12,
        reductions: 1e6,
        slices: 500,
        sends: 40,
        receives: 39,
        spawns: 3,
        exits: 2,
        crashes: 7,
        restarts: 5,
        nonPreemptible: 1,
        heapUsed: 5e7,
        stuckMs: 0,
        stuckPid: 0,
        processes: 1000,
        placedElsewhere: 4,
        crossOut: 17,
        crossIn: 23,
      },
    ],
    summary: { processes: 1000, runnable: 12, waiting: 980, queued: 77, crashes: 7, restarts: 5, mailboxHistogram: Array.from({ length: MAILBOX_BUCKETS }, (_, i) => i) },
  },
  { type: "process-page", snapshot: 3, page: 0, pages: 2, total: 3, processes: [proc(1), proc(5, { status: "running", links: 3, monitors: 2, monitoredBy: 40, trapExit: true })] },
  {
    type: "process-delta",
    seq: 9,
    scheduler: 2,
    unlisted: 120000,
    changed: [proc(2, { status: "runnable", name: "ünïcode ✓" })],
    updated: [{ pid: 1, status: "waiting", mailbox: 3, reductions: 2.5e9, memory: 572, waitSite: 4 }],
    removed: [7, 8],
  },
  { type: "site-aggregates", aggregates: [{ site: 1, live: 3, queued: 12, reductions: 4567, waiting: 2, crashes: 500, restarts: 499 }] },
  {
    type: "events",
    dropped: 4,
    events: [
      { time: 1.5, kind: "send", pid: 1, other: 2, text: '["ping", <0.1.0>]' },
      { time: 2, kind: "exit-signal", pid: 2, other: 3, text: "killed" },
      { time: 2.5, kind: "restart", pid: 9, other: 12, text: "worker" },
    ],
  },
];
// A Past frame (type 7) holds recorded process, aggregate and event frames whole.
examples.push({ type: "past", requestId: 7, time: 2500.25, frames: examples.slice(1, 5) as PastInnerFrame[] });

test("every frame type round-trips", () => {
  for (const frame of examples) {
    const decoded = decodeFrame(encodeFrame(frame));
    if (frame.type === "schedulers" && decoded.type === "schedulers") {
      // Utilization travels as a 32-bit float.
      assert.ok(Math.abs(decoded.schedulers[0]!.utilization - 0.5) < 1e-6);
      decoded.schedulers[0]!.utilization = 0.5;
    }
    assert.deepEqual(decoded, frame, frame.type);
  }
});

test("process pages and deltas round-trip for any field values", () => {
  fc.assert(
    fc.property(processFrame, (frame) => {
      assert.deepEqual(decodeFrame(encodeFrame(frame)), frame);
    }),
  );
});

test("issue 14: a process record carries its links, monitors both ways and trapExit; counts past u16 read as the largest", () => {
  const big = proc(1, { links: 70_000, monitors: 65_535, monitoredBy: 1_000_000, trapExit: true });
  const decoded = decodeFrame(encodeFrame({ type: "process-page", snapshot: 1, page: 0, pages: 1, total: 1, processes: [big] }));
  assert.ok(decoded.type === "process-page");
  assert.deepEqual(decoded.processes[0], { ...big, links: 65_535, monitors: 65_535, monitoredBy: 65_535 });
  const view = readProcessFrame(encodeFrame({ type: "process-page", snapshot: 1, page: 0, pages: 1, total: 2, processes: [proc(2), big] }))!;
  assert.deepEqual([view.trapExit(0), view.trapExit(1), view.monitoredBy(1)], [false, true, 65_535]);
});

test("issue 14: a process record with a flag this side does not know is refused, naming the record", () => {
  const bytes = new Uint8Array(encodeFrame({ type: "process-page", snapshot: 1, page: 0, pages: 1, total: 1, processes: [proc(1)] }));
  // The flags byte is the last of the 46-byte record, which starts after the 23-byte page header.
  bytes[23 + 45] = 0x82;
  assert.throws(() => decodeFrame(bytes), { name: "ProtocolError", message: "process 0 has unknown flags 0x82" });
});

test("every truncation of every frame is refused with a ProtocolError that says where", () => {
  for (const frame of examples) {
    const bytes = new Uint8Array(encodeFrame(frame));
    for (let length = 0; length < bytes.length; length++) {
      assert.throws(
        () => decodeFrame(bytes.slice(0, length)),
        (error: unknown) => error instanceof ProtocolError && /truncated|cannot fit|not below|refers to string/.test(error.message),
        `${frame.type} cut to ${length} bytes`,
      );
    }
  }
});

test("random bytes and corrupted frames never crash the decoder: a frame or a ProtocolError", () => {
  const encoded = examples.map((f) => new Uint8Array(encodeFrame(f)));
  fc.assert(
    fc.property(fc.nat({ max: encoded.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 8 }), fc.uint8Array({ maxLength: 64 }), (which, flips, tail) => {
      const bytes = Uint8Array.from([...encoded[which]!, ...tail]);
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      try {
        decodeFrame(bytes);
      } catch (error) {
        assert.ok(error instanceof ProtocolError, `not a ProtocolError: ${error}`);
      }
    }),
    { numRuns: 2000 },
  );
});

test("wrong magic, version and type are named", () => {
  assert.throws(() => decodeFrame(Uint8Array.from([0x00, 1, 1])), /not a Beamline frame: first byte is 0x0/);
  assert.throws(() => decodeFrame(Uint8Array.from([MAGIC, PROTOCOL_VERSION + 1, 1])), new RegExp(`protocol version ${PROTOCOL_VERSION + 1}; this side speaks ${PROTOCOL_VERSION}`));
  assert.throws(() => decodeFrame(Uint8Array.from([MAGIC, PROTOCOL_VERSION, 99])), /unknown frame type 99/);
  const extra = Uint8Array.from([...new Uint8Array(encodeFrame(examples[3]!)), 0]);
  assert.throws(() => decodeFrame(extra), /1 unexpected bytes/);
});

test("a huge count that cannot fit is refused before any allocation", () => {
  const bytes = Uint8Array.from([MAGIC, PROTOCOL_VERSION, 4, 0xff, 0xff, 0xff, 0xff]);
  assert.throws(() => decodeFrame(bytes), /site count 4294967295 cannot fit/);
});

test("requests are validated field by field", () => {
  assert.deepEqual(parseRequest('{"id":1,"type":"inspect","pid":"<0.84.0>"}'), { id: 1, type: "inspect", pid: "<0.84.0>" });
  assert.deepEqual(parseRequest('{"id":2,"type":"send","to":"todo_server","message":["add",1]}'), {
    id: 2,
    type: "send",
    to: "todo_server",
    message: ["add", 1],
  });
  assert.deepEqual(parseRequest('{"id":3,"type":"supervision"}'), { id: 3, type: "supervision" });
  assert.deepEqual(parseRequest('{"id":4,"type":"subscribe","channel":"faults"}'), { id: 4, type: "subscribe", channel: "faults" });
  const refusals: [string, RegExp][] = [
    ["not json", /request is not JSON/],
    ["[1]", /must be a JSON object/],
    ['{"type":"inspect"}', /request\.id must be an integer/],
    ['{"id":1,"type":"fly"}', /unknown request type "fly"/],
    ['{"id":1,"type":"inspect","pid":"84"}', /request\.pid must be a pid like "<0\.84\.0>", got "84"/],
    ['{"id":1,"type":"subscribe","channel":"gossip"}', /request\.channel must be one of schedulers, processes, sites, events, warnings, faults, got "gossip"/],
    ['{"id":1,"type":"send","to":"x"}', /request\.message is missing/],
    ['{"id":1,"type":"trace","pid":"<0.1.0>"}', /request\.enabled must be true or false/],
    ['{"id":1,"type":"set-interval","ms":1}', /request\.ms must be a whole number from 50 to 10000/],
    [`{"id":1,"type":"send","to":"x","message":"${"a".repeat(70_000)}"}`, /the limit is 65536 bytes/],
  ];
  for (const [text, message] of refusals) assert.throws(() => parseRequest(text), message);
});

test("issue 16: a Past frame is read in place, and one holding a frame it may not hold is refused", () => {
  const inner = [encodeFrame(examples[1]!), encodeFrame(examples[3]!)];
  const view = readPastFrame(encodePast(12, 900.5, inner))!;
  assert.deepEqual([view.requestId, view.time, view.frames.length], [12, 900.5, 2]);
  assert.deepEqual(readProcessFrame(view.frames[0]!)!.info(1), (examples[1] as { processes: ProcessInfo[] }).processes[1]);
  assert.equal(readPastFrame(encodeFrame(examples[0]!)), null);
  const sample = encodeFrame(examples[0]!);
  assert.throws(() => decodeFrame(encodePast(1, 0, [sample])), { name: "ProtocolError", message: `past frame 0 is of frame type ${FrameType.SchedulerSamples}; a Past frame holds only process pages, deltas, site aggregates and events` });
  // The two containers share one layout after their heads: a sample history holds samples only.
  assert.throws(() => decodeFrame(encodeSampleHistory(inner)), /recorded sample 0 is a process-page frame, not a SchedulerSamples frame/);
});

test("issue 16: seek and events requests are validated field by field", () => {
  assert.deepEqual(parseRequest('{"id":1,"type":"seek","time":1500.5}'), { id: 1, type: "seek", time: 1500.5 });
  assert.deepEqual(parseRequest('{"id":2,"type":"events"}'), { id: 2, type: "events" });
  assert.deepEqual(parseRequest('{"id":3,"type":"events","from":0,"to":2000,"pids":[5,8],"text":"ping","kinds":["send","receive"],"limit":10000}'), {
    id: 3,
    type: "events",
    from: 0,
    to: 2000,
    pids: [5, 8],
    text: "ping",
    kinds: ["send", "receive"],
    limit: 10000,
  });
  const refusals: [string, string][] = [
    ['{"id":1,"type":"seek"}', "request.time must be a number (ms on the samples' clock), got nothing"],
    ['{"id":1,"type":"seek","time":"now"}', `request.time must be a number (ms on the samples' clock), got "now"`],
    ['{"id":1,"type":"events","from":"a"}', `request.from must be a number (ms on the samples' clock), got "a"`],
    ['{"id":1,"type":"events","to":null}', "request.to must be a number (ms on the samples' clock), got null"],
    ['{"id":1,"type":"events","limit":0}', "request.limit must be a whole number from 1 to 10000"],
    ['{"id":1,"type":"events","limit":10001}', "request.limit must be a whole number from 1 to 10000"],
    ['{"id":1,"type":"events","limit":2.5}', "request.limit must be a whole number from 1 to 10000"],
    ['{"id":1,"type":"events","kinds":["send","fly"]}', 'request.kinds has unknown kind "fly"; the kinds are spawn, exit, crash, link, send, receive, unlink, monitor, demonitor, exit-signal, restart'],
    ['{"id":1,"type":"events","kinds":"send"}', "request.kinds must be an array of event kinds (spawn, exit, crash, link, send, receive, unlink, monitor, demonitor, exit-signal, restart)"],
    ['{"id":1,"type":"events","pids":["<0.5.0>"]}', 'request.pids must be an array of at most 1000 pid numbers (N of <0.N.0>), got ["<0.5.0>"]'],
    ['{"id":1,"type":"events","text":5}', "request.text must be a string of at most 200 characters"],
  ];
  for (const [text, message] of refusals) assert.throws(() => parseRequest(text), { name: "ProtocolError", message }, text);
});

test("issue 13 item 1: a send whose message nests deeper than the limit is refused with the limit named, at any depth", () => {
  const send = (message: string) => `{"id":9,"type":"send","to":"<0.5.0>","message":${message}}`;
  const arrays = (depth: number) => "[".repeat(depth) + "1" + "]".repeat(depth);
  const objects = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
  const mixed = (depth: number) => '[{"k":'.repeat(depth / 2) + "1" + "}]".repeat(depth / 2);
  // At the limit a message parses: the runtime's copy takes terms this deep.
  for (const make of [arrays, objects, mixed]) assert.equal(parseRequest(send(make(MAX_MESSAGE_DEPTH))).type, "send");
  // Past it, up to the depth that ended the runtime (3,250) and about the deepest that fits in a 64 KiB request.
  for (const depth of [MAX_MESSAGE_DEPTH + 2, 3250, 10_000]) {
    for (const make of [arrays, objects, mixed]) {
      assert.throws(() => parseRequest(send(make(depth))), {
        name: "ProtocolError",
        message: `request.message is nested ${depth} levels deep; the limit is ${MAX_MESSAGE_DEPTH} levels of arrays and objects`,
      });
    }
  }
});

test("pids parse and mailbox buckets are powers of two", () => {
  assert.equal(parsePid("<0.84.0>"), 84);
  assert.equal(parsePid("<0.84.1>"), undefined);
  assert.deepEqual([0, 1, 2, 3, 4, 7, 8, 1000].map(mailboxBucket), [0, 1, 2, 2, 3, 3, 4, 10]);
});

test("issue 15: a pid typed to find a process may be whole, a number, or typed partway", () => {
  assert.deepEqual(["<0.84.0>", "84", " <0.84", "<0.84.", "<0.84.0", "<0.x.0>", "abc", ""].map(pidTyped), [84, 84, 84, 84, 84, undefined, undefined, undefined]);
});

test("issue 15: the pid text <0.N.0> is written and read in one place, protocol/control.ts", () => {
  // A template that writes a pid (`<0.${...}.0>`) or a pattern that reads one (<0\.\d+\.0>)
  // anywhere else is a second formatter that can drift from the first.
  const writes = /<0\.\$\{[^}]*\}\.0>/;
  const reads = /(?<!Ref)<0\\\.(?:\(|\\d)/;
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith(".ts") && file !== path.join("protocol", "control.ts")) {
        const text = readFileSync(file, "utf8");
        if (writes.test(text) || reads.test(text)) offenders.push(file);
      }
    }
  };
  for (const dir of ["runtime", "protocol", "webview", "extension"]) walk(dir);
  assert.deepEqual(offenders, []);
});

test("any token survives the subprotocol that carries it, and a malformed one reads as none", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", minLength: 1 }), (token) => {
      const protocol = tokenSubprotocol(token);
      assert.match(protocol, /^beamline\.token\.[A-Za-z0-9_-]+$/);
      assert.equal(tokenFromSubprotocols(["beamline", protocol]), token);
    }),
  );
  assert.equal(tokenFromSubprotocols(["beamline"]), undefined);
  assert.equal(tokenFromSubprotocols(["beamline.token.%%%"]), undefined);
});

test("the telemetry line the runtime writes is the one its readers parse, and only once it is whole", () => {
  const line = telemetryLine(40123, "abcdefghijklmnopqrstuvwx");
  const endpoint = { port: 40123, token: "abcdefghijklmnopqrstuvwx", url: "http://127.0.0.1:40123/?token=abcdefghijklmnopqrstuvwx" };
  assert.deepEqual(parseTelemetryLine(line), endpoint);
  assert.equal(findTelemetryLine(`program output\n${line}`), undefined, "a line still being written");
  assert.deepEqual(findTelemetryLine(`program output\n${line}\nmore`), endpoint);
});
