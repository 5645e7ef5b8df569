// The shape of a `supervision` answer as the Supervision view draws it: each supervisor under the
// child entry that started it, roots first, and the restarts of the whole tree newest first.
// The answer lists supervisors flat, each with its parent's pid (docs/protocol.md, section 9).

import type { ChildNode, SupervisionTree, SupervisorNode } from "../protocol/control.js";

export interface ShapedSupervisor {
  node: SupervisorNode;
  /** Its entry among its parent's children (its id, restart type and restarts there), if listed. */
  entry: ChildNode | null;
  items: ShapedItem[];
}

export type ShapedItem = { kind: "supervisor"; supervisor: ShapedSupervisor } | { kind: "child"; child: ChildNode; parent: SupervisorNode };

export interface Restart {
  child: ChildNode;
  parent: SupervisorNode;
}

export interface ShapedTree {
  roots: ShapedSupervisor[];
  supervisors: number;
  /** Children of all supervisors, including those the answer counts but does not list. */
  children: number;
  restarts: number;
  /** Every listed child that was ever restarted, the latest restart first. */
  restarted: Restart[];
}

export function shapeTree(tree: SupervisionTree): ShapedTree {
  const byPid = new Map<number, SupervisorNode>();
  for (const s of tree.supervisors) byPid.set(s.pid, s);
  const placed = new Set<number>();
  const restarted: Restart[] = [];
  let children = 0;
  let restarts = 0;

  const shape = (node: SupervisorNode, entry: ChildNode | null): ShapedSupervisor => {
    placed.add(node.pid);
    children += node.childCount;
    restarts += node.restarts;
    const items: ShapedItem[] = [];
    for (const child of node.children) {
      if (child.lastRestartMs >= 0) restarted.push({ child, parent: node });
      const sub = child.pid === 0 ? undefined : byPid.get(child.pid);
      // A supervisor that names a supervisor among its children draws it there, once: a
      // malformed answer that forms a cycle draws the repeat as a plain child.
      if (sub !== undefined && !placed.has(sub.pid) && sub.parent === node.pid) items.push({ kind: "supervisor", supervisor: shape(sub, child) });
      else items.push({ kind: "child", child, parent: node });
    }
    return { node, entry, items };
  };

  const roots: ShapedSupervisor[] = [];
  // Roots: no parent, or a parent the answer does not list. Then any left out of both (a parent
  // whose children list it not, e.g. past the listed ones) as roots of their own, so none is lost.
  for (const s of tree.supervisors) if (s.parent === 0 || !byPid.has(s.parent)) roots.push(shape(s, null));
  for (const s of tree.supervisors) if (!placed.has(s.pid)) roots.push(shape(s, null));
  restarted.sort((a, b) => b.child.lastRestartMs - a.child.lastRestartMs);
  return { roots, supervisors: placed.size, children, restarts, restarted };
}
