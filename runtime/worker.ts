// A scheduler thread: loads the program, then runs processes until the main thread ends the run.

import { parentPort, workerData } from "node:worker_threads";
import { spawn } from "./api.js";
import { formatReason } from "./crashReport.js";
import { useSynchronousConsole } from "./output.js";
import type { FromScheduler, SchedulerConfig } from "./protocolMessages.js";
import { seededRandom } from "./random.js";
import { scheduler } from "./scheduler.js";
import type { Pid } from "./terms.js";

const config = workerData as SchedulerConfig;
const post = (message: FromScheduler) => parentPort!.postMessage(message);

useSynchronousConsole();
process.setSourceMapsEnabled(true);

scheduler.index = config.index;
scheduler.count = config.count;
scheduler.reductionBudget = config.reductions;
scheduler.heartbeat = new Int32Array(config.heartbeat);
if (config.seed !== undefined) {
  // One stream picks slice budgets, another serves Math.random: a seed fixes both.
  scheduler.random = seededRandom(config.seed);
  Math.random = seededRandom(config.seed ^ 0x5eed);
}

let mainPid: Pid | undefined;
scheduler.listener = {
  exited(p, reason, crashed) {
    if (crashed) console.error(`${p} crashed: ${formatReason(reason)}`);
    if (p === mainPid) post({ type: "main-exited", crashed });
  },
  overran(p, site) {
    post({ type: "overran", pid: String(p), site });
  },
  nonPreemptible(p, site, ms) {
    post({ type: "non-preemptible", pid: String(p), site, ms });
  },
};

// An idle scheduler thread would otherwise end once no process and no timer is left.
if (config.keepAlive) setInterval(() => {}, 1 << 30);

let program: Record<string, unknown> | undefined;
try {
  program = await import(config.programUrl);
} catch (error) {
  post({ type: "load-error", message: `${config.programName} failed while loading: ${formatReason(error)}` });
}
const main = program?.main;
if (program === undefined) {
  // Reported above.
} else if (typeof main !== "function" || main.constructor?.name !== "GeneratorFunction") {
  post({
    type: "load-error",
    message: `${config.programName} must export a process function: export function* main() { ... }`,
  });
} else {
  mainPid = spawn(main as () => Generator);
}
