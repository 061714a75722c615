/**
 * Shared plumbing for the loopback-network mechanisms: where the client dials, and
 * dialling with retries (cross-pod in kind there is no shared directory, so the client
 * keeps trying the fixed port until the server pod listens).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { OpenContext } from './mechanism.js';

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
