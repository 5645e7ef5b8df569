// The Supervision view: the live supervision trees (polled with the `supervision` request while the
// view is shown), drawn left to right as Erlang's observer draws applications: each supervisor a
// box with its strategy and restarts, its children to its right, a child restarted lately flashed
// and marked with the reason on hover. A big supervisor (a pool of 10,000) starts collapsed and
// draws the children the runtime lists as a grid of chips, counting the rest. Beside the tree: the
// latest restarts with their reasons, and linked processes that no supervisor holds.
// In the past (the timeline, or a replay), the tree the recording took at or before the moment
// (the `seek` answer, pastProcesses.ts), its ages and the crashes up to then on that moment's clock.
// Keyboard: the ARIA tree pattern (arrows move and open, Enter inspects).

import type { ChildNode, SupervisionTree, SupervisorNode } from "../protocol/control.js";
import type { PastTree } from "./pastProcesses.js";
import { h, setAttr, setText } from "./dom.js";
import * as fmt from "./format.js";
import { STATUS_NAMES, type ProcessStore } from "./store.js";
import { shapeTree, type ShapedItem, type ShapedSupervisor, type ShapedTree } from "./supervisionTree.js";
import { button } from "./toolkit.js";
import { pidLink, sourceLink, type Ui, type View } from "./ui.js";

const POLL_MS = 1000;
/** A restart this recent marks its child (and a collapsed supervisor above it). */
const RECENT_MS = 10_000;
/** A supervisor with more children than this starts collapsed. */
const COLLAPSED_OVER = 50;
/** Children drawn as a grid of chips rather than a column of boxes. */
const GRID_OVER = 24;
/** Restarts and crashes listed beside the tree. */
const RESTARTS_LISTED = 8;
const CRASHES_LISTED = 6;
const SLOW_ANSWER_MS = 1000;
/** What a moment of the past shows when the recording holds no tree for it. */
const NO_TREE: SupervisionTree = { supervisors: [], omittedSupervisors: 0, looseLinks: [], truncated: 0 };

const STRATEGIES: Record<string, string> = {
  one_for_one: "one_for_one: a child that exits is restarted alone.",
  one_for_all: "one_for_all: when a child exits, all the others are stopped and all are restarted.",
  rest_for_one: "rest_for_one: when a child exits, the children started after it are stopped, and it and they are restarted.",
  simple_one_for_one: "simple_one_for_one: a dynamic supervisor; its children are alike, started on demand, and each is restarted alone.",
};

const RESTART_TYPES: Record<string, string> = {
  permanent: "permanent: always restarted.",
  transient: "transient: restarted only when it exits abnormally (not with normal or shutdown).",
  temporary: "temporary: never restarted.",
};

/** What the view keeps across a reload: the supervisors the user opened or closed, by pid. */
export interface SupervisionViewState {
  expanded?: [number, boolean][];
}

/** One drawn tree item, kept across polls so that focus, hover and a running flash survive them. */
interface Item {
  key: string;
  li: HTMLElement;
  row: HTMLElement;
  pid: number;
  /** Supervisors: the group of children, the expand state, what it last drew. */
  group?: HTMLElement;
  supervisor?: number;
  /** The restart time the flash was started for. */
  flashedFor: number;
  fields: Record<string, HTMLElement>;
}

export class SupervisionView implements View {
  readonly element: HTMLElement;
  private readonly treeBox: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly statusLine: HTMLElement;
  private readonly restartList: HTMLElement;
  private readonly looseList: HTMLElement;
  private readonly crashList: HTMLElement;
  private readonly gaveUpHead: HTMLElement;
  private readonly gaveUpList: HTMLElement;
  private drawnFaults = -1;
  private drawnLoose = "";
  /** The tree shown: the live one, or the past one while the timeline is in the past. */
  private tree: SupervisionTree | null = null;
  private shaped: ShapedTree | null = null;
  /** The last tree the runtime answered the `supervision` request with. */
  private liveTree: SupervisionTree | null = null;
  /** The past answer shown, while in the past (undefined live). */
  private pastShown: PastTree | null | undefined = undefined;
  private error = "";
  private inFlight = false;
  private polledAt = 0;
  private answeredAt = 0;
  /** The user's choices; a supervisor not in here is open unless it is big. */
  private readonly expanded = new Map<number, boolean>();
  private readonly items = new Map<string, Item>();
  /** The item that takes the tree's one tab stop. */
  private focusKey = "";
  private drawnTree: SupervisionTree | null = null;
  private drawnSecond = -1;
  private drawnStatus = "";

  constructor(
    private readonly ui: Ui,
    saved: SupervisionViewState,
  ) {
    for (const [pid, open] of saved.expanded ?? []) if (typeof pid === "number" && typeof open === "boolean") this.expanded.set(pid, open);
    this.summary = h("p", { class: "supervision-summary", "data-testid": "supervision-summary" });
    this.statusLine = h("p", { class: "as-of", "data-testid": "supervision-status", role: "status", "aria-live": "polite" });
    this.treeBox = h("ul", { class: "sup-tree", role: "tree", "aria-label": "Supervision trees", "data-testid": "supervision-tree" });
    this.treeBox.addEventListener("keydown", (e) => this.key(e));
    this.restartList = h("ol", { class: "restart-list", "data-testid": "supervision-restarts" });
    this.looseList = h("ul", { class: "loose-list", "data-testid": "supervision-loose" });
    this.crashList = h("ol", { class: "restart-list", "data-testid": "supervision-crashes" });
    this.gaveUpHead = h("h3", { title: "Supervisors that had more restarts than their intensity allows: each stopped its children and exited with reason shutdown, so it is no longer in the tree." }, "Gave up");
    this.gaveUpList = h("ol", { class: "restart-list", "data-testid": "supervision-gave-up" });
    const legend = h(
      "div",
      { class: "sup-legend", "aria-hidden": "true" },
      h("span", "legend-item", h("span", "legend-swatch supervisor"), "supervisor"),
      h("span", "legend-item", h("span", "legend-swatch worker"), "worker"),
      h("span", "legend-item", h("span", "legend-swatch recent"), `restarted in the last ${RECENT_MS / 1000} s`),
      h("span", "legend-item", h("span", "legend-swatch down"), "not running"),
    );
    this.element = h(
      "section",
      { class: "view supervision", "aria-label": "Supervision" },
      h("div", "supervision-head", this.summary, h("div", "toolbar", button("Expand all", () => this.expandAll(true), "secondary", "Open every supervisor (big ones show the children the runtime lists)"), button("Collapse all", () => this.expandAll(false), "secondary", "Close every supervisor but the roots"))),
      legend,
      this.statusLine,
      h(
        "div",
        "supervision-columns",
        h("div", { class: "sup-tree-scroller" }, this.treeBox),
        h(
          "aside",
          "supervision-side",
          h("h3", { title: "The children restarted most recently, with the reason they exited." }, "Latest restarts"),
          this.restartList,
          this.gaveUpHead,
          this.gaveUpList,
          h("h3", { title: "The latest crashes (a throw): the reason, where it threw, and what it took down with it. A line that crashes again and again is one entry with a count." }, "Latest crashes"),
          this.crashList,
          h("h3", { title: "Processes linked to others that no supervisor holds: a crash of one takes the others down unless they trap exits." }, "Linked, outside supervisors"),
          this.looseList,
        ),
      ),
    );
  }

  state(): SupervisionViewState {
    return { expanded: [...this.expanded] };
  }

  render(now: number): void {
    // In the past (the timeline, or a replay's end), the recorded tree of the moment; live, polled.
    const past = this.ui.past.wanted !== null;
    if (past) {
      const shown = this.ui.past.tree;
      if (shown !== this.pastShown) {
        this.pastShown = shown;
        this.show(shown === null ? null : (shown.tree ?? NO_TREE));
      }
    } else {
      if (this.pastShown !== undefined) {
        this.pastShown = undefined;
        this.show(this.liveTree);
      }
      if (!this.inFlight && now - this.polledAt >= POLL_MS) {
        this.polledAt = now;
        void this.poll();
      }
    }
    const status = this.statusText(now);
    if (status !== this.drawnStatus) {
      this.drawnStatus = status;
      setText(this.statusLine, status);
    }
    // Ages ("2 s ago") and the recent marks follow the run's clock: redrawn each second too.
    const runTime = this.runTime(now);
    const second = Math.floor(runTime / 1000);
    if (this.ui.model.versions.faults !== this.drawnFaults || second !== this.drawnSecond) {
      this.drawnFaults = this.ui.model.versions.faults;
      this.drawCrashes(runTime);
      this.drawGaveUp(runTime);
    }
    if (this.tree === this.drawnTree && second === this.drawnSecond) return;
    this.drawnTree = this.tree;
    this.drawnSecond = second;
    this.draw(now);
  }

  private async poll(): Promise<void> {
    this.inFlight = true;
    const response = await this.ui.connection.request({ type: "supervision" });
    this.inFlight = false;
    if (!response.ok) {
      this.error = response.error;
      return;
    }
    this.liveTree = response.result as SupervisionTree;
    if (this.pastShown === undefined) this.show(this.liveTree);
    this.error = "";
    this.answeredAt = performance.now();
  }

  private show(tree: SupervisionTree | null): void {
    this.tree = tree;
    this.shaped = tree === null ? null : shapeTree(tree);
  }

  /** The run time the view is of: the moment shown in the past, or now. */
  private runTime(now: number): number {
    return this.pastShown?.time ?? this.ui.model.runTimeNow(now);
  }

  /** The process table of the moment shown, for the children's names and statuses. */
  private store(): ProcessStore {
    return this.pastShown !== undefined ? this.ui.past.store : this.ui.model.store;
  }

  private statusText(now: number): string {
    if (this.pastShown !== undefined) {
      const m = this.ui.model;
      const p = this.pastShown;
      if (p === null) return this.ui.past.state.kind === "failed" ? `The runtime did not answer for that moment: ${this.ui.past.state.error}` : "Loading the tree at that moment from the recording…";
      const at = `t = ${fmt.duration(m.programTime(p.time))}`;
      if (p.tree === null) return `The recording holds no supervision tree at ${at}: none was taken by then, or its cap dropped it.`;
      return `The tree at ${at}, from the recording (taken at t = ${fmt.duration(m.programTime(p.at))}; it is taken when it changes).`;
    }
    if (this.error) return this.tree === null ? `The runtime did not answer: ${this.error}` : `Stale: the runtime did not answer (${this.error}); showing what it said ${fmt.count(Math.floor((now - this.answeredAt) / 1000))} s ago.`;
    if (this.tree === null) return this.inFlight && now - this.polledAt >= SLOW_ANSWER_MS ? `Asking the runtime for its supervision trees… no answer for ${Math.floor((now - this.polledAt) / 1000)} s` : "Asking the runtime for its supervision trees…";
    return "Live: asked again every second while this view is shown.";
  }

  private draw(now: number): void {
    const t = this.shaped;
    if (t === null || this.tree === null) return;
    const runTime = this.runTime(now);
    const truncated = this.tree.omittedSupervisors > 0 ? ` · ${fmt.counted(this.tree.omittedSupervisors, "more supervisor")} not listed` : "";
    setText(this.summary, t.supervisors === 0 ? "No supervisors are running." : `${fmt.counted(t.roots.length, "supervision tree")} · ${fmt.counted(t.supervisors, "supervisor")} · ${fmt.counted(t.children, "child", "children")} · ${fmt.counted(t.restarts, "restart")}${truncated}`);

    const alive = new Set<string>();
    const roots = t.roots.map((s) => this.supervisorItem(s, 1, runTime, alive).li);
    if (roots.length === 0) {
      this.treeBox.replaceChildren(h("li", { class: "empty", role: "none" }, "No supervisors yet. A program that calls startSupervisor or startDynamicSupervisor shows its tree here."));
    } else this.placeChildren(this.treeBox, roots);
    for (const [key, item] of this.items) if (!alive.has(key)) this.items.delete(key);
    if (!this.items.has(this.focusKey)) this.focusKey = t.roots.length > 0 ? `s${t.roots[0]!.node.pid}` : "";
    for (const item of this.items.values()) setAttr(item.li, "tabindex", item.key === this.focusKey ? "0" : "-1");

    this.drawRestarts(t, runTime);
    this.drawLoose(this.tree);
  }

  private supervisorItem(s: ShapedSupervisor, level: number, runTime: number, alive: Set<string>): Item {
    const n = s.node;
    const key = `s${n.pid}`;
    alive.add(key);
    let item = this.items.get(key);
    if (item === undefined) {
      const f: Record<string, HTMLElement> = {
        twisty: h("span", { class: "twisty", "aria-hidden": "true" }),
        id: h("span", "node-id"),
        name: h("span", "node-name"),
        pid: h("span", "node-pid"),
        strategy: h("span", "strategy-chip"),
        intensity: h("span", "node-meta"),
        count: h("span", "node-count"),
        restarts: h("span", "restart-badge"),
        recent: h("span", "recent-badge"),
        site: h("span", "node-site"),
      };
      const row = h("div", { class: "node-box supervisor" }, f.twisty!, h("span", { class: "node-icon", "aria-hidden": "true" }, "S"), f.id!, f.name!, f.pid!, f.strategy!, f.intensity!, f.count!, f.restarts!, f.recent!, f.site!);
      const group = h("ul", { class: "sup-group", role: "group" });
      const li = h("li", { class: "sup-item supervisor", role: "treeitem", "data-key": key, "data-id": s.entry?.id ?? "" }, row, group);
      item = { key, li, row, pid: n.pid, group, supervisor: n.pid, flashedFor: -1, fields: f };
      const it = item;
      f.twisty!.addEventListener("click", (e) => {
        e.stopPropagation();
        this.toggle(it);
      });
      f.count!.addEventListener("click", (e) => {
        e.stopPropagation();
        this.toggle(it);
      });
      row.addEventListener("click", () => this.activate(it));
      this.items.set(key, item);
    }
    const f = item.fields;
    const open = this.isOpen(n);
    setAttr(item.li, "aria-level", String(level));
    setAttr(item.li, "aria-expanded", String(open));
    setAttr(item.li, "data-pid", String(n.pid));
    item.pid = n.pid;
    // A root has no child id: its name leads. A name that only repeats the id is left out.
    const label = n.name || n.fn;
    setText(f.id!, s.entry !== null ? s.entry.id : label);
    setText(f.name!, s.entry !== null && label !== s.entry.id ? label : "");
    setText(f.pid!, fmt.pid(n.pid));
    setText(f.strategy!, n.strategy);
    setAttr(f.strategy!, "title", STRATEGIES[n.strategy] ?? n.strategy);
    setText(f.intensity!, `≤${fmt.count(n.intensity)} in ${fmt.duration(n.period)}`);
    setAttr(f.intensity!, "title", `Intensity: more than ${fmt.counted(n.intensity, "restart")} within ${fmt.duration(n.period)} and the supervisor gives up: it stops its children and exits with reason shutdown.`);
    setText(f.count!, fmt.counted(n.childCount, "child", "children"));
    setAttr(f.count!, "title", open ? "Children: click to collapse" : "Children: click to expand");
    setText(f.restarts!, `↻ ${fmt.count(n.restarts)}`);
    f.restarts!.hidden = n.restarts === 0;
    setAttr(f.restarts!, "title", `Restarts by this supervisor since it started: ${fmt.count(n.restarts)}.`);
    const recent = countRecent(s, runTime);
    // A collapsed supervisor tells of restarts inside it; an open one shows them on the children.
    setText(f.recent!, recent > 0 ? `${fmt.count(recent)} restarted just now` : "");
    f.recent!.hidden = recent === 0 || open;
    const site = this.ui.model.siteText(n.spawnSite);
    if (f.site!.dataset.site !== site) {
      f.site!.dataset.site = site;
      const link = site ? sourceLink(this.ui, site) : null;
      link?.setAttribute("tabindex", "-1");
      f.site!.replaceChildren(link ?? "");
    }
    setAttr(item.li, "aria-label", `${s.entry !== null ? `${s.entry.id}, ` : ""}${n.name || n.fn} ${fmt.pid(n.pid)}, supervisor, ${n.strategy}, ${fmt.counted(n.childCount, "child", "children")}, ${fmt.counted(n.restarts, "restart")}${recent > 0 ? `, ${fmt.count(recent)} restarted just now` : ""}`);
    setAttr(item.row, "title", `${n.name || n.fn} ${fmt.pid(n.pid)}: a supervisor (${n.strategy}) with ${fmt.counted(n.childCount, "child", "children")}; ${fmt.counted(n.restarts, "restart")} so far. Click to inspect it.`);
    item.row.classList.toggle("has-recent", recent > 0);
    if (s.entry !== null) this.flash(item, s.entry, runTime);

    const group = item.group!;
    group.hidden = !open;
    group.classList.toggle("grid", !s.items.some((i) => i.kind === "supervisor") && s.items.length > GRID_OVER);
    // A closed supervisor's children are not drawn at all (a pool of 10,000 costs nothing shut).
    if (open) {
      const lis = s.items.map((i) => this.itemFor(i, level + 1, runTime, alive).li);
      const unlisted = n.childCount - n.children.length;
      if (unlisted > 0) lis.push(this.moreItem(n, unlisted, alive));
      else if (lis.length === 0) lis.push(this.emptyItem(n, alive));
      this.placeChildren(group, lis);
    } else if (group.firstChild !== null) {
      // Closing a supervisor with the focus inside it puts the focus on the supervisor.
      if (group.contains(document.activeElement)) {
        this.focusKey = key;
        item.li.focus();
      }
      group.replaceChildren();
    }
    return item;
  }

  private itemFor(i: ShapedItem, level: number, runTime: number, alive: Set<string>): Item {
    return i.kind === "supervisor" ? this.supervisorItem(i.supervisor, level, runTime, alive) : this.childItem(i.child, i.parent, level, runTime, alive);
  }

  private childItem(c: ChildNode, parent: SupervisorNode, level: number, runTime: number, alive: Set<string>): Item {
    const key = `c${parent.pid}:${c.id}`;
    alive.add(key);
    let item = this.items.get(key);
    if (item === undefined) {
      const f: Record<string, HTMLElement> = {
        dot: h("span", { class: "status-dot-small", "aria-hidden": "true" }),
        id: h("span", "node-id"),
        name: h("span", "node-name"),
        pid: h("span", "node-pid"),
        restart: h("span", "restart-chip"),
        restarts: h("span", "restart-badge"),
        recent: h("span", "recent-badge"),
      };
      const row = h("div", { class: "node-box worker" }, f.dot!, f.id!, f.name!, f.pid!, f.restart!, f.restarts!, f.recent!);
      const li = h("li", { class: "sup-item child", role: "treeitem", "data-key": key, "data-id": c.id }, row);
      item = { key, li, row, pid: c.pid, flashedFor: -1, fields: f };
      const it = item;
      row.addEventListener("click", () => this.activate(it));
      this.items.set(key, item);
    }
    const f = item.fields;
    item.pid = c.pid;
    const running = c.pid !== 0;
    const info = running ? this.processInfo(c.pid) : "";
    setAttr(item.li, "aria-level", String(level));
    setAttr(item.li, "data-pid", String(c.pid));
    item.li.classList.toggle("down", !running);
    item.row.classList.toggle("supervisor-child", c.type === "supervisor");
    setText(f.id!, c.id);
    // The function or name says something only where it is not the child's id again.
    setText(f.name!, info === c.id ? "" : info);
    setText(f.pid!, running ? fmt.pid(c.pid) : "not running");
    setText(f.restart!, c.restart);
    setAttr(f.restart!, "title", RESTART_TYPES[c.restart] ?? c.restart);
    setText(f.restarts!, `↻ ${fmt.count(c.restarts)}`);
    f.restarts!.hidden = c.restarts === 0;
    const ago = c.lastRestartMs >= 0 ? runTime - c.lastRestartMs : Infinity;
    const recent = ago < RECENT_MS;
    setText(f.recent!, recent ? `restarted ${fmt.duration(Math.max(0, ago))} ago` : "");
    f.recent!.hidden = !recent;
    const last = c.lastRestartMs >= 0 ? ` Last restarted ${fmt.duration(Math.max(0, ago))} ago, after it exited with: ${c.lastReason || "(no reason)"}` : "";
    setAttr(item.row, "title", `Child ${c.id} of ${parent.name || parent.fn} ${fmt.pid(parent.pid)}: ${c.type}, ${c.restart}, ${running ? `${fmt.pid(c.pid)} (${this.childStatus(c)})` : "not running"}; ${fmt.counted(c.restarts, "restart")}.${last}${running ? " Click to inspect it." : ""}`);
    setAttr(item.li, "aria-label", `${c.id}, ${running ? fmt.pid(c.pid) : "not running"}, ${fmt.counted(c.restarts, "restart")}${recent ? `, restarted ${fmt.duration(Math.max(0, ago))} ago: ${c.lastReason}` : ""}`);
    this.flash(item, c, runTime);
    return item;
  }

  /** Marks a child restarted lately; the flash runs once per restart (the row is kept across polls). */
  private flash(item: Item, c: ChildNode, runTime: number): void {
    const recent = c.lastRestartMs >= 0 && runTime - c.lastRestartMs < RECENT_MS;
    item.li.classList.toggle("recent", recent);
    // A moment before the restart (the timeline went back) stops a flash still running.
    if (!recent) item.row.classList.remove("flash");
    if (!recent || item.flashedFor === c.lastRestartMs) return;
    item.flashedFor = c.lastRestartMs;
    item.row.classList.remove("flash");
    // Reading layout ends the previous animation, so that adding the class starts it again.
    void item.row.offsetWidth;
    item.row.classList.add("flash");
  }

  private moreItem(n: SupervisorNode, unlisted: number, alive: Set<string>): HTMLElement {
    const key = `m${n.pid}`;
    alive.add(key);
    const text = `+ ${fmt.count(unlisted)} more: the runtime lists ${fmt.count(n.children.length)} of ${fmt.counted(n.childCount, "child", "children")} (those restarted latest first). Type a pid in the Inspector to see any other.`;
    let item = this.items.get(key);
    if (item === undefined) {
      const li = h("li", { class: "sup-item more", role: "treeitem", "data-key": key, "data-testid": "supervision-more" }, h("span", "more-text"));
      item = { key, li, row: li, pid: 0, flashedFor: -1, fields: {} };
      this.items.set(key, item);
    }
    setText(item.li.firstChild as HTMLElement, `+ ${fmt.count(unlisted)} more`);
    setAttr(item.li, "title", text);
    setAttr(item.li, "aria-label", text);
    return item.li;
  }

  private emptyItem(n: SupervisorNode, alive: Set<string>): HTMLElement {
    const key = `e${n.pid}`;
    alive.add(key);
    let item = this.items.get(key);
    if (item === undefined) {
      const li = h("li", { class: "sup-item more", role: "treeitem", "data-key": key }, h("span", "more-text", "no children"));
      item = { key, li, row: li, pid: 0, flashedFor: -1, fields: {} };
      this.items.set(key, item);
    }
    return item.li;
  }

  /**
   * A running child's status: its supervisor's scheduler knows it only for a child of its own; a
   * child on another scheduler ("remote") has it in the process table.
   */
  private childStatus(c: ChildNode): string {
    if (c.status !== "remote") return c.status;
    const store = this.store();
    const slot = store.slotOf(c.pid);
    return slot < 0 ? "on another scheduler" : (STATUS_NAMES[store.status[slot]!] ?? "on another scheduler");
  }

  /** The function or registered name of a live process, from the process table. */
  private processInfo(pid: number): string {
    const store = this.store();
    const slot = store.slotOf(pid);
    if (slot < 0) return "";
    return store.strings[store.name[slot]!] || store.strings[store.fn[slot]!] || "";
  }

  /**
   * Puts `lis` into `parent` in order, touching the DOM only when the order changed; moving a
   * focused item blurs it, so focus is put back.
   */
  private placeChildren(parent: HTMLElement, lis: HTMLElement[]): void {
    const current = parent.children;
    if (current.length === lis.length && lis.every((li, i) => current[i] === li)) return;
    const focused = document.activeElement;
    const hadFocus = focused instanceof HTMLElement && parent.contains(focused);
    parent.replaceChildren(...lis);
    if (hadFocus && focused.isConnected) focused.focus();
  }

  private isOpen(n: SupervisorNode): boolean {
    return this.expanded.get(n.pid) ?? n.childCount <= COLLAPSED_OVER;
  }

  private toggle(item: Item): void {
    if (item.supervisor === undefined) return;
    const n = this.tree?.supervisors.find((s) => s.pid === item.supervisor);
    if (n === undefined) return;
    this.expanded.set(n.pid, !this.isOpen(n));
    this.ui.saveState();
    this.redraw();
  }

  private expandAll(open: boolean): void {
    if (this.tree === null || this.shaped === null) return;
    const roots = new Set(this.shaped.roots.map((r) => r.node.pid));
    for (const s of this.tree.supervisors) this.expanded.set(s.pid, open || roots.has(s.pid));
    this.ui.saveState();
    this.redraw();
  }

  private redraw(): void {
    this.draw(performance.now());
  }

  private activate(item: Item): void {
    this.focusItem(item);
    if (item.pid !== 0) this.ui.inspect(item.pid);
  }

  private focusItem(item: Item): void {
    const old = this.items.get(this.focusKey);
    if (old !== undefined) old.li.tabIndex = -1;
    this.focusKey = item.key;
    item.li.tabIndex = 0;
    item.li.focus();
  }

  /** The items a reader can reach now: not inside a closed supervisor. */
  private visibleItems(): Item[] {
    const lis = this.treeBox.querySelectorAll<HTMLElement>('li[role="treeitem"]');
    const out: Item[] = [];
    for (const li of lis) {
      if (li.parentElement?.closest('[role="group"][hidden]')) continue;
      const item = this.items.get(li.dataset.key ?? "");
      if (item !== undefined) out.push(item);
    }
    return out;
  }

  /** The ARIA tree pattern: Up/Down move, Right opens or enters, Left closes or goes up, Enter inspects. */
  private key(e: KeyboardEvent): void {
    const li = (e.target as HTMLElement).closest<HTMLElement>('li[role="treeitem"]');
    const item = li ? this.items.get(li.dataset.key ?? "") : undefined;
    if (item === undefined) return;
    const visible = this.visibleItems();
    const i = visible.indexOf(item);
    const open = item.li.getAttribute("aria-expanded") === "true";
    let next: Item | undefined;
    switch (e.key) {
      case "ArrowDown":
        next = visible[i + 1];
        break;
      case "ArrowUp":
        next = visible[i - 1];
        break;
      case "Home":
        next = visible[0];
        break;
      case "End":
        next = visible[visible.length - 1];
        break;
      case "ArrowRight":
        if (item.supervisor === undefined) break;
        if (!open) this.toggle(item);
        else next = visible[i + 1];
        break;
      case "ArrowLeft": {
        if (item.supervisor !== undefined && open) {
          this.toggle(item);
          break;
        }
        const up = item.li.parentElement?.closest<HTMLElement>('li[role="treeitem"]');
        next = up ? this.items.get(up.dataset.key ?? "") : undefined;
        break;
      }
      case "Enter":
        if (item.pid !== 0) this.ui.inspect(item.pid);
        break;
      case " ":
        this.toggle(item);
        break;
      default:
        return;
    }
    e.preventDefault();
    if (next !== undefined) this.focusItem(next);
  }

  private drawRestarts(t: ShapedTree, runTime: number): void {
    const list = t.restarted.slice(0, RESTARTS_LISTED);
    if (list.length === 0) {
      this.restartList.replaceChildren(h("li", "empty", "No child has been restarted."));
      return;
    }
    this.restartList.replaceChildren(
      ...list.map(({ child, parent }) => {
        const ago = Math.max(0, runTime - child.lastRestartMs);
        const recent = ago < RECENT_MS;
        return h(
          "li",
          { class: `restart-entry${recent ? " recent" : ""}` },
          h(
            "div",
            "restart-line",
            h("span", "node-id", child.id),
            child.pid !== 0 ? pidLink(this.ui, child.pid, fmt.pid(child.pid)) : h("span", "muted", "not running"),
            h("span", { class: "restart-badge", title: `Restarted ${fmt.counted(child.restarts, "time")}` }, `↻ ${fmt.count(child.restarts)}`),
            h("span", "restart-ago", `${fmt.duration(ago)} ago`),
          ),
          h("code", { class: "restart-reason", title: child.lastReason }, child.lastReason || "(no reason)"),
          h("div", "restart-where", "by ", h("span", { class: "restart-parent", title: `A child of ${parent.name || parent.fn} ${fmt.pid(parent.pid)}` }, `${parent.name || parent.fn} ${fmt.pid(parent.pid)}`)),
        );
      }),
    );
  }

  private drawGaveUp(runTime: number): void {
    const list = this.ui.model.recentGaveUp.filter((g) => g.time <= runTime).slice(-CRASHES_LISTED).reverse();
    this.gaveUpHead.hidden = this.gaveUpList.hidden = list.length === 0;
    this.gaveUpList.replaceChildren(
      ...list.map((g) => {
        const site = this.ui.model.siteText(g.spawnSite);
        return h(
          "li",
          { class: "restart-entry gave-up" },
          h("div", "restart-line", h("span", "node-id", g.name || g.fn), h("span", "node-pid", fmt.pid(g.supervisor)), h("span", "restart-ago", `${fmt.duration(Math.max(0, runTime - g.time))} ago`)),
          h("div", "gave-up-text", `${fmt.counted(g.restarts, "restart")} within ${fmt.duration(g.periodMs)}; the last child exited with:`),
          h("code", { class: "restart-reason", title: g.reason }, g.reason),
          site ? h("div", "restart-where", "started at ", sourceLink(this.ui, site, site.replace(/^.*\//, ""))) : null,
        );
      }),
    );
  }

  private drawCrashes(runTime: number): void {
    const crashes = this.ui.model.recentCrashes.filter((c) => c.time <= runTime).slice(-CRASHES_LISTED).reverse();
    if (crashes.length === 0) {
      this.crashList.replaceChildren(h("li", "empty", "No process has crashed."));
      return;
    }
    this.crashList.replaceChildren(
      ...crashes.map((c) => {
        const at = c.at !== null ? `${c.at.file}:${c.at.line}` : this.ui.model.siteText(c.spawnSite);
        const down = c.linkedDown.length > 0 ? h("span", { class: "crash-down", title: `Linked processes this crash took down: ${c.linkedDown.map(fmt.pid).join(", ")}` }, `took ${fmt.counted(c.linkedDown.length, "linked process", "linked processes")} down`) : null;
        return h(
          "li",
          { class: `restart-entry crash${runTime - c.time < RECENT_MS ? " recent" : ""}` },
          h(
            "div",
            "restart-line",
            h("span", "node-id", c.name || c.fn),
            pidLink(this.ui, c.pid, fmt.pid(c.pid)),
            c.count > 1 ? h("span", { class: "restart-badge", title: `This entry stands for ${fmt.count(c.count)} crashes of this line; ${fmt.count(c.total)} since the run started.` }, `×${fmt.count(c.count)}`) : null,
            h("span", "restart-ago", `${fmt.duration(Math.max(0, runTime - c.time))} ago`),
          ),
          h("code", { class: "restart-reason", title: c.stack || c.reason }, c.reason),
          at || down ? h("div", "restart-where", at ? "at " : "", at ? sourceLink(this.ui, at, at.replace(/^.*\//, "")) : null, at && down ? " · " : "", down) : null,
        );
      }),
    );
  }

  private drawLoose(tree: SupervisionTree): void {
    // Up to 500 entries: rebuilt only when they changed, not at every poll.
    const key = JSON.stringify([tree.looseLinks, tree.truncated]);
    if (key === this.drawnLoose) return;
    this.drawnLoose = key;
    if (tree.looseLinks.length === 0) {
      this.looseList.replaceChildren(h("li", "empty", "None."));
      return;
    }
    const more = tree.truncated > 0 ? [h("li", "muted", `and ${fmt.counted(tree.truncated, "more linked process", "more linked processes")}`)] : [];
    this.looseList.replaceChildren(
      ...tree.looseLinks.map((p) =>
        h(
          "li",
          "loose-entry",
          pidLink(this.ui, p.pid, fmt.pid(p.pid)),
          h("span", "node-name", p.name || p.fn),
          h("span", { class: "link-arrow", "aria-label": "linked to" }, "⇄"),
          ...p.links.flatMap((l, i) => [i > 0 ? ", " : "", pidLink(this.ui, l, fmt.pid(l))]),
        ),
      ),
      ...more,
    );
  }
}

/** Children restarted within RECENT_MS anywhere under a supervisor. */
function countRecent(s: ShapedSupervisor, runTime: number): number {
  let n = 0;
  for (const i of s.items) {
    if (i.kind === "supervisor") {
      n += countRecent(i.supervisor, runTime);
      if (i.supervisor.entry !== null && isRecent(i.supervisor.entry, runTime)) n++;
    } else if (isRecent(i.child, runTime)) n++;
  }
  return n;
}

function isRecent(c: ChildNode, runTime: number): boolean {
  return c.lastRestartMs >= 0 && runTime - c.lastRestartMs < RECENT_MS;
}
