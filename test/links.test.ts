// Issue 14: links and exit signals, with the BEAM's meaning (docs/api.md, "Links, monitors and exit signals").

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  _,
  exit,
  isAlive,
  isCrashReason,
  link,
  on,
  Pid,
  processFlag,
  receive,
  self,
  send,
  sleep,
  spawn,
  spawnLink,
  type CrashReason,
} from "../runtime/api.js";
import { runProcess, yieldSlice } from "./harness.js";
import { crashAfterASlice, crashSoon, endAtOnce, endSoon, waitForever } from "./processes/common.js";
import { exitSelf, linkAndWait, linkThenCrash, linkThenEnd, linkUnlinkThenCrash, trapAndReport, trapForever } from "./processes/links.js";

/** Waits until `pid` is dead, a slice at a time. */
function* untilDead(pid: Pid): Generator<unknown, void, unknown> {
  while (isAlive(pid)) yield* yieldSlice();
}

test("issue 14: a crash propagates over a link and takes the linked process down with the same reason", async () => {
  const { value, crashes } = await runProcess(function* () {
    const watcher = spawn(function* () {
      const peer = spawn(crashSoon, "boom");
      link(peer);
      yield* waitForever();
    });
    yield* untilDead(watcher);
    return isAlive(watcher);
  });
  assert.equal(value, false);
  assert.equal(crashes.length, 1, "only the crashing process crashed; the linked one was ended by a signal");
});

test("issue 14: links are bidirectional: the linker's crash takes the other side down", async () => {
  const { value } = await runProcess(function* () {
    const peer = spawn(waitForever);
    const linker = spawn(linkThenCrash, peer);
    yield* untilDead(linker);
    yield* untilDead(peer);
    return isAlive(peer);
  });
  assert.equal(value, false);
});

test("issue 14: a normal exit does not propagate over a link", async () => {
  const { value } = await runProcess(function* () {
    const peer = spawn(waitForever);
    const child = spawn(linkThenEnd, peer);
    yield* untilDead(child);
    yield* sleep(2);
    return isAlive(peer);
  });
  assert.equal(value, true);
});

test("issue 14: a trapping process gets [EXIT, pid, reason] with the crash as a term that names the user's line", async () => {
  const { value } = await runProcess(function* () {
    processFlag("trapExit", true);
    const child = spawnLink(crashSoon, "kaput");
    const msg = (yield* receive(on(["EXIT", Pid, {}]))) as [string, Pid, CrashReason];
    return { from: String(msg[1]), child: String(child), reason: msg[2] };
  });
  assert.equal(value.from, value.child);
  assert.ok(isCrashReason(value.reason));
  assert.equal(value.reason.error, "Error");
  assert.equal(value.reason.message, "kaput");
  assert.match(value.reason.at, /processes\/common\.ts:\d+:\d+$/, "the reason names the line that threw");
  assert.match(value.reason.stack, /^Error: kaput\n\s+at crashSoon /);
  assert.doesNotMatch(value.reason.stack, /runtime\/core/, "no runtime frames");
});

test("issue 14: a trapping process also hears of a linked process's normal exit", async () => {
  const { value } = await runProcess(function* () {
    processFlag("trapExit", true);
    const child = spawnLink(endSoon);
    const [, from, reason] = (yield* receive(on(["EXIT", Pid, _]))) as [string, Pid, unknown];
    return { same: String(from) === String(child), reason };
  });
  assert.deepEqual(value, { same: true, reason: "normal" });
});

test("issue 14: linking to a dead process gives the caller an exit signal with reason noproc", async () => {
  const { value } = await runProcess(function* () {
    const dead = spawn(endAtOnce);
    yield* untilDead(dead);
    processFlag("trapExit", true);
    link(dead);
    const trapped = (yield* receive(on(["EXIT", Pid, _]))) as [string, Pid, unknown];
    processFlag("trapExit", false);
    // Without trapping, the same signal ends the caller with noproc.
    const victim = spawn(linkAndWait, dead);
    const reason = yield* exitReasonOf(victim);
    return { trapped: trapped[2], reason };
  });
  assert.deepEqual(value, { trapped: "noproc", reason: "noproc" });
});

test("issue 14: unlink stops propagation", async () => {
  const { value } = await runProcess(function* () {
    const peer = spawn(waitForever);
    const child = spawn(linkUnlinkThenCrash, peer);
    yield* untilDead(child);
    yield* sleep(2);
    return isAlive(peer);
  });
  assert.equal(value, true);
});

test("issue 14: exit(pid, reason): ignored as normal by a non-trapping process, fatal otherwise, a message to a trapping one", async () => {
  const { value } = await runProcess(function* () {
    const plain = spawn(waitForever);
    exit(plain, "normal");
    yield* sleep(1);
    const survivedNormal = isAlive(plain);
    const reason = yield* exitReasonOf(plain, () => exit(plain, "shutdown"));
    const me = self();
    const trapper = spawn(trapAndReport, me);
    yield* receive(on("ready"));
    exit(trapper, "please stop");
    const [, msg] = (yield* receive(on(["got", _]))) as [string, [string, Pid, unknown]];
    return { survivedNormal, reason, trapped: [msg[0], String(msg[1]) === String(me), msg[2]] };
  });
  assert.deepEqual(value, { survivedNormal: true, reason: "shutdown", trapped: ["EXIT", true, "please stop"] });
});

test("issue 14: exit(pid, \"kill\") cannot be trapped and ends the process with reason killed, which its links see", async () => {
  const { value } = await runProcess(function* () {
    processFlag("trapExit", true);
    const trapper = spawnLink(trapForever);
    yield* sleep(1);
    exit(trapper, "kill");
    const [, , reason] = (yield* receive(on(["EXIT", Pid, _]))) as [string, Pid, unknown];
    return { alive: isAlive(trapper), reason };
  });
  assert.deepEqual(value, { alive: false, reason: "killed" });
});

test("issue 14: exit(reason) ends the caller with that reason, running its finally blocks, and is no crash", async () => {
  let cleaned = false;
  const { value, crashes } = await runProcess(function* () {
    processFlag("trapExit", true);
    spawnLink(function* () {
      try {
        yield* sleep(1);
        exit(["shutdown", "done"]);
      } finally {
        cleaned = true;
      }
    });
    const [, , reason] = (yield* receive(on(["EXIT", Pid, _]))) as [string, Pid, unknown];
    return reason;
  });
  assert.deepEqual(value, ["shutdown", "done"]);
  assert.equal(cleaned, true);
  assert.equal(crashes.length, 0);
});

test("issue 14: exit(pid) without a reason is a clear error, not a kill", async () => {
  await assert.rejects(
    runProcess(function* () {
      exit(spawn(waitForever) as never);
    }),
    /exit\(<0\.\d+\.0>\) has no reason: exit\(pid, reason\) signals another process/,
  );
});

test("issue 14: a process that signals itself with exit(self(), reason) ends when its slice does", async () => {
  const { value } = await runProcess(function* () {
    processFlag("trapExit", true);
    spawnLink(exitSelf);
    const [, , reason] = (yield* receive(on(["EXIT", Pid, _]))) as [string, Pid, unknown];
    return reason;
  });
  assert.equal(value, "myself");
});

test("issue 14: a chain of 20,000 linked processes goes down without overflowing the stack", async () => {
  const { value } = await runProcess(function* () {
    processFlag("trapExit", true);
    const first = spawnLink(function* () {
      let prev: Pid = self();
      for (let i = 0; i < 20_000; i++) {
        const p = spawn(waitForever);
        link(p);
        prev = p;
      }
      void prev;
      yield* receive(on("crash"));
      throw new Error("head of the chain");
    });
    send(first, "crash");
    const [, , reason] = (yield* receive(on(["EXIT", Pid, _]))) as [string, Pid, CrashReason];
    return reason.message;
  });
  assert.equal(value, "head of the chain");
});

test("issue 14: a process dying while it is being linked: the link either propagates or gives noproc, never neither (seeded)", async () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const { value } = await runProcess(
      function* () {
        processFlag("trapExit", true);
        const victim = spawn(crashAfterASlice, "dies");
        yield* yieldSlice();
        link(victim);
        const [, from, reason] = (yield* receive(on(["EXIT", Pid, _]))) as [string, Pid, unknown];
        return { from: String(from) === String(victim), reason: isCrashReason(reason) ? reason.message : reason };
      },
      { seed },
    );
    assert.equal(value.from, true, `seed ${seed}`);
    assert.ok(value.reason === "dies" || value.reason === "noproc", `seed ${seed}: ${String(value.reason)}`);
  }
});

/** Runs `trigger` (if any) and returns the exit reason of `pid`, observed through a link while trapping exits. */
function* exitReasonOf(pid: Pid, trigger?: () => void): Generator<unknown, unknown, unknown> {
  const old = processFlag("trapExit", true);
  link(pid);
  trigger?.();
  const [, , reason] = (yield* receive(on(["EXIT", pid, _]))) as [string, Pid, unknown];
  processFlag("trapExit", old);
  return reason;
}
