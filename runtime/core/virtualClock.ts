// Under --seed the scheduler thread's clocks read the scheduler's virtual time, so that a program
// that measures time (performance.now(), Date.now(), new Date()) prints the same in every run of
// one seed, and agrees with its own sleeps and timeouts (docs/api.md, "Repeatable runs").

/** What Date.now() reads when the virtual clock is at 0: 2000-01-01T00:00:00Z, the same in every run. */
export const VIRTUAL_EPOCH_MS = Date.UTC(2000, 0, 1);

/**
 * Makes this thread's `performance.now()`, `Date.now()` and `new Date()` read `now`, the virtual
 * milliseconds since the run started. The runtime's own real-time needs took the real clock
 * before this runs (scheduler.ts).
 */
export function installVirtualClock(now: () => number): void {
  const RealDate = Date;
  const epochNow = (): number => Math.floor(VIRTUAL_EPOCH_MS + now());
  performance.now = now;
  // A function, not a subclass: `Date()` called without `new` must keep working (it gives a string).
  function VirtualDate(this: unknown, ...args: unknown[]): Date | string {
    if (new.target === undefined) return new RealDate(epochNow()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [epochNow()] : args, new.target) as Date;
  }
  VirtualDate.prototype = RealDate.prototype;
  Object.setPrototypeOf(VirtualDate, RealDate);
  VirtualDate.now = epochNow;
  globalThis.Date = VirtualDate as unknown as DateConstructor;
}
