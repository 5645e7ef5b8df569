// The moment the views show and the span the charts show, shared by every view: live (the latest
// sample) or a moment of the run's past picked on the timeline bar or a chart (docs/architecture.md,
// "The visualizer"), and the whole run or a zoomed window of it.

import type { ChartDomain } from "./charts.js";

/** The narrowest span a chart zooms in to. */
export const MIN_ZOOM_MS = 200;
/** How much one zoom step (a button, a key, a wheel notch) narrows or widens the span. */
export const ZOOM_STEP = 1.5;

export interface TimeWindow {
  from: number;
  to: number;
}

export class TimeCursor {
  /** The run time (ms on the samples' clock) the views show; null while they show live data. */
  at: number | null = null;
  /** The zoomed span's width in ms; null shows the whole run. */
  private zoomSpan: number | null = null;
  /** The zoomed span's right edge; null keeps it at the latest sample, so that a live chart keeps moving. */
  private zoomEnd: number | null = null;
  /** Bumped on every change, so that views redraw for it. */
  version = 0;

  get live(): boolean {
    return this.at === null;
  }

  /** Shows the run at `time` (the past), or live with null. */
  select(time: number | null): void {
    if (time === this.at) return;
    this.at = time;
    this.version++;
  }

  /** The span the charts show of a run that spans `domain`: the whole of it unless zoomed. */
  window(domain: ChartDomain, minSpan: number): TimeWindow {
    const whole = Math.max(minSpan, domain.to - domain.origin);
    if (this.zoomSpan === null || this.zoomSpan >= whole) return { from: domain.origin, to: domain.origin + whole };
    const span = this.zoomSpan;
    const end = Math.min(domain.to, Math.max(domain.origin + span, this.zoomEnd ?? domain.to));
    return { from: end - span, to: end };
  }

  get zoomed(): boolean {
    return this.zoomSpan !== null;
  }

  /** Narrows (factor < 1) or widens the shown span around run time `around`, which stays where it is on screen. */
  zoom(domain: ChartDomain, minSpan: number, factor: number, around?: number): void {
    const { from, to } = this.window(domain, minSpan);
    const whole = Math.max(minSpan, domain.to - domain.origin);
    const span = Math.min(whole, Math.max(MIN_ZOOM_MS, (to - from) * factor));
    const pivot = around ?? this.at ?? to;
    const share = to > from ? (pivot - from) / (to - from) : 1;
    if (span >= whole) {
      this.zoomSpan = this.zoomEnd = null;
    } else {
      this.zoomSpan = span;
      this.setEnd(domain, pivot - share * span + span);
    }
    this.version++;
  }

  /** Moves the zoomed span by `ms` (negative: to earlier times). */
  pan(domain: ChartDomain, minSpan: number, ms: number): void {
    if (this.zoomSpan === null) return;
    this.setEnd(domain, this.window(domain, minSpan).to + ms);
    this.version++;
  }

  /** Moves a zoomed span so that it shows run time `time` (the moment playing or dragged to), a tenth in from its edge. */
  reveal(domain: ChartDomain, minSpan: number, time: number): void {
    if (this.zoomSpan === null) return;
    const { from, to } = this.window(domain, minSpan);
    if (time >= from && time <= to) return;
    const span = to - from;
    this.setEnd(domain, time < from ? time - span / 10 + span : time + span / 10);
    this.version++;
  }

  /** Shows the whole run again. */
  fit(): void {
    if (this.zoomSpan === null) return;
    this.zoomSpan = this.zoomEnd = null;
    this.version++;
  }

  /** Keeps the right edge inside the run; at the latest sample it follows the samples to come. */
  private setEnd(domain: ChartDomain, end: number): void {
    const span = this.zoomSpan ?? 0;
    const clamped = Math.min(domain.to, Math.max(domain.origin + span, end));
    this.zoomEnd = clamped >= domain.to ? null : clamped;
  }
}
