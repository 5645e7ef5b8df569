#!/usr/bin/env node
// The command line: `beamline run prog.ts [--schedulers N | +S N] [--reductions N] [--seed S] [--keep-alive] [--telemetry ...]`.

import { run, type RunOptions } from "./node.js";

const USAGE = `usage: beamline run <program.ts> [options]

options:
  --schedulers N, +S N   scheduler threads (this version runs 1)
  --reductions N         reductions per slice before a process is preempted (default 2000)
  --seed S               repeatable run: seeds slice budgets and Math.random (with one scheduler)
  --keep-alive           keep running after main returns, until stopped (Ctrl-C)
  --telemetry [PORT]     serve live telemetry and the visualizer on 127.0.0.1 (PORT 0 or absent: a free port)
  --telemetry-token T    the token clients must present (default: a random one, printed)
  --sample-interval MS   telemetry sample interval (default 250)
  --wait-for-viewer      with --telemetry: start main only once the first viewer has connected`;

export class UsageError extends Error {}

export function parseRunArgs(args: string[]): RunOptions {
  const options: RunOptions = {
    file: "",
    schedulers: 1,
    reductions: 2000,
    seed: undefined,
    keepAlive: false,
    telemetryPort: undefined,
    telemetryToken: undefined,
    sampleIntervalMs: 250,
    waitForViewer: false,
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
      // The port is optional: take the next argument only when it is a number.
      const next = args[i + 1];
      options.telemetryPort = next !== undefined && /^\d+$/.test(next) ? value() : 0;
    } else if (arg === "--telemetry-token") {
      const token = args[++i];
      if (token === undefined || !/^[\w.~-]{16,}$/.test(token)) throw new UsageError("--telemetry-token needs at least 16 characters of [A-Za-z0-9_.~-]");
      options.telemetryToken = token;
    } else if (arg === "--sample-interval") options.sampleIntervalMs = value();
    else if (arg === "--wait-for-viewer") options.waitForViewer = true;
    else if (arg.startsWith("-") || arg.startsWith("+")) throw new UsageError(`unknown option ${arg}`);
    else if (options.file === "") options.file = arg;
    else throw new UsageError(`one program at a time; got ${options.file} and ${arg}`);
  }
  if (options.file === "") throw new UsageError("which program? give the path of a .ts file");
  if (options.schedulers !== 1) {
    throw new UsageError(`--schedulers ${options.schedulers}: this version runs one scheduler thread; m:n scheduling is the next step`);
  }
  if (options.telemetryPort === undefined && (args.includes("--telemetry-token") || args.includes("--sample-interval") || options.waitForViewer)) {
    throw new UsageError("--telemetry-token, --sample-interval and --wait-for-viewer need --telemetry");
  }
  if (options.sampleIntervalMs < 50 || options.sampleIntervalMs > 10_000) {
    throw new UsageError(`--sample-interval must be from 50 to 10000 ms, got ${options.sampleIntervalMs}`);
  }
  if (options.reductions < 1) throw new UsageError(`--reductions must be at least 1, got ${options.reductions}`);
  return options;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== "run") {
    console.error(`beamline: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  let options: RunOptions;
  try {
    options = parseRunArgs(rest);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`beamline: ${error.message}\n${USAGE}`);
    return 2;
  }
  return run(options);
}

process.exitCode = await main(process.argv.slice(2));
