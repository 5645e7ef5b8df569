// The extension's settings (`beamline.*`), parsed and checked without vscode, and the runtime
// command line they lead to.

export interface Settings {
  /** Scheduler threads (`--schedulers`); 0 leaves it to the runtime, whose default is one per core. */
  schedulers: number;
  /** Reductions per slice (`--reductions`). */
  reductions: number;
  /** Telemetry sample interval in ms (`--sample-interval`). */
  sampleIntervalMs: number;
  codeLens: boolean;
  waitingDecorations: boolean;
}

export const DEFAULT_SETTINGS: Settings = { schedulers: 0, reductions: 2000, sampleIntervalMs: 250, codeLens: true, waitingDecorations: true };

function integer(value: unknown, min: number, max: number, fallback: number): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.round(n)));
}

/** Reads settings from a getter (vscode's `WorkspaceConfiguration.get`); bad values fall back to defaults, out-of-range ones are clamped. */
export function parseSettings(get: (key: string) => unknown): Settings {
  return {
    schedulers: integer(get("schedulers"), 0, 1024, DEFAULT_SETTINGS.schedulers),
    reductions: integer(get("reductions"), 1, 100_000_000, DEFAULT_SETTINGS.reductions),
    sampleIntervalMs: integer(get("sampleInterval"), 50, 10_000, DEFAULT_SETTINGS.sampleIntervalMs),
    codeLens: typeof get("codeLens.enabled") === "boolean" ? (get("codeLens.enabled") as boolean) : DEFAULT_SETTINGS.codeLens,
    waitingDecorations:
      typeof get("waitingDecorations.enabled") === "boolean" ? (get("waitingDecorations.enabled") as boolean) : DEFAULT_SETTINGS.waitingDecorations,
  };
}

export interface RunOptions {
  schedulers: number;
  reductions: number;
  sampleIntervalMs: number;
  seed?: number;
}

/** Parses the "Run With Options…" input, e.g. `schedulers=1 reductions=500 seed=7`; returns an error text when wrong. */
export function parseRunOptions(text: string, defaults: RunOptions): RunOptions | string {
  const options: RunOptions = { ...defaults };
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(schedulers|reductions|seed|sample-interval|S|\+S)=?(-?\d+)$/i.exec(part);
    if (!m) return `cannot read "${part}": use schedulers=N reductions=N seed=N`;
    const n = Number(m[2]);
    switch (m[1]!.toLowerCase()) {
      case "s":
      case "+s":
      case "schedulers":
        if (n < 0) return "schedulers must be 0 (one per core) or more";
        options.schedulers = n;
        break;
      case "reductions":
        if (n < 1) return "reductions must be at least 1";
        options.reductions = n;
        break;
      case "seed":
        options.seed = n;
        break;
      case "sample-interval":
        if (n < 50 || n > 10_000) return "sample-interval must be from 50 to 10000 ms";
        options.sampleIntervalMs = n;
        break;
    }
  }
  return options;
}

/**
 * The arguments after the runtime's cli.js: `run FILE ... --telemetry 0 --keep-alive
 * --wait-for-viewer` (the token goes in the environment: runtimeSession.ts). The program starts once the extension has connected, so that the
 * panels and lenses see a short program's whole run, not only what is left of it.
 */
export function runtimeArgs(file: string, options: RunOptions): string[] {
  // 0 is the runtime's own default, one scheduler per core (as on the BEAM).
  const args = ["run", file, ...(options.schedulers > 0 ? ["--schedulers", String(options.schedulers)] : []), "--reductions", String(options.reductions)];
  if (options.seed !== undefined) args.push("--seed", String(options.seed));
  args.push("--sample-interval", String(options.sampleIntervalMs), "--telemetry", "0", "--keep-alive", "--wait-for-viewer");
  return args;
}
