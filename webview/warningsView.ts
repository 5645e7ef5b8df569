// The warnings: each names the process and the source line, says what it means and what to do.
// Beside the ones that hold now, the past ones: when each held, and how bad it got (its peak).

import type { EndedWarning, Peak, WarningKind } from "../protocol/control.js";
import { parsePid } from "../protocol/control.js";
import { h } from "./dom.js";
import * as fmt from "./format.js";
import { warningsAt } from "./moment.js";
import { pidLink, sourceLink, type Ui, type View } from "./ui.js";

const KIND_TITLES: Record<WarningKind, { title: string; explain: string }> = {
  "mailbox-growing": { title: "Mailbox keeps growing", explain: "Messages arrive faster than the process takes them out; memory grows with them and nothing is dropped." },
  bottleneck: { title: "Bottleneck", explain: "One process serves many callers one message at a time; the callers wait in its mailbox." },
  "unmatched-messages": { title: "Unmatched messages", explain: "Messages that no receive clause matches stay in the mailbox forever, and every receive walks past them." },
  "non-preemptible": { title: "Non-preemptible slice", explain: "A plain (non-generator) function ran long: JavaScript cannot preempt it, so its scheduler ran nothing else meanwhile." },
  imbalance: {
    title: "Schedulers out of balance",
    explain:
      "One scheduler is busy with processes waiting to run while another is idle. On the BEAM the idle scheduler would steal the waiting processes; in Beamline a process stays on the scheduler it started on, because a suspended generator cannot move to another thread, so the imbalance lasts until new processes start elsewhere.",
  },
  "restart-loop": { title: "Restart loop", explain: "A supervisor restarts a child again and again: each new child crashes the way the last one did, so restarting does not repair it." },
  "supervisor-gave-up": { title: "Supervisor gave up", explain: "More restarts than its intensity allows within its period: the supervisor stopped its children and exited with reason shutdown, and its own supervisor (if any) now decides." },
  "linked-crash": { title: "Crash took linked processes down", explain: "A process crashed and the exit signal went to every process linked to it: those that do not trap exits died with the same reason." },
};

/** "peak 1,000 queued". */
function peakText(peak: Peak): string {
  return `peak ${fmt.count(peak.value)} ${peak.unit}`;
}

export class WarningsView implements View {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly pastHeading: HTMLElement;
  private readonly pastList: HTMLElement;
  private seen = -1;
  private seenTime = -1;

  constructor(private readonly ui: Ui) {
    this.list = h("div", { class: "warning-cards", "data-testid": "warnings-list" });
    this.pastHeading = h("h3", { title: "Warnings that held for a while and no longer do, newest first: when, from main's start, and the largest reading while they held." }, "Past warnings");
    this.pastList = h("ol", { class: "past-warnings", "data-testid": "past-warnings" });
    this.element = h("section", { class: "view warnings", "aria-label": "Warnings" }, this.list, this.pastHeading, this.pastList);
  }

  render(): void {
    const m = this.ui.model;
    const at = this.ui.time.at;
    if (m.versions.warnings === this.seen && this.ui.time.version === this.seenTime) return;
    this.seen = m.versions.warnings;
    this.seenTime = this.ui.time.version;
    this.renderPast(m.pastWarnings, m.pastWarningsForgotten);
    // In the past (the timeline), the cards are the warnings that held at that moment.
    const warnings = warningsAt(m, at);
    if (warnings.length === 0) {
      const checks = "The runtime checks for growing mailboxes, bottlenecks, unmatched messages, non-preemptible slices, unbalanced schedulers, restart loops, supervisors that gave up and crashes that took linked processes down.";
      this.list.replaceChildren(h("p", "empty", at !== null ? `No warnings at ${fmt.duration(m.programTime(at))}. ${checks}` : m.pastWarnings.length === 0 ? `No warnings. ${checks}` : `No warnings now. ${checks}`));
      return;
    }
    this.list.replaceChildren(
      ...(at === null ? [] : [h("p", "note", `The warnings that held at ${fmt.duration(m.programTime(at))}, the moment on the timeline:`)]),
      ...warnings.map((w) => {
        const kind = KIND_TITLES[w.kind] ?? { title: w.kind, explain: "" };
        const pid = w.pid !== undefined ? parsePid(w.pid) : undefined;
        return h(
          "article",
          { class: `warning-card ${w.kind}`, tabindex: "0", "aria-label": `${kind.title}: ${w.message}` },
          h(
            "header",
            {},
            h("strong", { title: kind.explain }, kind.title),
            h(
              "span",
              "warning-when",
              h("span", { class: "since", title: "When the runtime first saw this, counted from when main started." }, "until" in w ? `${fmt.duration(m.programTime(w.since))} – ${fmt.duration(m.programTime(w.until))}` : `since ${fmt.duration(m.programTime(w.since))}`),
              w.peak ? h("span", { class: "past-peak", title: "The largest reading since then." }, peakText(w.peak)) : null,
            ),
          ),
          h("p", "warning-message", w.message),
          kind.explain ? h("p", "warning-explain", kind.explain) : null,
          h("p", "warning-advice", h("span", "advice-label", "What to do: "), w.advice),
          h(
            "footer",
            {},
            pid !== undefined ? pidLink(this.ui, pid, w.pid!) : null,
            w.scheduler !== undefined ? h("span", { title: "The scheduler concerned." }, `scheduler ${w.scheduler}`) : null,
            w.site ? sourceLink(this.ui, w.site) : null,
          ),
        );
      }),
    );
  }

  /** One line per past warning, newest end first: what, where, when it held and its peak; its last text below. */
  private renderPast(past: readonly EndedWarning[], forgotten: number): void {
    this.pastHeading.hidden = this.pastList.hidden = past.length === 0;
    const m = this.ui.model;
    const items = [...past].reverse().map((w) => {
      const kind = KIND_TITLES[w.kind] ?? { title: w.kind, explain: "" };
      const pid = w.pid !== undefined ? parsePid(w.pid) : undefined;
      // A warning of a moment (a slow slice, a crash) is listed for a while but ended when it happened.
      const [from, to] = [fmt.duration(m.programTime(w.since)), fmt.duration(m.programTime(w.until))];
      const span = from === to ? `at ${from}` : `${from} – ${to}`;
      return h(
        "li",
        { class: `past-warning ${w.kind}`, tabindex: "0", "aria-label": `${kind.title}${w.site ? ` at ${w.site}` : ""}, ${span}${w.peak ? `, ${peakText(w.peak)}` : ""}` },
        h(
          "div",
          "past-warning-line",
          h("strong", { title: kind.explain }, kind.title),
          w.site ? h("span", {}, "at ", sourceLink(this.ui, w.site)) : null,
          pid !== undefined ? pidLink(this.ui, pid, w.pid!) : null,
          w.scheduler !== undefined ? h("span", { title: "The scheduler concerned." }, `scheduler ${w.scheduler}`) : null,
          h("span", { class: "past-span", title: "When it held, counted from when main started." }, span),
          w.peak ? h("span", { class: "past-peak", title: "The largest reading while it held." }, peakText(w.peak)) : null,
        ),
        h("p", { class: "warning-message", title: "Its last message before it ended." }, w.message),
      );
    });
    if (forgotten > 0) items.push(h("li", "empty", `and ${fmt.counted(forgotten, "older past warning")}, not kept here`));
    this.pastList.replaceChildren(...items);
  }
}
