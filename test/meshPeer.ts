// A scheduler thread stand-in for test/mesh.test.ts: it owns one Mesh end and runs the jobs the
// test posts to it, over real worker threads and shared memory.

import { parentPort } from "node:worker_threads";
import { Mesh } from "../runtime/mesh/mesh.js";
import type { MeshBuffers } from "../runtime/mesh/meshBuffers.js";

/** Every peer sends `sends[to]` envelopes [self, seq, text] to each peer, `batch` between flushes. */
export interface ExchangeJob {
  kind: "exchange";
  buffers: MeshBuffers;
  self: number;
  sends: number[];
  expect: number[];
  batch: number;
  /** The length of the text of envelope seq is textLengths[seq % textLengths.length]. */
  textLengths: number[];
  spinMicros: number;
  blockMicros: number;
}

/** Sleeps without a deadline worth the name, then reports what woke it. */
export interface SleepJob {
  kind: "sleep";
  buffers: MeshBuffers;
  self: number;
  blockMicros?: number;
}

export interface ExchangeResult {
  received: number[];
  errors: string[];
  spilled: number;
}

export function textOf(seq: number, lengths: number[]): string {
  const n = lengths[seq % lengths.length];
  return (seq % 3 === 0 ? "é" : "a").repeat(n);
}

async function exchange(job: ExchangeJob): Promise<ExchangeResult> {
  const mesh = new Mesh(job.buffers, job.self, { spinMicros: job.spinMicros, blockMicros: job.blockMicros });
  const { count } = job.buffers;
  const sent = new Array<number>(count).fill(0);
  const received = new Array<number>(count).fill(0);
  const errors: string[] = [];
  const onEnvelope = (from: number, reader: { term(): unknown }): void => {
    const [sender, seq, text] = reader.term() as [number, number, string];
    if (sender !== from) errors.push(`an envelope in the ring from ${from} says it is from ${sender}`);
    if (seq !== received[from]) errors.push(`from ${from}: got seq ${seq}, expected ${received[from]}`);
    if (text !== textOf(seq, job.textLengths)) errors.push(`from ${from}: seq ${seq} has the wrong text`);
    received[from] = seq + 1;
  };
  for (;;) {
    let sentNow = 0;
    for (let to = 0; to < count; to++) {
      for (let k = 0; k < job.batch && sent[to] < job.sends[to]; k++, sentNow++) {
        const seq = sent[to]++;
        mesh.begin(to).term([job.self, seq, textOf(seq, job.textLengths)]);
        mesh.end();
      }
    }
    mesh.flush();
    const drained = mesh.drain(onEnvelope);
    const allSent = sent.every((n, to) => n === job.sends[to]);
    const allReceived = received.every((n, from) => n >= job.expect[from]);
    if (allSent && allReceived && !mesh.spilling) break;
    if (errors.length > 0) break;
    // A long deadline: a lost wake-up shows as a test that times out, not as a slow pass.
    if (sentNow === 0 && drained === 0) await mesh.sleep(120_000);
  }
  return { received, errors, spilled: mesh.stats.reduce((n, s) => n + s.spilled, 0) };
}

async function sleepJob(job: SleepJob): Promise<{ texts: unknown[] }> {
  const mesh = new Mesh(job.buffers, job.self, { spinMicros: 0, blockMicros: job.blockMicros ?? 0 });
  await mesh.sleep(600_000);
  const texts: unknown[] = [];
  mesh.drain((_from, reader) => texts.push(reader.term()));
  return { texts };
}

parentPort!.on("message", (job: ExchangeJob | SleepJob) => {
  const run = job.kind === "exchange" ? exchange(job) : sleepJob(job);
  run.then(
    (result) => parentPort!.postMessage({ ok: true, result }),
    (error: unknown) => parentPort!.postMessage({ ok: false, error: String((error as Error)?.stack ?? error) }),
  );
});
