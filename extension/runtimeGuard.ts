// Preloaded into the runtime child (`node --require runtimeGuard.cjs cli.js run ...`): when the
// extension host that started it is gone (its parent changes), the runtime ends too, so a crashed
// or killed editor leaves nothing running. Not part of the runtime: the runtime never knows.

const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  process.kill(process.pid, "SIGTERM");
  setTimeout(() => process.exit(0), 2000).unref();
}, 1000);
timer.unref();
