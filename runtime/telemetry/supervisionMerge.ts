// The node's supervision tree from the trees of N schedulers: each scheduler lists the supervisors
// and loosely linked processes it runs, and a viewer gets one answer with the same order and
// bounds as one scheduler's (docs/protocol.md, section 9).

import { SUPERVISION_LOOSE_LIMIT, SUPERVISION_SUPERVISOR_LIMIT, type SupervisionTree, type SupervisorNode } from "../../protocol/control.js";

export function mergeSupervisionTrees(trees: readonly SupervisionTree[]): SupervisionTree {
  if (trees.length === 1) return trees[0]!;
  const all = trees.flatMap((t) => t.supervisors);
  const byPid = new Map(all.map((s) => [s.pid, s]));
  // Roots first, oldest first, each followed by its subtree depth first in its children's order;
  // a supervisor whose parent runs on another scheduler goes under that parent.
  const ordered: SupervisorNode[] = [];
  const placed = new Set<number>();
  const visit = (s: SupervisorNode) => {
    if (placed.has(s.pid)) return;
    placed.add(s.pid);
    ordered.push(s);
    for (const c of s.children) {
      const sub = c.pid === 0 ? undefined : byPid.get(c.pid);
      if (sub !== undefined) visit({ ...sub, parent: s.pid });
    }
  };
  const isChild = new Set(all.flatMap((s) => s.children.map((c) => c.pid)).filter((pid) => byPid.has(pid)));
  const roots = all.filter((s) => !isChild.has(s.pid)).sort((a, b) => a.pid - b.pid);
  for (const root of roots) visit(root);
  // Supervisors in a cycle of children (not possible while the runtime is consistent) still show.
  for (const s of all) visit(s);
  const omitted = trees.reduce((n, t) => n + t.omittedSupervisors, 0) + Math.max(0, ordered.length - SUPERVISION_SUPERVISOR_LIMIT);
  const loose = trees.flatMap((t) => t.looseLinks).sort((a, b) => a.pid - b.pid);
  return {
    supervisors: ordered.slice(0, SUPERVISION_SUPERVISOR_LIMIT),
    omittedSupervisors: omitted,
    looseLinks: loose.slice(0, SUPERVISION_LOOSE_LIMIT),
    truncated: trees.reduce((n, t) => n + t.truncated, 0) + Math.max(0, loose.length - SUPERVISION_LOOSE_LIMIT),
  };
}
