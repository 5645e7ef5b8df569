// Issue 16, "replay without a program", through the built CLI: `beamline run --record FILE` writes
// the run's recording, and `beamline replay FILE` serves it, so that a viewer gets the history a
// late viewer of the live run got (docs/protocol.md, section 13). A run stopped with Ctrl-C or
// killed still leaves a readable file; a file that cannot be replayed is a clear error, exit code 2.

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import type { EndedWarning, History, MainExited, Warnings } from "../protocol/control.js";
import type { SampleHistoryFrame, SchedulerSamplesFrame } from "../protocol/frames.js";
import { decodeRecording, RECORDING_VERSION, RecordingError, type DecodedRecording } from "../protocol/recordingFile.js";
import { WARNING_GAP_MS } from "../runtime/telemetry/warnings/warningRules.js";
import { beamline, cli } from "./cliRun.js";
import { isSample, startReplay, startRuntime, TestClient, WAIT_DEADLINE_MS, type Received } from "./telemetryClient.js";

const dir = mkdtempSync(path.join(tmpdir(), "beamline-replay-test-"));
const isHistory = (m: Received): m is History => m.type === "history";
const isSampleHistory = (m: Received): m is SampleHistoryFrame => m.type === "sample-history";
const isWarnings = (m: Received): m is Warnings => m.type === "warnings";

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill(signal);
  return exited;
}

/** What a viewer got on connect: the history, its samples, and the first warnings message. */
async function historyOf(client: TestClient): Promise<{ history: History; samples: SchedulerSamplesFrame[]; warnings: Warnings }> {
  const history = await client.waitFor(isHistory, "the history");
  const samples = history.samples > 0 ? (await client.waitFor(isSampleHistory, "the recorded samples")).samples : [];
  const warnings = await client.waitFor(isWarnings, "the warnings");
  return { history, samples, warnings };
}

/** Reads a recording file a run is still writing: undefined while its last item is being written. */
function readWhileWritten(file: string): DecodedRecording | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return decodeRecording(readFileSync(file));
  } catch (error) {
    if (error instanceof RecordingError) return undefined;
    throw error;
  }
}

async function waitForFile(file: string, what: string, ready: (d: DecodedRecording) => boolean): Promise<DecodedRecording> {
  const deadline = Date.now() + WAIT_DEADLINE_MS;
  for (;;) {
    const decoded = readWhileWritten(file);
    if (decoded !== undefined && ready(decoded)) return decoded;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} in ${file}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const recorded = path.join(dir, "bottleneck.beamrec");

test("issue 16: beamline replay of a --record file gives a viewer the history a late viewer of the live run got, and says it is a replay", { timeout: 300_000 }, async () => {
  const runtime = await startRuntime("examples/bottleneck.ts", ["--wait-for-viewer", "--record", recorded]);
  let live: Awaited<ReturnType<typeof historyOf>>;
  const early = await TestClient.connect(runtime, "&channels=schedulers,warnings");
  try {
    const exited = (await early.waitFor((m): m is MainExited => m.type === "main-exited", "main to end")) as MainExited;
    await early.waitFor((m) => isSample(m) && m.time > exited.at + WARNING_GAP_MS + 100, "samples a while after main ended");
    const late = await TestClient.connect(runtime, "&channels=schedulers,warnings");
    live = await historyOf(late);
    assert.ok(live.warnings.ended.some((w) => w.kind === "bottleneck"), "the live run's late viewer got the past bottleneck");
    late.close();
  } finally {
    early.close();
  }
  // Ctrl-C: with --keep-alive the expected way to stop, and the file gets its trailer.
  assert.equal(await stopChild(runtime.child, "SIGINT"), 0);

  const replay = await startReplay(recorded);
  try {
    const viewer = await TestClient.connect(replay, "&channels=schedulers,warnings");
    const got = await historyOf(viewer);
    const hello = viewer.hello!;
    assert.deepEqual(hello.replay, { file: recorded, complete: true, endsAt: hello.replay!.endsAt });
    assert.equal(hello.program, "examples/bottleneck.ts");
    assert.equal(hello.startedAt, early.hello!.startedAt);
    assert.equal(hello.mainStartedAt, early.hello!.mainStartedAt ?? (early.received.find((m) => m.type === "main-started") as { at: number } | undefined)?.at);

    // The same history: main's end, nothing dropped, and the samples the late viewer got, frame
    // for frame, then those the run recorded after it connected and before it was stopped.
    assert.deepEqual(got.history.mainExited, live.history.mainExited);
    assert.deepEqual(got.history.dropped, live.history.dropped);
    assert.equal(got.history.capBytes, live.history.capBytes);
    assert.ok(got.history.samples >= live.history.samples, `the replay has ${got.history.samples} samples, the late viewer got ${live.history.samples}`);
    assert.deepEqual(got.samples.slice(0, live.samples.length), live.samples);
    assert.ok(got.samples.at(-1)!.time <= hello.replay!.endsAt);
    // The same past warnings, with their spans and peaks; and the list that held at the end.
    const past = (ws: EndedWarning[]) => ws.map((w) => `${w.kind} ${w.site ?? ""} ${w.since}–${w.until} peak ${w.peak?.value ?? "-"}`);
    assert.deepEqual(past(got.warnings.ended.slice(0, live.warnings.ended.length)), past(live.warnings.ended));
    assert.deepEqual(got.warnings.ended.slice(0, live.warnings.ended.length), live.warnings.ended);
    assert.deepEqual(got.warnings.warnings, []);

    // Nothing is live: requests that need the runtime are refused, and say why.
    const inspect = await viewer.request({ type: "inspect", pid: "<0.8.0>" });
    assert.equal(inspect.ok, false);
    assert.match(inspect.error!, /^this is a recording; inspecting a process needs the live runtime/);
    const send = await viewer.request({ type: "send", to: "<0.8.0>", message: "hi" });
    assert.match(send.error!, /^this is a recording; sending a message needs the live runtime/);
    for (const body of [{ type: "kill", pid: "<0.8.0>" }, { type: "trace", pid: "<0.8.0>", enabled: true }, { type: "supervision" }, { type: "set-interval", ms: 100 }]) {
      const response = await viewer.request(body);
      assert.equal(response.ok, false, JSON.stringify(body));
      assert.match(response.error!, /^this is a recording; /);
    }
    const subscribed = await viewer.request({ type: "subscribe", channel: "faults" });
    assert.equal(subscribed.ok, true);
    viewer.close();
  } finally {
    await replay.stop();
    assert.equal(await replay.exitCode, 0, "Ctrl-C ends a replay with exit code 0");
  }
});

test("issue 16: a recorded run that is killed leaves a file that replays up to its last item, and says it is incomplete", { timeout: 300_000 }, async () => {
  const file = path.join(dir, "killed.beamrec");
  // No --telemetry: --record alone records the run.
  const child = spawn(process.execPath, [cli, "run", "examples/bottleneck.ts", "--record", file, "--sample-interval", "100"], { stdio: "ignore" });
  const before = await waitForFile(file, "three samples", (d) => d.items.filter((i) => i.kind === "sample").length >= 3);
  assert.equal(before.end, undefined, "a run that is still going has no trailer yet");
  await stopChild(child, "SIGKILL");
  const decoded = decodeRecording(readFileSync(file));
  assert.equal(decoded.end, undefined);
  const replay = await startReplay(file);
  try {
    const viewer = await TestClient.connect(replay, "&channels=schedulers,warnings");
    const got = await historyOf(viewer);
    assert.equal(viewer.hello!.replay!.complete, false);
    assert.equal(got.history.samples, decoded.items.filter((i) => i.kind === "sample").length);
    assert.ok(got.history.samples >= 3);
    viewer.close();
  } finally {
    await replay.stop();
  }
});

test("issue 16: --record-cap bounds the file too, and its header counts what was dropped", { timeout: 300_000 }, () => {
  const file = path.join(dir, "capped.beamrec");
  const { code, stderr } = beamline("run", "examples/bottleneck.ts", "--record", file, "--record-cap", "16KiB", "--sample-interval", "50");
  assert.equal(code, 0, stderr);
  const bytes = readFileSync(file);
  const decoded = decodeRecording(bytes);
  assert.ok(decoded.end !== undefined);
  assert.ok(decoded.header.dropped.samples > 0, `the run's ${decoded.items.length} items needed more than 16 KiB, so some were dropped and counted`);
  assert.ok(bytes.length <= 16 * 1024 + 1024, `the file is ${bytes.length} bytes, about its cap`);
  const first = decoded.items.find((i) => i.kind === "sample");
  assert.ok(first !== undefined && first.kind === "sample" && first.time > decoded.header.dropped.samplesUntil);
});

/** Runs `beamline replay` on a file that cannot be replayed: exit code 2 and one line on stderr. */
function refused(file: string): string {
  const { code, stdout, stderr } = beamline("replay", file);
  assert.equal(code, 2, stderr);
  assert.equal(stdout, "");
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  return stderr.trim();
}

test("issue 16: beamline replay refuses a missing file, a program, a newer version and a cut-off file with what and where, exit code 2", () => {
  assert.ok(existsSync(recorded), "the first test recorded a file");
  const missing = path.join(dir, "nothing-here.beamrec");
  assert.equal(refused(missing), `beamline: cannot replay ${missing}: no such file`);
  assert.equal(refused("examples/bottleneck.ts"), 'beamline: cannot replay examples/bottleneck.ts: not a Beamline recording: it does not start with "BEAMLREC" (byte offset 0)');
  assert.equal(refused(dir), `beamline: cannot replay ${dir}: it is a folder, not a recording file`);
  const bytes = readFileSync(recorded);
  const newer = Buffer.from(bytes);
  newer.writeUInt16LE(99, 8);
  writeFileSync(path.join(dir, "newer.beamrec"), newer);
  const newerRefusal = refused(path.join(dir, "newer.beamrec"));
  assert.ok(newerRefusal.endsWith(`: the recording is of format version 99 (byte offset 8), newer than this beamline reads (${RECORDING_VERSION}); replay it with a newer beamline`), newerRefusal);
  writeFileSync(path.join(dir, "cut.beamrec"), bytes.subarray(0, bytes.length - 10));
  assert.match(refused(path.join(dir, "cut.beamrec")), /: the recording is cut off: item \d+ \(the trailer\) at byte offset \d+ needs \d+ bytes, but the file ends at byte \d+$/);
  writeFileSync(path.join(dir, "cut-sample.beamrec"), bytes.subarray(0, 3000));
  assert.match(refused(path.join(dir, "cut-sample.beamrec")), /: the recording is cut off: item \d+(?: \([a-z' ]+\))? at byte offset \d+ needs \d+ bytes, but the file ends at byte 3000$/);
  const usage = beamline("replay");
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^beamline: which recording\? give the path of a file that beamline run --record wrote/);
});

test("issue 16: --record without a file, over a program or into a missing folder is a clear error, exit code 2", () => {
  const none = beamline("run", "examples/bottleneck.ts", "--record");
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^beamline: --record needs the path of the file to write, got nothing/);
  const program = beamline("run", "examples/bottleneck.ts", "--record", "examples/ping_pong.ts");
  assert.equal(program.code, 2);
  assert.match(program.stderr, /^beamline: --record examples\/ping_pong\.ts would overwrite a program/);
  const folder = path.join(dir, "no-such-folder", "run.beamrec");
  const missing = beamline("run", "examples/bottleneck.ts", "--record", folder);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, `beamline: --record ${folder}: cannot write it (no such folder)\n`);
});
