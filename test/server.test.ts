// The GenServer-like helper: calls, casts, other messages, generator handlers, and its state
// kept for the inspector.

import assert from "node:assert/strict";
import { test } from "node:test";
import { _, after, call, CallExitError, cast, exit, isAlive, isCrashReason, monitor, on, Pid, processFlag, receive, Ref, reply, self, send, sleep, spawn, spawnLink, startServer, type From } from "../runtime/api.js";
import type { Process } from "../runtime/core/process.js";
import { serverStates, ServerStartError, startServerLink } from "../runtime/behaviours/server.js";
import { runProcess } from "./harness.js";
import { crashAfterASlice } from "./processes/common.js";
import { callAndReport } from "./processes/messages.js";

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

// Issue 14: init may stop or ignore, handleCall may reply later, terminate runs, a throwing
// callback ends the server with a reason that names the callback and the message.

function* downOf(ref: Ref): Generator<unknown, unknown, unknown> {
  return (yield* receive(on(["DOWN", ref, "process", _, _])))[4];
}

test("issue 14: a server whose init returns { stop } ends with that reason, and startServerLink throws ServerStartError with it", async () => {
  const { value } = await runProcess(function* () {
    processFlag("trapExit", true);
    const spec = { name: "picky", init: (ok: boolean): number | { stop: unknown } => (ok ? 0 : { stop: "bad_config" }), handleCall: (_r: unknown, s: number): [unknown, number] => [s, s] };
    const plain = startServer(spec, false);
    const plainReason = yield* downOf(monitor(plain));
    let thrown: unknown;
    try {
      yield* startServerLink(spec, false);
    } catch (error) {
      thrown = error;
    }
    const exitMsg = yield* receive(on(["EXIT", Pid, _]));
    const started = yield* startServerLink(spec, true);
    return { plainReason, thrown, exitReason: exitMsg[2], answer: yield* call(started as Pid, "get") };
  });
  assert.equal(value.plainReason, "bad_config");
  assert.ok(value.thrown instanceof ServerStartError);
  assert.equal(value.thrown.reason, "bad_config");
  assert.match(value.thrown.message, /picky <[\d.]+> did not start: its init stopped with reason "bad_config"/);
  assert.equal(value.exitReason, "bad_config");
  assert.equal(value.answer, 0);
});

test("issue 14: a server whose init returns \"ignore\" ends normally, and startServerLink gives \"ignore\"", async () => {
  const { value } = await runProcess(function* () {
    const spec = { init: () => "ignore" as const };
    const pid = startServer(spec);
    const reason = yield* downOf(monitor(pid));
    const linked = yield* startServerLink(spec);
    return { reason, linked };
  });
  assert.deepEqual(value, { reason: "normal", linked: "ignore" });
});

test("issue 14: handleCall may return { noreply } and answer later with reply(from, value)", async () => {
  const { value } = await runProcess(function* () {
    // A latch: calls wait until a cast opens it, then all get their answers in order.
    const latch = startServer({
      init: () => ({ waiting: [] as From[] }),
      handleCall: (_req: "wait", state: { waiting: From[] }, from: From) => ({ noreply: { waiting: [...state.waiting, from] } }),
      handleCast(_msg: "open", state: { waiting: From[] }) {
        state.waiting.forEach((from, i) => reply(from, `opened ${i}`));
        return { waiting: [] };
      },
    });
    const me = self();
    for (let i = 0; i < 2; i++) spawn(callAndReport, latch, "wait", me);
    while ((serverStates.get(latch as Process)?.state as { waiting: From[] } | undefined)?.waiting.length !== 2) yield* sleep(1);
    cast(latch, "open");
    const answers = [yield* receive(on(["answer", String])), yield* receive(on(["answer", String]))].map((m) => m[1]);
    return answers.sort();
  });
  assert.deepEqual(value, ["opened 0", "opened 1"]);
});

test("issue 14: a trapping server runs terminate(reason, state) when its parent tells it to exit; a non-trapping one just ends", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    const spec = (trap: boolean) => ({
      init: () => {
        processFlag("trapExit", trap);
        return "the state";
      },
      handleCall: (_req: "ping", state: string): [unknown, string] => ["pong", state],
      terminate: (reason: unknown, state: string) => send(me, ["terminated", reason, state]),
    });
    const trapping = startServer(spec(true));
    const ref = monitor(trapping);
    // Once it answers, its init has run and it traps exits.
    yield* call(trapping, "ping");
    exit(trapping, "shutdown");
    const terminated = yield* receive(on(["terminated", _, _]));
    const reason = yield* downOf(ref);
    const plain = startServer(spec(false));
    const ref2 = monitor(plain);
    yield* call(plain, "ping");
    exit(plain, "shutdown");
    const reason2 = yield* downOf(ref2);
    const late = yield* receive(on(["terminated", _, _]), after(10, () => "none"));
    return { terminated, reason, reason2, late };
  });
  assert.deepEqual(value.terminated, ["terminated", "shutdown", "the state"]);
  assert.equal(value.reason, "shutdown");
  assert.equal(value.reason2, "shutdown");
  assert.equal(value.late, "none");
});

test("issue 14: handleCall may return { stop, reply, state }: the caller gets the reply, terminate runs, the server ends with the reason", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    const pid = startServer({
      init: () => 1,
      handleCall: (_req: "quit", state: number) => ({ stop: "done", reply: "bye", state: state + 1 }),
      terminate: (reason: unknown, state: number) => send(me, ["terminated", reason, state]),
    });
    const ref = monitor(pid);
    const answer = yield* call(pid, "quit");
    const terminated = yield* receive(on(["terminated", _, _]));
    return { answer, terminated, reason: yield* downOf(ref) };
  });
  assert.deepEqual(value, { answer: "bye", terminated: ["terminated", "done", 2], reason: "done" });
});

test("issue 14: a callback that throws ends the server with a crash naming the callback and the message; terminate sees it, the caller gets CallExitError", async () => {
  const { value, crashes } = await runProcess(function* () {
    const me = self();
    const pid = startServer({
      name: "fragile",
      init: () => ({ items: [] as number[] }),
      handleCall(request: ["pop"], state: { items: number[] }): [unknown, { items: number[] }] {
        if (state.items.length === 0) throw new RangeError("the stack is empty");
        return [state.items.pop(), state];
      },
      terminate: (reason: unknown) => send(me, ["terminated", reason]),
    });
    const ref = monitor(pid);
    let thrown: unknown;
    try {
      yield* call(pid, ["pop"]);
    } catch (error) {
      thrown = error;
    }
    const terminated = (yield* receive(on(["terminated", _])))[1];
    return { thrown, terminated, reason: yield* downOf(ref) };
  });
  assert.ok(value.thrown instanceof CallExitError);
  assert.ok(isCrashReason(value.reason));
  assert.equal(value.reason.error, "RangeError");
  assert.equal(value.reason.message, 'handleCall(["pop"]) threw: the stack is empty');
  assert.match(value.reason.stack, /^RangeError: handleCall\(\["pop"\]\) threw: the stack is empty\n\s+at /);
  assert.match(value.reason.at, /server\.test\.ts:\d+:\d+$/);
  assert.deepEqual(value.terminated, value.reason);
  assert.deepEqual((value.thrown as CallExitError).reason, value.reason);
  assert.equal(crashes.length, 1);
});

test("issue 14: a trapping server hands an EXIT from a linked process that is not its parent to handleInfo", async () => {
  const { value } = await runProcess(function* () {
    const pid = startServer({
      init: () => {
        processFlag("trapExit", true);
        spawnLink(crashAfterASlice, "worker failed");
        return [] as unknown[];
      },
      handleInfo: (msg: unknown, state: unknown[]) => [...state, msg],
      handleCall: (_req: "seen", state: unknown[]): [unknown, unknown[]] => [state.length, state],
    });
    let seen = 0;
    while (seen === 0) {
      seen = yield* call<number>(pid, "seen");
      yield* sleep(1);
    }
    const state = serverStates.get(pid as Process)!.state as [string, Pid, { message: string }][];
    return { alive: isAlive(pid), kind: state[0]![0], message: state[0]![2].message };
  });
  assert.deepEqual(value, { alive: true, kind: "EXIT", message: "worker failed" });
});

test("issue 14: an init that throws ends the server with a crash naming init and its args; startServerLink throws ServerStartError with it", async () => {
  const { value } = await runProcess(function* () {
    processFlag("trapExit", true);
    const spec = {
      name: "db",
      init(url: string): number {
        throw new TypeError(`cannot reach ${url}`);
      },
    };
    try {
      yield* startServerLink(spec, "db://nowhere");
      return undefined;
    } catch (error) {
      return error as ServerStartError;
    }
  });
  assert.ok(value instanceof ServerStartError);
  assert.ok(isCrashReason(value.reason));
  assert.equal(value.reason.error, "TypeError");
  assert.equal(value.reason.message, 'init("db://nowhere") threw: cannot reach db://nowhere');
  assert.match(value.message, /^db <[\d.]+> did not start: its init failed: init\("db:\/\/nowhere"\) threw: cannot reach db:\/\/nowhere$/);
});

test("issue 14: a terminate that throws ends the server with a crash naming terminate and the reason it was given", async () => {
  const { value } = await runProcess(function* () {
    const pid = startServer({
      init: () => 0,
      handleCast: (_msg: "quit") => ({ stop: "quit" }),
      terminate() {
        throw new Error("cleanup failed");
      },
    });
    const ref = monitor(pid);
    cast(pid, "quit");
    return yield* downOf(ref);
  });
  assert.ok(isCrashReason(value));
  assert.equal(value.message, 'terminate("quit") threw: cleanup failed');
});
