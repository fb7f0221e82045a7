// A task run on request, one run at a time: requests that come while it runs make one more run
// after it, however many there were. For "read what is new" work woken by notices (the
// replicas' ingest log, the PostgreSQL watcher), where a notice only says "look again".
export interface CoalescingTask {
  request(): void;
  /** No runs after this; resolves when the current one (if any) is over. */
  stop(): Promise<void>;
}

export function coalescingTask(task: () => Promise<void>, onError: (error: unknown) => void): CoalescingTask {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const request = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await task();
      } while (again && !stopped);
    })()
      .catch(onError)
      .finally(() => (running = undefined));
  };
  return {
    request,
    async stop() {
      stopped = true;
      await running;
    },
  };
}
