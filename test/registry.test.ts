// Registered names: unique, one per process, freed when the process exits.

import assert from "node:assert/strict";
import { test } from "node:test";
import { on, receive, register, registered, RegistryError, self, send, sleep, spawn, unregister, whereis } from "../runtime/api.js";
import { runProcess } from "./harness.js";

test("register, whereis, send by name, registered, unregister", async () => {
  const { value } = await runProcess(function* () {
    const echo = spawn(function* () {
      const [from, text] = (yield* receive(on([String, String]))) as [string, string];
      send(from, text.toUpperCase());
      yield* receive(on("stop"));
    });
    register("echo", echo);
    register("tester", self());
    const found = whereis("echo");
    send("echo", ["tester", "hi"]);
    const answer = yield* receive();
    const names = registered().sort();
    unregister("tester");
    send(echo, "stop");
    return { same: found === echo, answer, names, after: whereis("tester") };
  });
  assert.deepEqual(value, { same: true, answer: "HI", names: ["echo", "tester"], after: undefined });
});

test("a taken name, a second name and a bad name are clear errors", async () => {
  const { value } = await runProcess(function* () {
    const a = spawn(function* () {
      yield* receive(on("stop"));
    });
    const b = spawn(function* () {
      yield* receive(on("stop"));
    });
    register("server", a);
    const errors: string[] = [];
    for (const attempt of [() => register("server", b), () => register("other", a), () => register("", b), () => unregister("nobody")]) {
      try {
        attempt();
      } catch (e) {
        assert.ok(e instanceof RegistryError);
        errors.push((e as Error).message);
      }
    }
    send(a, "stop");
    send(b, "stop");
    return { errors, a: String(a) };
  });
  assert.deepEqual(value.errors, [
    `register: the name "server" is already taken by ${value.a}`,
    `register: ${value.a} is already registered as "server"; a process holds at most one name`,
    `register: a name must be a non-empty string, got ""`,
    `unregister: no process is registered as "nobody"`,
  ]);
});

test("sending to a name nobody holds throws; sending to a dead pid does nothing", async () => {
  const { value } = await runProcess(function* () {
    const short = spawn(function* () {});
    yield* sleep(1);
    send(short, "into the void");
    try {
      send("nobody", "hello");
      return "no error";
    } catch (e) {
      return (e as Error).message;
    }
  });
  assert.equal(value, `send: no process is registered as "nobody"`);
});

test("a name is freed when its process exits", async () => {
  const { value } = await runProcess(function* () {
    const p = spawn(function* () {
      register("temp", self());
      yield* receive(on("stop"));
    });
    yield* sleep(1);
    const before = whereis("temp") === p;
    send(p, "stop");
    yield* sleep(1);
    return { before, after: whereis("temp") };
  });
  assert.deepEqual(value, { before: true, after: undefined });
});
