// Messages between the main thread and the scheduler threads.

export interface SchedulerConfig {
  index: number;
  count: number;
  reductions: number;
  seed: number | undefined;
  programUrl: string;
  /** Display name of the program, for messages. */
  programName: string;
  heartbeat: SharedArrayBuffer;
  /** Keep the thread alive when no process is left to run (`--keep-alive`). */
  keepAlive: boolean;
}

export type FromScheduler =
  | { type: "load-error"; message: string }
  | { type: "main-exited"; crashed: boolean }
  | { type: "overran"; pid: string; site: string }
  | { type: "non-preemptible"; pid: string; site: string; ms: number };
