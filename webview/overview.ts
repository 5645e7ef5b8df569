// The overview: runtime status, schedulers, counts and rates, the top processes and the warnings.
// It must read well in the ~300 px side panel as well as in a wide editor tab.

import { BUSY_UTILIZATION, busySchedulers } from "../protocol/schedulerBusy.js";
import { LineChart } from "./charts.js";
import { h, setAttr, setText, stat } from "./dom.js";
import * as fmt from "./format.js";

import type { Model } from "./model.js";
import { samplesAt, warningsAt } from "./moment.js";
import { SlicedJob } from "./slicedJob.js";
import { EXITED, FREE, type ProcessStore } from "./store.js";
import { button } from "./toolkit.js";
import { pidLink, sourceLink, type Ui, type View } from "./ui.js";

const TOP = 5;
/** Scanning a million processes for the top lists costs 10–20 ms (in slices): at most twice a second. */
const TOP_EVERY_MS = 500;
/** Up to this many slots the top lists are rebuilt at once, for every update, as the warnings are. */
const TOP_SYNC_SLOTS = 50_000;
/** Rows scanned between clock reads: under a millisecond even when the page shares a busy CPU. */
const TOP_STEP = 1 << 13;

interface TopEntry {
  pid: number;
  value: number;
  label: string;
}

export class Overview implements View {
  readonly element: HTMLElement;
  private readonly values: Record<string, HTMLElement> = {};
  private readonly schedulerRows: HTMLElement;
  /** "2/2 busy": counted as the VS Code status bar counts them, from the same sample as the bars. */
  private readonly busyCount: HTMLElement;
  private readonly utilizationChart: LineChart;
  private readonly messagesChart: LineChart;
  private readonly topMailbox: HTMLElement;
  private readonly topReductions: HTMLElement;
  private readonly warningList: HTMLElement;
  private seenSamples = -1;
  private seenWarnings = -1;
  /** The TimeCursor version drawn: the moment shown or the charts' zoom changed. */
  private seenTime = -1;
  private seenFaults = -1;
  private topAt = 0;
  private topJob: SlicedJob<TopSlots> | null = null;
  private topKey = "";
  /** The store (live or past) and its version the top lists were scanned from. */
  private topVersion = "";
  private readonly samplesTime: HTMLElement;
  /** Says when the runtime's recording dropped the start of the run (its cap), so the charts start later. */
  private readonly recordingNote: HTMLElement;
  private readonly processesTime: HTMLElement;
  /** The run time of the update the top lists on screen were scanned from. */
  private topTime = 0;

  constructor(private readonly ui: Ui) {
    const stats = h("div", "stats");
    const add = (key: string, label: string, tooltip: string) => (this.values[key] = stat(stats, label, tooltip, `overview-${key}`));
    add("processes", "Processes", "Live processes on all schedulers, from the latest sample.");
    add("runnable", "Runnable", "Processes in a run queue, ready to run and waiting for a scheduler.");
    add("waiting", "Waiting", "Processes blocked in a receive (or sleep), waiting for a message or a timeout.");
    add("queued", "Queued msgs", "Messages sitting in all mailboxes, not yet taken by a receive.");
    add("messages", "Messages/s", "Messages sent per second over the last sample interval, all schedulers.");
    add("reductions", "Reductions/s", "Work done per second: a reduction is one resume, one runtime call or one loop iteration.");
    add("memory", "Heap", "V8 heap used by the scheduler threads (one heap per thread; there is no per-process heap in V8).");
    add("uptime", "Uptime", "Time since main started (with --wait-for-viewer, not counting the wait for a viewer).");
    add("crashes", "Crashes", "Processes that ended by a throw since the run started. A process ended by an exit signal (a linked crash, a kill) is not counted.");
    add("restarts", "Restarts", "Children restarted by supervisors since the run started. The Supervision view shows which.");

    this.schedulerRows = h("div", { class: "scheduler-bars", role: "list" });
    this.busyCount = h("span", { class: "busy-count", "data-testid": "sched-busy" });
    this.utilizationChart = new LineChart({ max: 1, format: fmt.percent, height: 84, ariaLabel: "Scheduler utilization over the run", seriesName: (i) => `S${i + 1}` }, "Utilization of each scheduler over the whole run (seconds since main started): busy time divided by the sample interval.", ui.time);
    this.messagesChart = new LineChart({ format: fmt.rate, height: 64, ariaLabel: "Messages per second over the run" }, "Messages sent per second over the whole run (seconds since main started).", ui.time);
    this.recordingNote = h("p", { class: "as-of recording-note", "data-testid": "recording-note", hidden: "" });
    this.topMailbox = h("ol", { class: "top-list", "data-testid": "top-mailbox" });
    this.topReductions = h("ol", { class: "top-list", "data-testid": "top-reductions" });
    this.warningList = h("ul", { class: "warning-summary", "data-testid": "overview-warnings" });
    // Each group of numbers says which moment it describes: the counts come from the main thread's
    // sample, the top lists and the warnings from the scheduler's last update (issue 13 item 12).
    this.samplesTime = h("p", { class: "as-of", "data-testid": "overview-samples-time", title: "The counts, rates and charts come from the latest sample of the schedulers' counters, taken by the runtime's main thread." });
    this.processesTime = h("p", { class: "as-of", "data-testid": "overview-processes-time", title: "The top lists and the warnings come from the scheduler's latest update, the same one: their numbers agree with each other. They may differ from the counts above by what changed between the two moments." });

    const openButton = ui.layout === "overview" ? button("Open visualizer", () => ui.openVisualizer(), "primary", "Open the full visualizer in an editor tab") : null;
    this.utilizationChart.element.dataset.testid = "utilization-chart";
    this.messagesChart.element.dataset.testid = "messages-chart";
    this.element = h(
      "section",
      { class: "view overview", "aria-label": "Overview" },
      openButton,
      stats,
      this.samplesTime,
      h("h3", { title: `Busy time divided by the sample interval, and the run-queue length (processes ready to run). A scheduler busy ${fmt.percent(BUSY_UTILIZATION)} of the interval or more counts as busy.` }, "Schedulers ", this.busyCount),
      this.schedulerRows,
      this.utilizationChart.element,
      h("h3", { title: "Messages sent per second, all schedulers." }, "Messages/s"),
      this.messagesChart.element,
      this.recordingNote,
      h("div", "top-columns",
        h("div", {}, h("h3", { title: "The processes with the longest mailboxes: messages waiting to be received." }, "Top mailboxes"), this.topMailbox),
        h("div", {}, h("h3", { title: "The processes that did the most work per second lately (reductions per second)." }, "Top reductions/s"), this.topReductions),
      ),
      this.processesTime,
      h("h3", { title: "Problems the runtime sees now: each explains what it means and what to do." }, "Warnings"),
      this.warningList,
    );
  }

  render(now: number): void {
    const m = this.ui.model;
    const time = this.ui.time;
    const moved = time.version !== this.seenTime;
    this.seenTime = time.version;
    if (m.versions.samples !== this.seenSamples || moved) {
      this.seenSamples = m.versions.samples;
      this.renderSamples(m);
    }
    const uptime = time.at === null ? m.uptime(now) : m.mainStartedAt === null ? null : Math.max(0, time.at - m.mainStartedAt);
    setText(this.values.uptime!, m.hello === null ? "—" : uptime === null ? "waiting for a viewer" : fmt.duration(uptime));
    if (m.versions.faults !== this.seenFaults || moved) {
      this.seenFaults = m.versions.faults;
      this.renderFaults(m);
    }
    this.renderTopWhenDue(m, now);
    this.renderProcessesTime(m);
    if (m.versions.warnings !== this.seenWarnings || moved) {
      this.seenWarnings = m.versions.warnings;
      this.renderWarnings(m);
    }
  }

  /**
   * The top lists follow the store: rebuilt for every update, in the same frame as the warnings of
   * that update, so that a warning's mailbox and the list's agree. A store too big to scan in one
   * go is scanned in slices, at most every TOP_EVERY_MS, and its time says how old it is.
   */
  private renderTopWhenDue(m: Model, now: number): void {
    // In the past (the timeline, or a replay's end), the lists come from the past table at that moment, on its clock.
    const past = this.ui.past.wanted !== null;
    const store = past ? this.ui.past.store : m.store;
    const clock = past ? (this.ui.past.time ?? 0) : now;
    const version = `${past}/${this.ui.past.version}/${store.version}`;
    if (version === this.topVersion || this.topJob !== null) return;
    const scan = topMailboxAndRate(store, clock, TOP);
    const time = past ? clock : m.processesTime;
    if (store.size <= TOP_SYNC_SLOTS) {
      let r = scan.next();
      while (!r.done) r = scan.next();
      this.topVersion = version;
      this.renderTop(store, r.value, clock, time);
      return;
    }
    if (now - this.topAt < TOP_EVERY_MS) return;
    this.topAt = now;
    this.topJob = new SlicedJob(scan, (top) => {
      this.topJob = null;
      this.topVersion = version;
      this.renderTop(store, top, clock, time);
    });
  }

  private renderFaults(m: Model): void {
    const v = this.values;
    // In the past, the totals up to that moment, from the samples' counts.
    const past = this.ui.time.at === null ? null : samplesAt(m, this.ui.time.at);
    const crashes = past?.crashes ?? m.crashes;
    const restarts = past?.restarts ?? m.restarts;
    const gaveUp = past === null && m.supervisorsGaveUp > 0 ? ` · ${fmt.count(m.supervisorsGaveUp)} gave up` : "";
    setText(v.crashes!, m.hello === null ? "—" : fmt.count(crashes));
    setText(v.restarts!, m.hello === null ? "—" : `${fmt.count(restarts)}${gaveUp}`);
    v.crashes!.classList.toggle("alert", crashes > 0);
    v.restarts!.classList.toggle("alert", gaveUp !== "");
  }

  private renderSamples(m: Model): void {
    const at = this.ui.time.at;
    const s = samplesAt(m, at);
    const v = this.values;
    setText(v.processes!, s ? fmt.count(s.processes) : "—");
    setText(v.runnable!, s ? fmt.count(s.runnable) : "—");
    setText(v.waiting!, s ? fmt.count(s.waiting) : "—");
    setText(v.queued!, s ? fmt.count(s.queued) : "—");
    setText(v.messages!, s ? fmt.rate(s.messagesPerSecond) : "—");
    setText(v.reductions!, s ? fmt.rate(s.reductionsPerSecond) : "—");
    setText(v.memory!, s ? fmt.bytes(s.heap) : "—");
    setText(this.samplesTime, s ? `Counts: the sample at ${fmt.duration(m.programTime(s.time))}${at === null ? "" : " (the past: the moment on the timeline)"}` : at === null ? "" : "No sample at this moment: the recording starts later.");
    while (this.schedulerRows.children.length < m.schedulers.length) {
      const i = this.schedulerRows.children.length + 1;
      const fill = h("div", "bar-fill");
      const row = h(
        "div",
        { class: "scheduler-bar", role: "listitem", tabindex: "0" },
        h("span", "bar-label", `S${i}`),
        h("div", { class: "bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": `Scheduler ${i} utilization` }, fill),
        h("span", { class: "bar-value", "data-testid": `sched-util-${i}` }),
        h("span", { class: "bar-queue", "data-testid": `sched-queue-${i}` }),
      );
      this.schedulerRows.append(row);
    }
    m.schedulers.forEach((_, i) => {
      const row = this.schedulerRows.children[i] as HTMLElement;
      const last = s?.schedulers[i] ?? null;
      if (last === null) return;
      const fill = row.querySelector<HTMLElement>(".bar-fill")!;
      fill.style.transform = `scaleX(${Math.round(last.utilization * 100) / 100})`;
      fill.classList.toggle("hot", last.utilization > 0.9);
      setAttr(row.querySelector(".bar")!, "aria-valuenow", String(Math.round(last.utilization * 100)));
      setText(row.querySelector<HTMLElement>(".bar-value")!, fmt.percent(last.utilization));
      setText(row.querySelector<HTMLElement>(".bar-queue")!, `rq ${fmt.compact(last.runQueue)}`);
      const stuck = last.stuckMs > 0 ? ` It has been stuck for ${fmt.duration(last.stuckMs)} in ${fmt.pid(last.stuckPid)}, a slice that cannot be preempted.` : "";
      row.title = `Scheduler ${i + 1}: busy ${fmt.percent(last.utilization)} of the last ${fmt.duration(m.store.intervalMs)}; ${fmt.counted(last.runQueue, "process", "processes")} in its run queue (ready, waiting for their turn).${stuck}`;
    });
    const lasts = (s?.schedulers ?? []).flatMap((sh) => (sh === null ? [] : [sh]));
    setText(this.busyCount, lasts.length === 0 ? "" : `· ${busySchedulers(lasts)}/${m.schedulers.length} busy`);
    const domain = m.chartDomain();
    this.utilizationChart.draw(m.schedulers.map((sh) => sh.utilization), domain);
    this.messagesChart.draw([m.messagesPerSecond], domain);
    const dropped = m.recordingDropped;
    this.recordingNote.hidden = dropped === null;
    if (dropped !== null) {
      const samples = dropped.samples > 0 ? `its first ${fmt.duration(m.programTime(dropped.samplesUntil))} (${fmt.counted(dropped.samples, "sample")})` : "";
      const warnings = dropped.warnings > 0 ? `${fmt.counted(dropped.warnings, "past warning")}` : "";
      setText(this.recordingNote, `The runtime's recording of this run is capped at ${fmt.bytes(m.recordingCapBytes)} (--record-cap) and dropped ${[samples, warnings].filter((t) => t !== "").join(" and ")}: the charts start after that.`);
    }
  }

  /** The top lists from `s`'s slots; `now` is the store's clock, `time` the run time it describes. */
  private renderTop(s: ProcessStore, { mailbox: bySlotMailbox, rate: bySlotRate }: TopSlots, now: number, time: number): void {
    this.topTime = time;
    const label = (slot: number) => s.strings[s.name[slot]!] || s.strings[s.fn[slot]!] || "";
    const mailbox: TopEntry[] = bySlotMailbox.map((slot) => ({ pid: s.pid[slot]!, value: s.mailbox[slot]!, label: label(slot) }));
    const rate: TopEntry[] = bySlotRate.map((slot) => ({ pid: s.pid[slot]!, value: s.rate(slot, now), label: label(slot) }));
    const key = JSON.stringify([mailbox, rate.map((r) => [r.pid, Math.round(r.value)])]);
    if (key === this.topKey) return;
    this.topKey = key;
    this.fillTop(this.topMailbox, mailbox, (v) => fmt.counted(v, "msg"), "No process has messages waiting.");
    this.fillTop(this.topReductions, rate, (v) => fmt.rate(v), "No process ran lately.");
  }

  /** When the top lists are from, and that they are stale while a scheduler is stuck (issue 13 item 9). */
  private renderProcessesTime(m: Model): void {
    const at = this.ui.past.wanted;
    if (at !== null) {
      const state = this.ui.past.state;
      const t = (time: number) => fmt.duration(m.programTime(time));
      const lists =
        state.kind === "ready"
          ? `Top lists: the recorded processes at ${t(state.time)}${state.time !== at ? ` (loading ${t(at)}…)` : ""}`
          : state.kind === "not-recorded"
            ? `Top lists: the recording holds no process list at ${t(state.time)}`
            : state.kind === "failed"
              ? `Top lists: none at ${t(state.time)}, the runtime said: ${state.error}`
              : `Top lists: loading ${t(at)}…`;
      setText(this.processesTime, this.ui.time.at === null ? `${lists}.` : `${lists}. Warnings: those that held at ${t(at)}.`);
      return;
    }
    if (!m.processesKnown) {
      setText(this.processesTime, "");
      return;
    }
    const stuck = m.stuckSchedulers()[0];
    const stale = stuck === undefined ? "" : ` · the top lists are stale while scheduler ${stuck.scheduler} is stuck in ${fmt.pid(stuck.pid)}`;
    setText(this.processesTime, `Top lists and warnings: the update at ${fmt.duration(m.programTime(this.topTime))}${stale}`);
  }

  private fillTop(list: HTMLElement, entries: TopEntry[], value: (v: number) => string, empty: string): void {
    list.replaceChildren(
      ...(entries.length === 0
        ? [h("li", "empty", empty)]
        : entries.map((e) => h("li", {}, pidLink(this.ui, e.pid, fmt.pid(e.pid)), h("span", "top-name", e.label), h("span", "top-value", value(e.value))))),
    );
  }

  private renderWarnings(m: Model): void {
    const past = m.pastWarnings.length;
    const at = this.ui.time.at;
    const warnings = warningsAt(m, at);
    if (warnings.length === 0) {
      this.warningList.replaceChildren(
        h("li", "empty", at !== null ? `No warnings at ${fmt.duration(m.programTime(at))}.` : past === 0 ? "No warnings." : "No warnings now."),
        ...(past > 0 ? [h("li", {}, button(`Past warnings (${past})`, () => (this.ui.layout === "full" ? this.ui.show("warnings") : this.ui.openVisualizer())))] : []),
      );
      return;
    }
    const more = warnings.length > 4 || this.ui.layout === "full";
    this.warningList.replaceChildren(
      ...warnings.slice(0, 4).map((w) => h("li", { class: `warning ${w.kind}`, title: w.advice }, h("span", "warning-message", w.message), w.site ? sourceLink(this.ui, w.site) : null)),
      ...(more ? [h("li", {}, button(`All warnings (${warnings.length})`, () => (this.ui.layout === "full" ? this.ui.show("warnings") : this.ui.openVisualizer())))] : []),
    );
  }
}

interface TopSlots {
  mailbox: number[];
  rate: number[];
}

/**
 * The live processes with the longest mailboxes and the highest reductions/s (only those above 0),
 * largest first: one pass over the store's columns, no closure or allocation per row, yielding
 * every TOP_STEP rows. Slots scanned before a store change may have changed since; the lists are
 * only as fresh as a scan.
 */
function* topMailboxAndRate(s: ProcessStore, now: number, k: number): Generator<void, TopSlots, void> {
  const stale = now - s.intervalMs * 2.5;
  const mSlots: number[] = [];
  const mValues: number[] = [];
  const rSlots: number[] = [];
  const rValues: number[] = [];
  for (let start = 0; start < s.size; start += TOP_STEP) {
    // Read the columns again after every yield: the store may have grown into new arrays.
    const { status, mailbox, rateValue, changedAt } = s;
    const end = Math.min(s.size, start + TOP_STEP);
    for (let slot = start; slot < end; slot++) {
      const st = status[slot]!;
      if (st === FREE || st === EXITED) continue;
      const mb = mailbox[slot]!;
      if (mb > 0 && (mValues.length < k || mb > mValues[k - 1]!)) insertTop(mSlots, mValues, k, slot, mb);
      if (changedAt[slot]! >= stale) {
        const r = rateValue[slot]!;
        if (r > 0 && (rValues.length < k || r > rValues[k - 1]!)) insertTop(rSlots, rValues, k, slot, r);
      }
    }
    yield;
  }
  return { mailbox: mSlots, rate: rSlots };
}

/** Inserts (slot, v) into the descending top-k lists. */
function insertTop(slots: number[], values: number[], k: number, slot: number, v: number): void {
  let i = values.length < k ? values.length : k - 1;
  while (i > 0 && values[i - 1]! < v) {
    if (i < k) {
      values[i] = values[i - 1]!;
      slots[i] = slots[i - 1]!;
    }
    i--;
  }
  values[i] = v;
  slots[i] = slot;
}
