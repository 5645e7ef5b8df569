// Code lenses from the live runtime: above spawn sites and process functions
// `3 processes · 12 queued · Inspect` (with crashes and restarts, siteLenses.ts), above a
// supervisor's start `3 processes · 4 restarts · 4 crashes · Inspect` (the supervisor and its children), above receive sites `2 waiting here`;
// on a recording (`beamline replay`), the counts it ended with (siteLenses.ts lensTitle). Provide is cheap
// (positions from the site table), resolve fills in the counts, and the lenses refresh at most
// once a second, only while a runtime runs and only when the counts changed.

import * as vscode from "vscode";
import type { SessionManager } from "./sessionManager.js";
import { countsOf, countsSignature, isSupervisorStart, lensesForFile, lensTitle, NO_COUNTS, type LensSpec } from "./siteLenses.js";

export const REFRESH_MS = 1000;

class SiteLens extends vscode.CodeLens {
  constructor(
    range: vscode.Range,
    readonly spec: LensSpec,
  ) {
    super(range);
  }
}

export class BeamlineCodeLensProvider implements vscode.CodeLensProvider<SiteLens>, vscode.Disposable {
  static readonly selector: vscode.DocumentSelector = [
    { scheme: "file", language: "typescript" },
    { scheme: "file", language: "javascript" },
  ];

  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private dirty = false;
  private lastFired = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private connectionListeners: { dispose(): void }[] = [];
  private lastSignature = "";

  constructor(
    private readonly manager: SessionManager,
    private readonly enabled: () => boolean,
  ) {
    this.disposables.push(manager.onDidChange(() => this.follow()));
  }

  /** Listens to the current connection's updates; clears the lenses when the runtime stops. */
  private follow(): void {
    for (const d of this.connectionListeners) d.dispose();
    this.connectionListeners = [];
    this.lastSignature = "";
    const connection = this.manager.connection;
    if (connection) {
      this.connectionListeners.push(
        // Only when a count the lenses show changed: every refresh makes VS Code ask again, and a
        // busy editor that is asked again before it has drawn the last answer draws nothing.
        connection.onAggregates.on(() => {
          const signature = countsSignature(connection.aggregates.values());
          if (signature === this.lastSignature) return;
          this.lastSignature = signature;
          this.markDirty();
        }),
        connection.onSites.on(() => this.markDirty()),
      );
    }
    this.markDirty(true);
  }

  /** Fires onDidChangeCodeLenses at most once per REFRESH_MS. */
  markDirty(now = false): void {
    this.dirty = true;
    if (this.timer) return;
    const wait = now ? 0 : Math.max(0, this.lastFired + REFRESH_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.dirty) return;
      this.dirty = false;
      this.lastFired = Date.now();
      this.changed.fire();
    }, wait);
  }

  provideCodeLenses(document: vscode.TextDocument): SiteLens[] {
    const connection = this.manager.connection;
    if (!connection || !this.enabled()) return [];
    const file = this.manager.relativePath(document.uri);
    if (file === undefined) return [];
    return lensesForFile(connection.sites, file, connection.processFunctions).map((spec) => {
      const line = Math.min(spec.line, document.lineCount - 1);
      return new SiteLens(new vscode.Range(line, 0, line, 0), spec);
    });
  }

  resolveCodeLens(lens: SiteLens): SiteLens {
    const connection = this.manager.connection;
    const counts = connection ? countsOf(lens.spec.sites, connection.aggregates) : NO_COUNTS;
    const { kind, name } = lens.spec;
    const recorded = connection?.hello?.replay !== undefined;
    lens.command = {
      title: lensTitle(lens.spec, counts, recorded),
      command: "beamline.inspectSite",
      arguments: [lens.spec],
      tooltip: recorded
        ? "A recording: these are the counts it ended with. Show this site's processes in the visualizer, where the timeline goes back through the run"
        : kind === "receive"
          ? "Show the processes waiting here"
          : kind === "spawn" && isSupervisorStart(name)
            ? "Show the supervision tree: the supervisors started here, their children and restarts"
            : "Inspect the processes started here",
    };
    return lens;
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of [...this.disposables, ...this.connectionListeners]) d.dispose();
    this.changed.dispose();
  }
}
