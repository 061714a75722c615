/**
 * tcp: loopback TCP inside the pod's shared network namespace (or across the veth/CNI
 * link for cross-pod), with TCP_NODELAY so small ping-pong messages are not held back by
 * Nagle's algorithm waiting for the previous segment's ACK.
 */
import { createServer, type AddressInfo } from 'node:net';
import type { Channel, OpenContext } from '../mechanism.js';
import { acceptOne, dialSocket, serverPort } from '../net-connect.js';
import { socketChannel } from '../stream-channel.js';

async function openServer(ctx: OpenContext): Promise<Channel> {
  const server = createServer({ noDelay: true });
  const socket = await acceptOne(
    server,
    ctx,
    () => server.listen(ctx.net.port, ctx.net.listenHost),
    () => ({ port: (server.address() as AddressInfo).port }),
    `tcp ${ctx.net.listenHost}:${ctx.net.port || '(ephemeral)'}`,
  );
  socket.setNoDelay(true);
  return socketChannel(socket);
}

async function openClient(ctx: OpenContext): Promise<Channel> {
  const port = await serverPort(ctx);
  const what = `tcp ${ctx.net.connectHost}:${port}`;
  return socketChannel(await dialSocket({ host: ctx.net.connectHost, port, noDelay: true }, ctx, what));
}

/** Both ends of the channel (bench/registry.ts loads this module when a case opens one). */
export function open(ctx: OpenContext): Promise<Channel> {
  return ctx.role === 'server' ? openServer(ctx) : openClient(ctx);
}
