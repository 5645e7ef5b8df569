// The process functions of test/messages.test.ts and test/server.test.ts, named for every
// scheduler of the harness (test/processes/define.ts), so that messages, spawn arguments, calls
// and replies cross scheduler threads.

import { call, receive, send, type Pid } from "../../runtime/api.js";
import { defineProcesses } from "./define.js";

/** Changes its argument and sends `parent` what it sees. */
export function* mutateAndReport(s: { count: number }, parent: Pid): Generator<unknown, void, unknown> {
  s.count = 100;
  send(parent, s.count);
}

/** Sends the first message it gets back to `parent`, then changes its own copy and sends that too. */
export function* echoThenMutate(parent: Pid): Generator<unknown, void, unknown> {
  const got = (yield* receive()) as { list: number[] };
  send(parent, got);
  got.list.push(4);
  send(parent, ["mutated", got]);
}

/** Takes an argument and ends. */
export function* takeArgument(_arg: unknown): Generator<unknown, void, unknown> {}

/** Calls `server` with `request` and sends `parent` ["answer", reply]. */
export function* callAndReport(server: Pid, request: unknown, parent: Pid): Generator<unknown, void, unknown> {
  send(parent, ["answer", yield* call(server, request)]);
}

defineProcesses(import.meta.url, { mutateAndReport, echoThenMutate, takeArgument, callAndReport });
