// One run of a program: the runtime as a child process of the extension host. Started with the
// bundled runtime (process.execPath with ELECTRON_RUN_AS_NODE=1), `--telemetry 0 --keep-alive
// --wait-for-viewer` and a random token in BEAMLINE_TELEMETRY_TOKEN (an environment is readable by
// its owner only, a command line by every user); stdout and stderr go to an output sink; the telemetry
// line gives the port.
// Stopping kills the child's whole process group; a guard preloaded into the child ends it when
// the extension host goes away without a goodbye. No vscode import: the extension wires it up.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { parseTelemetryLine, type TelemetryEndpoint } from "../protocol/telemetryLine.js";
import { describeExit } from "./runtimeOutput.js";

export interface OutputSink {
  append(text: string): void;
}

export interface SessionOptions {
  /** The runtime's cli.js. */
  cli: string;
  /** Preloaded into the child (`--require`): ends it when its parent is gone. */
  guard?: string;
  /** The arguments after cli.js (see settings.ts runtimeArgs). */
  args: string[];
  /** The telemetry token, passed in the environment. */
  token: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  output: OutputSink;
  /** How long to wait for the telemetry line. */
  startTimeoutMs?: number;
}

export interface SessionExit {
  code: number | null;
  signal: string | null;
  /** True when the extension asked it to stop. */
  stopped: boolean;
  reason: string;
  stderr: string;
}

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

export class RuntimeSession {
  private child: ChildProcess | undefined;
  private stderrText = "";
  private stdoutBuffer = "";
  private stopping = false;
  private exitListeners: ((exit: SessionExit) => void)[] = [];
  private exitInfo: SessionExit | undefined;
  endpoint: TelemetryEndpoint | undefined;

  constructor(readonly options: SessionOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  get stderr(): string {
    return this.stderrText;
  }

  onExit(listener: (exit: SessionExit) => void): void {
    if (this.exitInfo) listener(this.exitInfo);
    else this.exitListeners.push(listener);
  }

  /** Starts the runtime; resolves when it serves telemetry, rejects when it ends first. */
  start(): Promise<TelemetryEndpoint> {
    const { cli, guard, args, token, cwd, env, output } = this.options;
    const nodeArgs = guard ? ["--require", guard] : [];
    output.append(`$ beamline ${args.map((a) => (/^[\w./:=+-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")}\n`);
    const child = spawn(process.execPath, [...nodeArgs, cli, ...args], {
      cwd,
      env: { ...process.env, ...env, BEAMLINE_TELEMETRY_TOKEN: token, ELECTRON_RUN_AS_NODE: "1", FORCE_COLOR: "0", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so that stopping it ends everything it started.
      detached: true,
    });
    this.child = child;
    return new Promise<TelemetryEndpoint>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(new Error(`the runtime did not report its telemetry port within ${this.options.startTimeoutMs ?? 20000} ms`));
        void this.stop();
      }, this.options.startTimeoutMs ?? 20000);
      child.stdout!.setEncoding("utf8");
      child.stderr!.setEncoding("utf8");
      child.stdout!.on("data", (chunk: string) => {
        this.stdoutBuffer += chunk;
        let nl: number;
        while ((nl = this.stdoutBuffer.indexOf("\n")) >= 0) {
          const line = this.stdoutBuffer.slice(0, nl + 1);
          this.stdoutBuffer = this.stdoutBuffer.slice(nl + 1);
          const endpoint = parseTelemetryLine(line);
          if (endpoint && !this.endpoint) {
            this.endpoint = endpoint;
            output.append(`[beamline] telemetry on 127.0.0.1:${endpoint.port}\n`);
            if (!settled) {
              settled = true;
              clearTimeout(timer);
              resolve(endpoint);
            }
          } else output.append(line);
        }
      });
      child.stderr!.on("data", (chunk: string) => {
        this.stderrText += chunk;
        if (this.stderrText.length > 256 * 1024) this.stderrText = this.stderrText.slice(-128 * 1024);
        output.append(chunk);
      });
      child.on("error", (error) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(error);
        }
      });
      child.on("exit", (code, signal) => {
        if (this.stdoutBuffer) output.append(this.stdoutBuffer + "\n");
        this.stdoutBuffer = "";
        const exit: SessionExit = { code, signal, stopped: this.stopping, reason: describeExit(code, signal), stderr: this.stderrText };
        this.exitInfo = exit;
        output.append(`[beamline] runtime ${exit.stopped ? "stopped" : exit.reason}\n`);
        clearTimeout(timer);
        if (!settled) {
          settled = true;
          const last = this.stderrText.trim().split("\n").slice(-1)[0] ?? "";
          reject(Object.assign(new Error(`the runtime ${exit.reason} before it served telemetry${last ? `: ${last}` : ""}`), { exit }));
        }
        for (const l of this.exitListeners) l(exit);
        this.exitListeners = [];
      });
    });
  }

  /** Ends the run: SIGTERM to the process group, SIGKILL if it is still there after a grace time. */
  async stop(graceMs = 2000): Promise<void> {
    const child = this.child;
    if (!child || this.exitInfo || child.pid === undefined) return;
    this.stopping = true;
    const exited = new Promise<void>((resolve) => this.onExit(() => resolve()));
    killGroup(child.pid, "SIGTERM");
    const timer = setTimeout(() => killGroup(child.pid!, "SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
    // Anything the runtime left in its group goes too.
    killGroup(child.pid, "SIGKILL");
  }

  /** Synchronous last resort (deactivate, process exit): kill the group now. */
  killNow(): void {
    if (this.child?.pid !== undefined && !this.exitInfo) {
      this.stopping = true;
      killGroup(this.child.pid, "SIGKILL");
    }
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(process.platform === "win32" ? pid : -pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
