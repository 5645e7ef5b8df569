// The GenServer-like helper: calls, casts, other messages, generator handlers, and its state
// kept for the inspector.

import assert from "node:assert/strict";
import { test } from "node:test";
import { call, cast, send, sleep, startServer, type From } from "../runtime/api.js";
import type { Process } from "../runtime/core/process.js";
import { serverStates } from "../runtime/behaviours/server.js";
import { runProcess } from "./harness.js";

type Stack = { items: number[]; infos: number };

const stack = {
  name: "stack",
  init: (first: number): Stack => ({ items: [first], infos: 0 }),
  handleCall(request: "pop" | "size", state: Stack, _from: From): [unknown, Stack] {
    if (request === "size") return [state.items.length, state];
    return [state.items.at(-1), { ...state, items: state.items.slice(0, -1) }];
  },
  handleCast: (message: ["push", number], state: Stack): Stack => ({ ...state, items: [...state.items, message[1]] }),
  *handleInfo(_message: unknown, state: Stack) {
    yield* sleep(1);
    return { ...state, infos: state.infos + 1 };
  },
};

test("a server handles casts, calls and other messages in order, and keeps its state for the inspector", async () => {
  const { value } = await runProcess(function* () {
    const pid = startServer(stack, 1);
    cast(pid, ["push", 2]);
    cast(pid, ["push", 3]);
    send(pid, "tick");
    const size = yield* call<number>(pid, "size");
    const top = yield* call<number>(pid, "pop");
    const state = serverStates.get(pid as Process)!.state;
    return { size, top, state, name: (pid as Process).fn.name };
  });
  assert.deepEqual(value, { size: 3, top: 3, state: { items: [1, 2], infos: 1 }, name: "stack" });
});
