// Small canvas charts: a line chart of the run's samples against a time axis, and a sparkline.
// Canvas, not SVG or a library: a redraw of a few thousand points is a few hundred microseconds.

import { h } from "./dom.js";
import * as fmt from "./format.js";
import type { Series } from "./history.js";

export interface ChartOptions {
  /** Fixed top of the y axis (utilization: 1); otherwise the largest value shown. */
  max?: number;
  format: (v: number) => string;
  /** The whole chart's height, the time axis's labels included. */
  height: number;
  ariaLabel: string;
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
const MIN_SPAN_MS = 1000;
/** Steps between time-axis labels, from which the smallest that leaves room for each label is taken. */
const AXIS_STEPS_MS = [100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
/** Pixels per time-axis label at least. */
const AXIS_LABEL_PX = 64;
const AXIS_HEIGHT = 13;
const TOP = 12;

/** Colours come from CSS (theme variables), read once per draw. */
function palette(el: Element): { series: string[]; grid: string; text: string; mark: string } {
  const style = getComputedStyle(el);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    series: [1, 2, 3, 4, 5, 6].map((i) => v(`--bl-series-${i}`, "#4fc1ff")),
    grid: v("--bl-grid", "rgba(128,128,128,0.25)"),
    text: v("--bl-muted", "#888"),
    mark: v("--bl-warning", "#cca700"),
  };
}

/** A time-axis label: seconds (`0 s`, `2.5 s`, `45 s`) under two minutes, then minutes and hours. */
export function axisTime(ms: number, stepMs: number): string {
  if (ms < 120_000) return `${stepMs < 1000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000)} s`;
  return fmt.duration(ms);
}

export class LineChart {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private width = 0;

  constructor(
    private readonly options: ChartOptions,
    title: string,
  ) {
    this.canvas = h("canvas", { role: "img", "aria-label": options.ariaLabel });
    this.element = h("div", { class: "chart", title }, this.canvas);
    this.element.style.height = `${options.height}px`;
    new ResizeObserver(() => {
      this.width = this.element.clientWidth;
    }).observe(this.element);
  }

  /** Draws the series over the whole domain, from its origin at the left edge to its latest sample at the right. */
  draw(series: readonly Series[], domain: ChartDomain): void {
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
    const from = domain.origin;
    const span = Math.max(MIN_SPAN_MS, domain.to - from);
    const x = (t: number) => ((t - from) / span) * (width - 1);
    let max = this.options.max ?? 0;
    if (this.options.max === undefined) for (const s of series) max = Math.max(max, s.max(from));
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
    this.drawAxis(g, width, bottom, from, span, colors);
    for (const mark of domain.marks) {
      if (mark.time < from) continue;
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
    this.describe(series[0], from, span);
    series.forEach((s, index) => {
      g.strokeStyle = colors.series[index % colors.series.length]!;
      g.lineWidth = 1.5;
      g.beginPath();
      let started = false;
      for (let i = 0; i < s.points; i++) {
        const t = s.time(i);
        if (t < from) continue;
        const y = TOP + plot * (1 - Math.min(1, s.value(i) / max));
        if (started) g.lineTo(x(t), y);
        else g.moveTo(x(t), y);
        started = true;
      }
      g.stroke();
    });
  }

  /**
   * What the chart shows, on its element for the tests and for anyone inspecting the page: the span
   * in ms from the origin, and the first series' points drawn and the first one's time from the origin.
   */
  private describe(series: Series | undefined, from: number, span: number): void {
    let points = 0;
    let first = -1;
    for (let i = 0; series !== undefined && i < series.points; i++) {
      if (series.time(i) < from) continue;
      if (points++ === 0) first = series.time(i) - from;
    }
    const d = this.element.dataset;
    const values = { span: String(Math.round(span)), points: String(points), first: String(Math.round(first)) };
    if (d.span !== values.span) d.span = values.span;
    if (d.points !== values.points) d.points = values.points;
    if (d.first !== values.first) d.first = values.first;
  }

  /** Labels under the plot, counted from the origin, as many as fit. */
  private drawAxis(g: CanvasRenderingContext2D, width: number, bottom: number, from: number, span: number, colors: { grid: string; text: string }): void {
    const fit = Math.max(1, Math.floor(width / AXIS_LABEL_PX));
    const step = AXIS_STEPS_MS.find((s) => span / s <= fit) ?? AXIS_STEPS_MS.at(-1)!;
    g.fillStyle = colors.text;
    g.strokeStyle = colors.grid;
    g.textBaseline = "top";
    g.beginPath();
    let right = -Infinity;
    for (let t = 0; t <= span; t += step) {
      const px = Math.round((t / span) * (width - 1)) + 0.5;
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

