/**
 * ws: WebSocket (RFC 6455, the `ws` package) over loopback TCP in the pod's shared network
 * namespace. One binary WebSocket message per frame, so the transport itself keeps message
 * boundaries; what it adds over plain TCP is the HTTP upgrade at connect time, a 2-14 byte
 * frame header per message, and client-to-server masking (the client XORs every payload
 * byte with a random key, as the RFC requires, and the server unmasks: a real CPU cost at
 * large sizes, done in JavaScript unless ws's optional native `bufferutil` is installed,
 * which podipc does not add).
 *
 * permessage-deflate is off on both sides: with it, the numbers would measure zlib on our
 * synthetic payload (which compresses unrealistically well), not the transport.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import type { Channel, OpenContext } from '../mechanism.js';
import { retryUntil, serverPort } from '../net-connect.js';
import { FrameQueue } from '../stream-channel.js';

const MIB = 1024 * 1024;
/** How long close() waits for the closing handshake before dropping the connection. */
const CLOSE_GRACE_MS = 500;

/**
 * The largest message either side accepts (ws closes the connection with 1009 beyond it;
 * its default is 100 MiB). Explicit: the case's frame, at least 1 MiB, plus headroom for
 * control frames, so a limit is never hit by accident nor set needlessly high.
 */
function maxPayloadFor(ctx: OpenContext): number {
  return Math.max(ctx.messageBytes, MIB) + 64 * 1024;
}

/** Per-message options, allocated once: every podipc message is one binary WebSocket message. */
const BINARY = { binary: true } as const;

function wsChannel(ws: WebSocket, onClose: () => Promise<void> = async () => {}): Channel {
  const queue = new FrameQueue();
  ws.binaryType = 'nodebuffer';
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary || !Buffer.isBuffer(data)) {
      queue.fail(new Error('ws: received a non-binary message; podipc sends one binary message per frame'));
      return;
    }
    queue.deliver(data);
  });
  ws.on('error', (err) => queue.fail(err));
  ws.on('close', (code) => queue.fail(new Error(`peer closed the WebSocket (code ${code})`)));
  // As streamSender does for a plain socket: return at once when the socket took the whole
  // message (bufferedAmount back to 0: nothing references `frame`); otherwise wait until
  // every message sent so far has been written - the stream's back-pressure. The client
  // masks a copy anyway; the server's message is `frame` itself.
  let issued = 0;
  let completed = 0;
  let sendError: Error | undefined;
  let waiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const onSent = (err?: Error): void => {
    completed++;
    if (err && !sendError) {
      sendError = err;
      queue.fail(err);
    }
    const w = waiter;
    if (w && (sendError || completed === issued)) {
      waiter = undefined;
      if (sendError) w.reject(sendError);
      else w.resolve();
    }
  };
  let closed = false;
  return {
    send(frame) {
      if (sendError) return Promise.reject(sendError);
      issued++;
      ws.send(frame, BINARY, onSent);
      if (ws.bufferedAmount === 0) return;
      return new Promise<void>((resolve, reject) => {
        waiter = { resolve, reject };
      });
    },
    recv: (timeoutMs) => queue.recv(timeoutMs),
    listen: (sink) => queue.listen(sink),
    async close() {
      if (closed) return;
      closed = true;
      if (ws.readyState !== ws.CLOSED) {
        const done = once(ws, 'close').catch(() => {});
        if (ws.readyState === ws.OPEN) ws.close(1000);
        const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
        await done;
        clearTimeout(timer);
      }
      await onClose();
    },
  };
}

/**
 * The ws package, loaded when a ws case opens: every Node probe process imports the whole
 * mechanism registry, and ws is a third of its start-up time (about 0.15 s here), paid by
 * each of a run's process pairs whatever they measure.
 */
const loadWs = (): Promise<typeof import('ws')> => import('ws');

async function openServer(ctx: OpenContext): Promise<Channel> {
  const { WebSocketServer } = await loadWs();
  // noDelay: TCP_NODELAY on accepted sockets, so a small message is not held back by
  // Nagle's algorithm waiting for the ACK of the previous one.
  const http = createServer({ noDelay: true });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: maxPayloadFor(ctx) });
  let timer: NodeJS.Timeout | undefined;
  // Listening for the upgrade before `listen`: a cross-pod client dials the fixed port
  // while the rendezvous is still being written, and an upgrade with no listener is dropped.
  const upgraded = new Promise<WebSocket>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no WebSocket client within ${ctx.setupTimeoutMs} ms`)), ctx.setupTimeoutMs);
    // One peer per case: the first upgrade becomes the channel.
    http.once('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.setNoDelay(true);
      wss.handleUpgrade(req, socket, head, (client) => {
        clearTimeout(timer);
        resolve(client);
      });
    });
  });
  upgraded.catch(() => {}); // observed below
  try {
    http.listen(ctx.net.port, ctx.net.listenHost);
    await once(http, 'listening');
    const address = http.address();
    if (address === null || typeof address === 'string') throw new Error('ws server has no port');
    await ctx.rendezvous.publish({ port: address.port });
    const ws = await upgraded;
    // Stop listening so the port is free for the next case. Not awaited: the callback
    // waits until every connection has ended, the upgraded one included.
    http.close();
    return wsChannel(ws, async () => {
      wss.close();
    });
  } catch (err) {
    clearTimeout(timer);
    wss.close();
    if (http.listening) http.close();
    throw err;
  }
}

async function openClient(ctx: OpenContext): Promise<Channel> {
  const { WebSocket } = await loadWs();
  const port = await serverPort(ctx);
  const host = ctx.net.connectHost.includes(':') ? `[${ctx.net.connectHost}]` : ctx.net.connectHost;
  const url = `ws://${host}:${port}/`;
  const ws = await retryUntil(ctx.setupTimeoutMs, `WebSocket connect to ${url}`, async () => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: maxPayloadFor(ctx) });
    // ws sets TCP_NODELAY itself; done here too so the choice is visible, not inherited.
    ws.once('upgrade', (res: IncomingMessage) => (res.socket as Socket).setNoDelay(true));
    try {
      await once(ws, 'open');
    } catch (err) {
      ws.on('error', () => {}); // a late error from the aborted handshake must not crash us
      ws.terminate();
      throw err;
    }
    return ws;
  });
  return wsChannel(ws);
}

/** Both ends of the channel (bench/registry.ts loads this module when a case opens one). */
export function open(ctx: OpenContext): Promise<Channel> {
  return ctx.role === 'server' ? openServer(ctx) : openClient(ctx);
}
