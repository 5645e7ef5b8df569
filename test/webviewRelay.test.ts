// The extension's relay between the visualizer webviews and the runtime, side by side with the
// runtime's own server: the same requests get the same answers from both, except where the relay
// exists to differ (the browser-hosted editor's origin, reported by a webview, and its own secret).
// Guards issue 13 item 5 (the relay let `Origin: http://evil.example` and `null` in and answered
// their requests, where the runtime answers 403) and the earlier bug where the relay refused
// every webview that sent its credential as a subprotocol.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { decodeFrame, SUBPROTOCOL, tokenSubprotocol, type Response } from "../protocol/index.js";
import { reportedWebviewOrigin, startRelay, type Relay } from "../extension/webviewRelay.js";
import { startRuntime, type RunningRuntime } from "./telemetryClient.js";

/** A browser-hosted editor's page (code-server, vscode.dev): its webviews have this origin. */
const EDITOR_ORIGIN = "http://127.0.0.1:8080";

let runtime: RunningRuntime;
let relay: Relay;
const reportedOrigins = new Set<string>();

before(async () => {
  // One scheduler, so that the calculator's process is <0.2.0>: this file is about the relay.
  runtime = await startRuntime("examples/calculator.ts", ["--schedulers", "1"]);
  relay = await startRelay({
    upstreamUrl: `ws://127.0.0.1:${runtime.port}/ws`,
    upstreamToken: runtime.token,
    isWebviewOrigin: (origin) => reportedOrigins.has(origin),
  });
  // What the extension does when a webview says "ready" with its origin.
  reportedOrigins.add(reportedWebviewOrigin(EDITOR_ORIGIN)!);
});

after(async () => {
  await relay.close();
  await runtime.stop();
});

interface Target {
  port: number;
  /** The credential this server accepts: the run's token for the runtime, the relay's secret for the relay. */
  credential: string;
}

interface Attempt {
  path?: string;
  credential?: "valid" | "wrong" | "none" | { other: string };
  how?: "subprotocol" | "query" | "bearer";
  origin?: string;
}

type Answer = { status: number; body: string } | { status: 101; first: string; frame: boolean };

/** One WebSocket upgrade; resolves with the refusal (status and body) or, once in, with the first message's type and whether a binary frame decoded. */
function attempt(target: Target, a: Attempt): Promise<Answer> {
  const given = a.credential === undefined || a.credential === "valid" ? target.credential : a.credential === "wrong" ? "wrong-credential-of-the-right-length!" : a.credential === "none" ? undefined : a.credential.other;
  const how = a.how ?? "subprotocol";
  let url = `ws://127.0.0.1:${target.port}${a.path ?? "/ws"}`;
  const protocols = [SUBPROTOCOL];
  const headers: Record<string, string> = {};
  if (given !== undefined && how === "subprotocol") protocols.push(tokenSubprotocol(given));
  if (given !== undefined && how === "query") url += `?token=${encodeURIComponent(given)}`;
  if (given !== undefined && how === "bearer") headers.Authorization = `Bearer ${given}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers, ...(a.origin !== undefined ? { origin: a.origin } : {}) });
    let first: string | undefined;
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    ws.on("error", (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
    ws.on("message", (data, isBinary) => {
      if (!isBinary && first === undefined) first = (JSON.parse(data.toString()) as { type: string }).type;
      if (isBinary && first !== undefined) {
        // A frame from the runtime came through unchanged.
        decodeFrame(new Uint8Array(data as Buffer));
        ws.close();
        resolve({ status: 101, first, frame: true });
      }
    });
  });
}

const runtimeTarget = (): Target => ({ port: runtime.port, credential: runtime.token });
const relayTarget = (): Target => ({ port: relay.port, credential: relay.secret });

const UNAUTHORIZED: Answer = { status: 401, body: "a valid token is required (?token=, Authorization: Bearer, or the token subprotocol)" };
const IN: Answer = { status: 101, first: "hello", frame: true };

/** Requests that the runtime and the relay answer alike, each with the answer both must give. */
const SAME: [string, Attempt, Answer][] = [
  ["no credential", { credential: "none" }, UNAUTHORIZED],
  ["a wrong credential", { credential: "wrong" }, UNAUTHORIZED],
  ["a wrong credential from a foreign origin", { credential: "wrong", origin: "http://evil.example" }, UNAUTHORIZED],
  ["the credential from a foreign origin", { origin: "http://evil.example" }, { status: 403, body: "origin http://evil.example may not connect" }],
  ["the credential from the null origin", { origin: "null" }, { status: 403, body: "origin null may not connect" }],
  ["the credential in a query from a foreign origin", { how: "query", origin: "http://evil.example" }, { status: 403, body: "origin http://evil.example may not connect" }],
  ["the credential on another path", { path: "/other" }, { status: 404, body: "the telemetry WebSocket is at /ws" }],
  ["no credential on another path", { path: "/other", credential: "none" }, { status: 404, body: "the telemetry WebSocket is at /ws" }],
  ["a VS Code desktop webview", { origin: "vscode-webview://0123abcd" }, IN],
  ["a non-browser client with the credential as a subprotocol", {}, IN],
  ["a non-browser client with the credential in a query", { how: "query" }, IN],
  ["a non-browser client with the credential as a bearer header", { how: "bearer" }, IN],
];

test("issue 13 item 5: the relay answers every request as the runtime does (401 without the credential, 403 for a foreign or null origin, 404 off /ws)", async () => {
  // Whole tables, so that a failure shows every request answered differently.
  const expected = SAME.map(([name, , answer]) => [name, answer]);
  const fromRuntime = [];
  const fromRelay = [];
  for (const [name, request] of SAME) {
    fromRuntime.push([name, await attempt(runtimeTarget(), request)]);
    fromRelay.push([name, await attempt(relayTarget(), request)]);
  }
  assert.deepEqual(fromRuntime, expected, "the runtime");
  assert.deepEqual(fromRelay, expected, "the relay answers as the runtime does");
});

test("issue 13 item 5: plain HTTP to the relay gets the runtime's answers for a missing file", async () => {
  for (const [method, status, body] of [["GET", 404, "not found"], ["POST", 405, "only GET"]] as const) {
    const fromRuntime = await fetch(`http://127.0.0.1:${runtime.port}/ws`, { method });
    const fromRelay = await fetch(`http://127.0.0.1:${relay.port}/ws`, { method });
    assert.deepEqual({ status: fromRuntime.status, body: await fromRuntime.text() }, { status, body });
    assert.deepEqual({ status: fromRelay.status, body: await fromRelay.text() }, { status, body });
  }
});

test("issue 13 item 5: the relay admits the origin its webviews reported, and only with its own secret, never the run's token", async () => {
  // Why the relay exists: the runtime refuses the browser-hosted editor's origin.
  assert.deepEqual(await attempt(runtimeTarget(), { origin: EDITOR_ORIGIN }), { status: 403, body: `origin ${EDITOR_ORIGIN} may not connect` });
  assert.deepEqual(await attempt(relayTarget(), { origin: EDITOR_ORIGIN }), IN);
  // Another page on the same host that no webview reported as its own is foreign.
  assert.deepEqual(await attempt(relayTarget(), { origin: "http://127.0.0.1:8081" }), { status: 403, body: "origin http://127.0.0.1:8081 may not connect" });
  // The relay's secret is not the run's token, and neither server takes the other's.
  assert.notEqual(relay.secret, runtime.token);
  assert.deepEqual(await attempt(relayTarget(), { origin: EDITOR_ORIGIN, credential: { other: runtime.token } }), UNAUTHORIZED);
  assert.deepEqual(await attempt(relayTarget(), { credential: { other: runtime.token } }), UNAUTHORIZED);
  assert.deepEqual(await attempt(runtimeTarget(), { credential: { other: relay.secret } }), UNAUTHORIZED);
});

test("issue 13 item 5: a webview through the relay gets frames and answers to its requests", async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/ws`, [SUBPROTOCOL, tokenSubprotocol(relay.secret)], { origin: EDITOR_ORIGIN });
  const texts: { type: string }[] = [];
  let frames = 0;
  let waiter: (() => void) | undefined;
  ws.on("message", (data, isBinary) => {
    if (isBinary) {
      decodeFrame(new Uint8Array(data as Buffer));
      frames++;
    } else texts.push(JSON.parse(data.toString()) as { type: string });
    waiter?.();
  });
  const until = (condition: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (condition()) resolve();
      };
      waiter = check;
      check();
    });
  await new Promise((resolve) => ws.once("open", resolve));
  assert.equal(ws.protocol, SUBPROTOCOL);
  await until(() => texts.some((m) => m.type === "hello") && frames > 0);
  ws.send(JSON.stringify({ type: "inspect", id: 7, pid: "<0.2.0>" }));
  await until(() => texts.some((m) => m.type === "response"));
  const response = texts.find((m) => m.type === "response") as Response;
  assert.equal(response.id, 7);
  assert.equal(response.ok, true, JSON.stringify(response));
  ws.close();
});

test("issue 13 item 5: only an http(s) origin, exactly as a browser sends it, counts as a webview's reported origin", () => {
  assert.equal(reportedWebviewOrigin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  assert.equal(reportedWebviewOrigin("https://0abc.vscode-cdn.net"), "https://0abc.vscode-cdn.net");
  for (const bad of ["null", "", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/path", "file://", "javascript:alert(1)", 42, undefined]) {
    assert.equal(reportedWebviewOrigin(bad), undefined, String(bad));
  }
});
