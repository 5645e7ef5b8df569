// Small canvas charts: a line chart of the run's samples against a time axis (zoom, pan, hover
// read-out, the moment shown marked), and a sparkline.
// Canvas, not SVG or a library: a redraw of a few thousand points is a few hundred microseconds.

import { h, setText } from "./dom.js";
import * as fmt from "./format.js";
import type { Series } from "./history.js";
import { ZOOM_STEP, type TimeCursor } from "./timeCursor.js";

export interface ChartOptions {
  /** Fixed top of the y axis (utilization: 1); otherwise the largest value shown. */
  max?: number;
  format: (v: number) => string;
  /** The whole chart's height, the time axis's labels included. */
  height: number;
  ariaLabel: string;
  /** The name of series `i` in the hover read-out ("S1"); none for a chart of one series. */
  seriesName?: (i: number) => string;
}

/**
 * The run time a chart spans, in ms since the run started (the samples' clock): `origin` is where
 * the axis counts from (main's start), `to` the latest sample; `marks` are moments to draw a line
 * at, such as main's end.
 */
export interface ChartDomain {
  origin: number;
  to: number;
  marks: readonly { time: number; label: string }[];
}

/** The narrowest span a chart shows: a run's first second does not stretch one sample across it. */
export const MIN_SPAN_MS = 1000;
/** Steps between time-axis labels, from which the smallest that leaves room for each label is taken. */
const AXIS_STEPS_MS = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
/** Pixels per time-axis label at least. */
const AXIS_LABEL_PX = 64;
const AXIS_HEIGHT = 13;
const TOP = 12;
/** A press that moves less than this is a click (select the moment), more a drag (pan). */
const DRAG_PX = 4;

/** Colours come from CSS (theme variables), read once per draw. */
function palette(el: Element): { series: string[]; grid: string; text: string; mark: string; cursor: string } {
  const style = getComputedStyle(el);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    series: [1, 2, 3, 4, 5, 6].map((i) => v(`--bl-series-${i}`, "#4fc1ff")),
    grid: v("--bl-grid", "rgba(128,128,128,0.25)"),
    text: v("--bl-muted", "#888"),
    mark: v("--bl-warning", "#cca700"),
    cursor: v("--bl-past", "#d18616"),
  };
}

/** A time-axis label: seconds (`0 s`, `2.5 s`, `45 s`) under two minutes, then minutes and hours. */
export function axisTime(ms: number, stepMs: number): string {
  if (ms < 120_000) return `${stepMs < 100 ? (ms / 1000).toFixed(2) : stepMs < 1000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000)} s`;
  return fmt.duration(ms);
}

/**
 * A line chart of run time: the whole run, or the window the shared TimeCursor zooms to. Wheel,
 * + and - zoom, a drag or the arrow keys pan, 0 shows the whole run again; a click picks that
 * moment for every view; the pointer reads the values out; the moment shown is a line on it.
 */
export class LineChart {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly readout: HTMLElement;
  private width = 0;
  private series: readonly Series[] = [];
  private domain: ChartDomain | null = null;
  /** The run time under the pointer; null when it is elsewhere. */
  private hoverTime: number | null = null;
  private press: { x: number; dragged: boolean; end: number } | null = null;
  /** The window drawn last: where the pointer's x is in run time. */
  private shown = { from: 0, to: MIN_SPAN_MS };

  constructor(
    private readonly options: ChartOptions,
    title: string,
    private readonly cursor: TimeCursor,
  ) {
    this.canvas = h("canvas", { role: "img", "aria-label": options.ariaLabel });
    this.readout = h("div", { class: "chart-readout", "aria-live": "polite", hidden: "" });
    this.element = h(
      "div",
      { class: "chart", tabindex: "0", title: `${title} Click a moment to see the run then; Ctrl + wheel or + and - zoom, drag or the arrow keys pan, 0 shows the whole run.`, "aria-label": `${options.ariaLabel}. Plus and minus zoom, the arrow keys pan, 0 shows the whole run.` },
      this.canvas,
      this.readout,
    );
    this.element.style.height = `${options.height}px`;
    new ResizeObserver(() => {
      this.width = this.element.clientWidth;
    }).observe(this.element);
    this.element.addEventListener("pointerdown", (e) => this.pointerDown(e));
    this.element.addEventListener("pointermove", (e) => this.pointerMove(e));
    this.element.addEventListener("pointerup", (e) => this.pointerUp(e));
    this.element.addEventListener("pointercancel", () => (this.press = null));
    this.element.addEventListener("pointerleave", () => this.hover(null));
    this.element.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    this.element.addEventListener("keydown", (e) => this.key(e));
  }

  /** Draws the series over the cursor's window of the domain: the whole run unless zoomed. */
  draw(series: readonly Series[], domain: ChartDomain): void {
    this.series = series;
    this.domain = domain;
    this.redraw();
  }

  private redraw(): void {
    const domain = this.domain;
    const series = this.series;
    if (domain === null) return;
    const width = this.width || this.element.clientWidth;
    const height = this.options.height;
    if (width === 0) return;
    const ratio = window.devicePixelRatio || 1;
    const c = this.canvas;
    if (c.width !== Math.round(width * ratio) || c.height !== Math.round(height * ratio)) {
      c.width = Math.round(width * ratio);
      c.height = Math.round(height * ratio);
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
    }
    const g = c.getContext("2d");
    if (g === null) return;
    const colors = palette(this.element);
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const { from, to } = (this.shown = this.cursor.window(domain, MIN_SPAN_MS));
    const span = to - from;
    const x = (t: number) => ((t - from) / span) * (width - 1);
    let max = this.options.max ?? 0;
    if (this.options.max === undefined) for (const s of series) max = Math.max(max, s.max(from, to));
    if (max <= 0) max = 1;
    const plot = height - TOP - AXIS_HEIGHT - 2;
    const bottom = TOP + plot;
    g.strokeStyle = colors.grid;
    g.lineWidth = 1;
    g.beginPath();
    for (const f of [0, 0.5, 1]) {
      const y = Math.round(TOP + plot * (1 - f)) + 0.5;
      g.moveTo(0, y);
      g.lineTo(width, y);
    }
    g.stroke();
    g.fillStyle = colors.text;
    g.font = "10px sans-serif";
    g.textBaseline = "top";
    const maxLabel = this.options.format(max);
    g.fillText(maxLabel, 2, 0);
    const maxRight = 2 + g.measureText(maxLabel).width;
    this.drawAxis(g, width, bottom, domain.origin, from, span, colors);
    for (const mark of domain.marks) {
      if (mark.time < from || mark.time > to) continue;
      const mx = Math.round(x(mark.time)) + 0.5;
      g.strokeStyle = colors.mark;
      g.setLineDash([3, 3]);
      g.beginPath();
      g.moveTo(mx, TOP);
      g.lineTo(mx, bottom);
      g.stroke();
      g.setLineDash([]);
      g.fillStyle = colors.mark;
      // Right of its line where there is room, else left of it; never over the scale's label.
      const w = g.measureText(mark.label).width;
      const left = mx + 4 + w <= width ? mx + 4 : mx - 4 - w;
      if (left > maxRight + 6) g.fillText(mark.label, left, 0);
    }
    this.describe(series[0], domain.origin, from, to);
    g.save();
    g.beginPath();
    g.rect(0, 0, width, height);
    g.clip();
    series.forEach((s, index) => {
      g.strokeStyle = colors.series[index % colors.series.length]!;
      g.lineWidth = 1.5;
      g.beginPath();
      // From the point before the window to the one after it, so that the line reaches both edges.
      const first = Math.max(0, s.indexAt(from));
      let started = false;
      for (let i = first; i < s.points; i++) {
        const t = s.time(i);
        if (t < domain.origin) continue;
        const y = TOP + plot * (1 - Math.min(1, s.value(i) / max));
        if (started) g.lineTo(x(t), y);
        else g.moveTo(x(t), y);
        started = true;
        if (t > to) break;
      }
      g.stroke();
    });
    g.restore();
    // The moment every view shows (the past), then the one under the pointer.
    const at = this.cursor.at;
    if (at !== null && at >= from && at <= to) {
      const ax = Math.round(x(at)) + 0.5;
      g.strokeStyle = colors.cursor;
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(ax, TOP - 4);
      g.lineTo(ax, bottom);
      g.stroke();
      g.fillStyle = colors.cursor;
      g.beginPath();
      g.moveTo(ax - 4, TOP - 8);
      g.lineTo(ax + 4, TOP - 8);
      g.lineTo(ax, TOP - 3);
      g.fill();
    }
    if (this.hoverTime !== null) {
      const hx = Math.round(x(this.hoverTime)) + 0.5;
      g.strokeStyle = colors.text;
      g.lineWidth = 1;
      g.beginPath();
      g.moveTo(hx, TOP);
      g.lineTo(hx, bottom);
      g.stroke();
    }
  }

  /**
   * What the chart shows, on its element for the tests and for anyone inspecting the page: the
   * window's span and start in ms from the origin, the first series' points in it and the first
   * one's time from the origin, and the moment marked (the past shown), if any.
   */
  private describe(series: Series | undefined, origin: number, from: number, to: number): void {
    let points = 0;
    let first = -1;
    for (let i = 0; series !== undefined && i < series.points; i++) {
      const t = series.time(i);
      if (t < from || t > to || t < origin) continue;
      if (points++ === 0) first = t - origin;
    }
    const at = this.cursor.at;
    const values: Record<string, string> = {
      span: String(Math.round(to - from)),
      from: String(Math.round(from - origin)),
      points: String(points),
      first: String(Math.round(first)),
      // Exact, not rounded: a test finds the sample it stands on.
      at: at === null ? "" : String(at - origin),
    };
    const d = this.element.dataset;
    for (const [k, v] of Object.entries(values)) if (d[k] !== v) d[k] = v;
  }

  /** Labels under the plot, counted from the origin, as many as fit. */
  private drawAxis(g: CanvasRenderingContext2D, width: number, bottom: number, origin: number, from: number, span: number, colors: { grid: string; text: string }): void {
    const fit = Math.max(1, Math.floor(width / AXIS_LABEL_PX));
    const step = AXIS_STEPS_MS.find((s) => span / s <= fit) ?? AXIS_STEPS_MS.at(-1)!;
    g.fillStyle = colors.text;
    g.strokeStyle = colors.grid;
    g.textBaseline = "top";
    g.beginPath();
    let right = -Infinity;
    for (let t = Math.ceil((from - origin) / step) * step; t <= from - origin + span; t += step) {
      const px = Math.round(((t - (from - origin)) / span) * (width - 1)) + 0.5;
      g.moveTo(px, bottom);
      g.lineTo(px, bottom + 3);
      const label = axisTime(t, step);
      const w = g.measureText(label).width;
      // Centred on its tick, kept inside the chart, and left out where it would touch the one before.
      const left = Math.min(width - w, Math.max(0, px - w / 2));
      if (left < right + 6) continue;
      g.fillText(label, left, bottom + 3);
      right = left + w;
    }
    g.stroke();
  }

  /** The run time at x pixels from the chart's left edge. */
  private timeAt(x: number): number {
    const width = this.width || this.element.clientWidth;
    const { from, to } = this.shown;
    return from + (Math.min(width - 1, Math.max(0, x)) / Math.max(1, width - 1)) * (to - from);
  }

  private pointerDown(e: PointerEvent): void {
    if (e.button !== 0 || this.domain === null) return;
    this.press = { x: e.offsetX, dragged: false, end: this.shown.to };
    this.element.setPointerCapture(e.pointerId);
  }

  private pointerMove(e: PointerEvent): void {
    const press = this.press;
    if (press !== null && this.domain !== null) {
      const dx = e.offsetX - press.x;
      if (Math.abs(dx) >= DRAG_PX) press.dragged = true;
      if (press.dragged && this.cursor.zoomed) {
        // The point under the pointer stays under it: the window moves the other way.
        const msPerPx = (this.shown.to - this.shown.from) / Math.max(1, (this.width || this.element.clientWidth) - 1);
        this.cursor.pan(this.domain, MIN_SPAN_MS, press.end - dx * msPerPx - this.shown.to);
      }
    }
    this.hover(e.offsetX);
  }

  private pointerUp(e: PointerEvent): void {
    const press = this.press;
    this.press = null;
    if (press === null || press.dragged || this.domain === null) return;
    this.cursor.select(Math.min(this.domain.to, Math.max(this.domain.origin, this.timeAt(e.offsetX))));
    this.redraw();
  }

  private wheel(e: WheelEvent): void {
    if (this.domain === null) return;
    const delta = Math.abs(e.deltaX) > Math.abs(e.deltaY) ? 0 : e.deltaY;
    // A plain wheel scrolls the page, as it must in the narrow side panel; Ctrl (or Cmd) and the
    // wheel zoom, which is also what a trackpad's pinch sends.
    if (delta !== 0 && !e.ctrlKey && !e.metaKey) return;
    if (delta === 0) {
      // A sideways scroll (a trackpad, shift + wheel) pans.
      this.cursor.pan(this.domain, MIN_SPAN_MS, (e.deltaX / Math.max(1, this.width)) * (this.shown.to - this.shown.from));
    } else {
      this.cursor.zoom(this.domain, MIN_SPAN_MS, delta > 0 ? ZOOM_STEP : 1 / ZOOM_STEP, this.timeAt(e.offsetX));
    }
    e.preventDefault();
    this.redraw();
    this.hover(e.offsetX);
  }

  private key(e: KeyboardEvent): void {
    const domain = this.domain;
    if (domain === null) return;
    const span = this.shown.to - this.shown.from;
    if (e.key === "+" || e.key === "=") this.cursor.zoom(domain, MIN_SPAN_MS, 1 / ZOOM_STEP);
    else if (e.key === "-" || e.key === "_") this.cursor.zoom(domain, MIN_SPAN_MS, ZOOM_STEP);
    else if (e.key === "0") this.cursor.fit();
    else if (e.key === "ArrowLeft") this.cursor.pan(domain, MIN_SPAN_MS, -span / 10);
    else if (e.key === "ArrowRight") this.cursor.pan(domain, MIN_SPAN_MS, span / 10);
    else return;
    e.preventDefault();
    this.redraw();
  }

  /** The hover line and the read-out of each series' value at the pointer's time, or none. */
  private hover(x: number | null): void {
    if (x === null || this.domain === null) {
      if (this.hoverTime === null) return;
      this.hoverTime = null;
      this.readout.hidden = true;
      this.redraw();
      return;
    }
    const t = this.timeAt(x);
    this.hoverTime = t;
    const values = this.series.map((s, i) => {
      const v = s.valueAt(t);
      const name = this.options.seriesName?.(i);
      return `${name ? `${name} ` : ""}${Number.isNaN(v) ? "—" : this.options.format(v)}`;
    });
    setText(this.readout, `${axisTime(t - this.domain.origin, 10)} · ${values.join(" · ")}`);
    this.readout.hidden = false;
    // Beside the pointer, on the side with more room.
    const width = this.width || this.element.clientWidth;
    this.readout.style.left = x < width / 2 ? `${x + 8}px` : "";
    this.readout.style.right = x < width / 2 ? "" : `${width - x + 8}px`;
    this.redraw();
  }
}

/** A tiny line of recent values, for inline use next to a number. */
export class Sparkline {
  readonly element: HTMLCanvasElement;
  constructor(
    private readonly width: number,
    private readonly height: number,
    label: string,
  ) {
    this.element = h("canvas", { class: "sparkline", role: "img", "aria-label": label, title: label });
    const ratio = window.devicePixelRatio || 1;
    this.element.width = width * ratio;
    this.element.height = height * ratio;
    this.element.style.width = `${width}px`;
    this.element.style.height = `${height}px`;
  }

  draw(values: readonly number[]): void {
    const g = this.element.getContext("2d");
    if (g === null) return;
    const ratio = window.devicePixelRatio || 1;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, this.width, this.height);
    if (values.length < 2) return;
    const max = Math.max(1, ...values);
    g.strokeStyle = palette(this.element).series[0]!;
    g.lineWidth = 1.5;
    g.beginPath();
    values.forEach((v, i) => {
      const x = (i / (values.length - 1)) * (this.width - 1);
      const y = this.height - 1 - (v / max) * (this.height - 2);
      if (i === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.stroke();
  }
}

