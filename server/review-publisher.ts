// The child process that makes reviews (loaders/publish-child.ts), seen from the server: started
// when the first review is asked for, below the server in CPU and disk priority, and kept for the
// next one. Each review's answer comes over IPC, its archive over the child's standard output,
// exactly as many bytes as the answer said; the server only passes them on.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { setPriority } from "node:os";
import type { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { projectRoot } from "../loaders/paths.js";
import type { PublishChildAnswer, PublishChildMessage, PublishChildRequest } from "../loaders/publish-child.js";

/** coreutils' nice(1), which starts a program at a lower priority. */
const NICE = "/usr/bin/nice";
/** util-linux's ionice(1): the idle class reads only when the disk has nothing else to do. */
const IONICE = "/usr/bin/ionice";
/** How long the child may take to read a review's files and say what the archive holds. */
const ANSWER_TIMEOUT_MS = 120_000;
const childScript = fileURLToPath(new URL("../loaders/publish-child.ts", import.meta.url));

interface Waiting {
  resolve(message: PublishChildMessage): void;
  reject(error: Error): void;
}

export class ReviewPublisher {
  private child?: ChildProcess;
  private waiting?: Waiting;

  /** `bytesPerSecond`: the pace of every review's download (RUNBOARD_REVIEW_MB_PER_S). */
  constructor(private readonly bytesPerSecond: number) {}

  /** The child's answer to one request; the archive, if any, is then read with `send`. */
  ask(request: Omit<PublishChildRequest, "bytesPerSecond">): Promise<PublishChildAnswer> {
    const child = this.running();
    return new Promise<PublishChildMessage>((resolve, reject) => {
      // A child that neither answers nor fails would hold every later review back (one at a time).
      const timer = setTimeout(() => {
        this.stop();
        reject(new Error(`publishing failed: no answer in ${ANSWER_TIMEOUT_MS / 1000} s`));
      }, ANSWER_TIMEOUT_MS);
      const settled =
        <T>(then: (value: T) => void) =>
        (value: T) => (clearTimeout(timer), then(value));
      this.waiting = { resolve: settled(resolve), reject: settled(reject) };
      child.send({ ...request, bytesPerSecond: this.bytesPerSecond } satisfies PublishChildRequest);
    }).then((message) => {
      if (message.type === "answer") return message.answer;
      throw new Error(`publishing failed: ${message.message}`);
    });
  }

  /**
   * Passes the archive's `bytes` bytes from the child to `to`, at the pace `to` takes them, and
   * not while `holdOff()` gives a promise (a snapshot refresh runs): the child then waits on its
   * full pipe. If `to` closes first, the child is stopped (the rest of its archive cannot be told
   * apart from the next one's) and started again for the next review.
   */
  send(to: Writable, bytes: number, holdOff: () => Promise<void> | undefined = () => undefined): Promise<void> {
    const out = this.child?.stdout;
    if (!out) return Promise.reject(new Error("publishing failed: the child left before its archive"));
    return new Promise<void>((resolve, reject) => {
      let remaining = bytes;
      let [done, drained, held] = [false, true, false];
      // Resumed only while this archive is being passed on: a stream flowing with no reader
      // would drop the next archive's bytes.
      const flow = () => {
        if (!done && drained && !held) out.resume();
      };
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        out.off("data", onData);
        out.pause();
        to.off("close", onClose);
        to.off("drain", onDrain);
        this.waiting = undefined;
        if (error) {
          this.stop();
          reject(error);
        } else resolve();
      };
      const onData = (chunk: Buffer) => {
        if (chunk.length > remaining) return finish(new Error("the review's archive was longer than announced"));
        remaining -= chunk.length;
        if (!to.write(chunk)) {
          drained = false;
          out.pause();
        }
        if (remaining === 0) return finish();
        const quiet = held ? undefined : holdOff();
        if (quiet) {
          held = true;
          out.pause();
          void quiet.then(() => {
            held = false;
            flow();
          });
        }
      };
      const onDrain = () => {
        drained = true;
        flow();
      };
      const onClose = () => finish(new Error("the download was closed before the archive was through"));
      // The child's own failure (a file changed while read) or exit ends the download too.
      this.waiting = { resolve: (m) => finish(new Error(m.type === "failed" ? m.message : "unexpected answer")), reject: finish };
      to.once("close", onClose);
      to.on("drain", onDrain);
      out.on("data", onData);
      out.resume();
    });
  }

  /** Stops the child (the server is closing). */
  stop(): void {
    this.child?.kill("SIGKILL");
    this.child = undefined;
  }

  private running(): ChildProcess {
    if (this.child && this.child.exitCode === null && this.child.connected) return this.child;
    // Below the server, every thread of it (nice(1) at the start: a priority set afterwards holds
    // only for the main thread, not V8's threads already running), and below it on the disk.
    const command = [
      ...(existsSync(IONICE) ? [IONICE, "-t", "-c", "3"] : []),
      ...(existsSync(NICE) ? [NICE, "-n", "19"] : []),
      process.execPath,
      "--import",
      "tsx",
      childScript,
    ];
    const [file, ...args] = command;
    const child = spawn(file!, args, { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe", "ipc"] });
    try {
      if (child.pid !== undefined && !existsSync(NICE)) setPriority(child.pid, 19);
    } catch {
      // not allowed here: it runs at the server's priority
    }
    child.stdout!.pause();
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    // A child stopped on purpose (stop()) is no longer this.child: what it says or does after
    // that concerns no review, least of all the next one's, asked of a new child.
    child.on("message", (message: PublishChildMessage) => {
      if (this.child === child) this.waiting?.resolve(message);
    });
    child.once("exit", (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      const why = stderr.trim().split("\n").slice(-3).join(" ");
      this.waiting?.reject(new Error(`publishing failed (exit ${code ?? signal}): ${why}`));
    });
    child.once("error", (error) => {
      if (this.child === child) this.waiting?.reject(error);
    });
    this.child = child;
    return child;
  }
}
