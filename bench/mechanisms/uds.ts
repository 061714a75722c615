/**
 * uds: a Unix-domain stream socket whose file lives on the pod's shared emptyDir. Both
 * containers mount the volume, so both see the socket file; data never touches the
 * network stack (no TCP segmentation, checksums or loopback device), which is why UDS
 * usually beats loopback TCP. Framing is the same as tcp's (stream-channel.ts).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { SUPPORTED, type Channel, type Mechanism, type OpenContext } from '../mechanism.js';
import { retryUntil } from '../net-connect.js';
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
  const server: Server = createServer();
  const unlink = (): Promise<void> => rm(path, { force: true });
  try {
    server.listen(path);
    await once(server, 'listening');
    await ctx.rendezvous.publish({ path });
    const [socket] = (await once(server, 'connection', { signal: AbortSignal.timeout(ctx.setupTimeoutMs) })) as [Socket];
    return socketChannel(socket, unlink);
  } catch (err) {
    const error = err as Error;
    await unlink();
    throw error.name === 'AbortError' ? new Error(`no client connected to ${path} within ${ctx.setupTimeoutMs} ms`) : error;
  } finally {
    // One peer per case: stop accepting (libuv also unlinks the path when it closes the
    // listening socket; the channel's close unlinks again in case it did not).
    server.close();
  }
}

async function openClient(ctx: OpenContext): Promise<Channel> {
  // The published path is the server's view; the client dials the file in its own mount
  // of the volume (the same path when both containers mount it alike, as podipc's pods do).
  await ctx.rendezvous.wait(ctx.setupTimeoutMs);
  const path = socketPath(ctx);
  const socket = await retryUntil(ctx.setupTimeoutMs, `connect to the Unix socket ${path}`, async () => {
    const s = connect({ path });
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

export const uds: Mechanism = {
  id: 'uds',
  summary: 'Unix stream socket whose file is on the shared emptyDir volume',
  requires: ['volume-disk'],
  supports: () => SUPPORTED,
  open: (ctx) => (ctx.role === 'server' ? openServer(ctx) : openClient(ctx)),
};
