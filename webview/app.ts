// The shell: the status line, the tabs, the views; the one dispatcher for the extension's messages;
// the render loop that redraws only the shown view, once per animation frame.

import { parsePid, type ReplayInfo } from "../protocol/control.js";
import type { ToWebview, VisualizerLayout, VisualizerTab } from "../protocol/webviewMessages.js";
import { Connection, type ConnectionStatus } from "./connection.js";
import { h, setAttr, setText } from "./dom.js";
import * as fmt from "./format.js";
import type { Host } from "./host.js";
import { Inspector } from "./inspector.js";
import { MessagesView } from "./messagesView.js";
import { Model } from "./model.js";
import { Overview } from "./overview.js";
import { PastProcesses } from "./pastProcesses.js";
import { ProcessTable, type ProcessTableState } from "./processTable.js";
import { SchedulersView } from "./schedulersView.js";
import { SupervisionView, type SupervisionViewState } from "./supervisionView.js";
import { TimeCursor } from "./timeCursor.js";
import { TimelineBar } from "./timeline.js";
import type { Ui, View } from "./ui.js";
import { WarningsView } from "./warningsView.js";

const TABS: { tab: VisualizerTab; label: string }[] = [
  { tab: "overview", label: "Overview" },
  { tab: "schedulers", label: "Schedulers" },
  { tab: "processes", label: "Processes" },
  { tab: "supervision", label: "Supervision" },
  { tab: "inspector", label: "Inspector" },
  { tab: "messages", label: "Messages" },
  { tab: "warnings", label: "Warnings" },
];

interface SavedState {
  tab?: VisualizerTab;
  processes?: ProcessTableState;
  inspector?: { pid?: number | null };
  supervision?: SupervisionViewState;
}

export class App implements Ui {
  readonly model = new Model();
  readonly time = new TimeCursor();
  readonly past: PastProcesses;
  readonly connection: Connection;
  readonly canOpenSource: boolean;
  private readonly views = new Map<VisualizerTab, View>();
  private readonly tabButtons = new Map<VisualizerTab, HTMLElement>();
  private readonly processes: ProcessTable;
  private readonly inspector: Inspector;
  private readonly supervision: SupervisionView;
  private current: VisualizerTab = "overview";
  private readonly statusDot: HTMLElement;
  private readonly statusText: HTMLElement;
  private readonly programText: HTMLElement;
  /** Under the header in a replay (`beamline replay`): what a recording shows and what needs a live run. */
  private readonly replayNote: HTMLElement;
  private status: { status: ConnectionStatus; detail: string } = { status: "idle", detail: "not connected" };
  private readonly warningBadge: HTMLElement;
  /** Restarts since the Supervision view was last shown, so that one seen from another tab is not missed. */
  private readonly restartBadge: HTMLElement;
  private restartsSeen = 0;
  private readonly viewBox: HTMLElement;
  private readonly timeline: TimelineBar;
  private seenWarnings = -1;

  constructor(
    private readonly root: HTMLElement,
    readonly layout: VisualizerLayout,
    private readonly host: Host,
  ) {
    this.canOpenSource = host.kind === "vscode";
    const saved = host.loadState<SavedState>();
    this.connection = new Connection({
      frame: (frame) => this.model.frame(frame, performance.now()),
      processFrame: (frame) => this.model.processFrame(frame, performance.now()),
      pastFrame: (frame) => this.past.frame(frame),
      control: (message) => this.model.control(message),
      status: (status, detail) => this.showStatus(status, detail),
    });
    this.past = new PastProcesses(this.connection);
    this.processes = new ProcessTable(this, saved.processes ?? {});
    this.inspector = new Inspector(this);
    this.views.set("overview", new Overview(this));
    this.views.set("schedulers", new SchedulersView(this));
    this.views.set("processes", this.processes);
    this.supervision = new SupervisionView(this, saved.supervision ?? {});
    this.views.set("supervision", this.supervision);
    this.views.set("inspector", this.inspector);
    this.views.set("messages", new MessagesView(this));
    this.views.set("warnings", new WarningsView(this));

    this.statusDot = h("span", { class: "status-dot idle", "aria-hidden": "true" });
    this.statusText = h("span", { class: "status-text", "data-testid": "connection-status" }, "not connected");
    this.programText = h("span", { class: "program", "data-testid": "program" });
    this.replayNote = h("p", { class: "replay-note", "data-testid": "replay-note", hidden: "" });
    this.warningBadge = h("span", { class: "tab-badge", hidden: "" });
    this.restartBadge = h("span", { class: "tab-badge restarts", hidden: "", "data-testid": "supervision-badge" });
    const header = h("header", "app-header", h("div", { class: "status", role: "status", "aria-live": "polite" }, this.statusDot, this.statusText), this.programText);
    const tabs = h("nav", { class: "tabs", role: "tablist", "aria-label": "Views" });
    if (layout === "full") {
      for (const { tab, label } of TABS) {
        const b = h("button", { class: "tab", role: "tab", id: `tab-${tab}`, "aria-controls": "beamline-view", "aria-selected": "false", tabindex: "-1", "data-tab": tab }, label);
        if (tab === "warnings") b.append(this.warningBadge);
        if (tab === "supervision") b.append(this.restartBadge);
        b.addEventListener("click", () => this.show(tab));
        b.addEventListener("keydown", (e) => this.tabKey(e, tab));
        tabs.append(b);
        this.tabButtons.set(tab, b);
      }
    }
    this.viewBox = h("main", { id: "beamline-view", class: "view-box", role: "tabpanel" });
    this.timeline = new TimelineBar(this);
    root.replaceChildren(header, this.replayNote, this.timeline.element, layout === "full" ? tabs : "", this.viewBox);
    root.classList.add(`layout-${layout}`);

    if (saved.inspector?.pid != null) this.inspector.open(saved.inspector.pid);
    this.show(layout === "full" ? (saved.tab ?? "overview") : "overview");
    host.listen((message) => this.dispatch(message));
    const loop = (now: number) => {
      this.frame(now);
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }

  /** The one dispatcher for messages from the VS Code extension. */
  dispatch(message: ToWebview): void {
    switch (message.type) {
      case "connect":
        this.connection.connect(message.url, message.token);
        return;
      case "runtime-stopped":
        this.connection.stop(`runtime stopped (${message.reason}) — showing the last state`);
        return;
      case "show":
        this.show(message.tab);
        return;
      case "inspect": {
        const pid = parsePid(message.pid);
        if (pid !== undefined) this.inspect(pid);
        return;
      }
      case "filter-site":
        this.processes.filterSite(message.site);
        this.show("processes");
        return;
    }
  }

  show(tab: VisualizerTab): void {
    if (this.layout === "overview") tab = "overview";
    this.current = tab;
    const view = this.views.get(tab)!;
    this.viewBox.replaceChildren(view.element);
    this.viewBox.setAttribute("aria-labelledby", `tab-${tab}`);
    for (const [t, b] of this.tabButtons) {
      const selected = t === tab;
      b.setAttribute("aria-selected", String(selected));
      b.tabIndex = selected ? 0 : -1;
    }
    view.render(performance.now());
    this.saveState();
  }

  inspect(pid: number): void {
    if (this.layout === "overview") {
      this.openVisualizer(pid);
      return;
    }
    this.inspector.open(pid);
    this.show("inspector");
  }

  openSource(fileLine: string): void {
    const m = /^(.*):(\d+)$/.exec(fileLine);
    if (m) this.host.post({ type: "open-source", file: m[1]!, line: Number(m[2]) });
  }

  openVisualizer(pid?: number): void {
    this.host.post(pid === undefined ? { type: "open-visualizer" } : { type: "open-visualizer", pid: fmt.pid(pid) });
  }

  saveState(): void {
    const state: SavedState = { tab: this.current, processes: this.processes.state(), inspector: { pid: this.inspector.pid }, supervision: this.supervision.state() };
    this.host.saveState(state);
  }

  private frame(now: number): void {
    this.timeline.render(now);
    // A replay has no live process table: at its end (live for it), the recorded one at the end.
    this.past.want(this.time.at ?? this.model.hello?.replay?.endsAt ?? null, this.model.store.intervalMs);
    this.root.classList.toggle("past", this.time.at !== null);
    this.views.get(this.current)!.render(now);
    // The table's index keeps its order fairly fresh even while another view is shown.
    if (this.current !== "processes") this.processes.index.tick(now, false);
    const m = this.model;
    // A new run starts its count from nothing; the shown view has seen every restart.
    if (this.current === "supervision" || m.restarts < this.restartsSeen) this.restartsSeen = m.restarts;
    const unseen = m.restarts - this.restartsSeen;
    if (this.restartBadge.hidden !== (unseen === 0)) this.restartBadge.hidden = unseen === 0;
    setText(this.restartBadge, `↻ ${unseen}`);
    setAttr(this.restartBadge, "title", `${fmt.counted(unseen, "restart")} since the Supervision view was last shown`);
    if (m.versions.warnings !== this.seenWarnings) {
      this.seenWarnings = m.versions.warnings;
      this.warningBadge.hidden = m.warnings.length === 0;
      setText(this.warningBadge, String(m.warnings.length));
    }
    const ended = m.mainExited === null ? "" : ` · main ${m.mainExited.crashed ? "crashed" : "ended"} at ${fmt.duration(m.programTime(m.mainExited.at))}`;
    const replay = m.hello?.replay;
    const program = m.hello === null ? "" : `${m.hello.program} · ${m.hello.node}${ended}${replay !== undefined ? ` · recorded ${new Date(m.hello.startedAt).toLocaleString()}` : ""}`;
    setText(this.programText, program);
    this.renderStatus(replay);
  }

  private showStatus(status: ConnectionStatus, detail: string): void {
    this.status = { status, detail };
    this.renderStatus(this.model.hello?.replay);
  }

  /**
   * The connection's state, and for a recording served by `beamline replay` that it is one: a
   * replay is connected but not live (docs/protocol.md, section 13).
   */
  private renderStatus(replay: ReplayInfo | undefined): void {
    const { status, detail } = this.status;
    const replaying = replay !== undefined && status === "live";
    setAttr(this.statusDot, "class", `status-dot ${replaying ? "replay" : status}`);
    setText(this.statusText, replaying ? "replay, not live" : status === "live" ? "live" : detail);
    this.root.classList.toggle("stopped", status === "stopped");
    this.root.classList.toggle("replay", replaying);
    this.replayNote.hidden = replay === undefined;
    if (replay !== undefined) {
      const incomplete = replay.complete ? "" : " It has no end: the run was killed before it closed the file, or still runs.";
      const name = replay.file.split(/[\\/]/).pop() ?? replay.file;
      // The side panel is narrow: the file's name and that it is not live; the editor panel says what a recording lacks.
      setText(
        this.replayNote,
        this.layout === "overview"
          ? `Replay of ${name}, not live.${incomplete}`
          : `Replay of ${replay.file}, recorded ${fmt.duration(this.model.programTime(replay.endsAt))} of the run: its charts, warnings, faults, process table, supervision trees and traced events; drag the timeline back to see any moment.${incomplete} ` +
              "What the inspector asks a live process is not recorded; it needs a live run.",
      );
      setAttr(this.replayNote, "title", replay.file);
    }
  }

  /** Arrow keys move between tabs, as the ARIA tabs pattern expects. */
  private tabKey(e: KeyboardEvent, tab: VisualizerTab): void {
    const i = TABS.findIndex((t) => t.tab === tab);
    let next = -1;
    if (e.key === "ArrowRight") next = (i + 1) % TABS.length;
    else if (e.key === "ArrowLeft") next = (i - 1 + TABS.length) % TABS.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = TABS.length - 1;
    if (next < 0) return;
    e.preventDefault();
    const t = TABS[next]!.tab;
    this.show(t);
    this.tabButtons.get(t)!.focus();
  }
}
