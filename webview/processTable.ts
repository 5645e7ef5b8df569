// The processes table: virtualized (only the visible rows exist in the DOM, whatever the count),
// sorted and filtered through ProcessIndex, which rebuilds its order in time slices.

import { h, setAttr, setText } from "./dom.js";
import * as fmt from "./format.js";
import { ProcessIndex, type IndexQuery, type SortColumn } from "./processIndex.js";
import { EXITED, STATUS_NAMES, type ProcessStore } from "./store.js";
import { button, dropdown, option, textField } from "./toolkit.js";
import type { StuckScheduler } from "./model.js";
import { sourceLink, type Ui, type View } from "./ui.js";

const ROW = 22;
/** Browsers cap element heights (~33M px in Chromium): past this, scrolling is scaled. */
const MAX_SCROLL_HEIGHT = 8_000_000;

interface Column {
  key: SortColumn;
  label: string;
  tooltip: string;
  width: string;
  numeric: boolean;
  /** Hidden below this table width, to stay readable in a narrow panel. */
  minWidth: number;
}

const COLUMNS: Column[] = [
  { key: "pid", label: "Pid", tooltip: "The process identifier, <0.N.0>.", width: "minmax(82px,0.8fr)", numeric: false, minWidth: 0 },
  { key: "name", label: "Name", tooltip: "The registered name, if the process has one (register(name, pid)).", width: "minmax(60px,1fr)", numeric: false, minWidth: 420 },
  { key: "fn", label: "Function", tooltip: "The function the process was spawned with.", width: "minmax(70px,1.2fr)", numeric: false, minWidth: 0 },
  { key: "status", label: "Status", tooltip: "running: on a scheduler now; runnable: in a run queue; waiting: blocked in receive or sleep; exited: ended lately (shown only when filtering by this status; other lists drop ended rows at once).", width: "72px", numeric: false, minWidth: 340 },
  { key: "mailbox", label: "Mailbox", tooltip: "Messages in the mailbox, not yet received.", width: "70px", numeric: true, minWidth: 0 },
  { key: "rate", label: "Red./s", tooltip: "Reductions per second over the process's last telemetry interval (a reduction is one resume, runtime call or loop iteration); 0 when it did not run lately.", width: "72px", numeric: true, minWidth: 260 },
  { key: "reductions", label: "Reductions", tooltip: "Reductions since the process started.", width: "88px", numeric: true, minWidth: 560 },
  {
    key: "memory",
    label: "Memory (est.)",
    tooltip: "An estimate, not a measurement: V8 has no per-process heap, so the runtime counts 380 B for every process (a parked process's measured size) plus 64 B per queued message. Processes with empty mailboxes all read ≈380 B.",
    width: "96px",
    numeric: true,
    minWidth: 640,
  },
  { key: "scheduler", label: "Sched", tooltip: "The scheduler thread the process lives on.", width: "50px", numeric: true, minWidth: 700 },
  { key: "spawnSite", label: "Spawn site", tooltip: "The source line that spawned the process.", width: "minmax(90px,1.4fr)", numeric: false, minWidth: 760 },
];

export interface ProcessTableState {
  sort?: SortColumn;
  descending?: boolean;
  text?: string;
  status?: string;
  scheduler?: number;
}

export class ProcessTable implements View {
  readonly element: HTMLElement;
  /** The live table's order; the App keeps it fresh while another view is shown. */
  readonly index: ProcessIndex;
  /** The order of each past table (the moment on the timeline, from the recording: one shown, one being filled). */
  private readonly pastIndexes = new Map<ProcessStore, ProcessIndex>();
  /** Says which moment the rows are of while the timeline shows the past, or why there are none. */
  private readonly pastNote: HTMLElement;
  private pastText = "";
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly rowsBox: HTMLElement;
  private readonly header: HTMLElement;
  private readonly countLabel: HTMLElement;
  private readonly siteChip: HTMLElement;
  /** Shown when the run has more than one scheduler. */
  private readonly schedulerFilter: HTMLElement & { value: string };
  private schedulerOptions = 1;
  /** Says that the list is stale, and why, while a scheduler is stuck. */
  private readonly staleNote: HTMLElement;
  private readonly tableBox: HTMLElement;
  private staleText = "";
  private rows: HTMLElement[] = [];
  private visibleColumns: Column[] = COLUMNS;
  private columnsKey = "";
  private width = 0;
  private height = 0;
  /** Keyboard selection: a position in the current order. */
  private selected = -1;
  private drawnKey = "";
  private scrollDirty = true;

  constructor(
    private readonly ui: Ui,
    saved: ProcessTableState,
  ) {
    const query: IndexQuery = { sort: saved.sort ?? "mailbox", descending: saved.descending ?? true, text: saved.text ?? "", status: saved.status ?? "", site: null, scheduler: saved.scheduler ?? 0 };
    this.index = new ProcessIndex(ui.model.store, query, () => (this.scrollDirty = true));

    const filter = textField("Filter: pid, name or function", (value) => this.setQuery({ text: value }), "Filter processes by pid, registered name or function");
    filter.value = query.text;
    filter.setAttribute("data-testid", "process-filter");
    const status = dropdown("Filter by status", [{ value: "", text: "All statuses" }, ...STATUS_NAMES.map((s) => ({ value: s, text: s }))], (value) => this.setQuery({ status: value }));
    status.setAttribute("data-testid", "status-filter");
    if (query.status) queueMicrotask(() => (status.value = query.status));
    this.schedulerFilter = dropdown("Filter by scheduler", [{ value: "0", text: "All schedulers" }], (value) => this.setQuery({ scheduler: Number(value) }));
    this.schedulerFilter.setAttribute("data-testid", "scheduler-filter");
    this.schedulerFilter.hidden = true;
    this.siteChip = h("span", { class: "site-chip", hidden: "" });
    this.countLabel = h("span", { class: "table-count", "aria-live": "polite", "data-testid": "process-count" });

    this.header = h("div", { class: "table-header", role: "row" });
    this.spacer = h("div", "table-spacer");
    this.rowsBox = h("div", "table-rows");
    this.viewport = h("div", { class: "table-viewport", tabindex: "0", role: "grid", "aria-label": "Processes", "aria-rowcount": "0", "data-testid": "process-viewport" }, this.spacer, this.rowsBox);
    this.viewport.addEventListener("scroll", () => (this.scrollDirty = true), { passive: true });
    this.viewport.addEventListener("keydown", (e) => this.key(e));
    this.rowsBox.addEventListener("click", (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>(".table-row");
      const pid = row?.dataset.pid;
      if (pid !== undefined && pid !== "") ui.inspect(Number(pid));
    });
    this.staleNote = h("p", { class: "stale-note process-stale", role: "status", "data-testid": "process-stale", hidden: "" });
    this.pastNote = h("p", { class: "past-note", role: "status", "data-testid": "process-past", hidden: "" });
    this.tableBox = h("div", "table", this.header, this.viewport);
    this.element = h("section", { class: "view processes", "aria-label": "Processes" }, h("div", "toolbar", filter, status, this.schedulerFilter, this.siteChip, this.countLabel), this.pastNote, this.staleNote, this.tableBox);
    new ResizeObserver(() => {
      this.width = this.viewport.clientWidth;
      this.height = this.viewport.clientHeight;
      this.layoutColumns();
      this.scrollDirty = true;
    }).observe(this.viewport);
    this.renderHeader();
  }

  state(): ProcessTableState {
    const q = this.index.query;
    return { sort: q.sort, descending: q.descending, text: q.text, status: q.status, scheduler: q.scheduler };
  }

  /** Shows only the processes of one site (a code lens click), or all with null. */
  filterSite(site: number | null): void {
    this.setQuery({ site });
    if (site === null) {
      this.siteChip.hidden = true;
      return;
    }
    this.siteChip.hidden = false;
    this.siteChip.replaceChildren(`site ${this.ui.model.siteText(site) || site}`, button("✕", () => this.filterSite(null), "icon", "Show the processes of all sites"));
  }

  /** One choice per scheduler of the run; the filter shows only when there is more than one. */
  private schedulerChoices(): void {
    const n = this.ui.model.hello?.schedulers ?? 1;
    if (n === this.schedulerOptions) return;
    this.schedulerOptions = n;
    const chosen = this.index.query.scheduler;
    this.schedulerFilter.replaceChildren(
      option("0", "All schedulers"),
      ...Array.from({ length: n }, (_, i) => option(String(i + 1), `Scheduler ${i + 1}`)),
    );
    this.schedulerFilter.hidden = n <= 1;
    queueMicrotask(() => (this.schedulerFilter.value = String(chosen <= n ? chosen : 0)));
    if (chosen > n) this.setQuery({ scheduler: 0 });
  }

  /** The rows shown: the past table's while the timeline shows the past (or a replay's end), else the live one's; `now` is its clock. */
  private get shown(): { index: ProcessIndex; store: ProcessStore; now: number; past: boolean } {
    const ui = this.ui;
    if (ui.past.wanted === null) return { index: this.index, store: ui.model.store, now: performance.now(), past: false };
    const store = ui.past.store;
    let index = this.pastIndexes.get(store);
    if (index === undefined) {
      index = new ProcessIndex(store, this.index.query, () => (this.scrollDirty = true), () => ui.past.time ?? 0);
      this.pastIndexes.set(store, index);
    }
    return { index, store, now: ui.past.time ?? 0, past: true };
  }

  setQuery(change: Partial<IndexQuery>): void {
    this.index.setQuery({ ...this.index.query, ...change });
    for (const index of this.pastIndexes.values()) index.setQuery(this.index.query);
    this.selected = -1;
    this.renderHeader();
    this.ui.saveState();
  }

  render(now: number): void {
    this.schedulerChoices();
    const { index, store, past } = this.shown;
    index.tick(now);
    const m = this.ui.model;
    const stuck = past ? [] : m.stuckSchedulers();
    this.renderStale(stuck, now);
    this.renderPast();
    const staleKey = stuck.length === 0 ? "" : `${stuck.map((s) => s.pid).join()}/${m.summary?.processes}`;
    const key = `${past}/${this.ui.past.version}/${store.version}/${index.builtFrom}/${index.length}/${this.selected}/${index.building}/${staleKey}`;
    if (!this.scrollDirty && key === this.drawnKey) return;
    this.drawnKey = key;
    this.scrollDirty = false;
    this.drawRows(now);
  }

  /** In the past: which moment the rows are of, from which keyframe, or why the recording has none. */
  private renderPast(): void {
    const m = this.ui.model;
    const at = this.ui.past.wanted;
    const state = this.ui.past.state;
    const t = (time: number) => fmt.duration(m.programTime(time));
    let text = "";
    if (at !== null) {
      if (state.kind === "ready") text = `The processes at ${t(state.time)}, from the recording (its keyframe at ${t(state.keyframeAt)} and the updates after it)${state.time !== at ? `; loading ${t(at)}…` : ""}. Reductions/s: over each process's last update before then.`;
      else if (state.kind === "loading") text = `Loading the processes at ${t(state.time)} from the recording…`;
      else if (state.kind === "not-recorded") text = `The recording holds no process list at ${t(state.time)}: it starts later, or its cap (--record-cap) dropped that part of the run.`;
      else if (state.kind === "failed") text = `No process list at ${t(state.time)}. The runtime said: ${state.error}`;
    }
    this.tableBox.classList.toggle("past", at !== null);
    if (text === this.pastText) return;
    this.pastText = text;
    this.pastNote.hidden = text === "";
    setText(this.pastNote, text);
  }

  /**
   * While a scheduler is stuck in a plain function it sends no updates: the rows are what it last
   * reported, dimmed, and the note says which process holds which scheduler, at which line, and
   * how old the list is; a viewer that connected meanwhile has no list yet and says why.
   */
  private renderStale(stuck: readonly StuckScheduler[], now: number): void {
    const m = this.ui.model;
    const store = m.store;
    const who = stuck.map((s) => {
      const slot = store.slotOf(s.pid);
      const fn = slot >= 0 ? store.strings[store.fn[slot]!]! : "";
      return `scheduler ${s.scheduler} has been stuck for ${fmt.duration(s.ms)} in ${fmt.pid(s.pid)}${fn ? ` (${fn})` : ""}${s.site ? ` at ${s.site}` : ""}, in a plain function that cannot be preempted`;
    });
    const text =
      stuck.length === 0
        ? ""
        : m.processesKnown
          ? `Stale: ${who.join("; ")}. The list is what it last reported, ${fmt.duration(Math.max(0, m.runTimeNow(now) - m.processesTime))} ago; it moves again once that function returns.`
          : `No process list yet: ${who.join("; ")}. The runtime counts ${fmt.counted(m.summary?.processes ?? 0, "process", "processes")}; their list comes once that function returns.`;
    this.tableBox.classList.toggle("stale", stuck.length > 0);
    if (text === this.staleText) return;
    this.staleText = text;
    this.staleNote.hidden = text === "";
    const site = this.ui.canOpenSource ? stuck.find((s) => s.site !== "")?.site : undefined;
    this.staleNote.replaceChildren(text, site ? " " : "", site ? sourceLink(this.ui, site, "Open the line") : "");
  }

  private layoutColumns(): void {
    const visible = COLUMNS.filter((c) => this.width === 0 || this.width >= c.minWidth);
    const key = visible.map((c) => c.key).join();
    if (key === this.columnsKey) return;
    this.columnsKey = key;
    this.visibleColumns = visible;
    this.element.style.setProperty("--columns", visible.map((c) => c.width).join(" "));
    this.rows = [];
    this.rowsBox.replaceChildren();
    this.renderHeader();
  }

  private renderHeader(): void {
    const q = this.index.query;
    this.header.replaceChildren(
      ...this.visibleColumns.map((c) => {
        const active = q.sort === c.key;
        const b = h("button", { class: `th${c.numeric ? " num" : ""}`, role: "columnheader", title: `${c.tooltip} Click to sort.`, "aria-sort": active ? (q.descending ? "descending" : "ascending") : "none", "data-sort": c.key }, c.label + (active ? (q.descending ? " ▼" : " ▲") : ""));
        b.addEventListener("click", () => this.setQuery(active ? { descending: !q.descending } : { sort: c.key, descending: c.numeric }));
        return b;
      }),
    );
  }

  private drawRows(wallNow: number): void {
    const { index, store, now: storeNow, past } = this.shown;
    const now = past ? storeNow : wallNow;
    const n = index.length;
    const visibleCount = Math.max(1, Math.ceil(this.height / ROW) + 1);
    const fullHeight = n * ROW;
    const scaled = fullHeight > MAX_SCROLL_HEIGHT;
    this.spacer.style.height = `${Math.min(fullHeight, MAX_SCROLL_HEIGHT)}px`;
    const maxScroll = Math.max(1, Math.min(fullHeight, MAX_SCROLL_HEIGHT) - this.height);
    const scrollTop = this.viewport.scrollTop;
    // Scaled: the scroll fraction picks the first row; rows then sit at the top of the viewport.
    const first = scaled ? Math.floor((Math.min(scrollTop, maxScroll) / maxScroll) * Math.max(0, n - visibleCount + 1)) : Math.floor(scrollTop / ROW);
    const offset = scaled ? scrollTop : first * ROW;
    this.rowsBox.style.transform = `translateY(${offset}px)`;
    while (this.rows.length < visibleCount) {
      const row = h("div", { class: "table-row", role: "row" }, ...this.visibleColumns.map((c) => h("span", { class: `td col-${c.key}${c.numeric ? " num" : ""}`, role: "gridcell", ...(c.key === "memory" ? { title: c.tooltip } : {}) })));
      this.rows.push(row);
      this.rowsBox.append(row);
    }
    for (let r = 0; r < this.rows.length; r++) {
      const row = this.rows[r]!;
      const position = first + r;
      if (r >= visibleCount || position >= n) {
        row.hidden = true;
        setAttr(row, "data-pid", "");
        continue;
      }
      row.hidden = false;
      const slot = index.order[position]!;
      const pid = store.pid[slot]!;
      const exited = store.status[slot] === EXITED;
      setAttr(row, "data-pid", exited ? "" : String(pid));
      setAttr(row, "aria-rowindex", String(position + 1));
      row.classList.toggle("exited", exited);
      row.classList.toggle("selected", position === this.selected);
      const cells = row.children;
      this.visibleColumns.forEach((c, i) => setText(cells[i] as HTMLElement, this.cell(store, c.key, slot, now)));
    }
    setAttr(this.viewport, "aria-rowcount", String(n));
    setText(this.countLabel, `${this.countText(store, n, !past && this.ui.model.stuckSchedulers().length > 0)}${past && this.ui.past.time !== null ? ` at ${fmt.duration(this.ui.model.programTime(storeNow))}` : ""} · by ${COLUMNS.find((c) => c.key === index.query.sort)!.label.toLowerCase()} ${index.query.descending ? "▼" : "▲"}${index.building ? " · sorting…" : ""}`);
    setAttr(this.countLabel, "title", store.unlisted === 0 ? "" : "A busy scheduler lists a thousand new processes per update, so that describing a spawn storm does not slow it down; the rest follow once it has time. The total is exact, and agrees with the overview's.");
  }

  /**
   * The rows shown, the processes listed and the total, all from the store after the same frame:
   * the total is what the runtime counted when it sent that frame (listed plus not listed yet), as
   * the overview's count is (issue 13 item 11: the table had said "13,808 of 1,001 processes").
   */
  private countText(store: ProcessStore, rows: number, stale: boolean): string {
    const q = this.index.query;
    const listed = store.live;
    const total = listed + store.unlisted;
    const filtered = q.text !== "" || q.status !== "" || q.site !== null || q.scheduler !== 0;
    if (stale) {
      // The store stopped with the stuck scheduler; the samples' count goes on (issue 13 item 9).
      const counted = fmt.counted(this.ui.model.summary?.processes ?? total, "process", "processes");
      return `${filtered ? `${fmt.count(rows)} of ` : ""}${fmt.count(listed)} listed · ${counted} by the counters · stale`;
    }
    if (!filtered) return store.unlisted === 0 ? fmt.counted(total, "process", "processes") : `${fmt.counted(total, "process", "processes")} · ${fmt.count(listed)} listed so far`;
    if (store.unlisted === 0) return `${fmt.count(rows)} of ${fmt.counted(total, "process", "processes")}`;
    return `${fmt.count(rows)} of ${fmt.count(listed)} listed · ${fmt.counted(total, "process", "processes")} in all`;
  }

  private cell(s: ProcessStore, key: SortColumn, slot: number, now: number): string {
    switch (key) {
      case "pid":
        return fmt.pid(s.pid[slot]!);
      case "name":
        return s.strings[s.name[slot]!]!;
      case "fn":
        return s.strings[s.fn[slot]!]!;
      case "status":
        return STATUS_NAMES[s.status[slot]!] ?? "";
      case "mailbox":
        return fmt.count(s.mailbox[slot]!);
      case "rate":
        return fmt.compact(s.rate(slot, now));
      case "reductions":
        return fmt.compact(s.reductions[slot]!);
      case "memory":
        return `≈${fmt.bytes(s.memory[slot]!)}`;
      case "scheduler":
        return String(s.scheduler[slot]!);
      case "spawnSite":
        return this.ui.model.siteText(s.spawnSite[slot]!);
    }
  }

  private key(e: KeyboardEvent): void {
    const { index, store } = this.shown;
    const n = index.length;
    if (n === 0) return;
    const page = Math.max(1, Math.floor(this.height / ROW) - 1);
    let next = this.selected;
    switch (e.key) {
      case "ArrowDown":
        next = Math.min(n - 1, this.selected + 1);
        break;
      case "ArrowUp":
        next = Math.max(0, this.selected - 1);
        break;
      case "PageDown":
        next = Math.min(n - 1, this.selected + page);
        break;
      case "PageUp":
        next = Math.max(0, this.selected - page);
        break;
      case "Home":
        next = 0;
        break;
      case "End":
        next = n - 1;
        break;
      case "Enter": {
        const slot = index.order[this.selected];
        if (slot !== undefined && this.selected >= 0) this.ui.inspect(store.pid[slot]!);
        e.preventDefault();
        return;
      }
      default:
        return;
    }
    e.preventDefault();
    this.selected = next;
    this.scrollTo(next);
  }

  /** Scrolls so that the row at `position` is visible. */
  scrollTo(position: number): void {
    const n = this.shown.index.length;
    const fullHeight = n * ROW;
    const visible = Math.max(1, Math.floor(this.height / ROW));
    if (fullHeight > MAX_SCROLL_HEIGHT) {
      const maxScroll = MAX_SCROLL_HEIGHT - this.height;
      this.viewport.scrollTop = (position / Math.max(1, n - visible)) * maxScroll;
    } else {
      const top = position * ROW;
      if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
      else if (top + ROW > this.viewport.scrollTop + this.height) this.viewport.scrollTop = top + ROW - this.height;
    }
    this.scrollDirty = true;
  }
}
