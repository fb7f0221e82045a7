// The child process that makes reviews (loaders/publish-child.ts), seen from the server: started
// when the first review is asked for, below the server in CPU and disk priority, and kept for the
// next one. Each review's answer comes over IPC; then the download's connection is handed to the
// child, which writes the archive onto it: the server never touches the archive's bytes.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { setPriority } from "node:os";
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { projectRoot } from "../loaders/paths.js";
import type { PublishChildAnswer, PublishChildMessage, PublishChildRequest, PublishRequest } from "../loaders/publish-child.js";

/** coreutils' nice(1), which starts a program at a lower priority. */
const NICE = "/usr/bin/nice";
/** util-linux's ionice(1): the idle class reads only when the disk has nothing else to do. */
const IONICE = "/usr/bin/ionice";
/** How long the child may take to read a review's files and say what the archive holds. */
const ANSWER_TIMEOUT_MS = 120_000;
/** How often a download looks whether a snapshot refresh started. */
const HOLD_CHECK_MS = 250;
const childScript = fileURLToPath(new URL("../loaders/publish-child.ts", import.meta.url));

interface Waiting {
  resolve(message: PublishChildMessage): void;
  reject(error: Error): void;
}

export class ReviewPublisher {
  private child?: ChildProcess;
  private waiting?: Waiting;
  /** The snapshot refresh the current download holds off for, if any. */
  private holding?: Promise<void>;

  /** `bytesPerSecond`: the pace of every review's download (RUNBOARD_REVIEW_MB_PER_S). */
  constructor(private readonly bytesPerSecond: number) {}

  /** The child's answer to one review; its archive, if any, is then sent with `handOver`. */
  ask(request: Omit<PublishRequest, "bytesPerSecond" | "type">): Promise<PublishChildAnswer> {
    const child = this.running();
    return new Promise<PublishChildMessage>((resolve, reject) => {
      // A child that neither answers nor fails would hold every later review back (one at a time).
      const timer = setTimeout(() => {
        reject(new Error(`publishing failed: no answer in ${ANSWER_TIMEOUT_MS / 1000} s`));
        this.stop();
      }, ANSWER_TIMEOUT_MS);
      const settled =
        <T>(then: (value: T) => void) =>
        (value: T) => (clearTimeout(timer), then(value));
      this.waiting = { resolve: settled(resolve), reject: settled(reject) };
      child.send({ ...request, type: "publish", bytesPerSecond: this.bytesPerSecond } satisfies PublishChildRequest);
    }).then((message) => {
      if (message.type === "answer") return message.answer;
      throw new Error(`publishing failed: ${message.type === "failed" ? message.message : "unexpected answer"}`);
    });
  }

  /**
   * Hands the download's connection to the child, which writes the archive onto it and closes it:
   * the server then does no work per byte (passing 16 MB/s through its event loop cost ingest's
   * slowest batches more than the child's own work). The answer's headers are sent first, with
   * `Connection: close`. While `holdOff()` gives a promise (a snapshot refresh runs), the child
   * holds off. Resolves when the last byte is written; rejects if the download broke off.
   */
  async handOver(res: ServerResponse, holdOff: () => Promise<void> | undefined = () => undefined): Promise<void> {
    const socket = res.socket;
    const child = this.child;
    if (!socket || socket.destroyed) throw new Error("the download was closed before the archive was sent");
    if (!child?.connected) throw new Error("publishing failed: the child left before its archive");
    res.setHeader("Connection", "close");
    res.flushHeaders();
    await headersWritten(socket);
    const watch = setInterval(() => this.holdWhileBusy(child, holdOff), HOLD_CHECK_MS);
    try {
      await new Promise<void>((resolve, reject) => {
        this.waiting = {
          resolve: (m) =>
            m.type === "sent" ? resolve() : reject(new Error(m.type === "failed" ? m.message : "unexpected answer")),
          reject,
        };
        // Sent as a plain connection, not as one of the server's: Node would otherwise count the
        // child as a worker of the server, and server.close() would never finish once it exits.
        (socket as unknown as { server: unknown }).server = null;
        child.send({ type: "send" } satisfies PublishChildRequest, socket, { keepOpen: false }, (error) => {
          if (error) reject(error);
          // The connection is the child's now: this side is closed (counted as closed by the limits).
          socket.destroy();
        });
      });
    } finally {
      clearInterval(watch);
      this.waiting = undefined;
      this.holding = undefined;
    }
  }

  /** Tells the child to hold off while `holdOff()` gives a promise, and to go on after it. */
  private holdWhileBusy(child: ChildProcess, holdOff: () => Promise<void> | undefined): void {
    if (this.holding) return;
    const quiet = holdOff();
    if (!quiet) return;
    this.holding = quiet;
    child.send({ type: "hold" } satisfies PublishChildRequest);
    void quiet.then(() => {
      if (this.holding !== quiet) return;
      this.holding = undefined;
      if (child.connected) child.send({ type: "go" } satisfies PublishChildRequest);
    });
  }

  /** Stops the child (the server is closing). */
  stop(): void {
    this.child?.kill("SIGKILL");
    this.child = undefined;
    // Whatever was waiting for the child is told now: its messages are no longer listened to.
    this.waiting?.reject(new Error("publishing stopped: the server is closing"));
    this.waiting = undefined;
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
    const child = spawn(file!, args, { cwd: projectRoot, stdio: ["ignore", "ignore", "pipe", "ipc"] });
    try {
      if (child.pid !== undefined && !existsSync(NICE)) setPriority(child.pid, 19);
    } catch {
      // not allowed here: it runs at the server's priority
    }
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

/** Resolves once what was written on `socket` so far (the answer's headers) has left the process. */
function headersWritten(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(Buffer.alloc(0), (error) => (error ? reject(error) : resolve()));
  });
}
