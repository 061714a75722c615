/**
 * Shared plumbing for the socket mechanisms: accepting the one peer of a case, where the
 * client dials, and dialling with retries (cross-pod in kind there is no shared directory,
 * so the client keeps trying the fixed port until the server pod listens).
 */
import { once } from 'node:events';
import { connect, type NetConnectOpts, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OpenContext } from './mechanism.js';
import type { RendezvousInfo } from './rendezvous.js';

/** The server's port: from the rendezvous when the port was ephemeral, else the plan's fixed one. */
export async function serverPort(ctx: OpenContext): Promise<number> {
  if (ctx.net.port !== 0) return ctx.net.port;
  const info = await ctx.rendezvous.wait(ctx.setupTimeoutMs);
  if (typeof info.port !== 'number') throw new Error(`rendezvous for case ${ctx.caseIndex} carries no port`);
  return info.port;
}

/** Retry `attempt` until it succeeds or the setup deadline passes; the last error is kept. */
export async function retryUntil<T>(timeoutMs: number, what: string, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} failed for ${timeoutMs} ms: ${(err as Error).message}`);
      await sleep(20);
    }
  }
}

/**
 * The server half of a stream-socket case: start listening, publish how to reach us, accept
 * exactly one peer within the setup timeout, then stop listening (one peer per case frees
 * the port or path for the next case).
 */
export async function acceptOne(
  server: Server,
  ctx: OpenContext,
  listen: () => void,
  publish: () => RendezvousInfo,
  what: string,
): Promise<Socket> {
  // Wait for the peer from before `listen`: a client that dials a fixed port (cross-pod)
  // retries every few ms and can connect while the rendezvous is still being written. A
  // 'connection' emitted with no listener is lost, and that client would wait forever on
  // a socket nobody reads (seen under podman, where the shared volume write is slow).
  const connected = once(server, 'connection', { signal: AbortSignal.timeout(ctx.setupTimeoutMs) });
  connected.catch(() => {}); // observed below; a failed listen must not leave it unhandled
  try {
    listen();
    await once(server, 'listening');
    await ctx.rendezvous.publish(publish());
    const [socket] = (await connected) as [Socket];
    return socket;
  } catch (err) {
    const error = err as Error;
    throw error.name === 'AbortError' ? new Error(`no client connected to ${what} within ${ctx.setupTimeoutMs} ms`) : error;
  } finally {
    server.close();
  }
}

/** The client half: dial until connected or the setup deadline passes. */
export function dialSocket(options: NetConnectOpts, ctx: OpenContext, what: string): Promise<Socket> {
  return retryUntil(ctx.setupTimeoutMs, `connect to ${what}`, async () => {
    const s = connect(options);
    try {
      await once(s, 'connect');
    } catch (err) {
      s.destroy();
      throw err;
    }
    return s;
  });
}
