// The one runtime the window works with: started here (a RuntimeSession) or attached to (URL and
// token of a runtime started elsewhere), its light telemetry connection, its output channel and
// the diagnostics: syntax errors from the runtime's stderr (it reports them before it serves
// telemetry), crashes from the telemetry's faults channel (faultLedger.ts). Everything else
// listens to onDidChange.

import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import { formatPid, type Crash, type FaultMessage } from "../protocol/control.js";
import type { TelemetryEndpoint } from "../protocol/telemetryLine.js";
import { counted } from "./countText.js";
import { FaultLedger, type FaultProblem } from "./faultLedger.js";
import { parseLoadErrors, webSocketUrl } from "./runtimeOutput.js";
import { newToken, RuntimeSession, type SessionExit } from "./runtimeSession.js";
import { runtimeArgs, type RunOptions } from "./settings.js";
import { TelemetryConnection } from "./telemetryConnection.js";
import { reportedWebviewOrigin, startRelay, type Relay } from "./webviewRelay.js";

export interface LiveRuntime {
  /** Increases with every run or attach, so that webviews know a new runtime from the old one. */
  generation: number;
  host: string;
  port: number;
  token: string;
  /** The telemetry WebSocket, `ws://host:port/ws`. */
  url: string;
  /** The relay the webviews connect to (see webviewRelay.ts): `ws://127.0.0.1:relayPort/ws`, with the relay's own secret. */
  relayPort: number;
  relayUrl: string;
  relaySecret: string;
  /** The program, when started here. */
  file?: string;
  /** The runtime's working directory: site files are relative to it. */
  cwd: string;
  attached: boolean;
  /** The recording file, when this is `beamline replay` of one rather than a live run (docs/protocol.md, section 13). */
  recording?: string;
}

/** The last run's recording, under the extension's storage: Review Last Run opens it. */
const LAST_RUN_RECORDING = "last-run.beamrec";

export class SessionManager implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel("Beamline Runtime");
  readonly diagnostics = vscode.languages.createDiagnosticCollection("beamline");
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  session: RuntimeSession | undefined;
  connection: TelemetryConnection | undefined;
  live: LiveRuntime | undefined;
  starting: string | undefined;
  lastExitReason: string | undefined;
  private lastRun: { file: string; options: RunOptions } | undefined;
  /** The working directory of the run the last-run recording is of: its site files are relative to it. */
  private lastRunCwd: string | undefined;
  /** Whether main of the current run has ended (the runtime keeps serving, --keep-alive). */
  mainEnded = false;
  private generation = 0;
  private relay: Relay | undefined;
  /** The crashes of the current run, by line; their diagnostics are redrawn at most every FAULT_REDRAW_MS. */
  private readonly faults = new FaultLedger((id) => this.connection?.sites.find((s) => s.id === id));
  private faultTimer: NodeJS.Timeout | undefined;
  /** main crashed (main-exited said so) and its crash message has not come yet. */
  private mainCrashPending: NodeJS.Timeout | undefined;
  /** The browser origins this window's webviews reported as theirs: the only ones, besides VS Code's webview scheme, the relay admits. */
  private readonly webviewOrigins = new Set<string>();

  constructor(private readonly context: vscode.ExtensionContext) {}

  get running(): boolean {
    return this.live !== undefined;
  }

  get canRestart(): boolean {
    return this.lastRun !== undefined;
  }

  /** The bundled runtime (a packaged extension), else the repository's build (development). */
  runtimeCli(): string {
    const bundled = this.context.asAbsolutePath(path.join("dist", "runtime-bundle", "cli.js"));
    return existsSync(bundled) ? bundled : this.context.asAbsolutePath(path.join("dist", "runtime", "cli.js"));
  }

  /**
   * Where every run started here writes its recording (`--record`), so that Review Last Run can
   * open it after the program ended: the workspace's storage, else the extension's global storage.
   */
  get lastRunRecording(): string {
    return path.join((this.context.storageUri ?? this.context.globalStorageUri).fsPath, LAST_RUN_RECORDING);
  }

  async run(file: string, options: RunOptions): Promise<void> {
    await this.stop();
    this.lastRun = { file, options };
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
    const cwd = folder?.uri.fsPath ?? path.dirname(file);
    const token = newToken();
    this.clearFaults();
    this.lastExitReason = undefined;
    this.starting = file;
    this.changed.fire();
    const guard = this.context.asAbsolutePath(path.join("dist", "extension", "runtimeGuard.cjs"));
    const recording = this.lastRunRecording;
    mkdirSync(path.dirname(recording), { recursive: true });
    // A program that fails to load records nothing: Review Last Run must not show the run before it.
    rmSync(recording, { force: true });
    this.lastRunCwd = cwd;
    const session = new RuntimeSession({
      cli: this.runtimeCli(),
      guard: existsSync(guard) ? guard : undefined,
      args: [...runtimeArgs(path.relative(cwd, file) || file, options), "--record", recording],
      token,
      cwd,
      output: { append: (text) => this.output.append(text) },
      env: { ESBUILD_BINARY_PATH: this.bundledEsbuild() },
    });
    const endpoint = await this.begin(session, `running ${file}`, "could not start the runtime");
    if (endpoint === undefined) return;
    await this.connect("127.0.0.1", endpoint.port, token, cwd, file, false);
  }

  /**
   * Serves a recording file with `beamline replay` and works with it as with a run: the panels
   * show it, and it stops like a run. `cwd`: where the recorded run ran (its site files are
   * relative to it); by default the last run's for its own recording, else the workspace's.
   */
  async replay(recording: string, cwd?: string): Promise<void> {
    await this.stop();
    const dir = cwd ?? (recording === this.lastRunRecording ? this.lastRunCwd : undefined) ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(recording);
    const token = newToken();
    this.clearFaults();
    this.lastExitReason = undefined;
    this.starting = recording;
    this.changed.fire();
    const guard = this.context.asAbsolutePath(path.join("dist", "extension", "runtimeGuard.cjs"));
    const session = new RuntimeSession({
      cli: this.runtimeCli(),
      guard: existsSync(guard) ? guard : undefined,
      args: ["replay", recording],
      token,
      cwd: dir,
      output: { append: (text) => this.output.append(text) },
    });
    const endpoint = await this.begin(session, `replaying ${recording}`, `could not replay ${recording}`);
    if (endpoint === undefined) return;
    await this.connect("127.0.0.1", endpoint.port, token, dir, undefined, false, recording);
  }

  /**
   * Starts `session` as the current one; its endpoint, or undefined when it failed to start or
   * another session took its place meanwhile. An exit is reported by the exit handler (a syntax
   * error becomes a diagnostic); any other failure here.
   */
  private async begin(session: RuntimeSession, doing: string, failure: string): Promise<TelemetryEndpoint | undefined> {
    this.session = session;
    this.output.appendLine(`[beamline] ${new Date().toLocaleTimeString()} ${doing}`);
    session.onExit((exit) => this.onSessionExit(session, exit));
    let endpoint;
    try {
      endpoint = await session.start();
    } catch (error) {
      if (this.session === session) {
        this.starting = undefined;
        this.changed.fire();
      }
      if (!(error as { exit?: SessionExit }).exit) void this.reportFailure(`Beamline: ${failure}: ${(error as Error).message}`);
      return undefined;
    }
    if (this.session !== session) return undefined;
    this.starting = undefined;
    return endpoint;
  }

  async attach(host: string, port: number, token: string): Promise<void> {
    await this.stop();
    this.lastRun = undefined;
    this.lastExitReason = undefined;
    this.clearFaults();
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
    this.output.appendLine(`[beamline] attaching to ${host}:${port}`);
    await this.connect(host, port, token, cwd, undefined, true);
  }

  private async connect(host: string, port: number, token: string, cwd: string, file: string | undefined, attached: boolean, recording?: string): Promise<void> {
    const url = webSocketUrl(port, host);
    const connection = new TelemetryConnection(url, token);
    try {
      await connection.connect();
    } catch (error) {
      connection.close();
      void this.reportFailure(`Beamline: could not connect to the runtime at ${host}:${port}: ${(error as Error).message}`);
      if (!attached) await this.stop();
      return;
    }
    let relay: Relay;
    try {
      relay = await startRelay({ upstreamUrl: url, upstreamToken: token, isWebviewOrigin: (origin) => this.webviewOrigins.has(origin) });
    } catch (error) {
      connection.close();
      void this.reportFailure(`Beamline: could not start the webview relay: ${(error as Error).message}`);
      return;
    }
    this.relay = relay;
    this.connection = connection;
    this.live = { generation: ++this.generation, host, port, token, url, file, cwd, attached, relayPort: relay.port, relayUrl: webSocketUrl(relay.port), relaySecret: relay.secret, ...(recording !== undefined ? { recording } : {}) };
    this.mainEnded = false;
    connection.onClose.on(() => {
      if (this.connection !== connection) return;
      if (attached) {
        this.closeRelay();
        this.connection = undefined;
        this.live = undefined;
        this.lastExitReason = "the runtime closed the connection";
        this.changed.fire();
      }
    });
    connection.onFault.on((fault) => {
      if (this.connection === connection) this.onFault(fault, cwd);
    });
    connection.onMainExited.on(({ crashed }) => {
      if (this.connection !== connection) return;
      this.mainEnded = true;
      // A replay's main ended long ago: its crash was reported when it ran.
      if (crashed && recording === undefined) this.onMainCrashed(cwd);
    });
    this.changed.fire();
    // Learn which functions the processes run (for the lenses above process functions); a recording has no process list.
    if (recording === undefined) setTimeout(() => void connection.fetchProcesses().catch(() => undefined), 300);
  }

  /** A webview of this window says which origin it has (see webviewRelay.ts): the relay admits it from now on. */
  addWebviewOrigin(reported: unknown): void {
    const origin = reportedWebviewOrigin(reported);
    if (origin !== undefined) this.webviewOrigins.add(origin);
  }

  async stop(): Promise<void> {
    const session = this.session;
    const connection = this.connection;
    const wasLive = this.live !== undefined || this.starting !== undefined;
    this.connection = undefined;
    this.live = undefined;
    this.starting = undefined;
    connection?.close();
    this.closeRelay();
    if (session) {
      await session.stop();
      this.session = undefined;
    }
    if (wasLive) {
      this.lastExitReason ??= "stopped from VS Code";
      this.changed.fire();
    }
  }

  async restart(): Promise<void> {
    if (!this.lastRun) {
      void vscode.window.showWarningMessage("Beamline: nothing to restart; run a file first.");
      return;
    }
    await this.run(this.lastRun.file, this.lastRun.options);
  }

  /** Opens a file of the runtime (relative to its working directory) at a 1-based line. */
  async openSource(file: string, line: number, column = 1): Promise<void> {
    const cwd = this.live?.cwd ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "";
    const uri = vscode.Uri.file(path.resolve(cwd, file));
    const position = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
    await vscode.window.showTextDocument(uri, { selection: new vscode.Range(position, position), preview: true });
  }

  /** A document's path relative to the runtime's working directory, as site tables name files. */
  relativePath(uri: vscode.Uri): string | undefined {
    if (!this.live || uri.scheme !== "file") return undefined;
    return path.relative(this.live.cwd, uri.fsPath);
  }

  private bundledEsbuild(): string | undefined {
    const binary = this.context.asAbsolutePath(path.join("dist", "runtime-bundle", "esbuild"));
    return existsSync(binary) ? binary : process.env.ESBUILD_BINARY_PATH;
  }

  private onSessionExit(session: RuntimeSession, exit: SessionExit): void {
    if (this.session !== session) return;
    this.connection?.close();
    this.closeRelay();
    this.connection = undefined;
    this.live = undefined;
    this.starting = undefined;
    this.session = undefined;
    this.lastExitReason = exit.stopped ? "stopped from VS Code" : `the runtime ${exit.reason}`;
    this.changed.fire();
    if (exit.stopped) return;
    const cwd = session.options.cwd;
    const loadErrors = parseLoadErrors(exit.stderr);
    if (loadErrors.length > 0) {
      this.setProblems(
        cwd,
        loadErrors.map((e) => ({ ...e, severity: vscode.DiagnosticSeverity.Error })),
      );
      const first = loadErrors[0]!;
      void this.reportFailure(`Beamline: ${first.file}:${first.line}:${first.column}: ${first.message}`, true, { cwd, ...first });
      return;
    }
    const last = exit.stderr.trim().split("\n").filter(Boolean).slice(-1)[0];
    if (session.options.args[0] === "replay") {
      // `beamline replay` says what is wrong with the file on its last line ("beamline: cannot replay FILE: ...").
      void this.reportFailure(`Beamline: ${last?.replace(/^beamline: /, "") ?? `the replay ${exit.reason}`}`);
      return;
    }
    void this.reportFailure(`Beamline: the runtime ${exit.reason}${last ? `: ${last}` : ""}`, true);
  }

  /** A crash, restart or supervisor that gave up: the problems change (redrawn a little later, so that a crash loop redraws them a few times a second, not 500). */
  private onFault(fault: FaultMessage, cwd: string): void {
    const changed = fault.type === "crash" ? this.faults.crash(fault) : fault.type === "restart" ? this.faults.restart(fault) : this.faults.gaveUpAt(fault);
    if (fault.type === "crash" && fault.fn === "main" && this.mainCrashPending) this.reportMainCrash(fault, cwd);
    if (changed && !this.faultTimer) {
      this.faultTimer = setTimeout(() => {
        this.faultTimer = undefined;
        this.showFaults(cwd);
      }, FAULT_REDRAW_MS);
    }
  }

  /** main crashed: told with its reason and line, from its crash message (which may come just after main-exited). */
  private onMainCrashed(cwd: string): void {
    const crash = this.faults.mainCrash;
    if (crash) {
      this.reportMainCrash(crash, cwd);
      return;
    }
    clearTimeout(this.mainCrashPending);
    this.mainCrashPending = setTimeout(() => {
      this.mainCrashPending = undefined;
      void this.reportFailure("Beamline: main crashed; see the runtime output", true);
    }, MAIN_CRASH_WAIT_MS);
  }

  private reportMainCrash(crash: Crash, cwd: string): void {
    clearTimeout(this.mainCrashPending);
    this.mainCrashPending = undefined;
    const at = crash.at ?? undefined;
    void this.reportFailure(`Beamline: main crashed: ${crash.reason}${at ? ` (${at.file}:${at.line})` : ""}`, true, at ? { cwd, ...at } : undefined);
  }

  private clearFaults(): void {
    clearTimeout(this.faultTimer);
    clearTimeout(this.mainCrashPending);
    this.faultTimer = undefined;
    this.mainCrashPending = undefined;
    this.faults.clear();
    this.diagnostics.clear();
  }

  /** The fault problems as diagnostics: one per line, its related information naming the supervisors that restarted it. */
  private showFaults(cwd: string): void {
    this.diagnostics.clear();
    this.setProblems(
      cwd,
      this.faults.problems().map((p) => ({ ...p, severity: vscode.DiagnosticSeverity.Error, related: relatedOf(p, cwd), toLineEnd: true })),
    );
  }

  private setProblems(cwd: string, problems: Problem[]): void {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const p of problems) {
      const file = path.resolve(cwd, p.file);
      const position = new vscode.Position(Math.max(0, p.line - 1), Math.max(0, p.column - 1));
      // A crash marks its line from where it threw to the end (the editor clamps the end), a syntax error one character.
      const end = p.toLineEnd ? new vscode.Position(position.line, Number.MAX_SAFE_INTEGER) : position.translate(0, 1);
      const d = new vscode.Diagnostic(new vscode.Range(position, end), p.message, p.severity);
      d.source = "beamline";
      if (p.related?.length) d.relatedInformation = p.related;
      const list = byFile.get(file) ?? [];
      if (!list.some((x) => x.message === d.message && x.range.isEqual(d.range))) list.push(d);
      byFile.set(file, list);
    }
    for (const [file, list] of byFile) this.diagnostics.set(vscode.Uri.file(file), list);
  }

  private async reportFailure(message: string, offerRestart = false, location?: { cwd: string; file: string; line: number; column: number }): Promise<void> {
    const actions = [...(offerRestart && this.lastRun ? ["Restart"] : []), ...(location ? ["Go to Source"] : []), "Show Output"];
    const choice = await vscode.window.showErrorMessage(message, ...actions);
    if (choice === "Restart") await this.restart();
    else if (choice === "Show Output") this.output.show(true);
    else if (choice === "Go to Source" && location) await this.openSource(path.resolve(location.cwd, location.file), location.line, location.column);
  }

  private closeRelay(): void {
    void this.relay?.close();
    this.relay = undefined;
  }

  dispose(): void {
    clearTimeout(this.faultTimer);
    clearTimeout(this.mainCrashPending);
    this.closeRelay();
    this.connection?.close();
    this.session?.killNow();
    this.output.dispose();
    this.diagnostics.dispose();
    this.changed.dispose();
  }
}

/** How often a crash loop redraws the crash diagnostics at most. */
const FAULT_REDRAW_MS = 250;
/** How long a crash of main waits for its crash message before it is told without one. */
const MAIN_CRASH_WAIT_MS = 2000;

interface Problem {
  file: string;
  line: number;
  column: number;
  message: string;
  severity: vscode.DiagnosticSeverity;
  related?: vscode.DiagnosticRelatedInformation[];
  toLineEnd?: boolean;
}

/** The supervisors that restarted a line's crashed processes, at the lines that started them. */
function relatedOf(problem: FaultProblem, cwd: string): vscode.DiagnosticRelatedInformation[] {
  const out: vscode.DiagnosticRelatedInformation[] = [];
  for (const s of problem.supervisors) {
    if (!s.at) continue;
    const position = new vscode.Position(Math.max(0, s.at.line - 1), Math.max(0, s.at.column - 1));
    const where = new vscode.Location(vscode.Uri.file(path.resolve(cwd, s.at.file)), position);
    out.push(new vscode.DiagnosticRelatedInformation(where, `restarted by supervisor ${formatPid(s.pid)} (child "${s.childId}", ${counted(s.restarts, "restart")})`));
  }
  return out;
}
