// "imbalance": one scheduler's run queue far longer than another's. It cannot fire with one scheduler.

import type { WarningRule } from "./rule.js";

export const imbalance: WarningRule = {
  judge(j, warn) {
    const queues = j.runQueues;
    if (queues.length < 2) return;
    const max = Math.max(...queues);
    const min = Math.min(...queues);
    if (max < 100 || max <= 10 * (min + 1)) return;
    warn({
      kind: "imbalance",
      scheduler: queues.indexOf(max) + 1,
      message: `Scheduler ${queues.indexOf(max) + 1} has ${max} runnable processes while another has ${min}.`,
      advice: "A process stays on the scheduler it started on: spawn work from several processes so that new processes spread out.",
    });
  },
};
