// Big bodies are read a few at a time, whichever road they take: an HTTP ingest body over
// 1 MB takes a permit before it is read (else 503), and a websocket message over 1 MB takes one
// while its bytes arrive (else its socket is paused, so TCP holds the rest at the sender). 64 MB
// of JSON takes about 0.5 GB to parse, and 40 sockets each holding half a 16 MB frame held
// 600 MB: with two permits, what big bodies hold at once is bounded whoever sends them.

/** A body larger than this needs a permit. */
export const BIG_BODY_BYTES = 1024 * 1024;
/** Big bodies read at once, across HTTP and websockets. */
export const MAX_BIG_BODIES_AT_ONCE = 2;

export class BodyPermits {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit = MAX_BIG_BODIES_AT_ONCE) {}

  /** Permits in use now. */
  get inUse(): number {
    return this.held;
  }

  /** A permit now (its release function), or undefined when all are taken. */
  tryAcquire(): (() => void) | undefined {
    if (this.held >= this.limit) return undefined;
    this.held++;
    return this.releaser();
  }

  /** A permit when one frees up; `cancel` drops the wait (the asker went away). */
  acquire(): { permit: Promise<() => void>; cancel: () => void } {
    const now = this.tryAcquire();
    if (now) return { permit: Promise.resolve(now), cancel: () => undefined };
    let wake!: () => void;
    const permit = new Promise<() => void>((resolve) => {
      wake = () => {
        this.held++;
        resolve(this.releaser());
      };
      this.waiting.push(wake);
    });
    const cancel = () => {
      const i = this.waiting.indexOf(wake);
      if (i >= 0) this.waiting.splice(i, 1);
    };
    return { permit, cancel };
  }

  /** A release function that works once. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held--;
      this.waiting.shift()?.();
    };
  }
}
