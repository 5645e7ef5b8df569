// Properties checked with fast-check over random interleavings: the mailbox loses nothing,
// duplicates nothing, keeps per-sender order, and selective receive takes the oldest match;
// the registry gives a name to exactly one process when many race for it; a copy keeps every
// own key (even `__proto__`) as an own key, and object patterns see own keys only.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { _, on, Pid, receive, register, self, send, spawn, sleep, whereis, after } from "../runtime/api.js";
import { copyTerm } from "../runtime/core/copy.js";
import { matches } from "../runtime/core/pattern.js";
import { runProcess } from "./harness.js";

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
          plan.forEach((s, sender) =>
            spawn(
              function* (parent: Pid, id: number, count: number, yields: boolean[]) {
                for (let i = 0; i < count; i++) {
                  send(parent, [id, i]);
                  if (yields[i]) yield;
                }
              },
              me,
              sender,
              s.count,
              s.yields,
            ),
          );
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
          const racers = delays.map((delay) =>
            spawn(
              function* (parent: Pid, d: number) {
                for (let i = 0; i < d; i++) yield;
                let won = true;
                try {
                  register("the_one", self());
                } catch {
                  won = false;
                }
                send(parent, ["raced", self(), won]);
                yield* receive(on("stop"));
              },
              me,
              delay,
            ),
          );
          const results = [];
          for (let i = 0; i < racers.length; i++) results.push((yield* receive(on(["raced", Pid, Boolean]))) as ["raced", Pid, boolean]);
          const holder = whereis("the_one");
          for (const r of racers) send(r, "stop");
          yield* sleep(1);
          return { winners: results.filter(([, , won]) => won).map(([, pid]) => pid), holder, freed: whereis("the_one") };
        },
        { seed },
      );
      assert.equal(value.winners.length, 1);
      assert.equal(value.holder, value.winners[0]);
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
