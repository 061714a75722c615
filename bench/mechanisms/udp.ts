/**
 * udp: loopback datagrams in the pod's shared network namespace (or across the veth/CNI
 * link for cross-pod). Lossy: UDP has no retransmission and no flow control towards the
 * receiver, so when the receiver's socket buffer is full the kernel drops the datagram.
 * Under a throughput flood that happens, and it shows as `lost` in integrity - the lesson
 * is that UDP's speed is partly the speed of not delivering.
 *
 * Chunking: one UDP datagram carries at most 65,507 bytes, so frames larger than one
 * datagram are split the way an application would (bench/dgram-chunks.ts): every datagram
 * carries a 20-byte chunk header (magic, kind, chunk index and count, message id, frame
 * length) and the receiver reassembles by message id (a per-sender counter rather than the
 * frame's seq: control frames all carry seq 0 and are resent, so seq does not name one
 * train of datagrams). A frame missing any chunk is dropped whole - never delivered half -
 * and the probe counts it lost. Cost: 20 bytes per datagram
 * (0.03 % at the 65,487-byte chunk payload, 31 % of a 64-byte frame), one sendmsg per
 * chunk (a 1 MiB frame is 17 datagrams), no copy on send (header and frame slice go out as
 * two iovecs) but one copy on receive to join the chunks, and loss amplification: losing
 * any one of 17 datagrams loses the whole frame. Cross-pod, each 64 KiB datagram is further
 * IP-fragmented to the link MTU by the kernel, where losing any fragment loses the datagram.
 * A frame larger than the socket receive buffer the kernel grants cannot arrive whole even
 * in ping-pong; such a case is skipped naming net.core.rmem_max (see requireBufferFor).
 *
 * Handshake: the server binds (ephemeral port, published; or the plan's fixed port
 * cross-pod in kind, where no rendezvous directory exists) and waits; the client sends a
 * Hello carrying a random nonce until a Welcome with that nonce answers. The Hello is how
 * the server learns the client's address; then both sides connect() their sockets to each
 * other, so the kernel filters foreign datagrams and each send skips the address lookup.
 */
import { createSocket, type RemoteInfo, type Socket, type SocketType } from 'node:dgram';
import { once } from 'node:events';
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { CaseSkipped } from '../case-skipped.js';
import type { Channel, OpenContext } from '../mechanism.js';
import { retryUntil, serverPort } from '../net-connect.js';
import { FrameQueue } from '../stream-channel.js';
import {
  chunkCountFor,
  chunkFrame,
  DatagramKind,
  decodeDatagram,
  encodeHeader,
  MAX_CHUNK_PAYLOAD_BYTES,
  Reassembler,
  writeHeader,
  CHUNK_HEADER_BYTES,
  type Chunk,
} from '../dgram-chunks.js';

/**
 * Requested SO_RCVBUF / SO_SNDBUF. A 1 MiB frame is 17 datagrams of 64 KiB sent back to
 * back; with the default receive buffer (net.core.rmem_default, 208 KiB here) the
 * receiver's queue overflows before its event loop has read the first few, and even the
 * ping-pong probe would lose every large frame. The kernel caps the request at
 * net.core.rmem_max / wmem_max (and doubles it for bookkeeping); the value actually granted
 * is reported in the case's `limits`, and a case whose frame does not fit is skipped.
 */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
/** How often the client repeats its Hello until the server answers. */
const HELLO_RESEND_MS = 50;
/** How often a blocking recv checks whether the peer has gone silent. */
const WATCHDOG_MS = 1000;

function socketType(host: string): SocketType {
  return isIPv6(host) ? 'udp6' : 'udp4';
}

function newSocket(host: string): Socket {
  return createSocket({ type: socketType(host), recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
}

/**
 * A receive buffer that cannot hold one whole frame loses a chunk of nearly every frame:
 * measured here, a granted 800,000 B buffer lost all of 10 ping-pong frames of 1 MiB while
 * 1,400,000 B lost none. Such a case would report the loss timeout as its latency, so it
 * is skipped instead, naming the limit and the fix.
 */
function requireBufferFor(socket: Socket, messageBytes: number): void {
  const grantedBytes = socket.getRecvBufferSize();
  if (grantedBytes < messageBytes) {
    throw new CaseSkipped(
      `udp: the socket receive buffer cannot hold one ${messageBytes}-byte frame (${chunkCountFor(messageBytes, MAX_CHUNK_PAYLOAD_BYTES)} datagrams): ` +
        `the kernel granted ${grantedBytes} B of the ${SOCKET_BUFFER_BYTES} B requested, capped by net.core.rmem_max. ` +
        `Raise it on the node, e.g. sysctl -w net.core.rmem_max=${SOCKET_BUFFER_BYTES}`,
    );
  }
}

function sendDatagram(socket: Socket, parts: readonly Uint8Array[], to?: { port: number; address: string }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err: Error | null): void => {
      // ENOBUFS/EAGAIN: the kernel had no room and dropped the datagram, which is UDP's
      // behaviour to be measured (the frame counts as lost), not a broken channel.
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (err && code !== 'ENOBUFS' && code !== 'EAGAIN') reject(err);
      else resolve();
    };
    if (to) socket.send(parts as Uint8Array[], to.port, to.address, done);
    else socket.send(parts as Uint8Array[], done);
  });
}

function connectSocket(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.connect(port, address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The channel over a bound, connected socket. `onControl` sees Hello/Welcome datagrams that
 * arrive after the handshake (a resent Hello whose Welcome was lost must be answered again).
 *
 * Sending never waits for a callback: dgram's send first tries the kernel synchronously
 * (uv_udp_try_send), and when that takes the datagram nothing holds our bytes any more.
 * Only when the kernel had no room does libuv queue the datagram with a reference to the
 * buffers (getSendQueueCount() > 0); then send returns a promise that resolves once the
 * queue has drained, before the caller may reuse the frame. Without a callback, dgram
 * drops a failed send silently - for UDP that is a lost datagram, which the probe counts.
 */
function datagramChannel(socket: Socket, setupTimeoutMs: number, onControl: (d: Chunk) => void): Channel {
  const queue = new FrameQueue();
  const reassembler = new Reassembler();
  let nextMessageId = 0;
  let closed = false;
  /** Set while a recv without timeout waits: a dead peer sends nothing, ever. */
  let blockedSinceMs: number | undefined;

  socket.on('message', (datagram: Buffer) => {
    const d = decodeDatagram(datagram);
    if (d === undefined) return; // not ours
    if (d.kind !== DatagramKind.Chunk) return onControl(d);
    const frame = reassembler.push(d);
    if (frame) queue.deliver(frame);
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    // A connected UDP socket reports the peer's ICMP "port unreachable" as ECONNREFUSED:
    // the peer closed (e.g. the server after answering End). Timeouts handle that case.
    if (err.code !== 'ECONNREFUSED') queue.fail(err);
  });
  const watchdog = setInterval(() => {
    if (blockedSinceMs !== undefined && Date.now() - blockedSinceMs > setupTimeoutMs) {
      queue.fail(new Error(`no datagram from the peer for ${setupTimeoutMs} ms: the peer is gone`));
    }
  }, WATCHDOG_MS);
  watchdog.unref();

  const limits = {
    udpRecvBufferBytes: socket.getRecvBufferSize(),
    udpSendBufferBytes: socket.getSendBufferSize(),
    udpChunkPayloadBytes: MAX_CHUNK_PAYLOAD_BYTES,
  };

  // The one-datagram case reuses one header and one list: safe, because a send the kernel
  // did not take at once is drained before the next send starts.
  const header = Buffer.alloc(CHUNK_HEADER_BYTES);
  const single: Uint8Array[] = [header, header];
  const drained = async (): Promise<void> => {
    while (socket.getSendQueueCount() > 0) {
      await yieldToEventLoop();
      if (closed) throw new Error('channel closed');
    }
  };

  return {
    limits,
    send(frame) {
      if (closed) throw new Error('udp: send on a closed channel');
      const messageId = nextMessageId++;
      if (frame.length <= MAX_CHUNK_PAYLOAD_BYTES) {
        writeHeader(header, DatagramKind.Chunk, 0, 1, messageId, frame.length);
        single[1] = frame;
        socket.send(single);
      } else {
        for (const parts of chunkFrame(frame, messageId)) socket.send(parts);
      }
      if (socket.getSendQueueCount() === 0) return;
      return drained();
    },
    recv(timeoutMs) {
      if (timeoutMs !== undefined) return queue.recv(timeoutMs);
      const r = queue.recv();
      if (!(r instanceof Promise)) return r;
      blockedSinceMs = Date.now();
      return r.finally(() => (blockedSinceMs = undefined));
    },
    listen: (sink) => queue.listen(sink),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(watchdog);
      queue.fail(new Error('channel closed'));
      await new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve(); // already closed
        }
      });
    },
  };
}

async function closeQuietly(socket: Socket): Promise<void> {
  await new Promise<void>((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

async function openServer(ctx: OpenContext): Promise<Channel> {
  const socket = newSocket(ctx.net.listenHost);
  try {
    // Cross-pod the port is fixed and the previous case's server may still hold it for a
    // moment (it lingers to answer a resent End): retry the bind until setup times out.
    await retryUntil(ctx.setupTimeoutMs, `udp bind ${ctx.net.listenHost}:${ctx.net.port}`, async () => {
      const listening = once(socket, 'listening');
      socket.bind(ctx.net.port, ctx.net.listenHost);
      await listening;
    });
    requireBufferFor(socket, ctx.messageBytes);
    await ctx.rendezvous.publish({ port: socket.address().port });

    // The first Hello names the client; its Welcome goes back to that address.
    const hello = await new Promise<{ nonce: number; from: RemoteInfo }>((resolve, reject) => {
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no udp Hello from a client within ${ctx.setupTimeoutMs} ms`));
      }, ctx.setupTimeoutMs);
      const onMessage = (datagram: Buffer, from: RemoteInfo): void => {
        const d = decodeDatagram(datagram);
        if (d?.kind !== DatagramKind.Hello) return;
        finish();
        resolve({ nonce: d.messageId, from });
      };
      const onError = (err: Error): void => {
        finish();
        reject(err);
      };
      const finish = (): void => {
        clearTimeout(timer);
        socket.off('message', onMessage);
        socket.off('error', onError);
      };
      socket.on('message', onMessage);
      socket.on('error', onError);
    });
    await connectSocket(socket, hello.from.port, hello.from.address);
    const welcome = encodeHeader({ kind: DatagramKind.Welcome, chunkIndex: 0, chunkCount: 0, messageId: hello.nonce, frameBytes: 0 });
    const channel = datagramChannel(socket, ctx.setupTimeoutMs, (d) => {
      // Our Welcome was lost and the client asked again.
      if (d.kind === DatagramKind.Hello && d.messageId === hello.nonce) void sendDatagram(socket, [welcome]).catch(() => {});
    });
    await sendDatagram(socket, [welcome]);
    return channel;
  } catch (err) {
    await closeQuietly(socket);
    throw err;
  }
}

async function openClient(ctx: OpenContext): Promise<Channel> {
  const port = await serverPort(ctx);
  const host = ctx.net.connectHost;
  const socket = newSocket(host);
  try {
    const listening = once(socket, 'listening');
    socket.bind(0);
    await listening;
    requireBufferFor(socket, ctx.messageBytes);
    const nonce = randomInt(1, 0x7fffffff);
    const hello = encodeHeader({ kind: DatagramKind.Hello, chunkIndex: 0, chunkCount: 0, messageId: nonce, frameBytes: 0 });
    // Unconnected until answered: a connected socket would turn the ICMP "port unreachable"
    // of a server not yet bound (cross-pod, fixed port) into socket errors.
    const server = await new Promise<RemoteInfo>((resolve, reject) => {
      const deadline = Date.now() + ctx.setupTimeoutMs;
      const onMessage = (datagram: Buffer, from: RemoteInfo): void => {
        const d = decodeDatagram(datagram);
        if (d?.kind !== DatagramKind.Welcome || d.messageId !== nonce) return;
        finish();
        resolve(from);
      };
      const resend = (): void => {
        if (Date.now() > deadline) {
          finish();
          reject(new Error(`udp server ${host}:${port} did not answer Hello within ${ctx.setupTimeoutMs} ms`));
          return;
        }
        sendDatagram(socket, [hello], { port, address: host }).catch((err: Error) => {
          finish();
          reject(err);
        });
      };
      const onError = (err: Error): void => {
        finish();
        reject(err);
      };
      const timer = setInterval(resend, HELLO_RESEND_MS);
      const finish = (): void => {
        clearInterval(timer);
        socket.off('message', onMessage);
        socket.off('error', onError);
      };
      socket.on('message', onMessage);
      socket.on('error', onError);
      resend();
    });
    // Connect to where the Welcome came from: the address the server's replies carry.
    await connectSocket(socket, server.port, server.address);
    return datagramChannel(socket, ctx.setupTimeoutMs, () => {
      /* a duplicate Welcome: nothing to do */
    });
  } catch (err) {
    await closeQuietly(socket);
    throw err;
  }
}

/** Both ends of the channel (bench/registry.ts loads this module when a case opens one). */
export function open(ctx: OpenContext): Promise<Channel> {
  return ctx.role === 'server' ? openServer(ctx) : openClient(ctx);
}
