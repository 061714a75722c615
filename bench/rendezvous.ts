/**
 * How the two sides of a case meet: the server publishes what the client needs (a port, a
 * key, "ready") as a file in the pod's shared directory, written then renamed so the
 * client never reads half of it; the client polls for it.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CaseSkipped } from './case-skipped.js';

export type RendezvousInfo = Record<string, string | number | boolean>;

export interface Rendezvous {
  publish(info: RendezvousInfo): Promise<void>;
  /**
   * Resolves with what the server published; rejects after `timeoutMs`, or at once when
   * the server published that it could not open the case (`skip` or `error`), so the
   * client reports the server's reason instead of a timeout.
   */
  wait(timeoutMs: number): Promise<RendezvousInfo>;
}

export function dirRendezvous(dir: string, caseIndex: number): Rendezvous {
  const path = join(dir, `case-${caseIndex}.ready.json`);
  return {
    async publish(info) {
      const tmp = `${path}.tmp`;
      await writeFile(tmp, JSON.stringify(info), { mode: 0o600 });
      await rename(tmp, path);
    },
    async wait(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          const info = JSON.parse(await readFile(path, 'utf8')) as RendezvousInfo;
          if (typeof info.skip === 'string') throw new CaseSkipped(info.skip);
          if (typeof info.error === 'string') throw new Error(`server could not open the case: ${info.error}`);
          return info;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        if (Date.now() > deadline) throw new Error(`the server did not publish case ${caseIndex} at ${path} within ${timeoutMs} ms`);
        await sleep(2);
      }
    },
  };
}
