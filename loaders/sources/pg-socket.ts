// A socket for pg connections that reads into one buffer it keeps, instead of a new 64 KB
// buffer per read. A snapshot streams hundreds of megabytes through each connection; as fresh
// buffers they pile up between garbage collections (tens of megabytes of resident memory)
// and keep V8's collector busy on every core. While a COPY runs, its reader takes the bytes in
// place (see BinaryCopyOut); otherwise pg gets a copy of each read as a normal 'data' event.
import net from "node:net";

const READ_BUFFER_BYTES = 256 * 1024;

export type ReusedBufferSocket = net.Socket & {
  /**
   * Takes each read in place while set: the bytes are overwritten by the next read, so it must
   * copy whatever it keeps before returning.
   */
  tap: ((data: Buffer) => void) | undefined;
};

const made = new WeakSet<object>();

export function reusedBufferSocket(): ReusedBufferSocket {
  const onread: net.OnReadOpts = {
    buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
    callback: (bytes, into) => {
      const data = into.subarray(0, bytes) as Buffer;
      if (socket.tap) socket.tap(data);
      // pg's parser keeps the unparsed end of a read until the next one, so it gets its own copy.
      else socket.emit("data", Buffer.from(data));
      return true; // pausing is the COPY reader's, through pause()
    },
  };
  // The constructor takes `onread` too (Node >= 15.8), though @types/node lists it only for connect().
  const socket: ReusedBufferSocket = Object.assign(new net.Socket({ onread } as net.SocketConstructorOpts), {
    tap: undefined as ReusedBufferSocket["tap"],
  });
  made.add(socket);
  return socket;
}

export function isReusedBufferSocket(stream: unknown): stream is ReusedBufferSocket {
  return typeof stream === "object" && stream !== null && made.has(stream);
}

/** For pg's `stream` option: the reused-buffer socket, except under TLS, which reads for itself. */
export function pgSocket(config: { ssl?: unknown }): net.Socket {
  return config.ssl ? new net.Socket() : reusedBufferSocket();
}
