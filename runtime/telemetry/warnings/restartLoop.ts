// "restart-loop": a supervisor restarting the same child again and again. A restart clears the
// child's state, not the cause of its crash; when the cause comes back, so does the crash.

import { formatPid, type Restart } from "../../../protocol/control.js";
import { faultSite } from "./faultSite.js";
import type { Judgement, WarningDraft, WarningRule } from "./rule.js";

/** Restarts of one child within the window that make a loop. */
export const RESTART_LOOP_RESTARTS = 3;
export const RESTART_LOOP_WINDOW_MS = 10_000;

interface ChildRestarts {
  /** Restarts in the window: when, and how many a message stood for. */
  recent: { time: number; count: number }[];
  latest: Restart;
}

export class RestartLoopRule implements WarningRule {
  /** By supervisor and child id. */
  private readonly children = new Map<string, ChildRestarts>();

  restarted(m: Restart): void {
    const key = `${m.supervisor} ${m.childId}`;
    let c = this.children.get(key);
    if (c === undefined) this.children.set(key, (c = { recent: [], latest: m }));
    c.recent.push({ time: m.time, count: m.count });
    c.latest = m;
  }

  judge(j: Judgement, warn: (draft: WarningDraft) => void): void {
    for (const [key, c] of this.children) {
      c.recent = c.recent.filter((r) => j.now - r.time < RESTART_LOOP_WINDOW_MS);
      if (c.recent.length === 0) {
        this.children.delete(key);
        continue;
      }
      const restarts = c.recent.reduce((n, r) => n + r.count, 0);
      if (restarts < RESTART_LOOP_RESTARTS) continue;
      const m = c.latest;
      warn({
        kind: "restart-loop",
        pid: formatPid(m.supervisor),
        site: faultSite(m.at, m.spawnSite, j.siteName),
        measure: { value: restarts, unit: "restarts" },
        heldUntil: m.time,
        message: `Supervisor ${formatPid(m.supervisor)} restarted its child "${m.childId}" ${restarts} times in the last ${RESTART_LOOP_WINDOW_MS / 1000} s; it last exited with ${m.reason}.`,
        advice: "A restart does not remove a cause that comes back: fix the crash at this line, or what the child needs when it starts (a resource, an argument, a process it calls).",
      });
    }
  }
}
