#!/usr/bin/env node
// The command line: `beamline run prog.ts [--schedulers N | +S N] [--reductions N] [--seed S] [--keep-alive] [--telemetry ...] [--record FILE]`,
// and `beamline replay FILE [--port PORT]`.
// Every usage error is one line on stderr and exit code 2.

import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { run, type RunOptions } from "./host/node.js";
import { replay, ReplayInputError, type ReplayOptions } from "./host/replay.js";
import { DEFAULT_RECORD_CAP_BYTES } from "./telemetry/recording.js";

const USAGE = `usage: beamline run <program.ts> [options]
       beamline replay <recording> [--port PORT]

options:
  --schedulers N, +S N   scheduler threads (default: one per core; 1 with --seed)
  --reductions N         reductions per slice before a process is preempted (default 2000)
  --seed S               repeatable run: seeded slice budgets and Math.random, virtual time for timers and clocks (docs/api.md)
  --keep-alive           keep running after main returns, until stopped (Ctrl-C)
  --telemetry [PORT]     serve live telemetry and the visualizer on 127.0.0.1 (PORT 0 or absent: a free port)
  --sample-interval MS   telemetry sample interval (default 250)
  --wait-for-viewer      with --telemetry: start main only once the first viewer has connected
  --record FILE          also write the run's recording to FILE (it needs no --telemetry); a run that
                         crashes or is stopped leaves what was recorded so far; \`beamline replay FILE\` shows it
  --record-cap SIZE      with --telemetry or --record: the run's recording, which late viewers get and go back
                         in, keeps at most SIZE bytes (a number, or with KiB, MiB, GiB; default 64MiB); the oldest
                         part goes first; 0 records nothing (with --telemetry only)
  --version              print the version

beamline replay <recording>: serve the visualizer on a recording that --record wrote, with no program
  --port PORT            serve on 127.0.0.1:PORT (default: a free port); prints the URL as --telemetry does

environment:
  BEAMLINE_SCHEDULERS       the scheduler count when --schedulers is not given (default: one per core)
  BEAMLINE_TELEMETRY_TOKEN  with --telemetry or replay: the token clients must present (default: a random one,
                            printed); an environment variable, because a command line is visible to every user`;

/** The default scheduler count when no --schedulers is given. */
export const SCHEDULERS_VARIABLE = "BEAMLINE_SCHEDULERS";
/** The variable that carries the telemetry token: /proc/PID/environ is readable by its owner only. */
export const TOKEN_VARIABLE = "BEAMLINE_TELEMETRY_TOKEN";
const TOKEN_PATTERN = /^[\w.~-]{16,}$/;
/** A program's path, as opposed to a mistyped port after --telemetry. */
const PROGRAM_PATTERN = /\.[cm]?[jt]sx?$/;

/** The BEAM's own limit on schedulers. */
const MAX_SCHEDULERS = 1024;

export class UsageError extends Error {}

/** Reads `beamline run` arguments; `env` supplies the telemetry token. */
export function parseRunArgs(args: string[], env: NodeJS.ProcessEnv = {}): RunOptions {
  const options: RunOptions = {
    file: "",
    schedulers: 0,
    reductions: 2000,
    seed: undefined,
    keepAlive: false,
    telemetryPort: undefined,
    telemetryToken: undefined,
    sampleIntervalMs: 250,
    waitForViewer: false,
    recordCapBytes: DEFAULT_RECORD_CAP_BYTES,
    recordFile: undefined,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): number => {
      const text = args[++i];
      const n = Number(text);
      if (text === undefined || !Number.isInteger(n)) throw new UsageError(`${arg} needs a whole number, got ${text ?? "nothing"}`);
      return n;
    };
    if (arg === "--schedulers" || arg === "+S") options.schedulers = value();
    else if (arg === "--reductions") options.reductions = value();
    else if (arg === "--seed") options.seed = value();
    else if (arg === "--keep-alive") options.keepAlive = true;
    else if (arg === "--telemetry") {
      // The port is optional: the next argument is a port when it is a number, the program when it
      // names one, and otherwise a mistyped port.
      const next = args[i + 1];
      if (next !== undefined && /^\d+$/.test(next)) {
        options.telemetryPort = value();
        if (options.telemetryPort > 65535) throw new UsageError(`--telemetry takes a port from 0 to 65535, got ${options.telemetryPort}`);
      } else if (next !== undefined && !next.startsWith("-") && !next.startsWith("+") && (options.file !== "" || !PROGRAM_PATTERN.test(next))) {
        throw new UsageError(`--telemetry takes a port from 0 to 65535 (or none, for a free port), got ${next}`);
      } else options.telemetryPort = 0;
    } else if (arg === "--telemetry-token") {
      throw new UsageError(`--telemetry-token is refused: a command line is visible to every user (ps); set the environment variable ${TOKEN_VARIABLE} instead`);
    } else if (arg === "--sample-interval") options.sampleIntervalMs = value();
    else if (arg === "--wait-for-viewer") options.waitForViewer = true;
    else if (arg === "--record-cap") options.recordCapBytes = byteSize(arg, args[++i]);
    else if (arg === "--record") {
      const file = args[++i];
      if (file === undefined || file === "" || file.startsWith("-") || file.startsWith("+")) throw new UsageError(`--record needs the path of the file to write, got ${file ?? "nothing"}`);
      if (PROGRAM_PATTERN.test(file)) throw new UsageError(`--record ${file} would overwrite a program; give the recording another name, like run.beamrec`);
      options.recordFile = file;
    }
    else if (arg.startsWith("-") || arg.startsWith("+")) throw new UsageError(`unknown option ${arg}`);
    else if (options.file === "") options.file = arg;
    else throw new UsageError(`one program at a time; got ${options.file} and ${arg}`);
  }
  if (options.file === "") throw new UsageError("which program? give the path of a .ts file");
  // As on the BEAM, one scheduler per core; a seeded run asks for repeatability, which only one
  // scheduler gives, so --seed alone means one (docs/api.md, "Repeatable runs").
  if (options.schedulers === 0 && !args.some((a) => a === "--schedulers" || a === "+S")) {
    options.schedulers = options.seed !== undefined ? 1 : defaultSchedulers(env);
  }
  if (options.schedulers < 1 || options.schedulers > MAX_SCHEDULERS) {
    throw new UsageError(`--schedulers must be from 1 to ${MAX_SCHEDULERS}, got ${options.schedulers}`);
  }
  if (options.telemetryPort === undefined && options.waitForViewer) throw new UsageError("--wait-for-viewer needs --telemetry");
  if (options.telemetryPort === undefined && options.recordFile === undefined && (args.includes("--sample-interval") || args.includes("--record-cap"))) {
    throw new UsageError("--sample-interval and --record-cap need --telemetry or --record");
  }
  if (options.recordCapBytes === 0 && options.recordFile !== undefined) throw new UsageError("--record FILE writes the recording, and --record-cap 0 turns it off: give one of them");
  if (options.telemetryPort !== undefined) options.telemetryToken = tokenOf(env);
  if (options.sampleIntervalMs < 50 || options.sampleIntervalMs > 10_000) {
    throw new UsageError(`--sample-interval must be from 50 to 10000 ms, got ${options.sampleIntervalMs}`);
  }
  if (options.reductions < 1) throw new UsageError(`--reductions must be at least 1, got ${options.reductions}`);
  return options;
}

/** Reads `beamline replay` arguments; `env` supplies the token. */
export function parseReplayArgs(args: string[], env: NodeJS.ProcessEnv = {}): ReplayOptions {
  const options: ReplayOptions = { file: "", port: 0, token: tokenOf(env) };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--port") {
      const text = args[++i];
      if (text === undefined || !/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`--port takes a port from 0 to 65535, got ${text ?? "nothing"}`);
      options.port = Number(text);
    } else if (arg.startsWith("-") || arg.startsWith("+")) throw new UsageError(`unknown option ${arg} for replay`);
    else if (options.file === "") options.file = arg;
    else throw new UsageError(`one recording at a time; got ${options.file} and ${arg}`);
  }
  if (options.file === "") throw new UsageError("which recording? give the path of a file that beamline run --record wrote");
  return options;
}

/** The token from BEAMLINE_TELEMETRY_TOKEN, checked; undefined when it is not set (a random one is made). */
function tokenOf(env: NodeJS.ProcessEnv): string | undefined {
  const token = env[TOKEN_VARIABLE];
  if (token === undefined || token === "") return undefined;
  if (!TOKEN_PATTERN.test(token)) throw new UsageError(`${TOKEN_VARIABLE} needs at least 16 characters of [A-Za-z0-9_.~-]`);
  return token;
}

/** The smallest and largest recording caps: a few dozen samples, and far more than a viewer could take. */
const MIN_RECORD_CAP = 16 * 1024;
const MAX_RECORD_CAP = 64 * 1024 ** 3;
const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 };

/** A size in bytes: `65536`, `512KiB`, `64MiB`, `1GiB` (K, M and G are powers of 1024 too). */
function byteSize(option: string, text: string | undefined): number {
  const m = /^(\d+)([a-z]*)$/i.exec(text ?? "");
  const unit = m === null ? undefined : SIZE_UNITS[m[2]!.toLowerCase()];
  if (m === null || unit === undefined) throw new UsageError(`${option} needs a size in bytes, like 65536, 512KiB or 64MiB; got ${text ?? "nothing"}`);
  const bytes = Number(m[1]) * unit;
  if (bytes !== 0 && (bytes < MIN_RECORD_CAP || bytes > MAX_RECORD_CAP)) throw new UsageError(`${option} must be 0 (no recording) or from 16KiB to 64GiB, got ${text}`);
  return bytes;
}

/**
 * One scheduler per core, unless the environment variable BEAMLINE_SCHEDULERS says otherwise (as
 * ERL_FLAGS="+S N" does for the BEAM): the test suite runs the CLI's tests with 1, 2 and 4 through it.
 */
function defaultSchedulers(env: NodeJS.ProcessEnv): number {
  const text = env[SCHEDULERS_VARIABLE];
  if (text === undefined || text === "") return availableParallelism();
  const n = Number(text);
  if (!Number.isInteger(n)) throw new UsageError(`${SCHEDULERS_VARIABLE} needs a whole number, got ${text}`);
  return n;
}

/** The version in the package.json beside the built runtime (dist/runtime or dist/runtime-bundle). */
function version(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

function usageError(message: string): number {
  console.error(`beamline: ${message} (beamline --help lists the options)`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "--version") {
    console.log(`beamline ${version()}`);
    return 0;
  }
  if (command === "replay") {
    let options: ReplayOptions;
    try {
      options = parseReplayArgs(rest, process.env);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      return usageError(error.message);
    }
    delete process.env[TOKEN_VARIABLE];
    try {
      return await replay(options);
    } catch (error) {
      if (!(error instanceof ReplayInputError)) throw error;
      console.error(`beamline: cannot replay ${options.file}: ${error.message}`);
      return 2;
    }
  }
  if (command !== "run") return usageError(`unknown command "${command}"`);
  let options: RunOptions;
  try {
    options = parseRunArgs(rest, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageError(error.message);
  }
  // Read once: the program and anything it starts need not see the token.
  delete process.env[TOKEN_VARIABLE];
  return run(options);
}

process.exitCode = await main(process.argv.slice(2));
