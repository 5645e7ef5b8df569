// Messages: a sequence diagram of the traced processes' events (spawn, send, receive, links,
// monitors, exit signals, restarts, exit, crash). Drawn on a canvas, one row per event, only the
// visible rows; capped at EVENT_CAP events.

import { h, setText } from "./dom.js";
import * as fmt from "./format.js";
import { EVENT_CAP } from "./model.js";
import type { EventKind, TraceEvent } from "../protocol/frames.js";
import type { Ui, View } from "./ui.js";

const ROW = 20;
const HEAD = 24;
const LANE_WIDTH = 110;
/** More lifelines than this would be unreadable: the rest share one "others" lane. */
const MAX_LANES = 12;

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

export class MessagesView implements View {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly detail: HTMLElement;
  private seen = -1;
  private dirty = true;
  private lanes = new Map<number, number>();

  constructor(private readonly ui: Ui) {
    this.summary = h("p", { class: "note", "data-testid": "messages-summary" });
    this.canvas = h("canvas", { class: "sequence", role: "img", "aria-label": "Sequence diagram of traced events" });
    this.spacer = h("div", "sequence-spacer");
    this.scroller = h("div", { class: "sequence-scroller", tabindex: "0", "aria-label": "Traced events, scrollable" }, this.canvas, this.spacer);
    this.detail = h("div", { class: "sequence-detail", "aria-live": "polite", "data-testid": "messages-detail" });
    this.scroller.addEventListener("scroll", () => (this.dirty = true), { passive: true });
    this.canvas.addEventListener("mousemove", (e) => this.describe(e.offsetY));
    this.element = h("section", { class: "view messages", "aria-label": "Messages" }, this.summary, this.scroller, this.detail);
  }

  render(): void {
    const m = this.ui.model;
    if (m.versions.events !== this.seen) {
      this.seen = m.versions.events;
      this.dirty = true;
      const capped = m.eventsSeen > m.events.length ? ` Showing the newest ${fmt.count(m.events.length)} of ${fmt.count(m.eventsSeen)} (capped at ${fmt.count(EVENT_CAP)}).` : "";
      const dropped = m.eventsDropped > 0 ? ` The runtime's trace ring dropped ${fmt.counted(m.eventsDropped, "event")} (it is bounded).` : "";
      setText(
        this.summary,
        m.events.length === 0
          ? "No traced events yet. Trace a process from the Inspector: its spawns, sends, receives, links, monitors, exit signals, restarts and exits appear here."
          : `${fmt.count(m.events.length)} traced events, oldest at the top.${capped}${dropped}`,
      );
    }
    if (!this.dirty) return;
    this.dirty = false;
    this.draw(m.events);
  }

  private lane(pid: number): number {
    let l = this.lanes.get(pid);
    if (l === undefined) {
      l = this.lanes.size < MAX_LANES ? this.lanes.size : MAX_LANES;
      if (l < MAX_LANES) this.lanes.set(pid, l);
    }
    return l;
  }

  private draw(events: readonly TraceEvent[]): void {
    this.lanes = new Map();
    for (const e of events) {
      this.lane(e.pid);
      if (e.other !== 0) this.lane(e.other);
    }
    const laneCount = Math.min(MAX_LANES + 1, this.lanes.size + (this.lanes.size >= MAX_LANES ? 1 : 0));
    const width = Math.max(this.scroller.clientWidth, laneCount * LANE_WIDTH);
    const viewHeight = this.scroller.clientHeight || 400;
    this.spacer.style.height = `${HEAD + events.length * ROW}px`;
    this.spacer.style.width = `${width}px`;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(this.scroller.clientWidth * ratio);
    this.canvas.height = Math.round(viewHeight * ratio);
    this.canvas.style.height = `${viewHeight}px`;
    this.canvas.style.width = `${this.scroller.clientWidth}px`;
    this.canvas.style.transform = `translate(${this.scroller.scrollLeft}px, ${this.scroller.scrollTop}px)`;
    const g = this.canvas.getContext("2d");
    if (g === null) return;
    const style = getComputedStyle(this.canvas);
    const fg = style.color;
    const muted = style.getPropertyValue("--bl-muted").trim() || "#888";
    const accent = style.getPropertyValue("--bl-series-1").trim() || "#4fc1ff";
    const error = style.getPropertyValue("--bl-error").trim() || "#f14c4c";
    const restart = style.getPropertyValue("--bl-series-3").trim() || "#d18616";
    g.setTransform(ratio, 0, 0, ratio, -this.scroller.scrollLeft * ratio, 0);
    g.clearRect(this.scroller.scrollLeft, 0, this.scroller.clientWidth, viewHeight);
    const x = (lane: number) => lane * LANE_WIDTH + LANE_WIDTH / 2;
    g.font = "11px monospace";
    g.textAlign = "center";
    g.strokeStyle = muted;
    for (let l = 0; l < laneCount; l++) {
      g.beginPath();
      g.moveTo(x(l) + 0.5, HEAD);
      g.lineTo(x(l) + 0.5, viewHeight);
      g.stroke();
    }
    const top = this.scroller.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW));
    const last = Math.min(events.length, first + Math.ceil(viewHeight / ROW) + 1);
    for (let i = first; i < last; i++) {
      const e = events[i]!;
      const y = HEAD + (i - first) * ROW - (top % ROW) + ROW / 2;
      const from = x(this.lane(e.pid));
      const to = e.other !== 0 ? x(this.lane(e.other)) : from;
      const look = LOOKS[e.kind];
      g.strokeStyle = look.color === "error" ? error : look.color === "restart" ? restart : look.color === "muted" ? muted : accent;
      g.fillStyle = g.strokeStyle;
      g.setLineDash(look.dash);
      if (look.arrow && to !== from) {
        g.beginPath();
        g.moveTo(from, y);
        g.lineTo(to, y);
        g.stroke();
        const dir = to > from ? -1 : 1;
        g.beginPath();
        g.moveTo(to, y);
        g.lineTo(to + dir * 6, y - 4);
        g.lineTo(to + dir * 6, y + 4);
        g.fill();
      } else if (e.kind === "exit" || e.kind === "crash") {
        g.setLineDash([]);
        g.beginPath();
        g.moveTo(from - 5, y - 5);
        g.lineTo(from + 5, y + 5);
        g.moveTo(from + 5, y - 5);
        g.lineTo(from - 5, y + 5);
        g.stroke();
      } else {
        g.beginPath();
        g.arc(from, y, 3.5, 0, Math.PI * 2);
        g.fill();
      }
      g.setLineDash([]);
      g.fillStyle = fg;
      g.textAlign = "left";
      const label = `${e.kind} ${e.text}`.slice(0, 40);
      g.fillText(label, Math.min(from, to) + 8, y - 3);
      g.textAlign = "center";
    }
    // The heads last, over the rows, so they stay readable while scrolling.
    g.fillStyle = style.getPropertyValue("--bl-bg").trim() || "#1e1e1e";
    g.fillRect(this.scroller.scrollLeft, 0, this.scroller.clientWidth, HEAD);
    g.fillStyle = fg;
    for (const [pid, l] of this.lanes) g.fillText(fmt.pid(pid), x(l), 15);
    if (laneCount > MAX_LANES) g.fillText("others", x(MAX_LANES), 15);
  }

  private describe(offsetY: number): void {
    const events = this.ui.model.events;
    const i = Math.floor((offsetY - HEAD + this.scroller.scrollTop) / ROW);
    const e = events[i];
    if (e === undefined || offsetY < HEAD) return;
    const text = `${fmt.duration(this.ui.model.programTime(e.time))}: ${fmt.pid(e.pid)} ${e.kind}${e.other !== 0 ? ` ${fmt.pid(e.other)}` : ""} ${e.text}`;
    setText(this.detail, text);
    this.canvas.title = text;
  }
}
