// Ping-pong in plain Node.js: two async functions exchange messages through mailboxes.
// bareUs: send [me, n] and await the answer. callUs: the usual request/response helper,
// a promise per call whose resolve function travels with the request.
import { Mailbox, benchN, print } from "./mailbox.mjs";

async function echo(box) {
  for (;;) {
    const [from, n] = await box.receive();
    from.send(n);
  }
}

async function server(box) {
  for (;;) {
    const [resolve, n] = await box.receive();
    resolve(n);
  }
}

const call = (box, request) => new Promise((resolve) => box.send([resolve, request]));

const rounds = benchN(1_000_000);
const me = new Mailbox();
const e = new Mailbox();
echo(e);
for (let i = 0; i < 10_000; i++) {
  e.send([me, i]);
  await me.receive();
}
let started = performance.now();
for (let i = 0; i < rounds; i++) {
  e.send([me, i]);
  await me.receive();
}
const bareUs = ((performance.now() - started) * 1000) / rounds;

const s = new Mailbox();
server(s);
for (let i = 0; i < 10_000; i++) await call(s, i);
started = performance.now();
for (let i = 0; i < rounds; i++) await call(s, i);
const callUs = ((performance.now() - started) * 1000) / rounds;
print({ rounds, bareUs, callUs });
