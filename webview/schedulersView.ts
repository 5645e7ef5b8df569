// Schedulers: one row per scheduler thread, each with its utilization and run queue over time, a
// timeline lane of what it ran, and what crosses to and from the other schedulers: processes
// placed here, spawns the balancer placed elsewhere, messages in and out per second. The lanes
// are sampled, and say so: each column is one of the scheduler's telemetry ticks, showing the
// processes whose reductions grew in it, not every slice.

import { LineChart, type ChartDomain } from "./charts.js";
import { h, setText } from "./dom.js";
import * as fmt from "./format.js";

import type { Series, TimelineSlot } from "./history.js";
import type { SchedulerHistory } from "./model.js";
import { samplesAt, type SchedulerMoment } from "./moment.js";
import type { TimeCursor } from "./timeCursor.js";
import type { Ui, View } from "./ui.js";

const LANE = 34;
const COLUMN = 6;

/** One scheduler's row: its numbers, its two charts and its timeline lane. */
class SchedulerRow {
  readonly element: HTMLElement;
  readonly utilization: LineChart;
  readonly runQueue: LineChart;
  readonly canvas: HTMLCanvasElement;
  /** Says where the lanes come from: the process updates this page received, which a recording lacks. */
  private readonly lanesLabel = h("span", {
    class: "chart-label",
    title: "The lanes come from the process updates this page received; the runtime does not record them, so a page opened late starts them when it connected. The charts above come from the recording and cover the whole run.",
  });
  private readonly stats: Record<"utilization" | "runQueue" | "processes" | "placed" | "placedElsewhere" | "crossIn" | "crossOut", HTMLElement>;
  private readonly hover: HTMLElement;

  constructor(
    readonly scheduler: number,
    time: TimeCursor,
  ) {
    const i = scheduler;
    this.utilization = new LineChart({ max: 1, format: fmt.percent, height: 74, ariaLabel: `Scheduler ${i} utilization over the run` }, `Scheduler ${i}: busy time divided by the sample interval, over the whole run (seconds since main started).`, time);
    this.runQueue = new LineChart({ format: fmt.compact, height: 56, ariaLabel: `Scheduler ${i} run queue over the run` }, `Scheduler ${i}: processes in its run queue (ready to run) at each sample, over the whole run.`, time);
    this.canvas = h("canvas", { class: "timeline", role: "img", tabindex: "0", "aria-label": `Timeline of what scheduler ${i} ran, per telemetry tick`, "data-testid": `timeline-${i}` });
    this.hover = h("div", { class: "timeline-hover", "aria-live": "polite" });
    this.canvas.addEventListener("mousemove", (e) => this.describe(e.offsetX));
    const stat = (key: string, label: string, title: string) => {
      const value = h("dd", { "data-testid": `sched-${key}-${i}` }, "—");
      return { value, item: h("div", { class: "scheduler-stat", title }, h("dt", {}, label), value) };
    };
    const items = {
      utilization: stat("utilization", "busy", "Busy time divided by the last sample interval."),
      runQueue: stat("run-queue", "run queue", "Processes ready to run, waiting for their turn on this scheduler."),
      processes: stat("processes", "processes", "Live processes on this scheduler. A process stays on the scheduler it started on."),
      placed: stat("placed", "placed here", "Processes started on this scheduler per second, wherever the spawn call ran."),
      placedElsewhere: stat("placed-elsewhere", "placed elsewhere", "Spawn calls made here per second whose process the balancer (or spawnOn) started on another scheduler."),
      crossIn: stat("cross-in", "messages in", "Messages per second that arrived from processes on other schedulers."),
      crossOut: stat("cross-out", "messages out", "Messages per second sent to processes on other schedulers."),
    };
    this.stats = Object.fromEntries(Object.entries(items).map(([k, v]) => [k, v.value])) as SchedulerRow["stats"];
    this.element = h(
      "section",
      { class: "scheduler-row", "aria-label": `Scheduler ${i}`, "data-testid": "scheduler-row", "data-scheduler": String(i) },
      h("h3", {}, `Scheduler ${i}`),
      h("dl", "scheduler-stats", ...Object.values(items).map((v) => v.item)),
      h("div", "scheduler-charts", h("div", "scheduler-chart", h("span", "chart-label", "utilization"), this.utilization.element), h("div", "scheduler-chart", h("span", "chart-label", "run queue"), this.runQueue.element)),
      this.lanesLabel,
      this.canvas,
      this.hover,
    );
  }

  private history: SchedulerHistory | null = null;
  private programTime: (t: number) => number = (t) => t;

  /**
   * `replay`: the page shows a recording (`beamline replay`), which has no process updates for the
   * lanes; `last`: its numbers at the moment shown; `at`: that moment in the past, or null live.
   */
  render(history: SchedulerHistory, domain: ChartDomain, programTime: (t: number) => number, replay: boolean, last: SchedulerMoment | null, at: number | null): void {
    setText(this.lanesLabel, replay ? "what it ran (not recorded: the lanes need a live run)" : at !== null ? "what it ran, live (not recorded: the lanes show the latest ticks, not the moment picked)" : "what it ran (sampled, since this page connected)");
    this.history = history;
    this.programTime = programTime;
    this.utilization.draw([history.utilization], domain);
    this.runQueue.draw([history.runQueue], domain);
    const st = this.stats;
    const rate = (s: Series) => fmt.rate(at === null ? s.last() : s.valueAt(at));
    setText(st.utilization, last === null ? "—" : fmt.percent(last.utilization));
    setText(st.runQueue, last === null ? "—" : fmt.count(last.runQueue));
    setText(st.processes, last === null ? "—" : fmt.count(last.processes));
    setText(st.placed, rate(history.placed));
    setText(st.placedElsewhere, rate(history.placedElsewhere));
    setText(st.crossIn, rate(history.crossIn));
    setText(st.crossOut, rate(history.crossOut));
    this.drawLane(history);
  }

  private columns(): number {
    return Math.max(10, Math.floor((this.canvas.clientWidth || 600) / COLUMN));
  }

  private drawLane(history: SchedulerHistory): void {
    const width = this.canvas.clientWidth || 600;
    const height = LANE;
    const ratio = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
      this.canvas.style.height = `${height}px`;
    }
    const g = this.canvas.getContext("2d");
    if (g === null) return;
    const style = getComputedStyle(this.canvas);
    // Red is kept for stuck slices; a process keeps its colour from column to column.
    const colors = [1, 2, 3, 4, 5].map((i) => style.getPropertyValue(`--bl-series-${i}`).trim() || "#4fc1ff");
    const rest = style.getPropertyValue("--bl-grid").trim() || "#888";
    const stuck = style.getPropertyValue("--bl-error").trim() || "#f14c4c";
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const slots = history.timeline.slice(-this.columns());
    let max = 1;
    let ran = 0;
    for (const slot of slots) {
      max = Math.max(max, slot.total);
      if (slot.total > 0) ran++;
    }
    // How many columns of the lane show work: what a test (or a screen reader's summary) can read of the canvas.
    this.canvas.dataset.ran = String(ran);
    this.canvas.setAttribute("aria-label", `Timeline of what scheduler ${this.scheduler} ran: ${ran} of the last ${slots.length} ticks did work`);
    const y0 = 2;
    const laneHeight = LANE - 6;
    slots.forEach((slot, i) => {
      const x = width - (slots.length - i) * COLUMN;
      if (slot.stuckMs > 0) {
        g.fillStyle = stuck;
        g.fillRect(x, y0, COLUMN - 1, laneHeight);
        return;
      }
      if (slot.total === 0) return;
      // Height: this tick's work relative to the busiest tick shown.
      const full = Math.max(2, (slot.total / max) * laneHeight);
      let y = y0 + laneHeight;
      let shown = 0;
      for (const t of slot.top) {
        const part = (t.reductions / slot.total) * full;
        g.fillStyle = colors[(Math.imul(t.pid, 2654435761) >>> 0) % colors.length]!;
        g.fillRect(x, y - part, COLUMN - 1, part);
        y -= part;
        shown += t.reductions;
      }
      if (shown < slot.total) {
        g.fillStyle = rest;
        g.fillRect(x, y - ((slot.total - shown) / slot.total) * full, COLUMN - 1, ((slot.total - shown) / slot.total) * full);
      }
    });
    g.fillStyle = style.color;
    g.font = "10px sans-serif";
    g.fillText(`S${this.scheduler}`, 2, y0 + 10);
  }

  private describe(x: number): void {
    const history = this.history;
    if (history === null) return;
    const back = Math.floor((this.canvas.clientWidth - x) / COLUMN);
    const slot: TimelineSlot | undefined = history.timeline[history.timeline.length - 1 - back];
    if (slot === undefined) {
      setText(this.hover, "");
      return;
    }
    const at = fmt.duration(this.programTime(slot.time));
    const text =
      slot.stuckMs > 0
        ? `S${this.scheduler} at ${at}: stuck ${fmt.duration(slot.stuckMs)} in ${fmt.pid(slot.stuckPid)} (non-preemptible)`
        : `S${this.scheduler} at ${at}: ${fmt.counted(slot.total, "reduction")}; ${slot.top.map((t) => `${fmt.pid(t.pid)} ${fmt.compact(t.reductions)}`).join(", ") || "nothing ran"}`;
    setText(this.hover, text);
    this.canvas.title = text;
  }
}

export class SchedulersView implements View {
  readonly element: HTMLElement;
  private readonly rowsBox: HTMLElement;
  private readonly rows: SchedulerRow[] = [];
  private readonly note: HTMLElement;
  private seen = -1;
  private seenProcesses = -1;
  private seenTime = -1;

  constructor(private readonly ui: Ui) {
    this.rowsBox = h("div", "scheduler-rows");
    this.note = h("p", { class: "note", "data-testid": "timeline-note" });
    this.element = h("section", { class: "view schedulers", "aria-label": "Schedulers" }, this.note, this.rowsBox);
  }

  render(): void {
    const m = this.ui.model;
    const time = this.ui.time;
    if (m.versions.samples === this.seen && m.versions.processes === this.seenProcesses && time.version === this.seenTime) return;
    this.seen = m.versions.samples;
    this.seenProcesses = m.versions.processes;
    this.seenTime = time.version;
    while (this.rows.length < m.schedulers.length) {
      const row = new SchedulerRow(this.rows.length + 1, time);
      this.rows.push(row);
      this.rowsBox.append(row.element);
    }
    setText(
      this.note,
      (m.schedulers.length > 1
        ? `${m.schedulers.length} schedulers, one thread each. A process stays on the scheduler it started on (it cannot migrate, unlike on the BEAM), so a busy row beside an idle one stays that way until new processes spread out. `
        : "One scheduler thread. ") +
        `Sampled, not exact: each lane's column is one telemetry tick of that scheduler (${fmt.duration(m.store.intervalMs)}); its height is split between the processes whose reductions grew in it, biggest first (up to 6 shown, the rest grey). Red: a non-preemptible slice held the scheduler.`,
    );
    const domain = m.chartDomain();
    const moment = samplesAt(m, time.at);
    m.schedulers.forEach((history, i) => this.rows[i]!.render(history, domain, (t) => m.programTime(t), m.hello?.replay !== undefined, moment?.schedulers[i] ?? null, time.at));
  }
}
