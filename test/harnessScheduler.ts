// A scheduler thread of the in-thread harness (test/harness.ts) when it runs N > 1 schedulers:
// it imports the test's process modules (test/processes/), joins the mesh and runs what is
// spawned on it, and tells the harness of every crash, as a run's scheduler thread tells the main
// thread (runtime/worker.ts).

import { parentPort, workerData } from "node:worker_threads";
import { scheduler } from "../runtime/core/scheduler.js";
import { joinHarnessMesh, type HarnessBuffers } from "./harnessPeers.js";

/** What the harness passes a scheduler thread. */
export interface HarnessSchedulerConfig {
  index: number;
  buffers: HarnessBuffers;
  modules: string[];
}

/** What a scheduler thread tells the harness. */
export type FromHarnessScheduler = { type: "ready" } | { type: "crash"; pid: string; reason: unknown } | { type: "synced"; id: number };

const config = workerData as HarnessSchedulerConfig;
const post = (message: FromHarnessScheduler) => parentPort!.postMessage(message);

for (const module of config.modules) await import(module);
joinHarnessMesh(scheduler, config.index, config.buffers);
scheduler.observe({
  exited(p, reason, crashed) {
    if (!crashed) return;
    try {
      post({ type: "crash", pid: String(p), reason });
    } catch {
      post({ type: "crash", pid: String(p), reason: String(reason) });
    }
  },
});
// A sync answers after everything this thread did before it, crashes included (one port, in order).
parentPort!.on("message", (message: { type: "sync"; id: number }) => post({ type: "synced", id: message.id }));
post({ type: "ready" });
