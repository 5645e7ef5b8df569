// A harness that runs processes on the scheduler of the test's own thread, without the loader, so
// that semantic and property tests run fast. Loops here are not instrumented; preemption and the
// loader are tested through the CLI (cli.test.ts).
//
// Several schedulers: with BEAMLINE_SCHEDULERS=N (default 1) the test's thread is scheduler 1 and
// N - 1 worker threads (test/harnessScheduler.ts) are schedulers 2..N, joined by the same mesh,
// name table and liveness table as a run's scheduler threads (docs/architecture.md,
// "Schedulers"). A process function that is to start on another scheduler must be a top-level
// function* of a module under test/processes/ that names it with defineProcesses (the loader's
// __bl_def for tests); the scheduler threads import the modules that the test file imported. The
// harness places such spawns round robin over all schedulers (test/harnessPeers.ts), so that a
// test's processes, links, monitors and calls cross threads on purpose; closures (the body of
// runProcess among them) start on the test's thread. Crashes on any scheduler count in `crashes`.
// A test file that is about one scheduler (its telemetry, seeded repeatability) calls
// pinOneScheduler with its reason; a single test that is skips the other counts with onlyOnOneScheduler.
// scripts/test.mjs runs the harness's files with 1, 2 and 4 (docs/testing.md).

import { after } from "node:test";
import { Worker } from "node:worker_threads";
import { formatReason, spawn } from "../runtime/api.js";
import { newLiveness } from "../runtime/core/liveness.js";
import { createNameTableBuffer } from "../runtime/core/nameTable.js";
import { newPeerCounters } from "../runtime/core/peers.js";
import type { Process } from "../runtime/core/process.js";
import { seededRandom } from "../runtime/core/random.js";
import { scheduler } from "../runtime/core/scheduler.js";
import { createMeshBuffers } from "../runtime/mesh/meshBuffers.js";
import type { Mesh } from "../runtime/mesh/mesh.js";
import { joinHarnessMesh, type HarnessBuffers } from "./harnessPeers.js";
import type { FromHarnessScheduler, HarnessSchedulerConfig } from "./harnessScheduler.js";
import { processModules } from "./processes/define.js";

export interface RunResult<T> {
  value: T;
  /** Processes that crashed during the run, on any scheduler, with their reasons. */
  crashes: { pid: string; reason: unknown }[];
}

/** The most schedulers the harness starts; more would only oversubscribe the machine. */
const MAX_SCHEDULERS = 16;

function requestedSchedulers(): number {
  const text = process.env.BEAMLINE_SCHEDULERS;
  if (text === undefined || text === "") return 1;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_SCHEDULERS) {
    throw new RangeError(`test/harness.ts: BEAMLINE_SCHEDULERS must be an integer from 1 to ${MAX_SCHEDULERS}, got ${JSON.stringify(text)}`);
  }
  return n;
}

let count = requestedSchedulers();
let started: Promise<void> | undefined;
let mesh: Mesh | undefined;
const workers: Worker[] = [];
/** The crashes of the run in progress (the harness runs one at a time), and how it fails if a scheduler thread dies. */
let crashesOfRun: RunResult<unknown>["crashes"] | undefined;
let failRun: ((error: Error) => void) | undefined;
let threadError: Error | undefined;
const syncs = new Map<number, () => void>();
let nextSync = 1;

/** How many schedulers this file's runs use. */
export function harnessSchedulers(): number {
  return count;
}

/**
 * For `test(name, { skip: onlyOnOneScheduler(why) }, ...)`: a test that is about one scheduler
 * (virtual time, say) runs in the file's pass with one scheduler and says why it skips the others.
 */
export function onlyOnOneScheduler(why: string): string | false {
  return count > 1 ? `with ${count} schedulers: ${why}` : false;
}

/** Runs this file on one scheduler whatever BEAMLINE_SCHEDULERS says; call it at the top of the file, saying why. */
export function pinOneScheduler(why: string): void {
  if (why.trim() === "") throw new TypeError("pinOneScheduler: say why the file is about one scheduler");
  if (started !== undefined) throw new Error("pinOneScheduler: call it before the file's first runProcess");
  count = 1;
}

const SCHEDULER_THREAD = new URL("./harnessScheduler.ts", import.meta.url);
/** tsx's loader hooks do not reach worker threads from the command line in Node 20; the thread registers them itself. */
const BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(SCHEDULER_THREAD.href)}); });`;

/** Joins the test's thread to the mesh and starts the other schedulers, once per file. */
function start(): Promise<void> {
  if (count === 1) return Promise.resolve();
  const buffers: HarnessBuffers = {
    count,
    mesh: createMeshBuffers(count),
    counters: newPeerCounters(count),
    names: createNameTableBuffer(count),
    liveness: newLiveness(count),
  };
  mesh = joinHarnessMesh(scheduler, 0, buffers);
  const ready: Promise<void>[] = [];
  for (let index = 1; index < count; index++) {
    const workerData: HarnessSchedulerConfig = { index, buffers, modules: [...processModules] };
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData });
    workers.push(worker);
    ready.push(
      new Promise<void>((resolve, reject) => {
        worker.on("message", (message: FromHarnessScheduler) => {
          if (message.type === "ready") resolve();
          else if (message.type === "crash") crashesOfRun?.push({ pid: message.pid, reason: message.reason });
          else syncs.get(message.id)?.();
        });
        worker.on("error", (error) => {
          threadError = new Error(`test/harness.ts: scheduler ${index + 1}'s thread failed: ${formatReason(error)}`);
          reject(threadError);
          failRun?.(threadError);
        });
      }),
    );
  }
  return Promise.all(ready).then(() => undefined);
}

/** Resolves when every other scheduler thread has reported what it did so far (crashes included). */
function syncWithThreads(): Promise<void> {
  return Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          const id = nextSync++;
          syncs.set(id, () => {
            syncs.delete(id);
            resolve();
          });
          worker.postMessage({ type: "sync", id });
        }),
    ),
  ).then(() => undefined);
}

// The file's last test is over: the scheduler threads end, and the test's thread leaves the mesh
// (else its scheduler would wait for the others' doorbells for ever, and the file would not end).
after(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
  if (mesh !== undefined) {
    scheduler.peers = null;
    mesh.wake();
  }
});

/**
 * Runs `body` as a process and resolves when it returns (or rejects with an Error carrying its crash `reason`). With a
 * seed, like `--seed`: seeded slice budgets, and with one scheduler virtual time (the thread's Date and
 * performance.now stay real here; the CLI's scheduler thread makes them virtual too). With several
 * schedulers, as with the CLI, the seed picks the test thread's slice budgets and time stays real.
 */
export async function runProcess<T>(body: () => Generator<unknown, T, unknown>, options: { seed?: number } = {}): Promise<RunResult<T>> {
  started ??= start();
  await started;
  if (threadError !== undefined) throw threadError;
  scheduler.random = options.seed === undefined ? undefined : seededRandom(options.seed);
  scheduler.useVirtualTime(options.seed !== undefined && count === 1);
  const crashes: RunResult<T>["crashes"] = [];
  crashesOfRun = crashes;
  try {
    return await new Promise<RunResult<T>>((resolve, reject) => {
      let value: T;
      let root: Process | undefined;
      failRun = reject;
      const stop = scheduler.observe({
        exited(p, reason, crashed) {
          if (crashed) crashes.push({ pid: String(p), reason });
          if (p !== root) return;
          stop();
          // The other schedulers' crashes so far arrive before their answer to the sync.
          void syncWithThreads().then(() => {
            // A crash reason is a term; the test sees it as an Error whose message is the crash's stack.
            if (crashed) reject(Object.assign(new Error(formatReason(reason)), { reason }));
            else resolve({ value, crashes });
          });
        },
      });
      root = spawn(function* () {
        value = yield* body();
      }) as Process;
    });
  } finally {
    crashesOfRun = undefined;
    failRun = undefined;
  }
}

/** Lets the other processes run: a bare yield gives up the rest of the slice. */
export function* yieldSlice(): Generator<undefined, void, unknown> {
  yield undefined;
}
