const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Injected time: timers fire in order as the test advances it, promise callbacks in between. */
export function manualClock() {
  let time = 0;
  let lastId = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => time,
    setTimer: (callback: () => void, ms: number): unknown => {
      lastId += 1;
      timers.set(lastId, { at: time + Math.max(0, ms), callback });
      return lastId;
    },
    clearTimer: (handle: unknown): void => {
      timers.delete(handle as number);
    },
    pending: (): number => timers.size,
    async advance(ms: number): Promise<void> {
      const end = time + ms;
      for (;;) {
        await flush();
        let due: [number, { at: number; callback: () => void }] | undefined;
        for (const entry of timers)
          if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
        if (due === undefined) break;
        timers.delete(due[0]);
        time = Math.max(time, due[1].at);
        due[1].callback();
      }
      time = end;
      await flush();
    },
  };
}
