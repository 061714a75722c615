/**
 * Is an IPC object still there? One answer for every leak check: POSIX shm and named
 * semaphores are files in /dev/shm, POSIX queues are probed with mq_open (no /dev/mqueue
 * mount needed), SysV objects are looked up by key in /proc/sysvipc.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { LedgerEntry } from '../../bench/ipc-names.js';
import { native } from '../../bench/native/index.js';

/** Keys present in /proc/sysvipc/<kind> (first column, decimal). */
export function sysvKeys(kind: 'shm' | 'msg' | 'sem'): Set<number> {
  const lines = readFileSync(`/proc/sysvipc/${kind}`, 'utf8').trim().split('\n').slice(1);
  return new Set(lines.map((l) => Number(l.trim().split(/\s+/)[0]) >>> 0));
}

function mqExists(name: string): boolean {
  try {
    native().mqClose(native().mqOpen(name, { create: false }));
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return false;
    throw err;
  }
}

/** Does the object a ledger entry names exist right now? */
export function ipcObjectExists(entry: LedgerEntry): boolean {
  switch (entry.type) {
    case 'posix-shm':
      return existsSync(`/dev/shm/${entry.name!.slice(1)}`);
    case 'posix-sem':
      return existsSync(`/dev/shm/sem.${entry.name!.slice(1)}`);
    case 'posix-mq':
      return mqExists(entry.name!);
    case 'sysv-shm':
      return sysvKeys('shm').has(entry.key!);
    case 'sysv-msg':
      return sysvKeys('msg').has(entry.key!);
    case 'sysv-sem':
      return sysvKeys('sem').has(entry.key!);
  }
}

export const describeIpcObject = (e: LedgerEntry): string => `${e.type} ${e.name ?? `0x${e.key!.toString(16)}`}`;
