// What every warning rule sees and makes (one rule per file in this folder; docs/protocol.md,
// section 10). Rules judge at each scheduler tick and each sample of the main thread.

import type { Peak, Warning } from "../../../protocol/control.js";
import type { WatchedProcess } from "../schedulerTelemetry.js";

/**
 * A warning before the rules' owner stamps it with `since` and `peak`: `measure` is the reading
 * the rule judged from now (a mailbox's length, a slice's ms), the largest of which is its peak.
 */
export type WarningDraft = Omit<Warning, "since" | "peak"> & {
  measure?: Peak;
  /**
   * For a warning listed for a while after its event (a slow slice, a crash, a surrender, a run
   * of restarts): when that event last happened, in run time. Its past span ends there, not when
   * the listing did.
   */
  heldUntil?: number;
};

/** The recent readings of a watched process's mailbox. */
export interface MailboxHistory {
  /** Its length at the last few ticks, oldest first. */
  lengths: number[];
  /** Ticks in a row at which many of its messages matched none of its receive's clauses. */
  unmatchedSamples: number;
  /** The scheduler whose ticks read it (0-based): only that scheduler's ticks end its history. */
  scheduler: number;
}

/** What a rule judges from: the state at one tick or sample. */
export interface Judgement {
  /** Every scheduler's latest watch list of long mailboxes, and their histories. */
  watch: readonly WatchedProcess[];
  history: ReadonlyMap<number, MailboxHistory>;
  /** Milliseconds since the run started, on the samples' clock. */
  now: number;
  /** `file:line` of a site id, "" for none. */
  siteName(id: number): string;
  /** Whether a wait site is a receive written by the user (not a sleep or a call's wait for its reply). */
  isReceiveSite(id: number): boolean;
}

export interface WarningRule {
  judge(j: Judgement, warn: (draft: WarningDraft) => void): void;
}

/** `<0.N.0> (name)` or `<0.N.0> (function)`: how a warning names a process. */
export function who(pid: string, name: string, fn: string): string {
  return `${pid} (${name || fn})`;
}
