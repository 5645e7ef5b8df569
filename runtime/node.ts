// The main thread of a run (a "node" in BEAM terms): compiles the program, starts the scheduler
// threads, watches them, and decides when the run ends and with which exit code.

import path from "node:path";
import { Worker } from "node:worker_threads";
import { loadProgram, LoadError } from "./loader.js";
import { writeLine } from "./output.js";
import type { FromScheduler, SchedulerConfig } from "./protocolMessages.js";

export interface RunOptions {
  file: string;
  schedulers: number;
  reductions: number;
  seed: number | undefined;
  keepAlive: boolean;
}

/** A slice that ran this long past its budget is reported on stderr when it ends. */
const REPORT_SLICE_MS = 100;
/** A scheduler stuck this long in one slice is reported while it is stuck. */
const STUCK_MS = 1000;
const WATCHDOG_MS = 100;

/** Runs a program to its end; resolves with the process exit code. */
export async function run(options: RunOptions): Promise<number> {
  const programName = path.relative(process.cwd(), path.resolve(options.file)) || options.file;
  let program;
  try {
    program = await loadProgram(options.file, new URL("./api.js", import.meta.url).href);
  } catch (error) {
    if (error instanceof LoadError) {
      writeLine(2, error.message);
      return 1;
    }
    throw error;
  }

  const heartbeat = new SharedArrayBuffer(8);
  const config: SchedulerConfig = {
    index: 0,
    count: options.schedulers,
    reductions: options.reductions,
    seed: options.seed,
    programUrl: program.url,
    programName,
    heartbeat,
    keepAlive: options.keepAlive,
  };
  const worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: config, stdout: false, stderr: false });
  const watchdog = startWatchdog(new Int32Array(heartbeat), 1);

  try {
    return await new Promise<number>((resolve) => {
      worker.on("message", (message: FromScheduler) => {
        switch (message.type) {
          case "load-error":
            writeLine(2, message.message);
            resolve(1);
            break;
          case "main-exited":
            if (message.crashed) resolve(1);
            else if (!options.keepAlive) resolve(0);
            break;
          case "overran":
            watchdog.site = `${message.pid} at ${message.site}`;
            break;
          case "non-preemptible":
            if (message.ms >= REPORT_SLICE_MS) {
              writeLine(
                2,
                `beamline: ${message.pid} ran ${Math.round(message.ms)} ms past its reduction budget in a plain function at ${message.site}; ` +
                  "plain functions cannot be preempted, so the other processes on its scheduler waited",
              );
            }
            break;
        }
      });
      worker.on("error", (error) => {
        writeLine(2, `beamline: scheduler 1 failed: ${error.stack ?? error}`);
        resolve(1);
      });
      worker.on("exit", (code) => resolve(code === 0 ? 0 : 1));
      if (options.keepAlive) {
        for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve(0));
      }
    });
  } finally {
    watchdog.stop();
    program.dispose();
    await worker.terminate();
  }
}

/** Reports a scheduler stuck in one slice, from the main thread, while it is stuck. */
function startWatchdog(heartbeat: Int32Array, schedulerNumber: number) {
  let lastSlice = -1;
  let stuckFor = 0;
  let reported = false;
  const state = {
    site: "",
    stop: () => clearInterval(timer),
  };
  const timer = setInterval(() => {
    const slice = heartbeat[0]!;
    const pid = heartbeat[1]!;
    if (pid === 0 || slice !== lastSlice) {
      lastSlice = slice;
      stuckFor = 0;
      reported = false;
      state.site = "";
      return;
    }
    stuckFor += WATCHDOG_MS;
    if (stuckFor >= STUCK_MS && !reported) {
      reported = true;
      writeLine(2, `beamline: scheduler ${schedulerNumber} has been stuck for ${stuckFor} ms in <0.${pid}.0>${state.site ? ` (${state.site})` : ""}`);
    }
  }, WATCHDOG_MS);
  timer.unref();
  return state;
}
