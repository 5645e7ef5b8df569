// The extension's relay between a webview and the runtime, against a real runtime. Guards the bug
// where the visualizer began to send its token as a subprotocol and the relay, which only read a
// `?token=` query, refused every VS Code webview.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { decodeFrame, SUBPROTOCOL, tokenSubprotocol } from "../protocol/index.js";
import { startRelay, type Relay } from "../extension/webviewRelay.js";
import { startRuntime, type RunningRuntime } from "./telemetryClient.js";

let runtime: RunningRuntime;
let relay: Relay;

before(async () => {
  runtime = await startRuntime("examples/calculator.ts");
  relay = await startRelay(`ws://127.0.0.1:${runtime.port}/ws`, runtime.token);
});

after(async () => {
  await relay.close();
  await runtime.stop();
});

/** Connects to the relay; resolves with the first text message's type, or the refusal's status. */
function connect(url: string, protocols: string[] = []): Promise<{ status: number; first?: string; binary: boolean }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols);
    let first: string | undefined;
    ws.on("unexpected-response", (_req, res) => resolve({ status: res.statusCode!, binary: false }));
    ws.on("message", (data, isBinary) => {
      if (!isBinary && first === undefined) first = (JSON.parse(data.toString()) as { type: string }).type;
      if (isBinary && first !== undefined) {
        // A frame from the runtime came through unchanged.
        decodeFrame(new Uint8Array(data as Buffer));
        ws.close();
        resolve({ status: 101, first, binary: true });
      }
    });
  });
}

test("a webview reaches the runtime through the relay with the token as a subprotocol or a query", async () => {
  const base = `ws://127.0.0.1:${relay.port}/ws`;
  assert.deepEqual(await connect(base, [SUBPROTOCOL, tokenSubprotocol(runtime.token)]), { status: 101, first: "hello", binary: true });
  assert.deepEqual(await connect(`${base}?token=${runtime.token}`), { status: 101, first: "hello", binary: true });
  assert.equal((await connect(base, [SUBPROTOCOL, tokenSubprotocol("wrong")])).status, 401);
  assert.equal((await connect(base)).status, 401);
});
