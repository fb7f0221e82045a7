// What one websocket may cost the server, whatever its client sends: messages waiting to be
// handled are bounded in count and bytes (the socket is closed past them; 60,000 messages sent
// behind a blocked replay once took 1 GB), a message over 1 MB is read only with one of the
// server's few big-body permits (else the socket is paused and TCP holds the rest at the sender)
// and must arrive within BIG_MESSAGE_MS, and wrong write tokens cost time: each is answered
// later than the one before from the same address, and a socket is closed after a few.
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { BIG_BODY_BYTES, type BodyPermits } from "../limits/body-permits.js";

/** Messages received and not yet handled, per socket. */
export const MAX_QUEUED_MESSAGES = 256;
/** Their bytes: a publisher may have one big batch in hand and one arriving. */
export const MAX_QUEUED_BYTES = 40 * 1024 * 1024;
/** A big message must arrive within this once it holds a permit (16 MB at 0.5 MB/s). */
export const BIG_MESSAGE_MS = 30_000;
/** Wrong tokens one socket may send before it is closed. */
export const MAX_WRONG_TOKENS_PER_SOCKET = 3;
/** Each wrong token from an address is answered this much later than the one before (up to the cap). */
const WRONG_TOKEN_DELAY_MS = 250;
const MAX_WRONG_TOKEN_DELAY_MS = 5_000;
/** An address's count of wrong tokens is forgotten after this long without one. */
const WRONG_TOKEN_MEMORY_MS = 10 * 60_000;

/** ws's receiver, as far as these checks read it (private fields; checked at attach). */
interface ReceiverState {
  _bufferedBytes: number;
  _totalPayloadLength: number;
}

export type Violation = { code: 1008 | 1009; reason: string };

export class SocketGuard {
  private readonly wrongTokens = new Map<string, { count: number; last: number }>();

  constructor(
    private readonly permits: BodyPermits,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Watches one socket: `onViolation` is told (once) when it breaks a bound, and should close it.
   * Returns what the hub calls around each message it handles.
   */
  attach(ws: WebSocket, onViolation: (v: Violation) => void) {
    const queue = { messages: 0, bytes: 0 };
    let violated = false;
    const violate = (v: Violation) => {
      if (violated) return;
      violated = true;
      onViolation(v);
      // The socket is being closed: its closing handshake must be read, whatever it waited for.
      big.close();
    };
    const big = this.watchBigMessages(ws, violate);
    return {
      /** A message arrived: false when the socket has too many waiting (it is being closed). */
      received(bytes: number): boolean {
        big.messageDone();
        queue.messages++;
        queue.bytes += bytes;
        if (queue.messages > MAX_QUEUED_MESSAGES || queue.bytes > MAX_QUEUED_BYTES) {
          violate({ code: 1008, reason: `more than ${MAX_QUEUED_MESSAGES} messages or 40 MB waiting; wait for answers` });
          return false;
        }
        return true;
      },
      /** A message was handled. */
      handled(bytes: number): void {
        queue.messages--;
        queue.bytes -= bytes;
      },
      close: () => big.close(),
    };
  }

  /**
   * Takes a permit for a message once more than BIG_BODY_BYTES of it has arrived, pausing the
   * socket until one is free; the permit goes back when the message is complete or the socket
   * closes, and a message that takes longer than BIG_MESSAGE_MS with it is a violation.
   */
  private watchBigMessages(ws: WebSocket, violate: (v: Violation) => void) {
    const inner = ws as unknown as { _socket?: Socket; _receiver?: ReceiverState };
    const socket = inner._socket;
    const receiver = inner._receiver;
    if (!socket || typeof receiver?._bufferedBytes !== "number" || typeof receiver._totalPayloadLength !== "number")
      throw new Error("this version of ws keeps no receiver state to bound big messages by");
    let release: (() => void) | undefined;
    let waiting: { cancel: () => void } | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(deadline);
      deadline = undefined;
      release?.();
      release = undefined;
    };
    const hold = (permit: () => void) => {
      release = permit;
      deadline = setTimeout(
        () => violate({ code: 1008, reason: `a message over 1 MB took more than ${BIG_MESSAGE_MS / 1000} s to arrive` }),
        BIG_MESSAGE_MS,
      );
    };
    const onData = () => {
      if (release || waiting) return;
      if (receiver._bufferedBytes + receiver._totalPayloadLength <= BIG_BODY_BYTES) return;
      const now = this.permits.tryAcquire();
      if (now) return hold(now);
      socket.pause();
      const asked = this.permits.acquire();
      waiting = asked;
      void asked.permit.then((permit) => {
        waiting = undefined;
        socket.resume();
        if (ws.readyState !== ws.OPEN) return permit();
        hold(permit);
      });
    };
    // After ws's own listener: the receiver has taken this chunk in when it runs.
    socket.on("data", onData);
    return {
      messageDone: done,
      close: () => {
        socket.off("data", onData);
        if (waiting) {
          // Paused for a permit that will not be needed now.
          waiting.cancel();
          waiting = undefined;
          socket.resume();
        }
        done();
      },
    };
  }

  /**
   * How long to wait before answering a wrong token from `address`, and whether this socket
   * (which has sent `wrongOnSocket` wrong ones, this included) must now be closed.
   */
  wrongToken(address: string, wrongOnSocket: number): { delayMs: number; close: boolean } {
    const now = this.now();
    const seen = this.wrongTokens.get(address);
    const count = seen && now - seen.last < WRONG_TOKEN_MEMORY_MS ? seen.count + 1 : 1;
    this.wrongTokens.set(address, { count, last: now });
    if (this.wrongTokens.size > 10_000) this.forgetOld(now);
    return {
      delayMs: Math.min(MAX_WRONG_TOKEN_DELAY_MS, WRONG_TOKEN_DELAY_MS * count),
      close: wrongOnSocket >= MAX_WRONG_TOKENS_PER_SOCKET,
    };
  }

  private forgetOld(now: number): void {
    for (const [address, seen] of this.wrongTokens)
      if (now - seen.last >= WRONG_TOKEN_MEMORY_MS) this.wrongTokens.delete(address);
  }
}
