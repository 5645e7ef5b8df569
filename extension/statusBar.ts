// The status bar item: process count, busy schedulers, crashes, restarts and warnings while a
// runtime runs; the last exit when it ended. A click opens the visualizer.

import * as vscode from "vscode";
import { busySchedulers } from "../protocol/schedulerBusy.js";
import { counted } from "./countText.js";
import type { SessionManager } from "./sessionManager.js";
import { StatusBarPacing } from "./statusBarPacing.js";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("beamline.status", vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  private listeners: { dispose(): void }[] = [];
  private readonly pacing = new StatusBarPacing();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly manager: SessionManager) {
    this.item.name = "Beamline";
    this.item.command = "beamline.openVisualizer";
    this.disposables.push(manager.onDidChange(() => this.follow()));
    this.follow();
  }

  private follow(): void {
    for (const l of this.listeners) l.dispose();
    this.listeners = [];
    const c = this.manager.connection;
    if (c) this.listeners.push(c.onSchedulers.on(() => this.throttled()), c.onWarnings.on(() => this.throttled()));
    this.render();
  }

  private throttled(): void {
    const wait = this.pacing.delay(this.busyText(), Date.now());
    if (wait === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.render();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.render();
    }, wait);
  }

  /** "busy/total" of the latest sample, as the side panel counts it (protocol/schedulerBusy.ts). */
  private busyText(): string {
    const c = this.manager.connection;
    const s = c?.schedulers;
    return `${s ? busySchedulers(s.schedulers) : 0}/${s?.schedulers.length ?? c?.hello?.schedulers ?? 0}`;
  }

  private render(): void {
    const busy = this.busyText();
    this.pacing.rendered(busy, Date.now());
    const m = this.manager;
    const c = m.connection;
    if (m.starting) {
      this.item.text = "$(loading~spin) Beamline: starting…";
      this.item.tooltip = `Starting ${m.starting}`;
      this.item.backgroundColor = undefined;
    } else if (c && m.live?.recording !== undefined) {
      // A replay: nothing is live, so no counts that would read as current.
      this.item.text = "$(history) Beamline: replay";
      this.item.tooltip = `Replaying the recording ${m.live.recording}: not a live run. Click to open the visualizer.`;
      this.item.backgroundColor = undefined;
    } else if (c && m.live) {
      const s = c.schedulers;
      const processes = s?.summary.processes ?? 0;
      const warnings = c.warnings.length;
      const { crashes, restarts } = c.totals;
      // Crashes and restarts only once there are some: a run without faults keeps its short text.
      const faults = `${crashes ? ` · $(error) ${counted(crashes, "crash", "crashes")}` : ""}${restarts ? ` · $(debug-restart) ${counted(restarts, "restart")}` : ""}`;
      this.item.text = `$(pulse) ${counted(processes, "process", "processes")} · ${busy} busy${faults}${warnings ? ` · $(warning) ${warnings}` : ""}`;
      const md = new vscode.MarkdownString(
        `**Beamline** ${m.live.attached ? "attached to" : "running"} \`${m.live.file ? vscode.workspace.asRelativePath(m.live.file) : `${m.live.host}:${m.live.port}`}\`\n\n` +
          `${counted(processes, "process", "processes")}, ${(s?.summary.waiting ?? 0).toLocaleString("en-US")} waiting, ${counted(s?.summary.queued ?? 0, "message")} queued\n\n` +
          `${counted(crashes, "crash", "crashes")} and ${counted(restarts, "restart")} by supervisors since ${m.live.attached ? "attaching" : "the run started"}\n\n` +
          (s ? s.schedulers.map((x) => `scheduler ${x.scheduler}: ${Math.round(x.utilization * 100)}% busy, run queue ${x.runQueue}`).join("\n\n") : "") +
          (warnings ? `\n\n$(warning) ${c.warnings.map((w) => w.message).join("\n\n")}` : "") +
          "\n\nClick to open the visualizer.",
        true,
      );
      this.item.tooltip = md;
      this.item.backgroundColor = warnings ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
    } else if (m.lastExitReason) {
      this.item.text = `$(debug-stop) Beamline: ${m.lastExitReason}`;
      this.item.tooltip = "The last run ended. Click to open the visualizer with its last state.";
      this.item.backgroundColor = m.lastExitReason === "stopped from VS Code" ? undefined : new vscode.ThemeColor("statusBarItem.errorBackground");
    } else {
      this.item.hide();
      return;
    }
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of [...this.disposables, ...this.listeners]) d.dispose();
    this.item.dispose();
  }
}
