// The smallest mailbox a Node.js programmer would write without an actor runtime:
// a queue plus one waiting promise. Messages are shared, not copied; there is no selective
// receive, no timeout and no scheduler: the microtask queue is the run queue.

export class Mailbox {
  queue = [];
  waiter = null;

  send(msg) {
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter(msg);
    } else {
      this.queue.push(msg);
    }
  }

  receive() {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}

export const benchN = (fallback) => Number(process.env.BENCH_N ?? fallback);

export const print = (fields) => console.log("BENCH " + JSON.stringify(fields));
