// The main thread's part of a crash's `linkedDown` when links cross schedulers. A scheduler lists
// the victims of its own crashes that end on it (faultLog.ts); a victim on another scheduler is
// reported by that scheduler as a pair [by, pid] (the pid the exit signal came from), maybe in a
// tick before or after the crash's own. Here the two meet: the victim joins the crash, and a crash
// that already went out is sent again as an update (docs/protocol.md, section 8, `count` 0).

import { LINKED_DOWN_LIMIT, type Crash, type FaultMessage } from "../../protocol/control.js";

/** Crashes remembered by pid, and victims remembered by pid, at most this many each (oldest go first). */
const REMEMBERED = 1000;
/** Victims whose crash has not arrived yet, at most this many (oldest go first, counted). */
const PENDING = 1000;

export class CrashVictims {
  /** Recent crashes by the pid that crashed. */
  private readonly crashes = new Map<number, Crash>();
  /** Recent victims across schedulers, by pid: the crash that took them down (their links pass it on). */
  private readonly rootOf = new Map<number, Crash>();
  /** Pairs [by, pid] that no remembered crash or victim explains yet, in arrival order. */
  private pending: number[] = [];
  /** Pairs dropped from `pending` unexplained: an exit signal that was not a crash's, or a crash forgotten. */
  unexplained = 0;

  /**
   * Crashes of a tick, before they go out: victims that came first join them now. Returns the
   * updates of crashes sent before, whose victims' victims were waiting for these.
   */
  crashed(messages: readonly FaultMessage[]): Crash[] {
    const fresh = new Set<Crash>();
    for (const m of messages) {
      if (m.type !== "crash") continue;
      remember(this.crashes, m.pid, m);
      fresh.add(m);
    }
    if (fresh.size === 0 || this.pending.length === 0) return [];
    return this.down([]).filter((update) => ![...fresh].some((c) => c.pid === update.pid && c.time === update.time));
  }

  /**
   * Victims `[by, pid, ...]` reported by a scheduler (and those still waiting for their crash);
   * returns the crashes that gained one, as updates to send: an update stands for no new crash,
   * so its `count` is 0.
   */
  down(pairs: readonly number[]): Crash[] {
    const updated = new Set<Crash>();
    let waiting = [...this.pending, ...pairs];
    // A victim's own victims may be reported before it: go round while that explains more.
    for (let before = Infinity; waiting.length > 0 && waiting.length < before; ) {
      before = waiting.length;
      waiting = this.join(waiting, updated);
    }
    if (waiting.length > 2 * PENDING) {
      const extra = waiting.length - 2 * PENDING;
      this.unexplained += extra / 2;
      waiting.splice(0, extra);
    }
    this.pending = waiting;
    return [...updated].map((crash) => ({ ...crash, linkedDown: [...crash.linkedDown], count: 0 }));
  }

  /** Adds each pair's victim to its crash; returns the pairs that no crash explains yet. */
  private join(pairs: readonly number[], updated: Set<Crash>): number[] {
    const left: number[] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const by = pairs[i]!;
      const pid = pairs[i + 1]!;
      const crash = this.crashes.get(by) ?? this.rootOf.get(by);
      if (crash === undefined) {
        left.push(by, pid);
        continue;
      }
      remember(this.rootOf, pid, crash);
      if (crash.linkedDown.length >= LINKED_DOWN_LIMIT || crash.linkedDown.includes(pid)) continue;
      crash.linkedDown.push(pid);
      updated.add(crash);
    }
    return left;
  }
}

function remember<V>(map: Map<number, V>, key: number, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > REMEMBERED) map.delete(map.keys().next().value!);
}
