// The telemetry server against a real runtime: what a viewer sees of a live program, the
// requests it may make, and the security and flow-control rules of the server.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { MAX_MESSAGE_DEPTH, PROTOCOL_VERSION, SUBPROTOCOL, tokenSubprotocol, type InspectResult, type Sites, type Warnings } from "../protocol/index.js";
import { newCounters } from "../runtime/core/schedulerCounters.js";
import { TelemetryHub } from "../runtime/telemetry/telemetryHub.js";
import { processesOf, startRuntime, TestClient, WAIT_DEADLINE_MS, type Received, type RunningRuntime } from "./telemetryClient.js";

const dir = mkdtempSync(path.join(tmpdir(), "beamline-telemetry-test-"));
const program = path.join(dir, "live.ts");
writeFileSync(
  program,
  `import { spawn, receive, on, send, sleep, register, startServer, cast, Pid } from "beamline";

function* hoarder() {
  yield* receive(on("never-sent"));
}

function* producer(to: Pid) {
  for (let i = 0; ; i++) {
    send(to, ["job", i]);
    yield* sleep(4);
  }
}

function* busy() {
  let i = 0;
  for (;;) i++;
}

export function* main() {
  const h = spawn(hoarder);
  register("hoarder", h);
  spawn(producer, h);
  const counter = startServer({ name: "counter", init: () => ({ count: 0 }), handleCast: (n: number, s: { count: number }) => ({ count: s.count + n }) });
  cast(counter, 41);
  cast(counter, 1);
  yield* sleep(700);
  spawn(busy);
  yield* receive(on("stop"));
}
`,
);

let runtime: RunningRuntime;
before(async () => {
  // One scheduler: this file reads one scheduler's samples and pages in detail; several schedulers'
  // merging is telemetryHubSchedulers.test.ts's, and the browser tests run two.
  runtime = await startRuntime(program, ["--schedulers", "1"]);
});
after(async () => {
  await runtime.stop();
});


test("a viewer sees hello, the sites, the processes with their mailboxes, and utilization change", async () => {
  const client = await TestClient.connect(runtime);
  const hello = await client.waitFor((m) => m.type === "hello", "hello");
  assert.equal((hello as { version: number }).version, PROTOCOL_VERSION);
  assert.match((hello as { program: string }).program, /live\.ts$/);
  const sites = (await client.waitFor((m) => m.type === "sites", "site table")) as Sites;
  const hoarderSpawn = sites.sites.find((s) => s.kind === "spawn" && s.line === 20)!;
  assert.ok(hoarderSpawn, "the spawn of hoarder at line 20 is a site");
  assert.ok(sites.sites.some((s) => s.kind === "receive" && s.line === 4), "the receive in hoarder at line 4 is a site");

  await client.waitFor((m) => m.type === "process-page", "a keyframe");
  await client.waitFor((m) => processesOf(m).some((p) => p.name === "hoarder" && p.fn === "hoarder"), "the registered hoarder");
  const lengths: number[] = [];
  await client.waitFor((m) => {
    for (const p of processesOf(m)) if (p.name === "hoarder" && p.mailbox > (lengths.at(-1) ?? -1)) lengths.push(p.mailbox);
    return lengths.length >= 3;
  }, "the hoarder's mailbox growing");
  const hoarder = processesOf(client.received.find((m) => processesOf(m).some((p) => p.name === "hoarder"))!).find((p) => p.name === "hoarder")!;
  assert.equal(hoarder.spawnSite, hoarderSpawn.id);
  assert.equal(hoarder.status, "waiting");

  await client.waitFor((m) => m.type === "schedulers" && m.schedulers[0]!.utilization < 0.5, "an idle sample");
  await client.waitFor((m) => m.type === "schedulers" && m.schedulers[0]!.utilization > 0.9 && m.summary.processes === 5, "a busy sample after busy starts");
  const aggregates = await client.waitFor((m) => m.type === "site-aggregates" && m.aggregates.some((a) => a.site === hoarderSpawn.id && a.queued > 10), "queued messages at the hoarder's spawn site");
  assert.ok(aggregates);
  client.close();
});

test("a mailbox that nothing matches is warned about, with the receive's line", async () => {
  const client = await TestClient.connect(runtime);
  const warnings = (await client.waitFor((m) => m.type === "warnings" && m.warnings.some((w) => w.kind === "unmatched-messages"), "unmatched warning")) as Warnings;
  const w = warnings.warnings.find((w) => w.kind === "unmatched-messages")!;
  assert.match(w.message, /<0\.\d+\.0> \(hoarder\) waits in a receive while \d+ messages in its mailbox match none of its clauses/);
  assert.match(w.site!, /live\.ts:4$/);
  assert.match(w.advice, /catch-all/);
  client.close();
});

test("inspect, trace, send and kill work on live processes", async () => {
  const client = await TestClient.connect(runtime);
  const page = await client.waitFor((m) => m.type === "process-page", "keyframe");
  const all = processesOf(page);
  const hoarder = all.find((p) => p.name === "hoarder")!;
  const producer = all.find((p) => p.fn === "producer")!;
  const pid = (n: number) => `<0.${n}.0>`;

  const inspected = await client.request({ type: "inspect", pid: pid(hoarder.pid), mailboxLimit: 3 });
  assert.equal(inspected.ok, true);
  const info = inspected.result as InspectResult;
  assert.equal(info.name, "hoarder");
  assert.equal(info.status, "waiting");
  assert.deepEqual(info.waitingFor, ['on("never-sent")']);
  assert.match(info.waitSite, /live\.ts:4$/);
  assert.deepEqual(info.mailbox, ["[ 'job', 0 ]", "[ 'job', 1 ]", "[ 'job', 2 ]"]);
  assert.ok(info.mailboxLength > 3);

  assert.deepEqual((await client.request({ type: "trace", pid: pid(producer.pid), enabled: true })).result, { traced: true });
  const events = await client.waitFor((m) => m.type === "events" && m.events.some((e) => e.kind === "send" && e.pid === producer.pid && e.other === hoarder.pid), "traced sends");
  assert.ok(events);

  const sent = await client.request({ type: "send", to: "hoarder", message: "never-sent" });
  assert.deepEqual(sent.result, { delivered: pid(hoarder.pid) });
  await client.waitFor((m) => m.type === "process-delta" && m.removed.includes(hoarder.pid), "the hoarder ending after its message");

  const busy = (await client.waitFor((m) => processesOf(m).some((p) => p.fn === "busy"), "busy process")) as Received;
  const busyPid = processesOf(busy).find((p) => p.fn === "busy")!.pid;
  assert.deepEqual((await client.request({ type: "kill", pid: pid(busyPid) })).result, { killed: pid(busyPid) });
  await client.waitFor((m) => m.type === "process-delta" && m.removed.includes(busyPid), "busy removed");

  const counter = processesOf(await client.waitFor((m) => processesOf(m).some((p) => p.fn === "counter"), "the counter server")).find((p) => p.fn === "counter")!;
  const server = (await client.request({ type: "inspect", pid: pid(counter.pid) })).result as InspectResult;
  assert.equal(server.state, "{ count: 42 }");

  const gone = await client.request({ type: "inspect", pid: pid(busyPid) });
  assert.equal(gone.ok, false);
  assert.equal(gone.error, `no process ${pid(busyPid)} is alive (it may have exited)`);
  const noName = await client.request({ type: "send", to: "nobody", message: 1 });
  assert.equal(noName.error, 'no process is registered as "nobody"');
  const malformed = await client.request({ type: "kill", pid: "84" });
  assert.match(malformed.error!, /request\.pid must be a pid/);
  client.close();
});

test("several clients at once, and one disconnecting does not disturb the others", async () => {
  const a = await TestClient.connect(runtime);
  const b = await TestClient.connect(runtime, "&channels=schedulers");
  await a.waitFor((m) => m.type === "schedulers", "a sample on a");
  await b.waitFor((m) => m.type === "schedulers", "a sample on b");
  assert.deepEqual(b.hello!.channels, ["schedulers"]);
  assert.ok(!b.received.some((m) => m.type === "process-page"), "b did not subscribe to processes");
  a.ws.terminate();
  const count = b.received.length;
  await b.waitFor((m) => m.type === "schedulers" && b.received.indexOf(m) > count + 2, "samples going on after a left");
  b.close();
});

test("the token is required, by query, bearer header or subprotocol", async () => {
  let chosen = "";
  const status = (url: string, headers: Record<string, string> = {}, protocols: string[] = []) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(url, protocols, { headers });
      ws.on("open", () => {
        chosen = ws.protocol;
        ws.close();
        resolve(101);
      });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode!));
    });
  const base = `ws://127.0.0.1:${runtime.port}/ws`;
  assert.equal(await status(base), 401);
  assert.equal(await status(`${base}?token=wrong`), 401);
  assert.equal(await status(base, { Authorization: `Bearer ${runtime.token}` }), 101);
  // A browser's way: the token in a subprotocol, out of the URL that failed connections log.
  assert.equal(await status(base, { Origin: `http://127.0.0.1:${runtime.port}` }, [SUBPROTOCOL, tokenSubprotocol(runtime.token)]), 101);
  assert.equal(chosen, SUBPROTOCOL);
  assert.equal(await status(base, {}, [SUBPROTOCOL, tokenSubprotocol("wrong")]), 401);
  assert.equal(await status(base, {}, [SUBPROTOCOL, "beamline.token.%%%"]), 401);
  assert.equal(await status(`${base}?token=${runtime.token}`, { Origin: "http://evil.example" }), 403);
  assert.equal(await status(`${base}?token=${runtime.token}`, { Origin: `http://127.0.0.1:${runtime.port}` }), 101);
  assert.equal(await status(`${base}?token=${runtime.token}`, { Origin: "vscode-webview://0a1b2c" }), 101);
  assert.equal(await status(`ws://127.0.0.1:${runtime.port}/elsewhere?token=${runtime.token}`), 404);

  const page = await fetch(`http://127.0.0.1:${runtime.port}/`);
  assert.equal(page.status, 401);
  const authorized = await fetch(`http://127.0.0.1:${runtime.port}/?token=${runtime.token}`);
  assert.equal(authorized.status, 200);
  assert.match(authorized.headers.get("content-security-policy")!, /default-src 'none'/);
});

test("an oversize client message closes the connection with 1009", async () => {
  const client = await TestClient.connect(runtime);
  client.ws.send("x".repeat(70_000));
  const closed = await client.closed;
  assert.equal(closed.code, 1009);
});

test("a binary client message is refused with a reason", async () => {
  const client = await TestClient.connect(runtime);
  client.ws.send(Buffer.from([1, 2, 3]));
  const response = await client.waitFor((m) => m.type === "response", "refusal");
  assert.deepEqual(response, { type: "response", id: -1, ok: false, error: "requests are JSON text messages, not binary" });
  client.close();
});

test("--wait-for-viewer starts main only once a viewer connects, so that it sees the whole run", async () => {
  const file = path.join(dir, "waits.ts");
  writeFileSync(
    file,
    `import { spawn, receive, on } from "beamline";
function* idle() {
  yield* receive(on("stop"));
}
export function* main() {
  spawn(idle);
  console.log("main ran");
}
`,
  );
  const waiting = await startRuntime(file, ["--wait-for-viewer"]);
  try {
    // Listening, with its scheduler thread up; a run that did not wait prints within milliseconds.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.doesNotMatch(waiting.stdout(), /main ran/);
    assert.equal(waiting.child.exitCode, null);
    const client = await TestClient.connect(waiting);
    await client.waitFor((m) => processesOf(m).some((p) => p.fn === "idle"), "the program's process");
    const deadline = Date.now() + WAIT_DEADLINE_MS;
    while (!/main ran/.test(waiting.stdout()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.match(waiting.stdout(), /main ran/);
    client.close();
  } finally {
    await waiting.stop();
  }
});

test("issue 13 item 1: a send nested thousands of levels deep is refused and the program runs on", async () => {
  const file = path.join(dir, "ticks.ts");
  writeFileSync(
    file,
    `import { spawn, sleep, register, receive } from "beamline";
function* sink() {
  for (;;) {
    const m = yield* receive();
    console.log("sink got " + JSON.stringify(m).length);
  }
}
export function* main() {
  register("sink", spawn(sink));
  for (let i = 0; ; i++) {
    console.log("tick " + i);
    yield* sleep(50);
  }
}
`,
  );
  const ticking = await startRuntime(file);
  try {
    const ticks = () => ticking.stdout().match(/tick \d+/g)?.length ?? 0;
    const client = await TestClient.connect(ticking, "&channels=schedulers");
    // The server listens before the program runs: wait until main has registered the sink.
    await client.waitFor((m) => m.type === "schedulers" && ticks() > 0, "the program's first tick");
    const deep = (depth: number) => "[".repeat(depth) + "1" + "]".repeat(depth);
    // 3,250 levels (6.5 KB) ended the runtime at Worker.postMessage, to a pid or a name alike.
    for (const to of ['"<0.999.0>"', '"sink"']) {
      client.ws.send(`{"id":${to.length},"type":"send","to":${to},"message":${deep(3250)}}`);
      const refused = await client.waitFor((m) => m.type === "response" && m.id === to.length, "the refusal");
      assert.deepEqual(refused, { type: "response", id: to.length, ok: false, error: `request.message is nested 3250 levels deep; the limit is ${MAX_MESSAGE_DEPTH} levels of arrays and objects` });
    }
    // A message at the limit is delivered whole.
    client.ws.send(`{"id":100,"type":"send","to":"sink","message":${deep(MAX_MESSAGE_DEPTH)}}`);
    const delivered = await client.waitFor((m) => m.type === "response" && m.id === 100, "the delivery");
    assert.match(JSON.stringify(delivered), /^\{"type":"response","id":100,"ok":true,"result":\{"delivered":"<0\.\d+\.0>"\}\}$/);
    const seen = ticks();
    await client.waitFor((m) => m.type === "schedulers" && ticks() > seen + 2, "the program ticking on");
    assert.equal(ticking.child.exitCode, null);
    assert.match(ticking.stdout(), new RegExp(`sink got ${2 * MAX_MESSAGE_DEPTH + 1}\\n`));
    const lines = ticking.stdout().match(/tick \d+/g)!;
    assert.deepEqual(lines, lines.map((_, i) => `tick ${i}`), "every tick printed, in order");
    client.close();
  } finally {
    await ticking.stop();
  }
});

test("issue 13 item 18: the refusal bodies and close codes that docs/protocol.md lists are what the server sends", async () => {
  const doc = readFileSync(path.resolve("docs/protocol.md"), "utf8").split("\n");
  /** The cells after the first of the table row that starts with `first`. */
  const row = (first: string): string[] => {
    const line = doc.find((l) => l.startsWith(`| ${first} |`));
    assert.ok(line !== undefined, `docs/protocol.md has a row for ${first}`);
    return line.slice(first.length + 4, -2).split(" | ");
  };
  /** The first code span of a cell (``a `b` c`` spans too). */
  const span = (cell: string, after = ""): string => {
    const at = cell.slice(cell.indexOf(after) + after.length);
    const m = /``\s?(.+?)\s?``|`([^`]+)`/.exec(at);
    assert.ok(m, `a code span in ${cell}`);
    return m[1] ?? m[2]!;
  };
  const upgrade = (url: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve) => {
      const ws = new WebSocket(url, { headers });
      ws.on("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      });
      ws.on("error", () => {});
    });
  const base = `ws://127.0.0.1:${runtime.port}/ws`;
  const refusals = [
    { doc: row("Upgrade on a path other than `/ws`")[0]!, status: 404, url: `ws://127.0.0.1:${runtime.port}/elsewhere?token=${runtime.token}` },
    { doc: row("Missing or wrong token")[0]!, status: 401, url: base },
    { doc: row("Missing or wrong token")[0]!, status: 401, url: `${base}?token=wrong` },
    { doc: row("Origin not allowed")[0]!.replace("<origin>", "http://evil.example"), status: 403, url: `${base}?token=${runtime.token}`, headers: { Origin: "http://evil.example" } },
  ];
  for (const r of refusals) {
    assert.match(r.doc, new RegExp(`HTTP \`${r.status} `));
    assert.deepEqual(await upgrade(r.url, r.headers), { status: r.status, body: span(r.doc, "body") });
  }
  const http = async (pathname: string, method = "GET") => {
    const res = await fetch(`http://127.0.0.1:${runtime.port}${pathname}`, { method });
    return { status: res.status, body: await res.text() };
  };
  const page = row("`GET /` without a valid token")[1]!;
  assert.deepEqual(await http("/"), { status: Number(span(page)), body: span(page, "text:") });
  const method = row("Any method other than GET")[1]!;
  assert.deepEqual(await http("/", "POST"), { status: Number(span(method)), body: span(method, ",") });
  const missing = /`404 ([^`]+)`/.exec(row("`GET /<file>`")[1]!)!;
  assert.deepEqual(await http("/no-such-file.js"), { status: 404, body: missing[1] });

  // Close codes: each row's trigger, then the code and reason the row gives.
  const closeRow = (code: number) => {
    const line = doc.find((l) => l.startsWith(`| **${code}** `));
    assert.ok(line !== undefined, `docs/protocol.md lists close code ${code}`);
    const [, when, reason] = line.slice(2, -2).split(" | ");
    return { when: when!, reason: reason === "none" ? "" : span(reason!) };
  };
  const closedBy = async (trigger: (ws: WebSocket) => void) => {
    const client = await TestClient.connect(runtime, "&channels=");
    trigger(client.ws);
    return client.closed;
  };
  const raw = (ws: WebSocket) => (ws as unknown as { _socket: { write(b: Buffer): void } })._socket;
  assert.match(closeRow(1002).when, /reserved opcode/);
  assert.deepEqual(await closedBy((ws) => raw(ws).write(Buffer.from([0x83, 0x80, 0, 0, 0, 0]))), { code: 1002, reason: closeRow(1002).reason });
  assert.deepEqual(await closedBy((ws) => raw(ws).write(Buffer.from([0x81, 0x01, 0x41]))), { code: 1002, reason: closeRow(1002).reason }, "an unmasked frame");
  assert.match(closeRow(1007).when, /not valid UTF-8/);
  assert.deepEqual(await closedBy((ws) => ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false })), { code: 1007, reason: closeRow(1007).reason });
  assert.match(closeRow(1009).when, /over 65536 bytes/);
  assert.deepEqual(await closedBy((ws) => ws.send("x".repeat(65_537))), { code: 1009, reason: closeRow(1009).reason });
  // 1008 needs a transport that reads on while paused, which ws is not: the hub is given one.
  const flooded = { closed: undefined as { code: number; reason: string } | undefined };
  const hub = new TelemetryHub([{ post: () => {}, counters: newCounters(), stuck: () => ({ ms: 0, pid: 0, site: "" }) }], { type: "hello", version: PROTOCOL_VERSION, node: "test", schedulers: 1, reductions: 2000, program: "t.ts", startedAt: Date.now(), osPid: process.pid }, [], 60_000);
  const connection = { send: () => {}, bufferedAmount: 0, pause: () => {}, resume: () => {}, close: (code: number, reason: string) => (flooded.closed = { code, reason }) };
  hub.connect(connection, []);
  for (let id = 0; flooded.closed === undefined && id < 100_000; id++) hub.request(connection, JSON.stringify({ id, type: "inspect", pid: "<0.1.0>" }));
  hub.stop();
  assert.match(closeRow(1008).when, /stopped reading/);
  assert.deepEqual(flooded.closed, { code: 1008, reason: closeRow(1008).reason });
});
