// "bottleneck": many callers blocked in `call` on one process.

import { formatPid } from "../../../protocol/control.js";
import { who, type WarningRule } from "./rule.js";

/** Callers queued in one mailbox that make a process a bottleneck. */
export const BOTTLENECK_CALLERS = 10;

export const bottleneck: WarningRule = {
  judge(j, warn) {
    for (const w of j.watch) {
      if (w.pendingCalls < BOTTLENECK_CALLERS) continue;
      const pid = formatPid(w.pid);
      warn({
        kind: "bottleneck",
        pid,
        site: j.siteName(w.spawnSite),
        measure: { value: w.mailbox, unit: "queued" },
        message: `${who(pid, w.name, w.fn)} has ${w.pendingCalls} callers blocked in call on it and ${w.mailbox} messages queued.`,
        advice: "One process handles one request at a time: spread the load over a pool of servers, or make each request cheaper.",
      });
    }
  },
};
