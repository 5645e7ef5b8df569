// "mailbox-growing": a mailbox that grew at every tick for a while. A bottleneck says more of the
// same process, so this rule leaves such a process to it.

import { formatPid } from "../../../protocol/control.js";
import { BOTTLENECK_CALLERS } from "./bottleneck.js";
import { who, type WarningRule } from "./rule.js";

/** Ticks of growth in a row before a mailbox counts as "keeps growing", and the length it must have reached. */
export const GROWTH_SAMPLES = 4;
const GROWING_MIN = 100;

export const mailboxGrowing: WarningRule = {
  judge(j, warn) {
    for (const w of j.watch) {
      if (w.pendingCalls >= BOTTLENECK_CALLERS || w.mailbox < GROWING_MIN) continue;
      const h = j.history.get(w.pid);
      if (h === undefined || !isGrowing(h.lengths)) continue;
      const pid = formatPid(w.pid);
      warn({
        kind: "mailbox-growing",
        pid,
        site: j.siteName(w.spawnSite),
        measure: { value: w.mailbox, unit: "queued" },
        message: `The mailbox of ${who(pid, w.name, w.fn)} has grown for ${GROWTH_SAMPLES} samples in a row, to ${w.mailbox} messages.`,
        advice: "It receives faster than it handles: make its handling faster, share the work with a pool, or have senders wait for replies.",
      });
    }
  },
};

function isGrowing(lengths: readonly number[]): boolean {
  if (lengths.length < GROWTH_SAMPLES + 1) return false;
  for (let i = 1; i < lengths.length; i++) if (lengths[i]! <= lengths[i - 1]!) return false;
  return true;
}
