// One thread of test/nameTable.test.ts: runs a scenario against the shared name table, in step with
// the other threads through a barrier, and posts what it saw for the test to check.

import { parentPort, workerData } from "node:worker_threads";
import { NameTable, RegistryError } from "../runtime/core/nameTable.js";
import { Process } from "../runtime/core/process.js";
import { Registry } from "../runtime/core/registry.js";
import { Pid } from "../runtime/core/terms.js";

export interface ThreadData {
  scenario: "race" | "one-name" | "handoff" | "churn";
  index: number;
  threads: number;
  rounds: number;
  table: SharedArrayBuffer;
  /** [arrived, generation] of the barrier, then how many threads finished churning. */
  barrier: SharedArrayBuffer;
  /** Names the test registered before the threads started, with their holders; they never change. */
  stable: [name: string, pidId: number][];
}

const data = workerData as ThreadData;
const table = new NameTable(data.table);
const barrier = new Int32Array(data.barrier);

/**
 * Returns when every thread arrived. Waiters spin a while before they sleep, so that the threads
 * leave together and their next operations race as closely as the cores allow.
 */
function arrive(): void {
  const generation = Atomics.load(barrier, 1);
  if (Atomics.add(barrier, 0, 1) === data.threads - 1) {
    Atomics.store(barrier, 0, 0);
    Atomics.add(barrier, 1, 1);
    Atomics.notify(barrier, 1);
    return;
  }
  for (let spin = 0; spin < 100_000; spin++) if (Atomics.load(barrier, 1) !== generation) return;
  while (Atomics.load(barrier, 1) === generation) Atomics.wait(barrier, 1, generation);
}

function race(): unknown {
  // Each round every thread races for one name with a pid of its own.
  const rounds: { result: number; seen: number; id: number }[] = [];
  for (let round = 0; round < data.rounds; round++) {
    const id = round * data.threads + data.index + 1;
    arrive();
    const result = table.register(`race-${round}`, id);
    rounds.push({ result, seen: table.whereis(`race-${round}`), id });
  }
  return rounds;
}

function oneName(): unknown {
  // Each round every thread gives the same pid a different name: a pid holds at most one.
  const results: number[] = [];
  for (let round = 0; round < data.rounds; round++) {
    arrive();
    results.push(table.register(`one-${round}-${data.index}`, round + 1));
  }
  return results;
}

function handoff(): unknown {
  // Thread 0 registers and frees through its Registry; thread 1 looks right after, through its own.
  // Every process here is the thread's own, so the table never asks whether another's is alive.
  const registry = new Registry<Pid>({ table, pidFor: (id) => new Pid(id), isAlive: () => true });
  const failures: string[] = [];
  for (let round = 0; round < data.rounds; round++) {
    const name = `handoff-${round}`;
    const first = aProcess(2 * round + 2);
    const second = aProcess(2 * round + 3);
    if (data.index === 0) registry.register(name, first);
    arrive();
    if (data.index === 1) {
      const found = registry.whereis(name);
      if (found?.id !== first.id) failures.push(`round ${round}: whereis right after register found ${found}, not ${first}`);
      try {
        registry.register(name, second);
        failures.push(`round ${round}: a second thread took a taken name`);
      } catch (e) {
        const expected = `register: the name "${name}" is already taken by ${first}`;
        if (!(e instanceof RegistryError) || e.message !== expected) failures.push(`round ${round}: ${String(e)}`);
      }
    }
    arrive();
    // Half the rounds free the name by unregister, half as the process's exit does.
    if (data.index === 0) {
      if (round % 2 === 0) registry.unregister(name);
      else registry.release(first);
    }
    arrive();
    if (data.index === 1) {
      if (registry.whereis(name) !== undefined) failures.push(`round ${round}: the name is still held after it was freed`);
      registry.register(name, second);
      if (registry.whereis(name)?.id !== second.id) failures.push(`round ${round}: the freed name did not go to another thread's process`);
      registry.release(second);
    }
  }
  return failures;
}

function churn(): unknown {
  // Thread 0 reads names that never change while the others churn names of the same small table,
  // whose deletions shift the stable names' entries back and reuse freed entries.
  if (data.index === 0) return watch();
  // Threads register and free overlapping names at random; what a thread holds, only it can free.
  let seed = data.index * 7919 + 1;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const held = new Map<string, number>();
  const failures: string[] = [];
  let full = 0;
  let nextId = data.index + 1;
  arrive();
  for (let step = 0; step < data.rounds; step++) {
    const name = `churn-${random(40)}`;
    const mine = held.get(name);
    if (mine !== undefined) {
      const found = table.whereis(name);
      if (found !== mine) failures.push(`${name} held by ${mine} but whereis says ${found}`);
      const named = table.nameOf(mine);
      if (named !== name) failures.push(`${mine} holds ${name} but nameOf says ${JSON.stringify(named)}`);
      if (random(2) === 0 ? !table.unregister(name, mine) : !table.release(mine)) failures.push(`could not free ${name} held by ${mine}`);
      held.delete(name);
      continue;
    }
    const id = nextId;
    nextId += data.threads;
    try {
      const result = table.register(name, id);
      if (result === 0) held.set(name, id);
      else if (result < 0) failures.push(`a fresh pid ${id} already held a name`);
    } catch (e) {
      if (!(e instanceof RegistryError && e.message.includes("the node's name table is full"))) throw e;
      full++;
    }
  }
  Atomics.add(barrier, 2, 1);
  arrive();
  return { failures, full, held: [...held] };
}

function watch(): unknown {
  const failures: string[] = [];
  let reads = 0;
  arrive();
  while (Atomics.load(barrier, 2) < data.threads - 1 || reads === 0) {
    for (const [name, id] of data.stable) {
      const found = table.whereis(name);
      if (found !== id) failures.push(`whereis("${name}") returned ${found}, not ${id}`);
      const named = table.nameOf(id);
      if (named !== name) failures.push(`nameOf(${id}) returned ${JSON.stringify(named)}, not ${name}`);
      reads++;
    }
  }
  arrive();
  return { failures: failures.slice(0, 10), full: 0, held: [], reads };
}

const scenarios = { race, "one-name": oneName, handoff, churn };
parentPort!.postMessage(scenarios[data.scenario]());

/** A process of this thread's scheduler that never runs: the registry reads only its id and status. */
function aProcess(id: number, status: Process["status"] = "runnable"): Process {
  const p = new Process(id, function* () {} as never, []);
  p.status = status;
  return p;
}
