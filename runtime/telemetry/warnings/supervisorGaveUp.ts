// "supervisor-gave-up": a supervisor had more restarts than its intensity allows within its
// period, stopped its children and exited with reason "shutdown" (its own supervisor, if any,
// then decides what happens next).

import { formatPid, type GaveUp } from "../../../protocol/control.js";
import { who, type Judgement, type WarningDraft, type WarningRule } from "./rule.js";

/** How long the warning stays listed after the supervisor gave up. */
export const GAVE_UP_LISTED_MS = 60_000;

export class SupervisorGaveUpRule implements WarningRule {
  /** The latest surrender of each supervisor. */
  private readonly gaveUp = new Map<number, GaveUp>();

  gave(m: GaveUp): void {
    this.gaveUp.set(m.supervisor, m);
  }

  judge(j: Judgement, warn: (draft: WarningDraft) => void): void {
    for (const [supervisor, m] of this.gaveUp) {
      if (j.now - m.time >= GAVE_UP_LISTED_MS) {
        this.gaveUp.delete(supervisor);
        continue;
      }
      const pid = formatPid(m.supervisor);
      warn({
        kind: "supervisor-gave-up",
        pid,
        site: j.siteName(m.spawnSite),
        measure: { value: m.restarts, unit: "restarts" },
        heldUntil: m.time,
        message: `Supervisor ${who(pid, m.name, m.fn)} gave up after ${m.restarts} restarts within ${m.periodMs} ms, more than its intensity allows: it stopped its children and exited with reason "shutdown". The last child exited with ${m.reason}.`,
        advice: "Find why its children keep crashing (the crash and restart-loop warnings point at the lines); raise intensity or period only for crashes that are expected and rare.",
      });
    }
  }
}
