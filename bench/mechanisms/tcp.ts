/**
 * tcp: loopback TCP inside the pod's shared network namespace (or across the veth/CNI
 * link for cross-pod), with TCP_NODELAY so small ping-pong messages are not held back by
 * Nagle's algorithm waiting for the previous segment's ACK.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { SUPPORTED, type Channel, type Mechanism, type OpenContext } from '../mechanism.js';
import { retryUntil, serverPort } from '../net-connect.js';
import { socketChannel } from '../stream-channel.js';

async function openServer(ctx: OpenContext): Promise<Channel> {
  const server: Server = createServer({ noDelay: true });
  server.listen(ctx.net.port, ctx.net.listenHost);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcp server has no port');
  await ctx.rendezvous.publish({ port: address.port });
  const [socket] = (await once(server, 'connection')) as [Socket];
  // One peer per case: stop accepting so the port is free for the next case.
  server.close();
  socket.setNoDelay(true);
  return socketChannel(socket);
}

async function openClient(ctx: OpenContext): Promise<Channel> {
  const port = await serverPort(ctx);
  const socket = await retryUntil(ctx.setupTimeoutMs, `tcp connect to ${ctx.net.connectHost}:${port}`, async () => {
    const s = connect({ host: ctx.net.connectHost, port, noDelay: true });
    try {
      await once(s, 'connect');
    } catch (err) {
      s.destroy();
      throw err;
    }
    return s;
  });
  return socketChannel(socket);
}

export const tcp: Mechanism = {
  id: 'tcp',
  summary: 'TCP over the pod loopback (TCP_NODELAY)',
  requires: [],
  supports: () => SUPPORTED,
  open: (ctx) => (ctx.role === 'server' ? openServer(ctx) : openClient(ctx)),
};
