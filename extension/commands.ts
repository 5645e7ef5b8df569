// The palette commands (category "Beamline") and the commands behind code lenses and hovers.

import { existsSync } from "node:fs";
import * as vscode from "vscode";
import { formatPid, parsePid, type InspectResult } from "../protocol/control.js";
import type { ProcessInfo } from "../protocol/frames.js";
import { parseAttachUrl } from "./runtimeOutput.js";
import type { SessionManager } from "./sessionManager.js";
import { parseRunOptions, type RunOptions, type Settings } from "./settings.js";
import { isSupervisorStart, processesOfLens, type LensSpec } from "./siteLenses.js";
import { VisualizerPanel } from "./visualizerPanel.js";

interface ProcessItem extends vscode.QuickPickItem {
  pid: string;
}

export class Commands {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly manager: SessionManager,
    private readonly settings: () => Settings,
  ) {}

  register(): vscode.Disposable[] {
    const c = (id: string, fn: (...args: any[]) => unknown) => vscode.commands.registerCommand(id, fn);
    return [
      c("beamline.runCurrentFile", (uri?: vscode.Uri) => this.runFile(uri)),
      c("beamline.runWithOptions", (uri?: vscode.Uri) => this.runWithOptions(uri)),
      c("beamline.stop", () => this.manager.stop()),
      c("beamline.restart", () => this.manager.restart()),
      c("beamline.openVisualizer", (pid?: string) => this.openVisualizer(typeof pid === "string" ? pid : undefined)),
      c("beamline.inspectProcess", () => this.inspectProcess()),
      c("beamline.sendMessage", () => this.sendMessage()),
      c("beamline.killProcess", () => this.killProcess()),
      c("beamline.traceProcess", () => this.traceProcess()),
      c("beamline.attach", () => this.attach()),
      c("beamline.showOutput", () => this.manager.output.show(true)),
      c("beamline.inspectSite", (spec: LensSpec) => this.inspectSite(spec)),
      c("beamline.inspectPid", (pid: string) => this.openVisualizer(pid)),
      c("beamline.openRecording", (uri?: vscode.Uri) => this.openRecording(uri)),
      c("beamline.reviewLastRun", () => this.reviewLastRun()),
    ];
  }

  private defaults(): RunOptions {
    const s = this.settings();
    return { schedulers: s.schedulers, reductions: s.reductions, sampleIntervalMs: s.sampleIntervalMs };
  }

  private async fileToRun(uri?: vscode.Uri): Promise<string | undefined> {
    const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!target || target.scheme !== "file" || !/\.[cm]?[jt]sx?$/.test(target.fsPath)) {
      void vscode.window.showWarningMessage("Beamline: open a TypeScript program to run (a .ts file with an exported main).");
      return undefined;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString());
    if (doc?.isDirty) await doc.save();
    return target.fsPath;
  }

  async runFile(uri?: vscode.Uri, options?: RunOptions): Promise<void> {
    const file = await this.fileToRun(uri);
    if (!file) return;
    await this.manager.run(file, options ?? this.defaults());
  }

  private async runWithOptions(uri?: vscode.Uri): Promise<void> {
    const file = await this.fileToRun(uri);
    if (!file) return;
    const d = this.defaults();
    const text = await vscode.window.showInputBox({
      title: "Beamline: Run With Options",
      prompt: "schedulers=N (0: one per core) reductions=N (per slice) seed=N (a repeatable run on virtual time) sample-interval=MS",
      value: `schedulers=${d.schedulers} reductions=${d.reductions} seed=`,
      valueSelection: [`schedulers=${d.schedulers} reductions=${d.reductions} seed=`.length, `schedulers=${d.schedulers} reductions=${d.reductions} seed=`.length],
      validateInput: (value) => {
        const r = parseRunOptions(value.replace(/\bseed=\s*$/, ""), d);
        return typeof r === "string" ? r : undefined;
      },
    });
    if (text === undefined) return;
    const options = parseRunOptions(text.replace(/\bseed=\s*$/, ""), d);
    if (typeof options === "string") return;
    await this.manager.run(file, options);
  }

  private openVisualizer(pid?: string): void {
    // Only the editor panel inspects: the side panel's overview asks for the editor panel itself
    // ("open-visualizer"), so telling it too would go round in circles.
    VisualizerPanel.show(this.context.extensionUri, this.manager, ...(pid ? [{ type: "inspect" as const, pid }] : []));
  }

  private requireRuntime() {
    const connection = this.manager.connection;
    if (!connection) void vscode.window.showWarningMessage("Beamline: no runtime is running. Run a file first (Beamline: Run Current File).");
    else if (this.manager.live?.recording !== undefined) {
      void vscode.window.showWarningMessage("Beamline: this is a recording (a replay), not a live run: it holds the process table over time (the visualizer's timeline), not live processes. Run the program to inspect, send to, kill or trace them.");
      return undefined;
    }
    return connection;
  }

  /** Beamline: Open Recording…: a file that `beamline run --record` wrote, in the visualizer (docs/guide.md). */
  private async openRecording(uri?: vscode.Uri): Promise<void> {
    let target = uri instanceof vscode.Uri ? uri : undefined;
    if (target === undefined) {
      const picked = await vscode.window.showOpenDialog({
        title: "Beamline: Open Recording",
        openLabel: "Open Recording",
        canSelectMany: false,
        filters: { "Beamline recordings": ["beamrec"], "All files": ["*"] },
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      });
      target = picked?.[0];
    }
    if (target === undefined) return;
    if (target.scheme !== "file") {
      void vscode.window.showWarningMessage(`Beamline: a recording must be a file on this machine, not ${target.toString()}`);
      return;
    }
    await this.manager.replay(target.fsPath);
    if (this.manager.live?.recording === target.fsPath) this.openVisualizer();
  }

  /** Beamline: Review Last Run: the recording of the last program run here, after it ended. */
  private async reviewLastRun(): Promise<void> {
    const recording = this.manager.lastRunRecording;
    if (!existsSync(recording)) {
      void vscode.window.showWarningMessage("Beamline: no run to review yet. Every run started here is recorded: run a file (Beamline: Run Current File), then review it.");
      return;
    }
    const live = this.manager.live;
    if (live !== undefined && live.recording === undefined && !live.attached && !this.manager.mainEnded) {
      const stop = "Stop and Review";
      const choice = await vscode.window.showWarningMessage("Beamline: the program is still running. Stop it and review what it recorded so far?", { modal: true }, stop);
      if (choice !== stop) return;
    }
    await this.manager.replay(recording);
    if (this.manager.live?.recording === recording) this.openVisualizer();
  }

  private toItem(p: ProcessInfo): ProcessItem {
    const pid = formatPid(p.pid);
    return {
      pid,
      label: pid,
      description: [p.name, p.fn].filter(Boolean).join(" · "),
      detail: `${p.status} · mailbox ${p.mailbox} · ${p.reductions.toLocaleString("en-US")} reductions · scheduler ${p.scheduler}`,
    };
  }

  /** A quick pick over the live processes, searchable by pid, registered name and function. */
  private async pickProcess(title: string, among?: ProcessInfo[]): Promise<string | undefined> {
    const connection = this.requireRuntime();
    if (!connection) return undefined;
    const quickPick = vscode.window.createQuickPick<ProcessItem>();
    quickPick.title = title;
    quickPick.placeholder = "Search by pid, registered name or function";
    quickPick.matchOnDescription = true;
    quickPick.matchOnDetail = true;
    quickPick.busy = among === undefined;
    quickPick.show();
    const load = async () => {
      try {
        const processes = among ?? (await connection.fetchProcesses());
        quickPick.items = processes.slice(0, 5000).map((p) => this.toItem(p));
        if (processes.length === 0) quickPick.placeholder = "No live processes";
      } catch (error) {
        quickPick.placeholder = `Could not list the processes: ${(error as Error).message}`;
      }
      quickPick.busy = false;
    };
    void load();
    return new Promise<string | undefined>((resolve) => {
      quickPick.onDidAccept(() => {
        const picked = quickPick.selectedItems[0]?.pid ?? (parsePid(quickPick.value.trim()) !== undefined ? quickPick.value.trim() : undefined);
        resolve(picked);
        quickPick.hide();
      });
      quickPick.onDidHide(() => {
        resolve(undefined);
        quickPick.dispose();
      });
    });
  }

  private async inspectProcess(): Promise<void> {
    const pid = await this.pickProcess("Beamline: Inspect Process");
    if (!pid) return;
    this.openVisualizer(pid);
    const r = await this.manager.connection?.request({ type: "inspect", pid });
    if (r?.ok) {
      const info = r.result as InspectResult;
      this.manager.output.appendLine(
        `[beamline] inspect ${pid}: ${info.status}${info.waitSite ? ` at ${info.waitSite}` : ""}, mailbox ${info.mailboxLength}, ${info.reductions} reductions`,
      );
    }
  }

  private async killProcess(): Promise<void> {
    const pid = await this.pickProcess("Beamline: Kill Process");
    const connection = this.manager.connection;
    if (!pid || !connection) return;
    const r = await connection.request({ type: "kill", pid, reason: "killed from VS Code" });
    if (r.ok) void vscode.window.showInformationMessage(`Beamline: killed ${pid}`);
    else void vscode.window.showErrorMessage(`Beamline: could not kill ${pid}: ${r.error}`);
  }

  private async traceProcess(): Promise<void> {
    const pid = await this.pickProcess("Beamline: Trace Process");
    const connection = this.manager.connection;
    if (!pid || !connection) return;
    const info = await connection.request({ type: "inspect", pid, mailboxLimit: 0 });
    const enabled = !(info.ok && (info.result as InspectResult).traced);
    const r = await connection.request({ type: "trace", pid, enabled });
    if (!r.ok) {
      void vscode.window.showErrorMessage(`Beamline: could not trace ${pid}: ${r.error}`);
      return;
    }
    void vscode.window.showInformationMessage(`Beamline: ${enabled ? "tracing" : "stopped tracing"} ${pid}`);
    if (enabled) VisualizerPanel.show(this.context.extensionUri, this.manager, { type: "show", tab: "messages" });
  }

  private async sendMessage(): Promise<void> {
    const pid = await this.pickProcess("Beamline: Send Message — to which process?");
    const connection = this.manager.connection;
    if (!pid || !connection) return;
    const text = await vscode.window.showInputBox({
      title: `Beamline: Send Message to ${pid}`,
      prompt: 'The message as JSON, e.g. ["add", 5] or "ping"',
      validateInput: (value) => {
        try {
          JSON.parse(value);
          return undefined;
        } catch (error) {
          return `not JSON: ${(error as Error).message}`;
        }
      },
    });
    if (text === undefined) return;
    const r = await connection.request({ type: "send", to: pid, message: JSON.parse(text) });
    if (r.ok) void vscode.window.showInformationMessage(`Beamline: sent ${text} to ${pid}`);
    else void vscode.window.showErrorMessage(`Beamline: could not send to ${pid}: ${r.error}`);
  }

  private async attach(): Promise<void> {
    const url = await vscode.window.showInputBox({
      title: "Beamline: Attach to Runtime (1/2)",
      prompt: "The runtime's URL, as `beamline run --telemetry` printed it (http://127.0.0.1:PORT/?token=…) or ws://127.0.0.1:PORT/ws",
      placeHolder: "http://127.0.0.1:PORT/?token=…",
      ignoreFocusOut: true,
      validateInput: (v) => (parseAttachUrl(v, "x") ? undefined : "not a URL like http://127.0.0.1:PORT/?token=…"),
    });
    if (url === undefined) return;
    let target = parseAttachUrl(url);
    if (!target) {
      const token = await vscode.window.showInputBox({ title: "Beamline: Attach to Runtime (2/2)", prompt: "The run's token", password: true, ignoreFocusOut: true });
      if (!token) return;
      target = parseAttachUrl(url, token);
    }
    if (!target) return;
    await this.manager.attach(target.host, target.port, target.token);
  }

  /**
   * A code lens click: the processes of that site; one is inspected, several are offered. A
   * supervisor's lens opens the Supervision view, where its tree, children and restarts are.
   */
  private async inspectSite(spec: LensSpec): Promise<void> {
    // A recording has no live processes to list: its lens shows the site in the visualizer.
    if (this.manager.connection !== undefined && this.manager.live?.recording !== undefined) {
      VisualizerPanel.show(this.context.extensionUri, this.manager, { type: "filter-site", site: spec.site });
      return;
    }
    const connection = this.requireRuntime();
    if (!connection) return;
    if (spec.kind === "spawn" && isSupervisorStart(spec.name)) {
      VisualizerPanel.show(this.context.extensionUri, this.manager, { type: "show", tab: "supervision" });
      return;
    }
    let processes: ProcessInfo[] = [];
    try {
      processes = processesOfLens(spec, await connection.fetchProcesses());
    } catch (error) {
      void vscode.window.showErrorMessage(`Beamline: could not list the processes: ${(error as Error).message}`);
      return;
    }
    if (processes.length === 0) {
      VisualizerPanel.show(this.context.extensionUri, this.manager, { type: "filter-site", site: spec.site });
      void vscode.window.showInformationMessage("Beamline: no live processes at this site right now.");
      return;
    }
    const pid = processes.length === 1 ? formatPid(processes[0]!.pid) : await this.pickProcess(`Beamline: ${processes.length} processes — inspect which?`, processes);
    if (!pid) return;
    VisualizerPanel.show(this.context.extensionUri, this.manager, { type: "filter-site", site: spec.site }, { type: "inspect", pid });
  }
}
