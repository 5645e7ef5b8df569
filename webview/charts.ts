// Small canvas charts: a line chart of recent samples and a sparkline. Canvas, not SVG or a
// library: a redraw of a few thousand points is a few hundred microseconds.

import { h } from "./dom.js";
import type { Ring } from "./history.js";

export interface ChartOptions {
  /** Fixed top of the y axis (utilization: 1); otherwise the largest value shown. */
  max?: number;
  format: (v: number) => string;
  height: number;
  ariaLabel: string;
}

/** Colours come from CSS (theme variables), read once per draw. */
function palette(el: Element): { series: string[]; grid: string; text: string } {
  const style = getComputedStyle(el);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    series: [1, 2, 3, 4, 5, 6].map((i) => v(`--bl-series-${i}`, "#4fc1ff")),
    grid: v("--bl-grid", "rgba(128,128,128,0.25)"),
    text: v("--bl-muted", "#888"),
  };
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

  /** Draws the series (each a Ring of the same length), the newest sample at the right edge. */
  draw(series: readonly Ring[], windowSamples: number): void {
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
    let max = this.options.max ?? 0;
    if (this.options.max === undefined) for (const s of series) max = Math.max(max, s.max());
    if (max <= 0) max = 1;
    const top = 12;
    const plot = height - top - 2;
    g.strokeStyle = colors.grid;
    g.lineWidth = 1;
    g.beginPath();
    for (const f of [0, 0.5, 1]) {
      const y = Math.round(top + plot * (1 - f)) + 0.5;
      g.moveTo(0, y);
      g.lineTo(width, y);
    }
    g.stroke();
    g.fillStyle = colors.text;
    g.font = "10px sans-serif";
    g.textBaseline = "top";
    g.fillText(this.options.format(max), 2, 0);
    const step = width / Math.max(1, windowSamples - 1);
    series.forEach((s, index) => {
      const n = Math.min(s.length, windowSamples);
      if (n === 0) return;
      g.strokeStyle = colors.series[index % colors.series.length]!;
      g.lineWidth = 1.5;
      g.beginPath();
      for (let i = 0; i < n; i++) {
        const v = s.at(s.length - n + i);
        const x = width - (n - 1 - i) * step;
        const y = top + plot * (1 - Math.min(1, v / max));
        if (i === 0) g.moveTo(x, y);
        else g.lineTo(x, y);
      }
      g.stroke();
    });
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

/** Samples across a chart: at least one minute, up to all the history (five minutes at 100 ms). */
export function chartWindow(m: { time: Ring; store: { intervalMs: number } }): number {
  return Math.max(Math.ceil(60_000 / Math.max(50, m.store.intervalMs)), m.time.length);
}
