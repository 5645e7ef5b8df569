// Warning rules, judged on the main thread from the watch list of long mailboxes, the scheduler
// samples and the slices that could not be preempted. Each warning says what is happening and
// what to do, in one sentence each, and names the process and the source line.

import type { Warning } from "../../protocol/control.js";
import { formatPid } from "../../protocol/control.js";
import type { WatchedProcess } from "./schedulerTelemetry.js";

/** Samples of growth in a row before a mailbox counts as "keeps growing". */
const GROWTH_SAMPLES = 4;
const GROWING_MIN = 100;
const UNMATCHED_MIN = 50;
const BOTTLENECK_CALLERS = 10;
/** A non-preemptible slice stays on the list this long. */
const SLICE_WARNING_MS = 10_000;
const SLICE_WARNING_MIN_MS = 100;
/** A slice running this long is reported while it runs. */
const STUCK_WARNING_MS = 500;

const SPLIT_WORK = "Move long work into a generator loop (it yields at loop heads) or split it into steps.";

/** Samples in a row with unmatched messages before they count as piling up (not a passing scan). */
const UNMATCHED_SAMPLES = 2;

interface History {
  lengths: number[];
  /** Samples in a row in which at least UNMATCHED_MIN messages matched none of the receive's clauses. */
  unmatchedSamples: number;
}

export interface StuckScheduler {
  scheduler: number;
  pid: string;
  ms: number;
  /** Where the slice overran in a plain function, when the scheduler reported it. */
  site: string;
}

export class WarningRules {
  private readonly history = new Map<number, History>();
  private readonly first = new Map<string, number>();
  private slowSlices: { pid: string; site: string; ms: number; at: number }[] = [];
  private stuck: StuckScheduler | undefined;
  private watch: readonly WatchedProcess[] = [];

  constructor(
    private readonly siteName: (id: number) => string,
    /** Whether a wait site is a receive written by the user (not a sleep or a call's wait for its reply). */
    private readonly isReceiveSite: (id: number) => boolean,
  ) {}

  nonPreemptibleSlice(pid: string, site: string, ms: number, now: number): void {
    if (ms < SLICE_WARNING_MIN_MS) return;
    this.slowSlices = this.slowSlices.filter((s) => s.pid !== pid || s.site !== site);
    this.slowSlices.push({ pid, site, ms, at: now });
  }

  stuckNow(stuck: StuckScheduler | undefined): void {
    this.stuck = stuck;
  }

  /** A scheduler's watch list of long mailboxes, once per telemetry interval. */
  observe(watch: readonly WatchedProcess[]): void {
    this.watch = watch;
    const seen = new Set<number>();
    for (const w of watch) {
      seen.add(w.pid);
      let h = this.history.get(w.pid);
      if (h === undefined) this.history.set(w.pid, (h = { lengths: [], unmatchedSamples: 0 }));
      h.lengths.push(w.mailbox);
      h.unmatchedSamples = w.unmatched >= UNMATCHED_MIN ? h.unmatchedSamples + 1 : 0;
      if (h.lengths.length > GROWTH_SAMPLES + 1) h.lengths.shift();
    }
    for (const pid of this.history.keys()) if (!seen.has(pid)) this.history.delete(pid);
  }

  /**
   * The warnings that hold now. Called on the main thread's sample timer too, so a stuck
   * scheduler (which sends no watch list) is warned about while it is stuck.
   */
  judge(runQueues: readonly number[], now: number): Warning[] {
    const warnings: Warning[] = [];
    for (const w of this.watch) {
      const h = this.history.get(w.pid)!;
      const pid = formatPid(w.pid);
      const who = `${pid} (${w.name || w.fn})`;
      if (w.pendingCalls >= BOTTLENECK_CALLERS) {
        warnings.push(
          this.make("bottleneck", pid, this.siteName(w.spawnSite), now, {
            message: `${who} has ${w.pendingCalls} callers blocked in call on it and ${w.mailbox} messages queued.`,
            advice: "One process handles one request at a time: spread the load over a pool of servers, or make each request cheaper.",
          }),
        );
      } else if (isGrowing(h.lengths) && w.mailbox >= GROWING_MIN) {
        warnings.push(
          this.make("mailbox-growing", pid, this.siteName(w.spawnSite), now, {
            message: `The mailbox of ${who} has grown for ${GROWTH_SAMPLES} samples in a row, to ${w.mailbox} messages.`,
            advice: "It receives faster than it handles: make its handling faster, share the work with a pool, or have senders wait for replies.",
          }),
        );
      }
      // Whether the process waits or is busy scanning past them (a server that other messages keep
      // waking), the messages its receive rejects stay: counted in the mailbox, not inferred from waiting.
      if (h.unmatchedSamples >= UNMATCHED_SAMPLES && this.isReceiveSite(w.waitSite)) {
        const count = w.scanned < w.mailbox ? `at least ${w.unmatched}` : String(w.unmatched);
        warnings.push(
          this.make("unmatched-messages", pid, this.siteName(w.waitSite), now, {
            message: `${who} ${w.waiting ? "waits in a receive" : "keeps receiving"} while ${count} messages in its mailbox match none of its clauses.`,
            advice: "Unmatched messages stay forever: add a catch-all clause, on(_, ...), or stop sending them.",
          }),
        );
      }
    }

    const stuck = this.stuck;
    if (stuck !== undefined && stuck.ms >= STUCK_WARNING_MS) {
      warnings.push(
        this.make("non-preemptible", stuck.pid, stuck.site, now, {
          message: stuck.site
            ? `Scheduler ${stuck.scheduler} has been stuck for ${Math.round(stuck.ms)} ms in ${stuck.pid}, in a plain function at ${stuck.site} that cannot be preempted.`
            : `Scheduler ${stuck.scheduler} has been running one slice of ${stuck.pid} for ${Math.round(stuck.ms)} ms; nothing else runs on it meanwhile.`,
          advice: SPLIT_WORK,
        }),
      );
    }
    this.slowSlices = this.slowSlices.filter((s) => now - s.at < SLICE_WARNING_MS);
    for (const s of this.slowSlices) {
      if (stuck?.pid === s.pid) continue;
      warnings.push(
        this.make("non-preemptible", s.pid, s.site, now, {
          message: `${s.pid} ran ${Math.round(s.ms)} ms past its budget in a plain function at ${s.site}, and its scheduler ran nothing else meanwhile.`,
          advice: SPLIT_WORK,
        }),
      );
    }

    if (runQueues.length > 1) {
      const max = Math.max(...runQueues);
      const min = Math.min(...runQueues);
      if (max >= 100 && max > 10 * (min + 1)) {
        const busiest = runQueues.indexOf(max) + 1;
        warnings.push(
          this.make(
            "imbalance",
            undefined,
            undefined,
            now,
            {
              message: `Scheduler ${busiest} has ${max} runnable processes while another has ${min}.`,
              advice: "A process stays on the scheduler it started on: spawn work from several processes so that new processes spread out.",
            },
            busiest,
          ),
        );
      }
    }
    const keys = new Set(warnings.map(key));
    for (const k of this.first.keys()) if (!keys.has(k)) this.first.delete(k);
    return warnings;
  }

  private make(
    kind: Warning["kind"],
    pid: string | undefined,
    site: string | undefined,
    now: number,
    text: { message: string; advice: string },
    scheduler?: number,
  ): Warning {
    const w: Warning = { kind, message: text.message, advice: text.advice, since: now };
    if (pid !== undefined) w.pid = pid;
    if (site) w.site = site;
    if (scheduler !== undefined) w.scheduler = scheduler;
    const k = key(w);
    const first = this.first.get(k);
    if (first === undefined) this.first.set(k, now);
    else w.since = first;
    return w;
  }
}

function key(w: Warning): string {
  return `${w.kind} ${w.pid ?? ""} ${w.scheduler ?? ""} ${w.site ?? ""}`;
}

function isGrowing(lengths: readonly number[]): boolean {
  if (lengths.length < GROWTH_SAMPLES + 1) return false;
  for (let i = 1; i < lengths.length; i++) if (lengths[i]! <= lengths[i - 1]!) return false;
  return true;
}
