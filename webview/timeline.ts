// The timeline bar: pause the live view, drag back to any moment of the run, step one sample back
// or forward, play at ¼×, 1× or 4×, and return to live; it also zooms the charts. It sets the
// shared TimeCursor, which every view reads (docs/architecture.md, "The visualizer"). Keyboard:
// on the slider the arrow keys step, Page Up/Down step ten, Home goes to the start, End and L
// return to live, Space plays or pauses. It is hidden until a run or a recording has connected:
// before that there is nothing to move through.

import { MIN_SPAN_MS } from "./charts.js";
import { h, setAttr, setText } from "./dom.js";
import * as fmt from "./format.js";
import { stepSample } from "./moment.js";
import { ZOOM_STEP } from "./timeCursor.js";
import type { Ui } from "./ui.js";

const SPEEDS = [0.25, 1, 4] as const;
/** Samples one Page Up/Down steps over. */
const PAGE_STEPS = 10;

export class TimelineBar {
  readonly element: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly label: HTMLElement;
  private readonly liveButton: HTMLButtonElement;
  private readonly playButton: HTMLButtonElement;
  /** The play button's icon: a triangle, two bars while playing. */
  private readonly playPath: SVGPathElement;
  private readonly speedButtons: HTMLButtonElement[];
  private speed: number = 1;
  /** performance.now() of the last frame while playing; null while not playing. */
  private playedAt: number | null = null;
  private drawn = "";
  /** The moment the charts' span was last brought to. */
  private revealed: number | null = null;

  constructor(private readonly ui: Ui) {
    const tool = (label: string | SVGElement, title: string, onClick: () => void, testId: string) => {
      const b = h("button", { class: "timeline-button", type: "button", title, "aria-label": title, "data-testid": testId });
      b.append(label);
      b.addEventListener("click", onClick);
      return b;
    };
    this.liveButton = tool("Pause", "Pause the live view here (L: back to live)", () => this.toggleLive(), "timeline-live");
    const back = tool(icon(ICONS.back), "One sample back (Left arrow on the slider)", () => this.step(-1), "timeline-back");
    const playIcon = icon(ICONS.play);
    this.playPath = playIcon.firstElementChild as SVGPathElement;
    this.playButton = tool(playIcon, "Play from here (Space on the slider)", () => this.togglePlay(), "timeline-play");
    const forward = tool(icon(ICONS.forward), "One sample forward (Right arrow on the slider)", () => this.step(1), "timeline-forward");
    this.speedButtons = SPEEDS.map((speed) => {
      const b = tool(speed === 0.25 ? "¼×" : `${speed}×`, `Play at ${speed === 0.25 ? "a quarter of" : `${speed} times`} the run's speed`, () => this.setSpeed(speed), `timeline-speed-${speed}`);
      b.classList.add("speed");
      return b;
    });
    this.slider = h("input", { type: "range", class: "timeline-slider", min: "0", max: "1000", step: "any", value: "1000", "aria-label": "Moment of the run shown", "data-testid": "timeline-slider" });
    this.slider.addEventListener("input", () => this.select(Number(this.slider.value)));
    this.slider.addEventListener("keydown", (e) => this.key(e));
    this.label = h("span", { class: "timeline-label", "aria-live": "polite", "data-testid": "timeline-label" });
    const domain = () => this.ui.model.chartDomain();
    const zoomIn = tool("+", "Zoom the charts in (+ on a chart)", () => ui.time.zoom(domain(), MIN_SPAN_MS, 1 / ZOOM_STEP), "zoom-in");
    const zoomOut = tool("−", "Zoom the charts out (- on a chart)", () => ui.time.zoom(domain(), MIN_SPAN_MS, ZOOM_STEP), "zoom-out");
    const fit = tool("Whole run", "Show the whole run on the charts (0 on a chart)", () => ui.time.fit(), "zoom-fit");
    // The slider has a row of its own: a label that grows when the past is shown must not move or
    // narrow it under a dragging pointer.
    this.element = h(
      "div",
      { class: "timeline-bar", role: "toolbar", "aria-label": "Timeline", "data-testid": "timeline", hidden: "" },
      h(
        "div",
        "timeline-row",
        this.liveButton,
        h("span", { class: "timeline-group", role: "group", "aria-label": "Step and play" }, back, this.playButton, forward, ...this.speedButtons),
        this.label,
        h("span", { class: "timeline-group", role: "group", "aria-label": "Chart zoom" }, zoomOut, zoomIn, fit),
      ),
      this.slider,
    );
    this.setSpeed(1);
  }

  /** Called every animation frame: moves a playing moment on, and shows the moment and the run's span. */
  render(now: number): void {
    const m = this.ui.model;
    // No run has said hello yet (a webview waiting for the extension's "connect"): nothing to move
    // through. A run that stops keeps its hello, so the bar stays over its last state.
    const noRun = m.hello === null;
    if (this.element.hidden !== noRun) this.element.hidden = noRun;
    if (noRun) return;
    const time = this.ui.time;
    const { origin, to } = m.chartDomain();
    if (this.playedAt !== null) {
      const at = (time.at ?? origin) + (now - this.playedAt) * this.speed;
      this.playedAt = now;
      // Played up to the latest sample: the run goes on live (a replay stays at its end).
      if (at >= to) {
        this.playedAt = null;
        time.select(null);
      } else time.select(at);
    }
    const at = time.at;
    // A zoomed chart follows the moment shown when it moves out of the span (playing, dragging,
    // stepping), but a pan away from a moment that stays is the user's.
    if (at !== null && at !== this.revealed) time.reveal(m.chartDomain(), MIN_SPAN_MS, at);
    this.revealed = at;
    const replay = m.hello?.replay !== undefined;
    const key = `${origin}/${to}/${at}/${this.playedAt !== null}/${this.speed}/${m.hello?.startedAt}/${m.mainStartedAt}/${replay}`;
    if (key === this.drawn) return;
    this.drawn = key;
    const span = Math.max(1, to - origin);
    this.slider.min = String(origin);
    this.slider.max = String(origin + span);
    const shown = at ?? to;
    // Setting the value while the user drags the thumb would fight the drag; it equals the moment then anyway.
    if (Number(this.slider.value) !== shown) this.slider.value = String(shown);
    const total = fmt.duration(m.programTime(to));
    const clock = m.hello === null ? "" : ` (${wallClock(m.hello.startedAt + shown)})`;
    const text =
      at === null
        ? `${replay ? "End of the recording" : "Live"} · ${total}${clock}`
        : `Viewing the past at t = ${fmt.duration(m.programTime(at))}${clock} of ${total}${replay ? "" : " · live data keeps arriving"}`;
    setText(this.label, text);
    setAttr(this.slider, "aria-valuetext", at === null ? `${replay ? "end of the recording" : "live"}, ${total}` : `${fmt.duration(m.programTime(at))}${clock} of ${total}`);
    this.element.classList.toggle("past", at !== null);
    setText(this.liveButton, at === null ? "Pause" : replay ? "To the end" : "● Live");
    const liveTitle = at === null ? "Pause the live view here (then drag, step or play)" : replay ? "Back to the end of the recording (L)" : "Back to live (L)";
    setAttr(this.liveButton, "title", liveTitle);
    setAttr(this.liveButton, "aria-label", liveTitle);
    setAttr(this.playPath, "d", this.playedAt !== null ? ICONS.pause : ICONS.play);
    setAttr(this.playButton, "aria-label", this.playedAt !== null ? "Pause playing" : "Play from here");
    setAttr(this.playButton, "aria-pressed", String(this.playedAt !== null));
  }

  private select(time: number): void {
    const { origin, to } = this.ui.model.chartDomain();
    this.ui.time.select(Math.min(to, Math.max(origin, time)));
  }

  /** Live: stop here (at the latest sample); in the past: back to live. */
  private toggleLive(): void {
    this.playedAt = null;
    if (this.ui.time.at === null) this.select(this.ui.model.chartDomain().to);
    else this.ui.time.select(null);
  }

  private step(direction: -1 | 1, steps = 1): void {
    this.playedAt = null;
    const m = this.ui.model;
    let at = this.ui.time.at ?? m.chartDomain().to;
    for (let i = 0; i < steps; i++) at = stepSample(m, at, direction);
    this.select(at);
  }

  /** Plays from the moment shown; live, from the run's start. */
  private togglePlay(): void {
    if (this.playedAt !== null) {
      this.playedAt = null;
      this.drawn = "";
      return;
    }
    if (this.ui.time.at === null) this.select(this.ui.model.chartDomain().origin);
    this.playedAt = performance.now();
    this.drawn = "";
  }

  private setSpeed(speed: number): void {
    this.speed = speed;
    SPEEDS.forEach((s, i) => setAttr(this.speedButtons[i]!, "aria-pressed", String(s === speed)));
    this.drawn = "";
  }

  private key(e: KeyboardEvent): void {
    switch (e.key) {
      case "ArrowLeft":
      case "ArrowDown":
        this.step(-1);
        break;
      case "ArrowRight":
      case "ArrowUp":
        this.step(1);
        break;
      case "PageDown":
        this.step(-1, PAGE_STEPS);
        break;
      case "PageUp":
        this.step(1, PAGE_STEPS);
        break;
      case "Home":
        this.playedAt = null;
        this.select(this.ui.model.chartDomain().origin);
        break;
      case "End":
      case "l":
      case "L":
        this.playedAt = null;
        this.ui.time.select(null);
        break;
      case " ":
        this.togglePlay();
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}

/** 12 × 12 icons, SVG paths: the media symbols are missing from many fonts. */
const ICONS = {
  play: "M3 1.5v9l7.5-4.5z",
  pause: "M2.5 1.5h2.5v9h-2.5zM7 1.5h2.5v9h-2.5z",
  back: "M1.5 1.5h2v9h-2zM11 1.5v9l-7-4.5z",
  forward: "M8.5 1.5h2v9h-2zM1 1.5v9l7-4.5z",
};

function icon(path: string): SVGElement {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 12 12");
  svg.setAttribute("width", "12");
  svg.setAttribute("height", "12");
  svg.setAttribute("aria-hidden", "true");
  const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
  p.setAttribute("d", path);
  p.setAttribute("fill", "currentColor");
  svg.append(p);
  return svg;
}

/** The program's wall clock at a moment: hh:mm:ss.mmm, local time. */
function wallClock(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}
