// A small telemetry client for tests: starts `beamline run --telemetry`, connects with ws,
// decodes every frame, and waits for what a test expects to see.

import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import WebSocket from "ws";
import { decodeFrame, findTelemetryLine, type ControlMessage, type Frame, type Hello, type ProcessInfo, type SchedulerSamplesFrame, type TelemetryEndpoint } from "../protocol/index.js";

export type Received = Frame | ControlMessage;

export const isSample = (m: Received): m is SchedulerSamplesFrame => m.type === "schedulers";

/** Each delta's processes, whole: its update records completed from what the client knew before. */
const wholeProcesses = new WeakMap<Received, ProcessInfo[]>();

/** The processes a keyframe page or a delta tells of, with all their fields (none for other messages). */
export const processesOf = (m: Received): ProcessInfo[] => (m.type === "process-page" ? m.processes : (wholeProcesses.get(m) ?? []));

export interface RunningRuntime {
  child: ChildProcess;
  port: number;
  token: string;
  stdout: () => string;
  stop(): Promise<void>;
}

const cli = path.resolve("dist/runtime/cli.js");

/**
 * How long a test waits for a condition before it fails and says what it waited for. A deadline for
 * a clear failure, not a duration: a loaded machine (issue 13 item 17) makes a test slower, never red.
 */
export const WAIT_DEADLINE_MS = 120_000;

export async function startRuntime(file: string, extra: string[] = []): Promise<RunningRuntime> {
  const child = spawn(process.execPath, [cli, "run", file, "--telemetry", "--keep-alive", "--sample-interval", "100", ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const { port, token } = await new Promise<TelemetryEndpoint>((resolve, reject) => {
    const check = () => {
      const endpoint = findTelemetryLine(out);
      if (endpoint !== undefined) resolve(endpoint);
    };
    child.stdout!.on("data", check);
    child.on("exit", (code) => reject(new Error(`runtime exited with ${code} before listening: ${err}`)));
  });
  return {
    child,
    port,
    token,
    stdout: () => out,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

/** Starts `beamline replay FILE` (docs/protocol.md, section 13) and waits for its telemetry line; `stop` is Ctrl-C. */
export async function startReplay(file: string): Promise<RunningRuntime & { exitCode: Promise<number | null> }> {
  const child = spawn(process.execPath, [cli, "replay", file], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exitCode = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const { port, token } = await new Promise<TelemetryEndpoint>((resolve, reject) => {
    child.stdout!.on("data", () => {
      const endpoint = findTelemetryLine(out);
      if (endpoint !== undefined) resolve(endpoint);
    });
    child.on("exit", (code) => reject(new Error(`replay exited with ${code} before listening: ${err}`)));
  });
  return {
    child,
    port,
    token,
    stdout: () => out,
    exitCode,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGINT");
      await exitCode;
    },
  };
}

export class TestClient {
  readonly received: Received[] = [];
  /** The process table, kept as a viewer keeps it (docs/protocol.md, section 5). */
  readonly processes = new Map<number, ProcessInfo>();
  private waiters: (() => void)[] = [];
  private nextId = 1;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      const message: Received = isBinary ? decodeFrame(data as Buffer) : (JSON.parse(data.toString()) as ControlMessage);
      this.keepTable(message);
      this.received.push(message);
      for (const w of this.waiters) w();
    });
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  private keepTable(m: Received): void {
    if (m.type === "process-page") {
      if (m.page === 0) this.processes.clear();
      for (const p of m.processes) this.processes.set(p.pid, p);
    } else if (m.type === "process-delta") {
      const whole = [...m.changed];
      for (const p of m.changed) this.processes.set(p.pid, p);
      for (const u of m.updated) {
        const known = this.processes.get(u.pid);
        if (known === undefined) continue;
        const p = { ...known, ...u };
        this.processes.set(u.pid, p);
        whole.push(p);
      }
      for (const pid of m.removed) this.processes.delete(pid);
      wholeProcesses.set(m, whole);
    }
  }

  static async connect(runtime: RunningRuntime, query = "", headers: Record<string, string> = {}): Promise<TestClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${runtime.port}/ws?token=${runtime.token}${query}`, { headers });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return client;
  }

  get hello(): Hello | undefined {
    return this.received.find((m): m is Hello => m.type === "hello");
  }

  /** Resolves with the first received message (from now or earlier) that satisfies `test`. */
  waitFor<T extends Received>(test: (m: Received) => m is T, what: string, timeoutMs?: number): Promise<T>;
  waitFor(test: (m: Received) => boolean, what: string, timeoutMs?: number): Promise<Received>;
  waitFor(test: (m: Received) => boolean, what: string, timeoutMs = WAIT_DEADLINE_MS): Promise<Received> {
    return new Promise((resolve, reject) => {
      let seen = 0;
      const check = () => {
        for (; seen < this.received.length; seen++) {
          if (test(this.received[seen]!)) {
            clearTimeout(timer);
            this.waiters = this.waiters.filter((w) => w !== check);
            resolve(this.received[seen]!);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out waiting for ${what}; got ${this.received.length} messages: ${[...new Set(this.received.map((m) => m.type))].join(", ")}`));
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  /** Sends a request and resolves with its response. */
  async request(body: Record<string, unknown>): Promise<{ ok: boolean; result?: any; error?: string }> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, ...body }));
    const response = await this.waitFor((m) => m.type === "response" && m.id === id, `response ${id}`);
    return response as never;
  }

  close(): void {
    this.ws.close();
  }
}
