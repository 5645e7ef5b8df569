// Schedulers: utilization and run queue over time per scheduler, and a timeline lane per scheduler
// of what it ran. The lanes are sampled, and say so: each column is one telemetry interval showing
// the processes whose reductions grew in it, not every slice.

import { chartWindow, LineChart } from "./charts.js";
import { h, setText } from "./dom.js";
import * as fmt from "./format.js";

import type { TimelineSlot } from "./history.js";
import type { Ui, View } from "./ui.js";

const LANE = 34;
const COLUMN = 6;

export class SchedulersView implements View {
  readonly element: HTMLElement;
  private readonly charts: HTMLElement;
  private readonly perScheduler: { utilization: LineChart; runQueue: LineChart }[] = [];
  private readonly canvas: HTMLCanvasElement;
  private readonly note: HTMLElement;
  private readonly hover: HTMLElement;
  private seen = -1;
  private seenProcesses = -1;

  constructor(private readonly ui: Ui) {
    this.charts = h("div", "scheduler-charts");
    this.canvas = h("canvas", { class: "timeline", role: "img", tabindex: "0", "aria-label": "Timeline of what each scheduler ran, per telemetry interval" });
    this.note = h("p", { class: "note", "data-testid": "timeline-note" });
    this.hover = h("div", { class: "timeline-hover", "aria-live": "polite" });
    this.canvas.addEventListener("mousemove", (e) => this.describe(e.offsetX, e.offsetY));
    this.element = h(
      "section",
      { class: "view schedulers", "aria-label": "Schedulers" },
      this.charts,
      h("h3", { title: "Sampled: one column per telemetry interval." }, "What each scheduler ran (sampled)"),
      this.note,
      this.canvas,
      this.hover,
    );
  }

  render(): void {
    const m = this.ui.model;
    if (m.versions.samples === this.seen && m.versions.processes === this.seenProcesses) return;
    this.seen = m.versions.samples;
    this.seenProcesses = m.versions.processes;
    while (this.perScheduler.length < m.schedulers.length) {
      const i = this.perScheduler.length + 1;
      const utilization = new LineChart({ max: 1, format: fmt.percent, height: 60, ariaLabel: `Scheduler ${i} utilization over time` }, `Scheduler ${i}: busy time divided by the sample interval, over the last minutes.`);
      const runQueue = new LineChart({ format: fmt.compact, height: 40, ariaLabel: `Scheduler ${i} run queue over time` }, `Scheduler ${i}: processes in its run queue (ready to run) at each sample.`);
      this.perScheduler.push({ utilization, runQueue });
      this.charts.append(h("div", "scheduler-chart", h("h3", {}, `Scheduler ${i}`), h("span", "chart-label", "utilization"), utilization.element, h("span", "chart-label", "run queue"), runQueue.element));
    }
    m.schedulers.forEach((s, i) => {
      this.perScheduler[i]!.utilization.draw([s.utilization], chartWindow(m));
      this.perScheduler[i]!.runQueue.draw([s.runQueue], chartWindow(m));
    });
    setText(
      this.note,
      `Sampled, not exact: each column is one telemetry interval (${fmt.duration(m.store.intervalMs)}); its height is split between the processes whose reductions grew in that interval, biggest first (up to 6 shown, the rest grey). Short runs between samples show only as reductions. Red: a non-preemptible slice held the scheduler.`,
    );
    this.drawTimeline();
  }

  private columns(): number {
    return Math.max(10, Math.floor((this.canvas.clientWidth || 600) / COLUMN));
  }

  private drawTimeline(): void {
    const m = this.ui.model;
    const width = this.canvas.clientWidth || 600;
    const height = Math.max(1, m.schedulers.length) * LANE;
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
    const cols = this.columns();
    m.schedulers.forEach((s, lane) => {
      const slots = s.timeline.slice(-cols);
      let max = 1;
      for (const slot of slots) max = Math.max(max, slot.total);
      const y0 = lane * LANE + 2;
      const laneHeight = LANE - 6;
      slots.forEach((slot, i) => {
        const x = width - (slots.length - i) * COLUMN;
        if (slot.stuckMs > 0) {
          g.fillStyle = stuck;
          g.fillRect(x, y0, COLUMN - 1, laneHeight);
          return;
        }
        if (slot.total === 0) return;
        // Height: this interval's work relative to the busiest interval shown.
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
      g.fillText(`S${lane + 1}`, 2, y0 + 10);
    });
  }

  private describe(x: number, y: number): void {
    const m = this.ui.model;
    const lane = Math.floor(y / LANE);
    const s = m.schedulers[lane];
    if (s === undefined) return;
    const width = this.canvas.clientWidth;
    const back = Math.floor((width - x) / COLUMN);
    const slot: TimelineSlot | undefined = s.timeline[s.timeline.length - 1 - back];
    if (slot === undefined) {
      setText(this.hover, "");
      return;
    }
    const text =
      slot.stuckMs > 0
        ? `S${lane + 1} at ${fmt.duration(m.programTime(slot.time))}: stuck ${fmt.duration(slot.stuckMs)} in ${fmt.pid(slot.stuckPid)} (non-preemptible)`
        : `S${lane + 1} at ${fmt.duration(m.programTime(slot.time))}: ${fmt.counted(slot.total, "reduction")}; ${slot.top.map((t) => `${fmt.pid(t.pid)} ${fmt.compact(t.reductions)}`).join(", ") || "nothing ran"}`;
    setText(this.hover, text);
    this.canvas.title = text;
  }
}
