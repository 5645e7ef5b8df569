// The main thread's memory of faults: the latest message of each fault group, so that a client
// that connects, subscribes to `faults` or catches up after lagging learns of the crashes and
// restarts so far. Messages carry totals, so a replay never counts anything twice
// (docs/protocol.md, section 8).

import { FAULT_HISTORY_LIMIT, faultGroupKey, type FaultMessage } from "../../protocol/control.js";

export class FaultHistory {
  /** The latest message of each group, the group with the oldest latest message first. */
  private readonly latest = new Map<string, FaultMessage>();

  add(messages: readonly FaultMessage[]): void {
    for (const m of messages) {
      const key = faultGroupKey(m);
      this.latest.delete(key);
      this.latest.set(key, m);
      if (this.latest.size > FAULT_HISTORY_LIMIT) this.latest.delete(this.latest.keys().next().value!);
    }
  }

  /** The messages to replay, oldest first, as the JSON texts clients are sent. */
  replay(): string[] {
    return [...this.latest.values()].sort((a, b) => a.time - b.time).map((m) => JSON.stringify(m));
  }
}
