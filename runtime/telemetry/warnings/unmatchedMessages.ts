// "unmatched-messages": messages that the receive a process is in (or last ran) can never take.

import { formatPid } from "../../../protocol/control.js";
import { who, type WarningRule } from "./rule.js";

/** Unmatched messages that count, and the ticks in a row they must be seen (not a passing scan). */
export const UNMATCHED_MIN = 50;
const UNMATCHED_SAMPLES = 2;

export const unmatchedMessages: WarningRule = {
  judge(j, warn) {
    for (const w of j.watch) {
      const h = j.history.get(w.pid);
      // Whether the process waits or is busy scanning past them (a server that other messages keep
      // waking), the messages its receive rejects stay: counted in the mailbox, not inferred from waiting.
      if (h === undefined || h.unmatchedSamples < UNMATCHED_SAMPLES || !j.isReceiveSite(w.waitSite)) continue;
      const pid = formatPid(w.pid);
      const count = w.scanned < w.mailbox ? `at least ${w.unmatched}` : String(w.unmatched);
      warn({
        kind: "unmatched-messages",
        pid,
        site: j.siteName(w.waitSite),
        measure: { value: w.unmatched, unit: "unmatched" },
        message: `${who(pid, w.name, w.fn)} ${w.waiting ? "waits in a receive" : "keeps receiving"} while ${count} messages in its mailbox match none of its clauses.`,
        advice: "Unmatched messages stay forever: add a catch-all clause, on(_, ...), or stop sending them.",
      });
    }
  },
};
