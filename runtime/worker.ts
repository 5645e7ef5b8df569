// A scheduler thread: loads the program, then runs processes until the main thread ends the run.

import { parentPort, workerData } from "node:worker_threads";
import { spawn } from "./api.js";
import { formatReason, userFrame } from "./core/exitReason.js";
import { useSynchronousConsole } from "./host/output.js";
import { seededRandom } from "./core/random.js";
import { SLOW_SLICE_MS, type FromScheduler, type SchedulerConfig, type ToScheduler } from "./host/schedulerMessages.js";
import { scheduler, SiteCounters } from "./core/scheduler.js";
import { SchedulerTelemetry } from "./telemetry/schedulerTelemetry.js";
import type { Pid } from "./core/terms.js";
import type { Process } from "./core/process.js";
import { installVirtualClock } from "./core/virtualClock.js";
import { Peers } from "./core/peers.js";
import { Mesh } from "./mesh/mesh.js";
import { NameTable } from "./core/nameTable.js";
import { Liveness } from "./core/liveness.js";

const config = workerData as SchedulerConfig;
const post = (message: FromScheduler) => parentPort!.postMessage(message);

useSynchronousConsole();
process.setSourceMapsEnabled(true);

scheduler.index = config.index;
scheduler.count = config.count;
scheduler.idStride = config.peers === undefined ? config.count : 2 * config.count;
scheduler.reductionBudget = config.reductions;
scheduler.heartbeat = new Int32Array(config.heartbeat);
scheduler.counters = new Float64Array(config.counters);
scheduler.sites = new SiteCounters(config.sites.length + 1);
scheduler.sourceSites = config.sites;
scheduler.events.startedAt = config.startedAt;
if (config.seed !== undefined) {
  // One stream picks slice budgets, another serves Math.random, and time is virtual: a seed fixes all
  // three. Each scheduler's streams start from its own seed. Virtual time only with one scheduler:
  // an idle scheduler jumps its clock to its next timer, which would fire a call's timeout while
  // another scheduler is still working on the answer.
  scheduler.random = seededRandom(config.seed + config.index);
  Math.random = seededRandom((config.seed + config.index) ^ 0x5eed);
  if (config.count === 1) {
    scheduler.useVirtualTime(true);
    installVirtualClock(() => scheduler.now());
  }
}

let mainPid: Pid | undefined;
/** True while a client's request runs: a process that ends now was killed by that client. */
let answeringRequest = false;
/** Main's end when a request killed it: told after the request's response, so that the client gets it. */
let mainEndedByRequest: FromScheduler | undefined;
/** Who sent main the last exit signal that could end it: the process, or a linked process's exit. */
let mainSignalledBy: string | undefined;
scheduler.observe({
  exited(p, reason, crashed) {
    if (crashed) console.error(`${p} crashed: ${formatReason(reason)}`);
    if (p !== mainPid) return;
    let ending: Pick<Extract<FromScheduler, { type: "main-exited" }>, "killed" | "exitedWith"> = {};
    if (!crashed && reason !== "normal") {
      // Ended by an exit signal (from a process, a link, or a client's kill), or by its own exit(reason).
      const by = answeringRequest ? "a telemetry client's kill request" : mainSignalledBy;
      ending = by !== undefined ? { killed: { by, reason: formatReason(reason) } } : { exitedWith: formatReason(reason) };
    }
    const message: FromScheduler = { type: "main-exited", pid: String(p), crashed, ...ending };
    if (answeringRequest) mainEndedByRequest = message;
    else post(message);
  },
  signal(kind, from, to, reason) {
    if (kind !== "exit-signal" || to !== mainPid || (to as Process).signals?.trapExit === true) return;
    if (reason === "normal" && from !== to) return;
    mainSignalledBy = from === to ? "itself (exit(self(), reason))" : String(from);
  },
  nonPreemptible(p, site, ms) {
    // Shorter ones are counted (Counter.nonPreemptible), not told: a message per Mandelbrot row
    // cost the second core much of its work (docs/performance.md, "Overruns told without messages").
    if (ms >= SLOW_SLICE_MS) post({ type: "non-preemptible", pid: String(p), site, ms });
  },
});

// process.exit in a program ends this thread only; the main thread ends the run with its code once
// told who called it and where (messages posted before the thread ends arrive before its exit event).
const exitThread = process.exit.bind(process);
process.exit = ((code?: number | string | null) => {
  const site = userFrame(new Error().stack ?? "") ?? "an unknown line";
  post({ type: "exit-called", pid: scheduler.current !== null ? String(scheduler.current) : undefined, site });
  exitThread(code);
}) as typeof process.exit;

const telemetry = new SchedulerTelemetry(scheduler, ["", ...config.sites.map((s) => `${s.file}:${s.line}`)], parentPort!);
if (config.telemetryIntervalMs > 0) telemetry.start(config.telemetryIntervalMs, config.recording);

parentPort!.on("message", (message: ToScheduler) => {
  switch (message.type) {
    case "keyframe":
      telemetry.keyframe(message.snapshot, message.pageSize);
      break;
    case "set-interval":
      telemetry.setInterval(message.ms);
      break;
    case "start":
      void startProgram();
      break;
    case "finish":
      post({ type: "finished" });
      break;
    case "request":
      answeringRequest = true;
      try {
        post({ type: "response", id: message.id, ok: true, result: telemetry.handle(message.request) });
      } catch (error) {
        post({ type: "response", id: message.id, ok: false, error: (error as Error).message });
      } finally {
        answeringRequest = false;
      }
      if (mainEndedByRequest !== undefined) {
        post(mainEndedByRequest);
        mainEndedByRequest = undefined;
      }
      break;
  }
});
// With --wait-for-viewer the main thread says when to start; the port's listener keeps the thread alive
// until then.
if (!config.waitForStart) await startProgram();

/** Loads the program and spawns its main process. */
async function startProgram(): Promise<void> {
  // The port's listener above would keep an idle thread alive; without --keep-alive the run ends with
  // main. With other schedulers the thread stays: a process there may still send here, and the main
  // thread ends the run when every scheduler waits and no envelope is in flight.
  if (!config.keepAlive && config.peers === undefined) parentPort!.unref();
  let program: Record<string, unknown>;
  try {
    program = await import(config.programUrl);
  } catch (error) {
    post({ type: "load-error", message: `${config.programName} failed while loading: ${formatReason(error)}` });
    return;
  }
  // Only now can this scheduler start the functions other schedulers name (the program defined them).
  if (config.peers !== undefined) {
    const { mesh, counters, names, liveness } = config.peers;
    const peers = new Peers(scheduler, new Mesh(mesh, config.index, { spinMicros: 0 }), counters, new Liveness(liveness, config.count));
    scheduler.connect(peers, new NameTable(names));
  }
  // Main runs on scheduler 1; the others run what is spawned on them.
  if (config.index !== 0) return;
  const main = program.main;
  if (typeof main !== "function" || main.constructor?.name !== "GeneratorFunction") {
    post({
      type: "load-error",
      message: `${config.programName} must export a process function: export function* main() { ... }`,
    });
  } else {
    mainPid = spawn(main as () => Generator);
  }
}
