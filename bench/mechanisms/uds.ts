/**
 * uds: a Unix-domain stream socket whose file lives on the pod's shared emptyDir. Both
 * containers mount the volume, so both see the socket file; data never touches the
 * network stack (no TCP segmentation, checksums or loopback device), which is why UDS
 * usually beats loopback TCP. Framing is the same as tcp's (stream-channel.ts).
 */
import { createServer } from 'node:net';
import { rm } from 'node:fs/promises';
import type { Channel, OpenContext } from '../mechanism.js';
import { acceptOne, dialSocket } from '../net-connect.js';
import { socketChannel } from '../stream-channel.js';

/**
 * sockaddr_un.sun_path is 108 bytes on Linux and libuv needs room for the terminating NUL,
 * so a socket path may be at most 107 bytes; longer ones fail with ENAMETOOLONG.
 */
export const SUN_PATH_MAX_BYTES = 107;

export function socketPath(ctx: Pick<OpenContext, 'volumes' | 'caseIndex'>): string {
  const path = `${ctx.volumes.disk}/podipc-c${ctx.caseIndex}.sock`;
  const bytes = Buffer.byteLength(path);
  if (bytes > SUN_PATH_MAX_BYTES) {
    throw new Error(
      `Unix socket path is ${bytes} bytes, over the ${SUN_PATH_MAX_BYTES}-byte limit of sockaddr_un.sun_path (108 with the NUL): ${path}. ` +
        'Mount the disk volume at a shorter path.',
    );
  }
  return path;
}

async function openServer(ctx: OpenContext): Promise<Channel> {
  const path = socketPath(ctx);
  // A file left by a crashed run would make listen() fail with EADDRINUSE.
  await rm(path, { force: true });
  const unlink = (): Promise<void> => rm(path, { force: true });
  const server = createServer();
  try {
    // libuv unlinks the path when acceptOne closes the listening socket; the channel's
    // close unlinks again in case it did not.
    const socket = await acceptOne(server, ctx, () => server.listen(path), () => ({ path }), path);
    return socketChannel(socket, unlink);
  } catch (err) {
    await unlink();
    throw err;
  }
}

async function openClient(ctx: OpenContext): Promise<Channel> {
  // The published path is the server's view; the client dials the file in its own mount
  // of the volume (the same path when both containers mount it alike, as podipc's pods do).
  await ctx.rendezvous.wait(ctx.setupTimeoutMs);
  const path = socketPath(ctx);
  return socketChannel(await dialSocket({ path }, ctx, `the Unix socket ${path}`));
}

/** Both ends of the channel (bench/registry.ts loads this module when a case opens one). */
export function open(ctx: OpenContext): Promise<Channel> {
  return ctx.role === 'server' ? openServer(ctx) : openClient(ctx);
}
