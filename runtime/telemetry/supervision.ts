// The answer to a `supervision` request: every live supervisor with its children, and the linked
// processes outside any supervisor, each list bounded, so that a pool of 10,000 children costs its
// viewer 200 entries and a count (docs/protocol.md, section 9).

import {
  SUPERVISION_CHILD_LIMIT,
  SUPERVISION_LOOSE_LIMIT,
  SUPERVISION_LOOSE_LINKS_LIMIT,
  SUPERVISION_SUPERVISOR_LIMIT,
  type ChildNode,
  type LooseLink,
  type SupervisionTree,
  type SupervisorNode,
} from "../../protocol/control.js";
import type { Process } from "../core/process.js";
import type { Scheduler } from "../core/scheduler.js";
import type { Pid } from "../core/terms.js";
import { forEachSupervisor, supervisorOf, type ChildSnapshot, type SupervisorSnapshot } from "../behaviours/supervisor.js";
import { oneLine } from "./faultLog.js";

/**
 * The children a viewer is shown: all of them up to `limit`; beyond it, those restarted most
 * recently, then the first in order, always in the supervisor's order.
 */
export function listedChildren(children: readonly ChildSnapshot[], limit: number): ChildSnapshot[] {
  if (children.length <= limit) return children.slice();
  const restarted: number[] = [];
  for (let i = 0; i < children.length; i++) if (children[i]!.lastRestartMs >= 0) restarted.push(i);
  restarted.sort((a, b) => children[b]!.lastRestartMs - children[a]!.lastRestartMs);
  const chosen = new Set(restarted.slice(0, limit));
  for (let i = 0; i < children.length && chosen.size < limit; i++) chosen.add(i);
  return [...chosen].sort((a, b) => a - b).map((i) => children[i]!);
}

/** The child's running process (a local Process, or the Pid of one on another scheduler), or undefined while it is not running. */
export function runningPid(c: ChildSnapshot, s: Scheduler): Pid | undefined {
  const pid = c.pid;
  if (pid === undefined) return undefined;
  if (isLocal(pid)) return pid.status !== "exited" ? pid : undefined;
  return s.peers?.isAlive(pid) === true ? pid : undefined;
}

/** A Process is a Pid of this scheduler with a status; a child on another scheduler is a plain Pid. */
function isLocal(p: Pid): p is Process {
  return "status" in p;
}

/**
 * A child's status as its supervisor's scheduler knows it: a local child's process status, and
 * "remote" for one on another scheduler, whose status is that scheduler's (the process table).
 */
function statusOf(pid: Pid): string {
  return isLocal(pid) ? pid.status : "remote";
}

/** The reason a child last ended with, on one line; "" if it never ended. */
export function lastReasonOf(c: ChildSnapshot): string {
  return c.lastReason === undefined ? "" : oneLine(c.lastReason);
}

export class SupervisionReader {
  constructor(
    private readonly scheduler: Scheduler,
    /** Milliseconds since the run started, on the samples' clock. */
    private readonly runNow: () => number,
    private readonly nameOf: (p: Process) => string,
  ) {}

  tree(): SupervisionTree {
    const all = new Map<Process, SupervisorSnapshot>();
    forEachSupervisor((p, snapshot) => all.set(p, snapshot));
    // Roots first, oldest first, each followed by its subtree, depth first in its children's order.
    const ordered: [Process, SupervisorSnapshot, number][] = [];
    const visit = (p: Process, snapshot: SupervisorSnapshot, parent: number) => {
      ordered.push([p, snapshot, parent]);
      for (const c of snapshot.children) {
        const child = runningPid(c, this.scheduler);
        // A supervisor on another scheduler is placed under this one when the trees merge (supervisionMerge.ts).
        if (child === undefined || !isLocal(child)) continue;
        const sub = all.get(child);
        if (sub !== undefined) visit(child, sub, p.id);
      }
    };
    const roots = [...all.keys()].filter((p) => {
      const parent = supervisorOf(p);
      return parent === undefined || !isLocal(parent) || !all.has(parent);
    });
    roots.sort((a, b) => a.id - b.id);
    for (const root of roots) visit(root, all.get(root)!, 0);
    const supervisors = ordered.slice(0, SUPERVISION_SUPERVISOR_LIMIT).map(([p, snapshot, parent]) => this.node(p, snapshot, parent));
    const loose = this.looseLinks(all);
    return {
      supervisors,
      omittedSupervisors: Math.max(0, ordered.length - SUPERVISION_SUPERVISOR_LIMIT),
      looseLinks: loose.listed,
      truncated: loose.total - loose.listed.length,
    };
  }

  /** A supervisor's child's last restart on the samples' clock: the supervisor stamps it with scheduler.now(). */
  runTimeOf(lastRestartMs: number): number {
    return lastRestartMs < 0 ? -1 : this.runNow() - (this.scheduler.now() - lastRestartMs);
  }

  private node(p: Process, s: SupervisorSnapshot, parent: number): SupervisorNode {
    return {
      pid: p.id,
      name: this.nameOf(p),
      fn: p.fn.name || "(anonymous)",
      strategy: s.strategy,
      intensity: s.intensity,
      period: s.period,
      parent,
      restarts: s.restarts,
      spawnSite: p.spawnSite,
      childCount: s.children.length,
      children: listedChildren(s.children, SUPERVISION_CHILD_LIMIT).map((c) => this.child(c)),
    };
  }

  private child(c: ChildSnapshot): ChildNode {
    const pid = runningPid(c, this.scheduler);
    return {
      id: c.id,
      pid: pid?.id ?? 0,
      type: c.type,
      restart: c.restart,
      restarts: c.restarts,
      lastRestartMs: this.runTimeOf(c.lastRestartMs),
      lastReason: lastReasonOf(c),
      status: pid === undefined ? "stopped" : statusOf(pid),
    };
  }

  /**
   * Linked processes that are neither supervisors nor a supervisor's children (of this scheduler or
   * another): the oldest SUPERVISION_LOOSE_LIMIT, oldest first, and how many there are. Only those
   * listed are described: the recording reads the tree after link changes (docs/protocol.md,
   * section 5), and a spawner of 200,000 linked processes must not cost 200,000 descriptions.
   */
  private looseLinks(supervisors: ReadonlyMap<Process, SupervisorSnapshot>): { listed: LooseLink[]; total: number } {
    const found: Process[] = [];
    for (let p = this.scheduler.newestLive; p !== null; p = p.nextLive) {
      const links = p.signals?.links;
      if (links == null || links.size === 0 || supervisors.has(p) || supervisorOf(p) !== undefined) continue;
      found.push(p);
    }
    const listed: LooseLink[] = [];
    for (let i = found.length - 1; i >= 0 && listed.length < SUPERVISION_LOOSE_LIMIT; i--) {
      const p = found[i]!;
      const pids: number[] = [];
      for (const q of p.signals!.links!.values()) {
        if (pids.length === SUPERVISION_LOOSE_LINKS_LIMIT) break;
        pids.push(q.id);
      }
      listed.push({ pid: p.id, fn: p.fn.name || "(anonymous)", name: this.nameOf(p), links: pids });
    }
    return { listed, total: found.length };
  }
}
