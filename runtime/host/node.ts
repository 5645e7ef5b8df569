// The main thread of a run (a "node" in BEAM terms): compiles the program, starts the scheduler
// thread, watches it, serves telemetry when asked, and decides when the run ends and with which
// exit code.

import { randomBytes } from "node:crypto";
import { constants } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { formatPid } from "../../protocol/control.js";
import { PROTOCOL_VERSION } from "../../protocol/frames.js";
import { telemetryLine } from "../../protocol/telemetryLine.js";
import { apiModuleUrl, workerModuleUrl } from "../layout.js";
import { loadProgram, LoadError } from "../loader/loader.js";
import { writeLine } from "./output.js";
import { newCounters } from "../core/schedulerCounters.js";
import { Heartbeat, newHeartbeat, readOverrunSite } from "../core/heartbeat.js";
import { newPeerCounters } from "../core/peers.js";
import { createMeshBuffers } from "../mesh/meshBuffers.js";
import { createNameTableBuffer } from "../core/nameTable.js";
import { newLiveness } from "../core/liveness.js";
import type { FromScheduler, SchedulerConfig, ToScheduler } from "./schedulerMessages.js";
import { TelemetryHub } from "../telemetry/telemetryHub.js";
import { startTelemetryServer, type TelemetryServer } from "../telemetry/telemetryServer.js";

export interface RunOptions {
  file: string;
  schedulers: number;
  reductions: number;
  seed: number | undefined;
  keepAlive: boolean;
  /** Serve telemetry on this port (0: any free port); undefined: no telemetry. */
  telemetryPort: number | undefined;
  telemetryToken: string | undefined;
  /** Sample interval in milliseconds. */
  sampleIntervalMs: number;
  /** Start main only once the first telemetry client has connected, so that it sees the whole run. */
  waitForViewer: boolean;
  /** The telemetry recording's cap in bytes (docs/protocol.md, section 5). */
  recordCapBytes: number;
  /** `--record FILE`: write the recording to this file too (docs/protocol.md, section 13); it needs no telemetry server. */
  recordFile: string | undefined;
}

/** The exit code of a run whose main was killed from outside, as a shell reports a killed process (128 + SIGKILL). */
export const MAIN_KILLED_EXIT_CODE = 137;
/**
 * A scheduler stuck this long in one slice is reported while it is stuck, and again at growing
 * intervals (each gap as long as the time stuck so far, at most MAX_STUCK_GAP_MS), so that a run
 * that hangs keeps saying why without flooding the terminal.
 */
const STUCK_MS = 1000;
const MAX_STUCK_GAP_MS = 60_000;
const WATCHDOG_MS = 50;
/**
 * When main returns with more than one scheduler, the run waits this long at most for every other
 * scheduler to end the slice it is in, so that what it reports (an overrun, a crash) is not lost.
 */
const FINISH_MS = 1000;
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Runs a program to its end; resolves with the process exit code. */
export async function run(options: RunOptions): Promise<number> {
  const stop = catchStopSignals(options.keepAlive);
  try {
    return await runProgram(options, stop);
  } finally {
    stop.release();
  }
}

async function runProgram(options: RunOptions, stop: StopSignals): Promise<number> {
  const programName = path.relative(process.cwd(), path.resolve(options.file)) || options.file;
  let program;
  try {
    program = await loadProgram(options.file, apiModuleUrl.href, options.reductions);
  } catch (error) {
    if (error instanceof LoadError) {
      writeLine(2, error.message);
      return 1;
    }
    throw error;
  }
  if (stop.code !== undefined) {
    program.dispose();
    return stop.code;
  }

  if (options.seed !== undefined && options.schedulers > 1) {
    writeLine(
      2,
      `beamline: --seed with ${options.schedulers} schedulers seeds each scheduler's slices and Math.random, but time is real and the threads run at the operating system's pace, so runs are not repeatable; --schedulers 1 makes them so`,
    );
  }
  const startedAt = Date.now();
  // One scheduler thread per scheduler, each watched on its own: a stuck one never hides the others.
  const schedulers = Array.from({ length: options.schedulers }, (_, i) => {
    const heartbeat = newHeartbeat();
    return { heartbeat, beats: new Int32Array(heartbeat), counters: newCounters(), watchdog: startWatchdog(new Int32Array(heartbeat), i + 1), worker: undefined as Worker | undefined };
  });

  // The telemetry server listens, and says so on stdout, before the program runs: the
  // BEAMLINE_TELEMETRY line comes before anything the program prints.
  let hub: TelemetryHub | undefined;
  let server: TelemetryServer | undefined;
  if (options.telemetryPort !== undefined || options.recordFile !== undefined) {
    try {
      hub = new TelemetryHub(
      schedulers.map((thread) => ({
        post: (message: ToScheduler) => thread.worker?.postMessage(message),
        counters: thread.counters,
        stuck: () => ({ ms: thread.watchdog.stuckMs, pid: thread.watchdog.pid, site: thread.watchdog.site }),
      })),
      {
        type: "hello",
        version: PROTOCOL_VERSION,
        node: "nonode@nohost",
        schedulers: options.schedulers,
        reductions: options.reductions,
        program: programName,
        startedAt,
        osPid: process.pid,
      },
      program.sites,
      options.sampleIntervalMs,
      options.recordCapBytes,
      options.recordFile,
    );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined || options.recordFile === undefined) throw error;
      program.dispose();
      writeLine(2, `beamline: --record ${options.recordFile}: cannot write it (${code === "ENOENT" ? "no such folder" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a folder" : (error as Error).message})`);
      return 2;
    }
  }
  if (hub !== undefined && options.telemetryPort !== undefined) {
    const token = options.telemetryToken ?? randomBytes(18).toString("base64url");
    try {
      server = await startTelemetryServer(hub, options.telemetryPort, token);
    } catch (error) {
      hub.stop();
      program.dispose();
      const refusal = listenRefusal(error, options.telemetryPort);
      if (refusal === undefined) throw error;
      writeLine(2, `beamline: ${refusal}`);
      return 2;
    }
    writeLine(1, telemetryLine(server.port, token));
  }

  const peers =
    options.schedulers > 1
      ? {
          mesh: createMeshBuffers(options.schedulers),
          counters: newPeerCounters(options.schedulers),
          names: createNameTableBuffer(options.schedulers),
          liveness: newLiveness(options.schedulers),
        }
      : undefined;
  const waitForStart = hub !== undefined && options.waitForViewer;
  const threads = schedulers.map((scheduler, index) => {
    const config: SchedulerConfig = {
      index,
      count: options.schedulers,
      reductions: options.reductions,
      seed: options.seed,
      programUrl: program.url,
      programName,
      sites: program.sites,
      heartbeat: scheduler.heartbeat,
      peers,
      counters: scheduler.counters.buffer as SharedArrayBuffer,
      keepAlive: options.keepAlive,
      startedAt,
      telemetryIntervalMs: hub !== undefined ? options.sampleIntervalMs : 0,
      recording: hub !== undefined && options.recordCapBytes > 0,
      waitForStart,
    };
    return (scheduler.worker = new Worker(workerModuleUrl, { workerData: config, stdout: false, stderr: false }));
  });
  if (waitForStart) {
    writeLine(2, `beamline: waiting for a viewer; ${programName} starts when one connects`);
    void hub!.firstViewer.then(() => {
      hub!.mainStarted();
      for (const thread of threads) thread.postMessage({ type: "start" } satisfies ToScheduler);
    });
  } else {
    hub?.mainStarted();
  }
  const quiet = peers !== undefined && !options.keepAlive ? watchForQuiet(schedulers.map((s) => s.beats)) : undefined;

  try {
    return await new Promise<number>((settle) => {
      let mainEnded = false;
      let exitCall: { pid: string | undefined; site: string } | undefined;
      let settled = false;
      const resolve = (code: number) => {
        settled = true;
        settle(code);
      };
      // With several schedulers, what one posted may arrive after another's main-exited (each has
      // its own port), and a slice still running elsewhere reports when it ends: the run ends when
      // every thread answered `finish`, so that everything posted before the answer was handled.
      let finishing: Set<number> | undefined;
      let finishCode = 0;
      const finish = (code: number) => {
        if (threads.length === 1) return resolve(code);
        if (finishing !== undefined) return;
        finishCode = code;
        finishing = new Set(threads.keys());
        for (const thread of threads) thread.postMessage({ type: "finish" } satisfies ToScheduler);
        setTimeout(() => resolve(code), FINISH_MS).unref();
      };
      const finished = (index: number) => {
        finishing!.delete(index);
        if (finishing!.size === 0) resolve(finishCode);
      };
      const onMessage = (index: number, message: FromScheduler) => {
        // A thread that was still starting when the run ended may speak after it; the run is over.
        if (settled) return;
        hub?.fromScheduler(message, index);
        switch (message.type) {
          case "load-error":
            writeLine(2, message.message);
            resolve(1);
            break;
          case "main-exited":
            mainEnded = true;
            hub?.mainExited(message.crashed);
            if (message.killed !== undefined) {
              writeLine(
                2,
                `beamline: main ${message.pid} was killed by ${message.killed.by} (reason: ${message.killed.reason}); ` +
                  (options.keepAlive ? "--keep-alive keeps the run going" : `the run ends with exit code ${MAIN_KILLED_EXIT_CODE}`),
              );
            }
            if (message.exitedWith !== undefined) writeLine(2, `beamline: main ${message.pid} exited with reason ${message.exitedWith}`);
            if (!options.keepAlive) finish(message.killed !== undefined ? MAIN_KILLED_EXIT_CODE : message.crashed || message.exitedWith !== undefined ? 1 : 0);
            break;
          case "finished":
            if (finishing !== undefined) finished(index);
            break;
          case "exit-called":
            exitCall = message;
            break;
          case "non-preemptible":
            writeLine(
              2,
              `beamline: ${message.pid} ran ${Math.round(message.ms)} ms past its reduction budget in a plain function at ${message.site}; ` +
                "plain functions cannot be preempted, so the other processes on its scheduler waited",
            );
            break;
        }
      };
      const stuck = () => {
        writeLine(2, "beamline: every process is waiting for a message that nothing can send (main never returned); the run ends");
        resolve(1);
      };
      threads.forEach((thread, index) => {
        thread.on("message", (message: FromScheduler) => onMessage(index, message));
        thread.on("error", (error) => {
          if (settled) return;
          writeLine(2, `beamline: scheduler ${index + 1} failed: ${error.stack ?? error}`);
          resolve(1);
        });
        thread.on("exit", (code) => {
          // A thread ends by itself when the program called process.exit, or, with one scheduler,
          // when no process can ever run again (after the run was settled, it is our own terminate()).
          if (settled) return;
          if (finishing !== undefined && exitCall === undefined) return finished(index);
          if (exitCall !== undefined) {
            writeLine(2, `beamline: ${exitCall.pid ?? "the program"} called process.exit(${code}) at ${exitCall.site}; the run ends with exit code ${code}`);
            resolve(code);
          } else if (threads.length > 1) {
            writeLine(2, `beamline: scheduler ${index + 1} ended unexpectedly (exit code ${code}); the run ends`);
            resolve(1);
          } else if (!mainEnded) stuck();
          else resolve(0);
        });
      });
      quiet?.onQuiet(() => {
        if (!settled && !mainEnded) stuck();
      });
      stop.onStop(resolve);
    });
  } finally {
    quiet?.stop();
    for (const s of schedulers) s.watchdog.stop();
    hub?.stop();
    await server?.close();
    // The threads go before the compiled program does: one still loading it would fail to find it.
    await Promise.all(threads.map((thread) => thread.terminate()));
    program.dispose();
  }
}

/**
 * With more than one scheduler, no thread ends by itself when its processes all wait: another
 * scheduler may still send to them. No process can ever run again once every scheduler is idle and
 * every envelope sent was received; seen twice in a row with nothing changed between, that is so.
 */
function watchForQuiet(heartbeats: Int32Array[]) {
  let listener: (() => void) | undefined;
  let last = "";
  const timer = setInterval(() => {
    let sent = 0;
    let received = 0;
    let idle = true;
    const seen: number[] = [];
    for (const beats of heartbeats) {
      idle &&= Atomics.load(beats, Heartbeat.idle) === 1;
      sent = (sent + Atomics.load(beats, Heartbeat.sent)) | 0;
      received = (received + Atomics.load(beats, Heartbeat.received)) | 0;
      seen.push(Atomics.load(beats, Heartbeat.slice));
    }
    const now = idle && sent === received ? `${sent}:${seen.join(",")}` : "";
    if (now !== "" && now === last) listener?.();
    last = now;
  }, WATCHDOG_MS);
  timer.unref();
  return {
    onQuiet(l: () => void) {
      listener = l;
    },
    stop: () => clearInterval(timer),
  };
}

interface StopSignals {
  /** The exit code a stop signal asked for; undefined until one came. */
  readonly code: number | undefined;
  onStop(listener: (code: number) => void): void;
  release(): void;
}

/**
 * SIGINT, SIGTERM and SIGHUP end the run through its cleanup (the default action would leave the
 * compiled program's temp folder behind). With --keep-alive a signal is the expected way to stop
 * (exit code 0); otherwise the exit code is the shell's for that signal (130 for SIGINT). A second
 * signal exits at once.
 */
function catchStopSignals(keepAlive: boolean): StopSignals {
  let code: number | undefined;
  let listener: ((code: number) => void) | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (code !== undefined) process.exit(code);
    code = keepAlive ? 0 : 128 + constants.signals[signal];
    listener?.(code);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return {
    get code() {
      return code;
    },
    onStop(l) {
      listener = l;
      if (code !== undefined) l(code);
    },
    release() {
      for (const signal of STOP_SIGNALS) process.off(signal, handler);
    },
  };
}

/** Why the telemetry port cannot be listened on, as a usage error; undefined for other failures. */
function listenRefusal(error: unknown, port: number): string | undefined {
  switch ((error as NodeJS.ErrnoException).code) {
    case "EADDRINUSE":
      return `--telemetry ${port}: port ${port} on 127.0.0.1 is in use; give another port, or --telemetry alone for a free one`;
    case "EACCES":
      return `--telemetry ${port}: this user may not listen on port ${port}; give a port above 1023, or --telemetry alone for a free one`;
    default:
      return undefined;
  }
}

/** Reports a scheduler stuck in one slice, from the main thread, while it is stuck. */
function startWatchdog(heartbeat: Int32Array, schedulerNumber: number) {
  let lastSlice = -1;
  let sliceSeenAt = performance.now();
  /** How long the slice must have been stuck for its next report. */
  let nextReportMs = STUCK_MS;
  const state = {
    pid: 0,
    stuckMs: 0,
    /** Where the current slice overran in a plain function, as its scheduler wrote it. */
    get site(): string {
      return readOverrunSite(heartbeat, lastSlice);
    },
    stop: () => clearInterval(timer),
  };
  const timer = setInterval(() => {
    const slice = heartbeat[Heartbeat.slice]!;
    const pid = heartbeat[Heartbeat.pid]!;
    const now = performance.now();
    if (pid === 0 || slice !== lastSlice) {
      lastSlice = slice;
      sliceSeenAt = now;
      nextReportMs = STUCK_MS;
      state.pid = 0;
      state.stuckMs = 0;
      return;
    }
    state.pid = pid;
    // Counted only after the watchdog saw the same slice twice: shorter slices are normal.
    state.stuckMs = now - sliceSeenAt >= 2 * WATCHDOG_MS ? now - sliceSeenAt : 0;
    if (state.stuckMs >= nextReportMs) {
      const where = `${formatPid(pid)}${state.site ? ` at ${state.site}` : ""}`;
      writeLine(
        2,
        nextReportMs === STUCK_MS
          ? `beamline: scheduler ${schedulerNumber} has been stuck for ${Math.round(state.stuckMs)} ms in ${where}: ` +
              "a plain function cannot be preempted, so the other processes on this scheduler wait"
          : `beamline: scheduler ${schedulerNumber} is still stuck in ${where}, for ${Math.round(state.stuckMs / 1000)} s now`,
      );
      nextReportMs += Math.min(nextReportMs, MAX_STUCK_GAP_MS);
    }
  }, WATCHDOG_MS);
  timer.unref();
  return state;
}
