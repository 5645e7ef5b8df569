// "linked-crash": a crash whose exit signal, passed on over links, ended other processes. A link
// says "we live and die together"; unless one side traps exits, one crash takes the group down.

import { formatPid, type Crash } from "../../../protocol/control.js";
import { faultSite } from "./faultSite.js";
import { who, type Judgement, type WarningDraft, type WarningRule } from "./rule.js";

/** How long the warning stays listed after the last such crash of a line. */
export const LINKED_CRASH_LISTED_MS = 10_000;
/** Victims the message names; the rest are counted. */
const NAMED = 5;

export class LinkedCrashRule implements WarningRule {
  /** The latest crash that took others down, by the line it threw at (else its spawn site). */
  private readonly crashes = new Map<string, Crash>();

  crashed(m: Crash, siteName: (id: number) => string): void {
    if (m.linkedDown.length === 0) return;
    this.crashes.set(faultSite(m.at, m.spawnSite, siteName) || `pid ${m.pid}`, m);
  }

  judge(j: Judgement, warn: (draft: WarningDraft) => void): void {
    for (const [site, m] of this.crashes) {
      if (j.now - m.time >= LINKED_CRASH_LISTED_MS) {
        this.crashes.delete(site);
        continue;
      }
      const pid = formatPid(m.pid);
      const down = m.linkedDown;
      const named = down.slice(0, NAMED).map(formatPid).join(", ") + (down.length > NAMED ? ` and ${down.length - NAMED} more` : "");
      warn({
        kind: "linked-crash",
        pid,
        site: faultSite(m.at, m.spawnSite, j.siteName),
        measure: { value: down.length, unit: "linked down" },
        heldUntil: m.time,
        message: `${who(pid, m.name, m.fn)} crashed with ${m.reason} and took ${down.length === 1 ? "a linked process" : `${down.length} linked processes`} down with it: ${named}.`,
        advice: "Linked processes die together unless they trap exits: put them under a supervisor that restarts them, or use monitor() where a process only needs to know of the crash.",
      });
    }
  }
}
