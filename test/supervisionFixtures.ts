// Supervision answers built by hand, for the tests that feed them to the telemetry hub, the
// recording and the visualizer: one builder each for a child entry, a supervisor and a tree, with
// every field the protocol needs and overrides for what a test is about.

import type { ChildNode, SupervisionTree, SupervisorNode } from "../protocol/control.js";

/** A running permanent worker `id` with pid `pid`, never restarted, unless `fields` say otherwise. */
export const childNode = (id: string, pid: number, fields: Partial<ChildNode> = {}): ChildNode => ({
  id,
  pid,
  type: "worker",
  restart: "permanent",
  restarts: 0,
  lastRestartMs: -1,
  lastReason: "",
  status: "waiting",
  ...fields,
});

/** A one_for_one supervisor `sup<pid>` (3 restarts in 5 s) under `parent` (0: a root) over `children`. */
export const supervisorNode = (pid: number, parent: number, children: ChildNode[], fields: Partial<SupervisorNode> = {}): SupervisorNode => ({
  pid,
  name: "",
  fn: `sup${pid}`,
  strategy: "one_for_one",
  intensity: 3,
  period: 5000,
  parent,
  restarts: 0,
  spawnSite: 0,
  childCount: children.length,
  children,
  ...fields,
});

/** A whole answer: these supervisors, nothing omitted. */
export const supervisionTree = (...supervisors: SupervisorNode[]): SupervisionTree => ({ supervisors, omittedSupervisors: 0, looseLinks: [], truncated: 0 });
