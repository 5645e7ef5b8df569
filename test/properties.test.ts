// Properties checked with fast-check over random interleavings: the mailbox loses nothing,
// duplicates nothing, keeps per-sender order, and selective receive takes the oldest match;
// the registry gives a name to exactly one process when many race for it; a copy keeps every
// own key (even `__proto__`) as an own key, and object patterns see own keys only.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { _, on, Pid, monitor, receive, self, send, spawn, whereis, after } from "../runtime/api.js";
import { copyTerm } from "../runtime/core/copy.js";
import { matches } from "../runtime/core/pattern.js";
import { harnessSchedulers, runProcess } from "./harness.js";
import { nameRacer, numberedSender, pairReceiver, pairSender } from "./processes/properties.js";

/** Each sender: how many messages it sends, and after which of them it gives up its slice. */
const senders = fc.array(
  fc.record({ count: fc.integer({ min: 0, max: 30 }), yields: fc.array(fc.boolean(), { maxLength: 30 }) }),
  { minLength: 1, maxLength: 6 },
);

test("no message is lost or duplicated, and each sender's messages arrive in order", async () => {
  await fc.assert(
    fc.asyncProperty(senders, fc.integer(), async (plan, seed) => {
      const total = plan.reduce((n, s) => n + s.count, 0);
      const { value } = await runProcess(
        function* () {
          const me = self();
          plan.forEach((s, sender) => spawn(numberedSender, me, sender, s.count, s.yields));
          const got: [number, number][] = [];
          for (let i = 0; i < total; i++) got.push((yield* receive()) as [number, number]);
          const extra = yield* receive(after(5, () => "none"));
          return { got, extra };
        },
        { seed },
      );
      assert.equal(value.extra, "none");
      assert.equal(value.got.length, total);
      plan.forEach((s, sender) => {
        const mine = value.got.filter(([id]) => id === sender).map(([, i]) => i);
        assert.deepEqual(mine, Array.from({ length: s.count }, (_, i) => i));
      });
    }),
    { numRuns: 150 },
  );
});

/** Each sender: which receiver each of its messages goes to, and after which messages it gives up its slice. */
const pairPlans = fc.integer({ min: 1, max: 4 }).chain((receivers) =>
  fc.record({
    receivers: fc.constant(receivers),
    senders: fc.array(
      fc.record({ order: fc.array(fc.nat({ max: receivers - 1 }), { maxLength: 40 }), yields: fc.array(fc.boolean(), { maxLength: 40 }) }),
      { minLength: 1, maxLength: 5 },
    ),
  }),
);

test("issue 15: between every pair of processes, on whichever schedulers the harness placed them, no message is lost or duplicated and each pair's order holds", async () => {
  await fc.assert(
    fc.asyncProperty(pairPlans, fc.integer(), async (plan, seed) => {
      const { value } = await runProcess(
        function* () {
          const me = self();
          const receivers = Array.from({ length: plan.receivers }, (_, index) => spawn(pairReceiver, me, index, plan.senders.length));
          plan.senders.forEach((s, id) => spawn(pairSender, receivers, id, s.order, s.yields));
          const got: [number, number][][] = [];
          for (let i = 0; i < plan.receivers; i++) {
            const [, index, pairs] = (yield* receive(on(["got", Number, _]))) as ["got", number, [number, number][]];
            got[index] = pairs;
          }
          return { got, schedulers: new Set(receivers.map((r) => r.id % harnessSchedulers())).size };
        },
        { seed },
      );
      // With several schedulers, round-robin placement puts receivers on different ones.
      assert.equal(value.schedulers, Math.min(plan.receivers, harnessSchedulers()));
      for (let r = 0; r < plan.receivers; r++) {
        plan.senders.forEach((s, id) => {
          const expected = s.order.filter((to) => to === r).map((_, i) => i);
          assert.deepEqual(value.got[r]!.filter(([from]) => from === id).map(([, i]) => i), expected, `receiver ${r}, sender ${id}`);
        });
      }
    }),
    { numRuns: 100 },
  );
});

test("selective receive takes the oldest matching message and keeps the rest in arrival order", async () => {
  const tags = fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 40 });
  const picks = fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 20 });
  await fc.assert(
    fc.asyncProperty(tags, picks, async (arrivals, wanted) => {
      const model = arrivals.map((tag, i) => [tag, i] as [string, number]);
      const expected: ([string, number] | "none")[] = [];
      for (const tag of wanted) {
        const at = model.findIndex(([t]) => t === tag);
        expected.push(at < 0 ? "none" : model.splice(at, 1)[0]!);
      }
      const { value } = await runProcess(function* () {
        arrivals.forEach((tag, i) => send(self(), [tag, i]));
        const taken = [];
        for (const tag of wanted) taken.push(yield* receive(on([tag, Number]), after(0, () => "none" as const)));
        const rest = [];
        for (let m; (m = yield* receive(on([String, Number]), after(0, () => undefined))) !== undefined; ) rest.push(m);
        return { taken, rest };
      });
      assert.deepEqual(value.taken, expected);
      assert.deepEqual(value.rest, model);
    }),
    { numRuns: 200 },
  );
});

test("when many processes race to register one name, exactly one gets it", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat({ max: 3 }), { minLength: 2, maxLength: 12 }), fc.integer(), async (delays, seed) => {
      const { value } = await runProcess(
        function* () {
          const me = self();
          const racers = delays.map((delay) => spawn(nameRacer, me, delay));
          const results = [];
          for (let i = 0; i < racers.length; i++) results.push((yield* receive(on(["raced", Pid, Boolean]))) as ["raced", Pid, boolean]);
          const holder = whereis("the_one");
          // Wait for every racer's end, not for a time: on another scheduler it takes what it takes.
          for (const r of racers) {
            monitor(r);
            send(r, "stop");
          }
          for (let i = 0; i < racers.length; i++) yield* receive(on(["DOWN", _, "process", _, _]));
          return { winners: results.filter(([, , won]) => won).map(([, pid]) => pid), holder, freed: whereis("the_one") };
        },
        { seed },
      );
      assert.equal(value.winners.length, 1);
      // By id: a pid that crossed schedulers is a copy, not the same object (core/terms.ts, samePid).
      assert.equal(value.holder?.id, value.winners[0]!.id);
      assert.equal(value.freed, undefined);
    }),
    { numRuns: 100 },
  );
});

/** Keys that name something every plain object inherits, or that an assignment would turn into a prototype. */
const trickyKey = fc.oneof(fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"), fc.string({ maxLength: 4 }));

/** JSON text with tricky keys: JSON.parse makes each key an own key, `__proto__` included. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.boolean(), fc.constant(null)).map((v) => JSON.stringify(v)),
    tie("object"),
    fc.array(tie("value"), { maxLength: 3 }).map((items) => `[${items.join(",")}]`),
  ),
  object: fc
    .array(fc.tuple(trickyKey, tie("value")), { maxLength: 4 })
    .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`),
})).object;

test("issue 13 item 6: a copy of any parsed JSON object has the same own keys and prototypes, and patterns match own keys only", () => {
  fc.assert(
    fc.property(jsonText, trickyKey, (text, key) => {
      const original = JSON.parse(text) as Record<string, unknown>;
      const copy = copyTerm(original);
      // Strict deep equality compares prototypes and own keys at every level.
      assert.deepStrictEqual(copy, original);
      assert.deepEqual(Object.keys(copy), Object.keys(original));
      assert.equal(matches({ [key]: _ }, copy), Object.hasOwn(original, key));
    }),
    { numRuns: 500 },
  );
});
