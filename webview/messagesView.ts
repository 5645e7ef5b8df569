// Messages: a sequence diagram of the traced processes' events (spawn, send, receive, links,
// monitors, exit signals, restarts, exit, crash), one row per event, oldest at the top. It shows
// the newest events this viewer received (model.ts EVENT_CAP), filtered by process and text, or
// what a search of the whole recording found (the `events` request, docs/protocol.md section 9);
// while the timeline shows a moment of the past, the recording's events up to that moment.
// Pause freezes it while events go on arriving and being counted. Arrows and lifelines are drawn
// on a canvas; the times and labels are text in columns of their own (sequenceLayout.ts), so a
// label never covers an arrow or a lifeline.

import { EVENTS_TEXT_MAX, pidTyped, type EventsResult } from "../protocol/control.js";
import type { EventKind, TraceEvent } from "../protocol/frames.js";
import { h, setAttr, setText } from "./dom.js";
import * as fmt from "./format.js";
import { EVENT_CAP } from "./model.js";
import { HEAD, labelBox, laneX, MARK_REACH, ROW, rowY, sequenceGeometry, TIME_WIDTH, type SequenceGeometry } from "./sequenceLayout.js";
import { button, textField } from "./toolkit.js";
import type { ProcessStore } from "./store.js";
import { pidLink, type Ui, type View } from "./ui.js";

/** More lifelines than this would be unreadable: the rest share one "others" lane. */
const MAX_LANES = 12;
/** A name filter looks again at most this often at a changing process table (a million rows take a few milliseconds). */
const NAMES_EVERY_MS = 1000;
/** The sender of a message no process sent (a `send` request: the visualizer's Send), docs/protocol.md section 7, type 5. */
const VIEWER = "viewer";

/**
 * How each kind of event is drawn: an arrow from `pid` to `other` (docs/protocol.md, section 7, type
 * 5), dashed for links and monitors (set up solid-dashed, removed finely dashed), red for crashes
 * and exit signals, orange for a supervisor's restart.
 */
const LOOKS: Record<EventKind, { arrow: boolean; dash: number[]; color: "accent" | "muted" | "error" | "restart" }> = {
  send: { arrow: true, dash: [], color: "accent" },
  receive: { arrow: false, dash: [], color: "accent" },
  spawn: { arrow: true, dash: [4, 3], color: "muted" },
  link: { arrow: true, dash: [4, 3], color: "muted" },
  unlink: { arrow: true, dash: [1, 3], color: "muted" },
  monitor: { arrow: true, dash: [4, 3], color: "muted" },
  demonitor: { arrow: true, dash: [1, 3], color: "muted" },
  "exit-signal": { arrow: true, dash: [], color: "error" },
  restart: { arrow: true, dash: [], color: "restart" },
  exit: { arrow: false, dash: [], color: "accent" },
  crash: { arrow: false, dash: [], color: "error" },
};

/** What the view shows: the events received live (following them or paused), or a search's answer. */
type Source =
  | { kind: "live" }
  | { kind: "paused"; events: TraceEvent[]; seen: number; at: number }
  | { kind: "found"; events: TraceEvent[]; result: EventsResult; query: string; from: number }
  /** The timeline shows a moment of the past: the recording's newest matching events up to it, of `total`. */
  | { kind: "moment"; at: number; filters: string; events: TraceEvent[]; total: number };

export class MessagesView implements View {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly scroller: HTMLElement;
  private readonly heads: HTMLElement;
  private readonly body: HTMLElement;
  private readonly rows: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly status: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly processField: HTMLElement & { value: string };
  private readonly textField: HTMLElement & { value: string };
  private readonly pauseButton: HTMLElement;
  private readonly liveButton: HTMLElement;
  private readonly moreButton: HTMLElement;
  private source: Source = { kind: "live" };
  private processQuery = "";
  private textQuery = "";
  /** The events shown, filtered, oldest first. */
  private shown: TraceEvent[] = [];
  private lanes = new Map<number, number>();
  private geometry: SequenceGeometry = sequenceGeometry(0, 0);
  /** The row the keyboard and clicks select (an index into `shown`); -1 none. */
  private selected = -1;
  /** Live, the view keeps the newest row in sight while it was scrolled to the bottom. */
  private follow = true;
  private seen = -1;
  private seenProcesses = -1;
  private namesAt = -Infinity;
  private dirty = true;
  private searching = false;
  /** Counts moment loads and searches begun: a moment load whose count is no longer the last is dropped. */
  private momentLoad = 0;
  private loadingMoment = false;
  /** Function names learned from spawn events, for processes that ended before the table knew them. */
  private readonly spawned = new Map<number, string>();
  private spawnedFrom = 0;

  constructor(private readonly ui: Ui) {
    this.processField = textField("Process: pid, name or function", (v) => this.setFilter(v, this.textQuery), "Show only the events of processes with this pid, registered name or function");
    this.processField.setAttribute("data-testid", "messages-process");
    this.textField = textField("Text: message, reason or name", (v) => this.setFilter(this.processQuery, v), "Show only the events whose message, reason or process name contains this text");
    this.textField.setAttribute("data-testid", "messages-text");
    for (const f of [this.processField, this.textField]) f.addEventListener("keydown", (e: KeyboardEvent) => this.fieldKey(e));
    const search = button("Search the recording", () => void this.search(0), "secondary", "Find the events that match the filters in the whole run's recording, not only the newest ones received here (Enter in a field)");
    search.setAttribute("data-testid", "messages-search");
    // Named apart from the timeline's Pause, which stops every view at a moment of the run.
    this.pauseButton = button("Pause messages", () => this.togglePause(), "secondary", "Stop this view moving; new events are counted, and shown when you resume (the timeline's Pause stops every view at a moment instead)");
    this.pauseButton.setAttribute("data-testid", "messages-pause");
    this.pauseButton.setAttribute("aria-pressed", "false");
    this.liveButton = button("Back to live", () => this.backToLive(), "secondary", "Leave the search's results and follow the events as they arrive (Escape)");
    this.liveButton.setAttribute("data-testid", "messages-live");
    this.liveButton.hidden = true;
    this.moreButton = button("Next events", () => this.nextPage(), "secondary", "The recording's next matching events after the last one shown");
    this.moreButton.setAttribute("data-testid", "messages-more");
    this.moreButton.hidden = true;
    this.summary = h("p", { class: "note", "data-testid": "messages-summary" });
    this.status = h("p", { class: "note", role: "status", "aria-live": "polite", "data-testid": "messages-status" });
    this.heads = h("div", { class: "sequence-heads", "aria-hidden": "true" });
    this.canvas = h("canvas", { class: "sequence", "aria-hidden": "true", "data-testid": "messages-canvas" });
    this.rows = h("div", { class: "sequence-rows", "data-testid": "messages-rows" });
    this.body = h("div", "sequence-body", this.rows, this.canvas);
    this.scroller = h(
      "div",
      { class: "sequence-scroller", tabindex: "0", role: "region", "aria-label": "Traced events: arrow keys move between events, Enter inspects the selected event's process", "data-testid": "messages-scroller" },
      this.heads,
      this.body,
    );
    this.detail = h("div", { class: "sequence-detail", "aria-live": "polite", "data-testid": "messages-detail" });
    this.scroller.addEventListener("scroll", () => this.scrolled(), { passive: true });
    new ResizeObserver(() => (this.dirty = true)).observe(this.scroller);
    this.scroller.addEventListener("keydown", (e) => this.key(e));
    this.rows.addEventListener("click", (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>("[data-row]");
      if (row !== null) this.select(Number(row.dataset.row));
    });
    this.element = h(
      "section",
      { class: "view messages", "aria-label": "Messages" },
      h("div", "toolbar", this.processField, this.textField, search, this.pauseButton, this.liveButton, this.moreButton),
      this.summary,
      this.status,
      this.scroller,
      this.detail,
    );
  }

  render(now: number): void {
    const m = this.ui.model;
    this.followTimeline();
    if (m.versions.events !== this.seen) {
      this.seen = m.versions.events;
      this.learnSpawns();
      // Paused or showing a search, only the count of new events changes.
      if (this.source.kind === "live") this.dirty = true;
      else this.describeSource();
    }
    if (m.versions.processes !== this.seenProcesses && this.processQuery !== "" && pidTyped(this.processQuery) === undefined && now - this.namesAt >= NAMES_EVERY_MS) {
      // A name filter finds processes through the table, which changes as they start and end.
      this.seenProcesses = m.versions.processes;
      this.namesAt = now;
      if (this.source.kind === "live") this.dirty = true;
    }
    if (!this.dirty) return;
    this.dirty = false;
    this.layout();
    this.draw();
    this.describeSource();
  }

  // ——— what is shown ———

  private setFilter(process: string, text: string): void {
    this.processQuery = process.trim();
    this.textQuery = text.trim();
    this.selected = -1;
    this.dirty = true;
  }

  /** The events of the current source that pass the filters; a search's answer is filtered by the runtime already. */
  private filtered(): TraceEvent[] {
    const m = this.ui.model;
    if (this.source.kind === "found" || this.source.kind === "moment") return this.source.events;
    const events = this.source.kind === "paused" ? this.source.events : m.events;
    if (this.processQuery === "" && this.textQuery === "") return events.slice();
    const pids = this.processQuery === "" ? null : this.pidsFor(this.processQuery);
    const text = this.textQuery.toLowerCase();
    return events.filter((e) => {
      if (pids !== null && !pids.has(e.pid) && !(e.other !== 0 && pids.has(e.other)) && !(e.pid === 0 && e.kind === "send" && pids.has(-1))) return false;
      if (text === "") return true;
      return e.text.toLowerCase().includes(text) || this.names(e.pid, e.kind).some((n) => n.includes(text)) || (e.other !== 0 && this.names(e.other, "receive").some((n) => n.includes(text)));
    });
  }

  /** The pids a process filter names: a pid as typed, or every process whose name or function contains it (-1: the viewer). */
  private pidsFor(query: string): Set<number> {
    const typed = pidTyped(query);
    if (typed !== undefined) return new Set([typed]);
    const q = query.toLowerCase();
    const found = new Set<number>();
    if (VIEWER.includes(q)) found.add(-1);
    for (const store of this.stores()) {
      // Match the store's few distinct strings, then compare ids: a million rows cost no string work.
      const matching = new Set<number>();
      for (let i = 1; i < store.strings.length; i++) if (store.strings[i]!.toLowerCase().includes(q)) matching.add(i);
      if (matching.size === 0) continue;
      for (let slot = 0; slot < store.size; slot++) {
        if (!matching.has(store.name[slot]!) && !matching.has(store.fn[slot]!)) continue;
        const pid = store.pid[slot]!;
        if (pid !== 0 && store.slotOf(pid) === slot) found.add(pid);
      }
    }
    for (const [pid, fn] of this.spawned) if (fn.toLowerCase().includes(q)) found.add(pid);
    return found;
  }

  /** A process's registered name and function, lower case, as far as this viewer knows them. */
  private names(pid: number, kind: EventKind): string[] {
    if (pid === 0) return kind === "send" ? [VIEWER] : [];
    const known = this.known(pid);
    const names = known === undefined ? [] : [known.name, known.fn].filter(Boolean).map((n) => n.toLowerCase());
    const fn = this.spawned.get(pid);
    if (fn !== undefined) names.push(fn.toLowerCase());
    return names;
  }

  /** A lane head's second line: the registered name, else the function. */
  private headName(pid: number): string {
    const known = this.known(pid);
    return known?.name || known?.fn || this.spawned.get(pid) || "";
  }

  /** The live table and the table of the moment shown in the past (a replay's too), where this viewer learns names. */
  private stores(): ProcessStore[] {
    return [this.ui.model.store, this.ui.past.store];
  }

  private known(pid: number): { name: string; fn: string } | undefined {
    for (const store of this.stores()) {
      const slot = store.slotOf(pid);
      if (slot >= 0) return store.info(slot);
    }
    return undefined;
  }

  private learnSpawns(): void {
    const m = this.ui.model;
    // Only the events that arrived since the last look (the model keeps the newest EVENT_CAP).
    const fresh = Math.min(m.events.length, m.eventsSeen - this.spawnedFrom);
    this.spawnedFrom = m.eventsSeen;
    for (let i = m.events.length - Math.max(0, fresh); i < m.events.length; i++) {
      const e = m.events[i]!;
      if (e.kind === "spawn" && e.other !== 0) this.spawned.set(e.other, e.text);
    }
    if (this.spawned.size > EVENT_CAP * 4) this.spawned.clear();
  }

  private describeSource(): void {
    const m = this.ui.model;
    const s = this.source;
    const filters = this.filterText();
    setText(this.pauseButton, s.kind === "paused" ? "Resume messages" : "Pause messages");
    setAttr(this.pauseButton, "aria-pressed", String(s.kind === "paused"));
    this.pauseButton.hidden = s.kind === "found" || s.kind === "moment";
    this.liveButton.hidden = s.kind !== "found";
    // A replay's "live" is the recording's end (or the timeline's moment).
    setText(this.liveButton, m.hello?.replay !== undefined || this.ui.time.at !== null ? "Back to the timeline's moment" : "Back to live");
    this.moreButton.hidden = !(s.kind === "found" && s.result.more);
    if (s.kind === "found") {
      const first = s.from + 1;
      const last = s.from + s.events.length;
      const dropped = s.result.dropped > 0 ? ` The recording's cap dropped ${fmt.counted(s.result.dropped, "event")} of the run's oldest.` : "";
      setText(
        this.summary,
        s.result.total === 0
          ? `The recording holds no traced event${s.query ? ` matching ${s.query}` : ""}.${dropped}`
          : `The recording holds ${fmt.counted(s.result.total, "traced event")}${s.query ? ` matching ${s.query}` : ""}; showing ${fmt.count(first)}–${fmt.count(last)}, oldest at the top.${dropped}`,
      );
      return;
    }
    if (s.kind === "moment") {
      const shown = s.total > s.events.length ? `the newest ${fmt.count(s.events.length)} of the ${fmt.counted(s.total, "traced event")}` : fmt.counted(s.events.length, "traced event");
      setText(this.summary, `At ${fmt.duration(m.programTime(s.at))} on the timeline: ${shown} the recording holds up to then${filters ? `, matching ${filters}` : ""}, oldest at the top.${m.hello?.replay !== undefined ? "" : " Live on the timeline follows the live events again."}`);
      return;
    }
    const events = s.kind === "paused" ? s.events : m.events;
    const capped = m.eventsSeen > m.events.length ? ` This viewer keeps the newest ${fmt.count(EVENT_CAP)} of the ${fmt.count(m.eventsSeen)} it received; search the recording for the others.` : "";
    const dropped = m.eventsDropped > 0 ? ` The runtime's trace ring dropped ${fmt.counted(m.eventsDropped, "event")} (it is bounded).` : "";
    setText(
      this.summary,
      events.length === 0
        ? "No traced events yet. Trace a process from the Inspector: its spawns, sends, receives, links, monitors, exit signals, restarts and exits appear here. Search the recording for the events traced before this viewer connected."
        : filters
          ? `${fmt.count(this.shown.length)} of ${fmt.counted(events.length, "traced event")} match ${filters}, oldest at the top.${capped}${dropped}`
          : `${fmt.counted(events.length, "traced event")}, oldest at the top.${capped}${dropped}`,
    );
    if (s.kind === "paused") {
      const since = m.eventsSeen - s.seen;
      setText(this.status, `Paused at ${fmt.duration(m.programTime(s.at))}: ${fmt.counted(since, "new event")} since, not shown. Resume messages to follow them.`);
    } else if (!this.searching) setText(this.status, "");
  }

  private togglePause(): void {
    const m = this.ui.model;
    if (this.source.kind === "paused") {
      this.source = { kind: "live" };
      this.follow = true;
    }
    else if (this.source.kind === "live") this.source = { kind: "paused", events: m.events.slice(), seen: m.eventsSeen, at: m.events.at(-1)?.time ?? m.runTime };
    this.dirty = true;
    if (this.source.kind === "live") setText(this.status, "Following the events as they arrive.");
  }

  private backToLive(): void {
    this.source = { kind: "live" };
    this.selected = -1;
    this.follow = true;
    this.dirty = true;
    setText(this.status, "Following the events as they arrive.");
  }

  /**
   * Asks the recording for the events that match the filters (docs/protocol.md, section 9,
   * `events`): a pid, or the processes a name finds, and the text. Continuing an earlier answer,
   * it asks from time `from`, skips the `skip` matches at that time already shown, and counts the
   * `before` matches earlier than `from`.
   */
  private async search(skip: number, from?: number, before = 0): Promise<void> {
    if (this.searching) return;
    const query = this.recordingQuery();
    if (typeof query === "string") {
      setText(this.status, query);
      return;
    }
    // A moment still loading (the filters changed as they were typed) must not replace the answer.
    this.momentLoad++;
    this.searching = true;
    setText(this.status, "Searching the recording…");
    const response = await this.ui.connection.request({ type: "events", ...query, ...(from !== undefined ? { from } : {}), limit: EVENT_CAP + skip });
    this.searching = false;
    if (!response.ok) {
      setText(this.status, `Search failed: ${response.error}`);
      return;
    }
    const result = response.result as EventsResult;
    const filters = this.filterText();
    const events = result.events.slice(skip);
    // `before`: the matches earlier than `from`, which the answer's total does not count.
    this.source = { kind: "found", events, result: { ...result, total: result.total + before }, query: filters, from: before + skip };
    this.selected = events.length > 0 ? 0 : -1;
    this.follow = false;
    this.scroller.scrollTop = 0;
    this.dirty = true;
    setText(this.status, `Found ${fmt.counted(result.total + before, "event")} in the recording. Escape leaves the search.`);
  }

  /**
   * The filters as an `events` request's fields: a pid, or the processes a name finds, and the
   * text; or why the recording cannot be asked.
   */
  private recordingQuery(): { pids?: number[]; kinds?: EventKind[]; text?: string } | string {
    const found = this.processQuery === "" ? undefined : this.pidsFor(this.processQuery);
    // The viewer (-1 here) is pid 0 in a send; pid 0 elsewhere means "none", so it is asked for alone, with the kind.
    const viewerOnly = found !== undefined && found.size === 1 && found.has(-1);
    const pids = found === undefined ? undefined : viewerOnly ? [0] : [...found].filter((p) => p !== -1);
    let text = this.textQuery.slice(0, EVENTS_TEXT_MAX);
    // A name no process known here has: the runtime's text search finds it in either end's name.
    const byName = pids !== undefined && pids.length === 0 && text === "";
    if (byName) text = this.processQuery.slice(0, EVENTS_TEXT_MAX);
    if (pids !== undefined && pids.length === 0 && !byName) return `No process known here matches “${this.processQuery}”: type its pid, or clear the text to search the recording for the name.`;
    return { ...(pids !== undefined && !byName ? { pids } : {}), ...(viewerOnly ? { kinds: ["send"] } : {}), ...(text !== "" ? { text } : {}) };
  }

  private filterText(): string {
    return [this.processQuery && `process “${this.processQuery}”`, this.textQuery && `text “${this.textQuery}”`].filter(Boolean).join(" and ");
  }

  /**
   * The recording's newest events (at most EVENT_CAP) that match the filters up to the timeline's
   * moment `at`. The `events` request answers oldest first, so when more match, the start is found
   * by halving the span until at most EVENT_CAP lie between it and `at` (a few counting requests,
   * each answered at once by the main thread).
   */
  private async loadMoment(at: number, filters: string): Promise<void> {
    // A search that starts while this loads wins: its answer stays (CI saw a moment loaded for the
    // filters as they were typed replace the answer to Enter). None starts during a search
    // (followTimeline).
    const load = ++this.momentLoad;
    const query = this.recordingQuery();
    if (typeof query === "string") {
      this.source = { kind: "moment", at, filters, events: [], total: 0 };
      setText(this.status, query);
      return;
    }
    const ask = async (from: number | undefined, limit: number): Promise<EventsResult | string> => {
      const r = await this.ui.connection.request({ type: "events", ...query, ...(from !== undefined ? { from } : {}), to: at, limit });
      return r.ok ? (r.result as EventsResult) : (r.error ?? "no answer");
    };
    const counted = await ask(undefined, 1);
    let from: number | undefined;
    if (typeof counted !== "string" && counted.total > EVENT_CAP) {
      let lo = counted.events[0]?.time ?? 0;
      let hi = at;
      for (let i = 0; i < 20 && hi - lo > 0.01; i++) {
        const mid = (lo + hi) / 2;
        const c = await ask(mid, 1);
        if (typeof c === "string") break;
        if (c.total > EVENT_CAP) lo = mid;
        else hi = mid;
      }
      from = hi;
    }
    const result = typeof counted === "string" ? counted : await ask(from, EVENT_CAP);
    if (load !== this.momentLoad) return;
    if (typeof result === "string") {
      this.source = { kind: "moment", at, filters, events: [], total: 0 };
      setText(this.status, `The recording could not be read: ${result}`);
      return;
    }
    this.source = { kind: "moment", at, filters, events: result.events, total: typeof counted === "string" ? 0 : counted.total };
    setText(this.status, "");
  }

  /** Follows the timeline: its moment in the past shows the recording up to then; live shows the live events again. */
  private followTimeline(): void {
    if (this.source.kind === "found" || this.loadingMoment || this.searching) return;
    // A replay has no live events: its "live" is the recording's end.
    const replay = this.ui.model.hello?.replay;
    const at = this.ui.time.at ?? (replay !== undefined ? replay.endsAt : null);
    if (at === null) {
      if (this.source.kind === "moment") {
        this.source = { kind: "live" };
        this.follow = true;
        this.dirty = true;
      }
      return;
    }
    const filters = `${this.processQuery}\u0000${this.textQuery}`;
    if (this.source.kind === "moment" && this.source.at === at && this.source.filters === filters) return;
    this.loadingMoment = true;
    void this.loadMoment(at, filters).finally(() => {
      this.loadingMoment = false;
      this.follow = true;
      this.dirty = true;
    });
  }

  /** The next page of a search: from the last shown event's time, skipping the matches at that time already shown. */
  private nextPage(): void {
    const s = this.source;
    if (s.kind !== "found" || s.events.length === 0) return;
    const last = s.events.at(-1)!.time;
    let atLast = 0;
    for (let i = s.events.length - 1; i >= 0 && s.events[i]!.time === last; i--) atLast++;
    void this.search(atLast, last, s.from + s.events.length - atLast);
  }

  // ——— drawing ———

  private layout(): void {
    this.shown = this.filtered();
    this.lanes = new Map();
    for (const e of this.shown) {
      this.lane(this.laneKey(e.pid, e.kind));
      if (e.other !== 0) this.lane(e.other);
    }
    const laneCount = Math.min(MAX_LANES + 1, this.lanes.size + (this.lanes.size >= MAX_LANES ? 1 : 0));
    this.geometry = sequenceGeometry(laneCount, this.scroller.clientWidth);
    this.body.style.height = `${this.shown.length * ROW}px`;
    this.body.style.width = `${this.geometry.width}px`;
    this.heads.style.width = `${this.geometry.width}px`;
    if (this.selected >= this.shown.length) this.selected = this.shown.length - 1;
    if ((this.source.kind === "live" || this.source.kind === "moment") && this.follow) this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /** The viewer's lane is keyed -1: pid 0 in a send is no process (docs/protocol.md, section 7, type 5). */
  private laneKey(pid: number, kind: EventKind): number {
    return pid === 0 && kind === "send" ? -1 : pid;
  }

  private lane(key: number): number {
    let l = this.lanes.get(key);
    if (l === undefined) {
      l = this.lanes.size < MAX_LANES ? this.lanes.size : MAX_LANES;
      if (l < MAX_LANES) this.lanes.set(key, l);
    }
    return l;
  }

  private who(pid: number, kind: EventKind): string {
    return this.laneKey(pid, kind) === -1 ? VIEWER : fmt.pid(pid);
  }

  private scrolled(): void {
    const atBottom = this.scroller.scrollTop + this.scroller.clientHeight >= this.scroller.scrollHeight - ROW;
    if (this.source.kind === "live" || this.source.kind === "moment") this.follow = atBottom;
    this.dirty = true;
  }

  private draw(): void {
    const g = this.geometry;
    const events = this.shown;
    const viewHeight = Math.max(0, (this.scroller.clientHeight || 400) - HEAD);
    // The canvas, placed at the scroll position, keeps the content that tall: fewer rows (a filter)
    // must bring the scroll position back within them, and the canvas with it.
    const maxTop = Math.max(0, events.length * ROW - viewHeight);
    if (this.scroller.scrollTop > maxTop) this.scroller.scrollTop = maxTop;
    const top = Math.min(this.scroller.scrollTop, maxTop);
    const first = Math.max(0, Math.floor(top / ROW));
    const last = Math.min(events.length, first + Math.ceil(viewHeight / ROW) + 1);

    // The heads: a pid and a name per lane, centred on its lifeline.
    const heads: HTMLElement[] = [];
    for (const [key, l] of this.lanes) {
      const name = key === -1 ? "" : this.headName(key);
      const head = h("div", { class: "sequence-head", "data-testid": "messages-lane", "data-lane-x": String(laneX(g, l)), title: key === -1 ? "Messages sent from the visualizer (the Inspector's Send)" : `${fmt.pid(key)} ${name}` }, h("span", "head-pid", key === -1 ? VIEWER : fmt.pid(key)), h("span", "head-name", name));
      head.style.left = `${laneX(g, l) - g.laneWidth / 2}px`;
      head.style.width = `${g.laneWidth}px`;
      heads.push(head);
    }
    if (this.lanes.size >= MAX_LANES) {
      const others = h("div", { class: "sequence-head", "data-testid": "messages-lane", "data-lane-x": String(laneX(g, MAX_LANES)) }, h("span", "head-pid", "others"));
      others.style.left = `${laneX(g, MAX_LANES) - g.laneWidth / 2}px`;
      others.style.width = `${g.laneWidth}px`;
      heads.push(others);
    }
    this.heads.replaceChildren(...heads);

    // The rows in sight: time and label as text, in their columns.
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const e = events[i]!;
      const box = labelBox(g, i);
      const time = h("span", { class: "row-time", "data-testid": "messages-time" }, fmt.duration(this.ui.model.programTime(e.time)));
      time.style.width = `${TIME_WIDTH - 8}px`;
      const label = h("span", { class: `row-label ${e.kind}`, "data-testid": "messages-label" }, h("span", "row-kind", e.kind), " ", e.text);
      label.style.left = `${box.x}px`;
      label.style.width = `${box.width - 8}px`;
      const row = h("div", { class: `sequence-row${i === this.selected ? " selected" : ""}`, "data-row": String(i), "data-testid": "messages-row", title: this.sentence(e) }, time, label);
      row.style.top = `${i * ROW}px`;
      row.style.width = `${g.width}px`;
      rows.push(row);
    }
    this.rows.replaceChildren(...rows);

    // The canvas covers the rows in sight: lifelines, then arrows and markers.
    const ratio = window.devicePixelRatio || 1;
    const cw = Math.round(g.width * ratio);
    const ch = Math.round(viewHeight * ratio);
    if (this.canvas.width !== cw) this.canvas.width = cw;
    if (this.canvas.height !== ch) this.canvas.height = ch;
    this.canvas.style.width = `${g.width}px`;
    this.canvas.style.height = `${viewHeight}px`;
    this.canvas.style.top = `${top}px`;
    const c = this.canvas.getContext("2d");
    if (c === null) return;
    const style = getComputedStyle(this.canvas);
    const muted = style.getPropertyValue("--bl-muted").trim() || "#888";
    const accent = style.getPropertyValue("--bl-series-1").trim() || "#4fc1ff";
    const error = style.getPropertyValue("--bl-error").trim() || "#f14c4c";
    const restart = style.getPropertyValue("--bl-series-3").trim() || "#d18616";
    c.setTransform(ratio, 0, 0, ratio, 0, 0);
    c.clearRect(0, 0, g.width, viewHeight);
    c.translate(0, -top);
    c.strokeStyle = muted;
    c.lineWidth = 1;
    for (let l = 0; l < g.laneCount; l++) {
      c.beginPath();
      c.moveTo(Math.round(laneX(g, l)) + 0.5, top);
      c.lineTo(Math.round(laneX(g, l)) + 0.5, top + viewHeight);
      c.stroke();
    }
    for (let i = first; i < last; i++) {
      const e = events[i]!;
      const y = rowY(i);
      const from = laneX(g, this.lane(this.laneKey(e.pid, e.kind)));
      const to = e.other !== 0 ? laneX(g, this.lane(e.other)) : from;
      const look = LOOKS[e.kind];
      c.strokeStyle = look.color === "error" ? error : look.color === "restart" ? restart : look.color === "muted" ? muted : accent;
      c.fillStyle = c.strokeStyle;
      c.lineWidth = i === this.selected ? 2.5 : 1.5;
      c.setLineDash(look.dash);
      if (look.arrow && to !== from) {
        const dir = to > from ? -1 : 1;
        c.beginPath();
        c.moveTo(from, y);
        c.lineTo(to + dir * MARK_REACH, y);
        c.stroke();
        c.beginPath();
        c.moveTo(to, y);
        c.lineTo(to + dir * MARK_REACH, y - 4);
        c.lineTo(to + dir * MARK_REACH, y + 4);
        c.fill();
      } else if (look.arrow) {
        // To itself (a process that sends itself a message, or two pids in the "others" lane): a loop beside its lifeline.
        const w = Math.min(g.laneWidth / 2 - MARK_REACH, 18);
        c.beginPath();
        c.moveTo(from, y - 5);
        c.lineTo(from + w, y - 5);
        c.lineTo(from + w, y + 4);
        c.lineTo(from + MARK_REACH, y + 4);
        c.stroke();
        c.beginPath();
        c.moveTo(from, y + 4);
        c.lineTo(from + MARK_REACH, y);
        c.lineTo(from + MARK_REACH, y + 8);
        c.fill();
      } else if (e.kind === "exit" || e.kind === "crash") {
        c.setLineDash([]);
        c.beginPath();
        c.moveTo(from - 5, y - 5);
        c.lineTo(from + 5, y + 5);
        c.moveTo(from + 5, y - 5);
        c.lineTo(from - 5, y + 5);
        c.stroke();
      } else {
        c.beginPath();
        c.arc(from, y, 3.5, 0, Math.PI * 2);
        c.fill();
      }
      c.setLineDash([]);
    }
  }

  /** An event as a sentence, for the detail line, a row's tooltip and screen readers. */
  private sentence(e: TraceEvent): string {
    const a = this.who(e.pid, e.kind);
    const b = fmt.pid(e.other);
    const at = fmt.duration(this.ui.model.programTime(e.time));
    const what: Record<EventKind, string> = {
      send: `${a} sent ${b}: ${e.text}`,
      receive: `${a} received: ${e.text}`,
      spawn: `${a} spawned ${b} (${e.text})`,
      link: `${a} linked to ${b}`,
      unlink: `${a} unlinked from ${b}`,
      monitor: `${a} monitors ${b}`,
      demonitor: `${a} stopped monitoring ${b}`,
      "exit-signal": `${a} sent an exit signal to ${b}: ${e.text}`,
      restart: `${a} restarted a child as ${b}: ${e.text}`,
      exit: `${a} exited: ${e.text}`,
      crash: `${a} crashed: ${e.text}`,
    };
    return `${at}: ${what[e.kind]}`;
  }

  // ——— selection and keys ———

  private select(i: number): void {
    if (i < 0 || i >= this.shown.length) return;
    this.selected = i;
    const e = this.shown[i]!;
    const y = i * ROW;
    const view = (this.scroller.clientHeight || 400) - HEAD;
    if (y < this.scroller.scrollTop) this.scroller.scrollTop = y;
    else if (y + ROW > this.scroller.scrollTop + view) this.scroller.scrollTop = y + ROW - view;
    if (this.source.kind === "live" || this.source.kind === "moment") this.follow = i === this.shown.length - 1;
    const parts: (Node | string)[] = [this.sentence(e)];
    for (const pid of [e.pid, e.other]) if (pid !== 0) parts.push(" ", pidLink(this.ui, pid, `Inspect ${fmt.pid(pid)}`));
    this.detail.replaceChildren(...parts);
    this.dirty = true;
  }

  private key(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(((this.scroller.clientHeight || 400) - HEAD) / ROW) - 1);
    const i = this.selected;
    const n = this.shown.length;
    let next = -2;
    if (e.key === "ArrowDown") next = i < 0 ? Math.max(0, Math.floor(this.scroller.scrollTop / ROW)) : i + 1;
    else if (e.key === "ArrowUp") next = i < 0 ? Math.max(0, Math.floor(this.scroller.scrollTop / ROW)) : i - 1;
    else if (e.key === "PageDown") next = i + page;
    else if (e.key === "PageUp") next = i - page;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = n - 1;
    else if (e.key === "Enter" && i >= 0) {
      const ev = this.shown[i]!;
      const pid = ev.pid !== 0 ? ev.pid : ev.other;
      if (pid !== 0) this.ui.inspect(pid);
      e.preventDefault();
      return;
    } else if (e.key === "Escape" && this.source.kind === "found") {
      this.backToLive();
      e.preventDefault();
      return;
    }
    if (next === -2 || n === 0) return;
    e.preventDefault();
    this.select(Math.max(0, Math.min(n - 1, next)));
  }

  private fieldKey(e: KeyboardEvent): void {
    if (e.key === "Enter") {
      e.preventDefault();
      void this.search(0);
    } else if (e.key === "Escape" && this.source.kind === "found") {
      e.preventDefault();
      this.backToLive();
    }
  }
}
