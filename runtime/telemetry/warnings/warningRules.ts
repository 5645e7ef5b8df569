// The warning rules together, judged on the main thread from the watch list of long mailboxes, the
// scheduler samples, the slices that could not be preempted and the fault messages. Each warning
// says what is happening and what to do, in one sentence each, and names the process and the
// source line; each rule is a file of this folder (docs/protocol.md, section 10).

import type { FaultMessage, Peak, Warning } from "../../../protocol/control.js";
import type { SchedulerSample } from "../../../protocol/frames.js";
import type { WatchedProcess } from "../schedulerTelemetry.js";
import { bottleneck } from "./bottleneck.js";
import { ImbalanceRule } from "./imbalance.js";
import { LinkedCrashRule } from "./linkedCrash.js";
import { GROWTH_SAMPLES, mailboxGrowing } from "./mailboxGrowing.js";
import { NonPreemptibleRule, type StuckScheduler } from "./nonPreemptible.js";
import { RestartLoopRule } from "./restartLoop.js";
import type { Judgement, MailboxHistory, WarningDraft, WarningRule } from "./rule.js";
import { SupervisorGaveUpRule } from "./supervisorGaveUp.js";
import { UNMATCHED_MIN, unmatchedMessages } from "./unmatchedMessages.js";

export type { StuckScheduler } from "./nonPreemptible.js";

/**
 * A warning that is gone for less than this and comes back is the same one, held on: its `since`
 * and `peak` go on, and the recording does not end it (a server that empties its mailbox in
 * batches drops below a rule's mark for a tick now and then). Gone this long, it has ended.
 */
export const WARNING_GAP_MS = 1000;

export class WarningRules {
  private readonly history = new Map<number, MailboxHistory>();
  /**
   * When each warning (by warningKey) was first seen without a break of WARNING_GAP_MS, its largest
   * reading since, and since when it is gone (undefined while it holds).
   */
  private readonly first = new Map<string, { since: number; peak: Peak | undefined; goneSince: number | undefined; heldUntil: number | undefined }>();
  /** Each scheduler's latest watch list, by index; `watch` is all of them. */
  private readonly watches: (readonly WatchedProcess[])[] = [];
  private watch: readonly WatchedProcess[] = [];
  private readonly imbalance = new ImbalanceRule();
  private readonly nonPreemptible = new NonPreemptibleRule();
  private readonly restartLoop = new RestartLoopRule();
  private readonly gaveUp = new SupervisorGaveUpRule();
  private readonly linkedCrash = new LinkedCrashRule();
  /** In the order their warnings are listed. */
  private readonly rules: readonly WarningRule[] = [
    bottleneck,
    mailboxGrowing,
    unmatchedMessages,
    this.nonPreemptible,
    this.imbalance,
    this.gaveUp,
    this.restartLoop,
    this.linkedCrash,
  ];

  constructor(
    private readonly siteName: (id: number) => string,
    /** Whether a wait site is a receive written by the user (not a sleep or a call's wait for its reply). */
    private readonly isReceiveSite: (id: number) => boolean,
  ) {}

  /** A slow slice reported by scheduler `scheduler` (1-based). */
  nonPreemptibleSlice(scheduler: number, pid: string, site: string, ms: number, now: number): void {
    this.nonPreemptible.slice(scheduler, pid, site, ms, now);
  }

  stuckNow(stuck: readonly StuckScheduler[]): void {
    this.nonPreemptible.stuckNow(stuck);
  }

  /** Every scheduler's sample, at each sample of the main thread. */
  sampled(samples: readonly SchedulerSample[]): void {
    this.imbalance.sampled(samples);
  }

  /**
   * Scheduler `from`'s (0-based) watch list of long mailboxes, once per telemetry interval. Its
   * processes' histories go on; those of other schedulers are left as they are, since each
   * scheduler ticks on its own.
   */
  observe(from: number, watch: readonly WatchedProcess[]): void {
    while (this.watches.length <= from) this.watches.push([]);
    this.watches[from] = watch;
    this.watch = this.watches.flat();
    const seen = new Set<number>();
    for (const w of watch) {
      seen.add(w.pid);
      let h = this.history.get(w.pid);
      if (h === undefined) this.history.set(w.pid, (h = { lengths: [], unmatchedSamples: 0, scheduler: from }));
      h.lengths.push(w.mailbox);
      h.unmatchedSamples = w.unmatched >= UNMATCHED_MIN ? h.unmatchedSamples + 1 : 0;
      if (h.lengths.length > GROWTH_SAMPLES + 1) h.lengths.shift();
    }
    for (const [pid, h] of this.history) if (h.scheduler === from && !seen.has(pid)) this.history.delete(pid);
  }

  /** A scheduler tick's fault messages. */
  faults(messages: readonly FaultMessage[]): void {
    for (const m of messages) {
      if (m.type === "crash") this.linkedCrash.crashed(m, this.siteName);
      else if (m.type === "restart") this.restartLoop.restarted(m);
      else this.gaveUp.gave(m);
    }
  }

  /**
   * The warnings that hold now. Called on the main thread's sample timer too, so a stuck
   * scheduler (which sends no watch list) is warned about while it is stuck.
   */
  judge(now: number): Warning[] {
    const warnings: Warning[] = [];
    const j: Judgement = { watch: this.watch, history: this.history, now, siteName: this.siteName, isReceiveSite: this.isReceiveSite };
    const warn = (draft: WarningDraft) => warnings.push(this.stamp(draft, now));
    for (const rule of this.rules) rule.judge(j, warn);
    const keys = new Set(warnings.map(warningKey));
    for (const [k, f] of this.first) {
      if (keys.has(k)) f.goneSince = undefined;
      else if (f.goneSince === undefined) f.goneSince = now;
      else if (now - f.goneSince >= WARNING_GAP_MS) this.first.delete(k);
    }
    return warnings;
  }

  /** Gives a warning its `since` and `peak` (the largest measure since then), and drops an empty site. */
  private stamp(draft: WarningDraft, now: number): Warning {
    const w: Warning = { kind: draft.kind, message: draft.message, advice: draft.advice, since: now };
    if (draft.pid !== undefined) w.pid = draft.pid;
    if (draft.site) w.site = draft.site;
    if (draft.scheduler !== undefined) w.scheduler = draft.scheduler;
    const k = warningKey(w);
    let first = this.first.get(k);
    if (first === undefined) this.first.set(k, (first = { since: now, peak: undefined, goneSince: undefined, heldUntil: undefined }));
    else w.since = first.since;
    first.heldUntil = draft.heldUntil;
    const m = draft.measure;
    if (m !== undefined && (first.peak === undefined || m.value > first.peak.value)) first.peak = { value: m.value, unit: m.unit };
    if (first.peak !== undefined) w.peak = first.peak;
    return w;
  }

  /**
   * For a warning of the latest judgement that stays listed for a while after its event: when the
   * event last happened (see WarningDraft.heldUntil); undefined for one that holds while listed.
   */
  heldUntil(w: Warning): number | undefined {
    return this.first.get(warningKey(w))?.heldUntil;
  }
}

/** What makes two warnings the same one, held over time: its kind, process, scheduler and site. */
export function warningKey(w: Warning): string {
  return `${w.kind} ${w.pid ?? ""} ${w.scheduler ?? ""} ${w.site ?? ""}`;
}
