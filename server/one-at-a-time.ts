// One job at a time, with a short wait for the turn: a review asked for just as the one before it
// sends its last bytes is served, not refused; one asked for during a long review is told to wait.
export class OneAtATime {
  private running?: Promise<void>;

  /** Waits up to `waitMs` for the turn; gives its release, or undefined if the turn did not come. */
  async turn(waitMs: number): Promise<(() => void) | undefined> {
    const deadline = Date.now() + waitMs;
    while (this.running) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
    let release!: () => void;
    const running = new Promise<void>((resolve) => (release = resolve));
    this.running = running;
    return () => {
      if (this.running === running) this.running = undefined;
      release();
    };
  }
}
