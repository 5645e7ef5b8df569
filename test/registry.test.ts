// Registered names: unique, one per process, freed when the process exits. Each test runs twice:
// with the registry's own Maps (one scheduler) and over the node-wide name table (issue 15).

import assert from "node:assert/strict";
import { test } from "node:test";
import { on, receive, register, registered, RegistryError, self, send, sleep, spawn, unregister, whereis } from "../runtime/api.js";
import { createNameTableBuffer, NameTable } from "../runtime/core/nameTable.js";
import { Process } from "../runtime/core/process.js";
import { Registry } from "../runtime/core/registry.js";
import { scheduler } from "../runtime/core/scheduler.js";
import { Pid } from "../runtime/core/terms.js";
import { runProcess } from "./harness.js";

const modes = [
  { label: "", registry: () => new Registry() },
  {
    label: " (issue 15: over the node-wide name table)",
    registry: () =>
      new Registry({
        table: new NameTable(createNameTableBuffer(1)),
        pidFor: (id) => scheduler.find(id) ?? assert.fail(`the table named ${id}, which is not a live process`),
        isAlive: (id) => scheduler.find(id) !== undefined,
      }),
  },
];

/** Runs `body` with the harness scheduler's registry replaced by `registry`. */
async function withRegistry<T>(registry: Registry, body: () => Promise<T>): Promise<T> {
  const s = scheduler;
  const saved = s.registry;
  s.registry = registry;
  try {
    return await body();
  } finally {
    s.registry = saved;
  }
}

for (const mode of modes) {
  test(`register, whereis, send by name, registered, unregister${mode.label}`, () => withRegistry(mode.registry(), async () => {
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
  }));

  test(`a taken name, a second name and a bad name are clear errors${mode.label}`, () => withRegistry(mode.registry(), async () => {
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
  }));

  test(`sending to a name nobody holds throws; sending to a dead pid does nothing${mode.label}`, () => withRegistry(mode.registry(), async () => {
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
  }));

  test(`a name is freed when its process exits${mode.label}`, () => withRegistry(mode.registry(), async () => {
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
  }));
}

for (const mode of modes) {
  test(`a name longer than 255 bytes of UTF-8 is a clear error${mode.label}`, () => {
    const registry = mode.registry();
    const p = aProcess(1);
    assert.throws(
      () => registry.register("ü".repeat(200), p),
      (e: unknown) => e instanceof RegistryError && e.message === `register: the name "${"ü".repeat(40)}…" is 400 bytes of UTF-8; a registered name is at most 255`,
    );
    registry.register("ü".repeat(127), p);
    assert.equal(registry.whereis("ü".repeat(127)), p);
  });
}

/** Two schedulers' registries over one table, in one thread: ids of the other scheduler are plain Pids. */
function twoSchedulers() {
  const table = createNameTableBuffer(2);
  const local = new Map<number, Pid>();
  const registryOf = (index: number) =>
    new Registry<Pid>({
      table: new NameTable(table),
      pidFor: (id) => (id % 2 === index ? local.get(id)! : new Pid(id)),
      isAlive: (id) => (local.get(id) as Process | undefined)?.status !== "exited",
    });
  const processOn = (index: number, serial: number, status?: Process["status"]) => {
    const p = aProcess(serial * 2 + index, status);
    local.set(p.id, p);
    return p;
  };
  return { a: registryOf(0), b: registryOf(1), processOn };
}

test("issue 15: a name registered on one scheduler is found, unique and listed on another, with the same error texts", () => {
  const { a, b, processOn } = twoSchedulers();
  const pa = processOn(0, 1);
  const pb = processOn(1, 1);
  a.register("server", pa);
  const found = b.whereis("server");
  assert.ok(found instanceof Pid && !(found === pa) && found.id === pa.id, "another scheduler sees a Pid with the holder's id");
  assert.equal(a.whereis("server"), pa, "the owning scheduler sees its Process");
  const errors: string[] = [];
  for (const attempt of [() => b.register("server", pb), () => b.register("other", new Pid(pa.id)), () => b.unregister("nobody"), () => b.register("x", processOn(1, 2, "exited"))]) {
    try {
      attempt();
      errors.push("no error");
    } catch (e) {
      assert.ok(e instanceof RegistryError);
      errors.push(e.message);
    }
  }
  assert.deepEqual(errors, [
    `register: the name "server" is already taken by ${pa}`,
    `register: ${pa} is already registered as "server"; a process holds at most one name`,
    `unregister: no process is registered as "nobody"`,
    `register: <0.5.0> is not alive, so it cannot take the name "x"`,
  ]);
  b.register("client", pb);
  assert.deepEqual(a.registered().sort(), ["client", "server"]);
  assert.deepEqual(b.registered().sort(), ["client", "server"]);
  assert.equal(a.nameFor(pa), "server");
  assert.equal(a.nameFor(new Pid(pb.id)), "client");
});

test("issue 15: a name is freed for every scheduler by unregister anywhere and by its process's exit", () => {
  const { a, b, processOn } = twoSchedulers();
  const pa = processOn(0, 1);
  const pb = processOn(1, 1);
  a.register("server", pa);
  // Unregistered by another scheduler: the holder's scheduler no longer sees a name on it.
  assert.equal(b.unregister("server").id, pa.id);
  assert.equal(a.whereis("server"), undefined);
  assert.equal(a.nameFor(pa), undefined);
  a.register("other", pa);
  // Registered by another scheduler (a spawnOn'd child named by its parent): freed by its own scheduler at exit.
  b.register("worker", pb);
  assert.equal(b.nameFor(pb), "worker");
  b.release(pb);
  assert.equal(a.whereis("worker"), undefined);
  const remote = processOn(0, 2);
  b.register("child", new Pid(remote.id));
  assert.equal(a.nameFor(remote), "child");
  assert.equal(a.whereis("child"), remote);
  a.release(remote);
  assert.equal(b.whereis("child"), undefined);
  a.register("child", processOn(0, 3));
  assert.deepEqual(b.registered().sort(), ["child", "other"]);
});

test("issue 15: a name given to a pid of another scheduler whose process has ended is refused, and the name stays free (it stuck before: no scheduler would free it)", () => {
  const { a, b, processOn } = twoSchedulers();
  const ended = processOn(0, 1, "exited");
  assert.throws(
    () => b.register("ghost", new Pid(ended.id)),
    (e: unknown) => e instanceof RegistryError && e.message === `register: ${ended} is not alive, so it cannot take the name "ghost"`,
  );
  assert.equal(a.whereis("ghost"), undefined);
  assert.equal(b.whereis("ghost"), undefined);
  assert.equal(a.nameFor(ended), undefined);
  b.register("ghost", processOn(1, 1));
  assert.deepEqual(a.registered(), ["ghost"]);
});

/** A process of this thread's scheduler that never runs: the registry reads only its id and status. */
function aProcess(id: number, status: Process["status"] = "runnable"): Process {
  const p = new Process(id, function* () {} as never, []);
  p.status = status;
  return p;
}
