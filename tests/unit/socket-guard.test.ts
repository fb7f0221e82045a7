// The websocket guard, on a real socket pair on 127.0.0.1: a socket paused while it waits for a
// big-message permit must be read again once a violation closes it, or its closing handshake
// waits behind the pause (the server's close timeout is 30 s).
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";
import { after, describe, it } from "node:test";
import { WebSocket, WebSocketServer } from "ws";
import { BodyPermits } from "../../server/limits/body-permits.js";
import { MAX_QUEUED_MESSAGES, SocketGuard, type Violation } from "../../server/live/socket-guard.js";

const servers: WebSocketServer[] = [];
after(() => servers.forEach((s) => s.close()));

async function connectedPair(): Promise<{ server: WebSocket; client: WebSocket }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  servers.push(wss);
  await new Promise((resolve) => wss.once("listening", resolve));
  const accepted = new Promise<WebSocket>((resolve) => wss.once("connection", resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await new Promise((resolve) => client.once("open", resolve));
  return { server: await accepted, client };
}

const until = async (check: () => boolean, what: string) => {
  for (const deadline = Date.now() + 5000; !check(); await new Promise((r) => setTimeout(r, 10)))
    if (Date.now() > deadline) throw new Error(`not within 5 s: ${what}`);
};

describe("the websocket guard", () => {
  it("reads a socket paused for a big-message permit again when a violation closes it", async () => {
    const permits = new BodyPermits(1);
    const held = permits.tryAcquire()!;
    const { server, client } = await connectedPair();
    const violations: Violation[] = [];
    const guarded = new SocketGuard(permits).attach(server, (v) => violations.push(v));
    const raw = (server as unknown as { _socket: Socket })._socket;
    try {
      // A message over 1 MB while the only permit is taken: the socket waits, paused.
      client.send(Buffer.alloc(1_500_000));
      await until(() => raw.isPaused(), "the socket paused for a permit");
      // Messages already in hand break the queue bound: the socket is to be closed.
      for (let i = 0; i <= MAX_QUEUED_MESSAGES; i++) guarded.received(10);
      assert.equal(violations.length, 1);
      assert.equal(raw.isPaused(), false, "read again, so the client's closing frame can arrive");
    } finally {
      held();
      guarded.close();
      client.terminate();
      server.terminate();
    }
  });
});
