// The one runtime the window works with: started here (a RuntimeSession) or attached to (URL and
// token of a runtime started elsewhere), its light telemetry connection, its output channel and
// the diagnostics from its syntax errors and crashes. Everything else listens to onDidChange.

import { existsSync } from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import { parseCrashes, parseLoadErrors, userFrame, webSocketUrl } from "./runtimeOutput.js";
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
}

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
  private generation = 0;
  private crashTimer: NodeJS.Timeout | undefined;
  private relay: Relay | undefined;
  private mainCrashPending = false;
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

  async run(file: string, options: RunOptions): Promise<void> {
    await this.stop();
    this.lastRun = { file, options };
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
    const cwd = folder?.uri.fsPath ?? path.dirname(file);
    const token = newToken();
    this.diagnostics.clear();
    this.lastExitReason = undefined;
    this.starting = file;
    this.changed.fire();
    const guard = this.context.asAbsolutePath(path.join("dist", "extension", "runtimeGuard.cjs"));
    const session = new RuntimeSession({
      cli: this.runtimeCli(),
      guard: existsSync(guard) ? guard : undefined,
      args: runtimeArgs(path.relative(cwd, file) || file, options),
      token,
      cwd,
      output: {
        append: (text) => {
          this.output.append(text);
          if (text.includes(" crashed: ")) this.scheduleCrashScan();
        },
      },
      env: { ESBUILD_BINARY_PATH: this.bundledEsbuild() },
    });
    this.session = session;
    this.output.appendLine(`[beamline] ${new Date().toLocaleTimeString()} running ${file}`);
    session.onExit((exit) => this.onSessionExit(session, exit));
    let endpoint;
    try {
      endpoint = await session.start();
    } catch (error) {
      if (this.session === session) {
        this.starting = undefined;
        this.changed.fire();
      }
      // The exit handler reports it (syntax errors become diagnostics).
      if (!(error as { exit?: SessionExit }).exit) void this.reportFailure(`Beamline: could not start the runtime: ${(error as Error).message}`);
      return;
    }
    if (this.session !== session) return;
    this.starting = undefined;
    await this.connect("127.0.0.1", endpoint.port, token, cwd, file, false);
    this.scheduleCrashScan();
  }

  async attach(host: string, port: number, token: string): Promise<void> {
    await this.stop();
    this.lastRun = undefined;
    this.lastExitReason = undefined;
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
    this.output.appendLine(`[beamline] attaching to ${host}:${port}`);
    await this.connect(host, port, token, cwd, undefined, true);
  }

  private async connect(host: string, port: number, token: string, cwd: string, file: string | undefined, attached: boolean): Promise<void> {
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
    this.live = { generation: ++this.generation, host, port, token, url, file, cwd, attached, relayPort: relay.port, relayUrl: webSocketUrl(relay.port), relaySecret: relay.secret };
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
    connection.onMainExited.on(({ crashed }) => {
      if (crashed) this.scheduleCrashScan(true);
    });
    this.changed.fire();
    // Learn which functions the processes run (for the lenses above process functions).
    setTimeout(() => void connection.fetchProcesses().catch(() => undefined), 300);
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
    this.scanCrashes(cwd, exit.stderr);
    const last = exit.stderr.trim().split("\n").filter(Boolean).slice(-1)[0];
    void this.reportFailure(`Beamline: the runtime ${exit.reason}${last ? `: ${last}` : ""}`, true);
  }

  /** Crashes in stderr become diagnostics at the user's line; a crash of main is also told. */
  private scheduleCrashScan(mainCrashed = false): void {
    clearTimeout(this.crashTimer);
    this.mainCrashPending ||= mainCrashed;
    this.crashTimer = setTimeout(() => {
      mainCrashed = this.mainCrashPending;
      this.mainCrashPending = false;
      const session = this.session;
      if (!session) return;
      const crash = this.scanCrashes(session.options.cwd, session.stderr);
      if (mainCrashed) {
        const where = crash?.frame ? ` (${path.relative(session.options.cwd, crash.frame.file)}:${crash.frame.line})` : "";
        void this.reportFailure(
          `Beamline: main crashed: ${crash?.crash.message ?? "see the runtime output"}${where}`,
          true,
          crash?.frame ? { cwd: session.options.cwd, ...crash.frame } : undefined,
        );
      }
    }, 300);
  }

  private scanCrashes(cwd: string, stderr: string) {
    const crashes = parseCrashes(stderr);
    const problems: { file: string; line: number; column: number; message: string; severity: vscode.DiagnosticSeverity }[] = [];
    const isUser = (f: string) => !f.includes(`${path.sep}dist${path.sep}`) && !f.includes("node_modules") && existsSync(path.resolve(cwd, f));
    let last: { crash: (typeof crashes)[number]; frame: ReturnType<typeof userFrame> } | undefined;
    for (const crash of crashes.slice(-50)) {
      const frame = userFrame(crash, isUser);
      last = { crash, frame };
      if (frame) problems.push({ ...frame, message: `${crash.pid} crashed: ${crash.message}`, severity: vscode.DiagnosticSeverity.Error });
    }
    if (problems.length > 0) this.setProblems(cwd, problems);
    return last;
  }

  private setProblems(cwd: string, problems: { file: string; line: number; column: number; message: string; severity: vscode.DiagnosticSeverity }[]): void {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const p of problems) {
      const file = path.resolve(cwd, p.file);
      const position = new vscode.Position(Math.max(0, p.line - 1), Math.max(0, p.column - 1));
      const d = new vscode.Diagnostic(new vscode.Range(position, position.translate(0, 1)), p.message, p.severity);
      d.source = "beamline";
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
    clearTimeout(this.crashTimer);
    this.closeRelay();
    this.connection?.close();
    this.session?.killNow();
    this.output.dispose();
    this.diagnostics.dispose();
    this.changed.dispose();
  }
}
