// Messages between the main thread and the scheduler threads.

import type { Request, RequestResult } from "../../protocol/control.js";
import type { InstrumentedSite } from "../loader/instrument.js";
import type { MeshBuffers } from "../mesh/meshBuffers.js";
import type { TelemetryTick } from "../telemetry/schedulerTelemetry.js";

export interface SchedulerConfig {
  index: number;
  count: number;
  reductions: number;
  seed: number | undefined;
  programUrl: string;
  /** Display name of the program, for messages. */
  programName: string;
  /** The loader's sites, by id - 1. */
  sites: InstrumentedSite[];
  /** Read by the main thread: the slots of Heartbeat (core/scheduler.ts). */
  heartbeat: SharedArrayBuffer;
  /**
   * With more than one scheduler: the rings between them, what they share for spawns elsewhere and
   * the balancer (core/peers.ts), the node-wide table of registered names (core/nameTable.ts), and
   * which processes are alive (core/liveness.ts).
   */
  peers: { mesh: MeshBuffers; counters: SharedArrayBuffer; names: SharedArrayBuffer; liveness: SharedArrayBuffer[] } | undefined;
  /** The always-on counters (schedulerCounters.ts). */
  counters: SharedArrayBuffer;
  /** Keep the thread alive when no process is left to run (`--keep-alive`). */
  keepAlive: boolean;
  /** Wall-clock start of the run, epoch milliseconds: the time base of telemetry. */
  startedAt: number;
  /** Telemetry interval in milliseconds, or 0 when telemetry is off. */
  telemetryIntervalMs: number;
  /** Whether the run is recorded (`--record-cap` above 0): telemetry then sends the supervision tree when it changes. */
  recording: boolean;
  /** Load the program and spawn main only at the main thread's `start` (`--wait-for-viewer`). */
  waitForStart: boolean;
}

/**
 * One page of a keyframe. `listsNew` says the keyframe lists processes that no delta has listed:
 * from now on deltas take them as listed, so every viewer needs this keyframe, not only the one
 * that asked for it.
 */
export interface KeyframePage {
  type: "keyframe-page";
  snapshot: number;
  frame: ArrayBuffer;
  listsNew: boolean;
}

/** A slice that ran this long past its budget in a plain function is told to the main thread (stderr, warnings). */
export const SLOW_SLICE_MS = 100;

export type FromScheduler =
  | { type: "load-error"; message: string }
  /**
   * `killed` says who stopped main with an exit signal (another process, a linked process's exit,
   * or a client) and with which reason; `exitedWith` is the reason main gave `exit(reason)`.
   */
  | { type: "main-exited"; pid: string; crashed: boolean; killed?: { by: string; reason: string }; exitedWith?: string }
  /** A process (or the program while loading: pid undefined) called process.exit; the thread ends next. */
  | { type: "exit-called"; pid: string | undefined; site: string }
  /** A slice that ran at least SLOW_SLICE_MS past its budget in a plain function, when it ended. */
  | { type: "non-preemptible"; pid: string; site: string; ms: number }
  /** The answer to `finish`: everything the thread posted before it has arrived. */
  | { type: "finished" }
  | TelemetryTick
  | KeyframePage
  | { type: "response"; id: number; ok: true; result: RequestResult }
  | { type: "response"; id: number; ok: false; error: string };

export type ToScheduler =
  | { type: "keyframe"; snapshot: number; pageSize: number }
  | { type: "request"; id: number; request: Request }
  | { type: "set-interval"; ms: number }
  | { type: "start" }
  /** The run is ending: answer `finished` once the slice running now has ended (node.ts, finishing). */
  | { type: "finish" };
