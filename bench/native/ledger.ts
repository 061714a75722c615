/**
 * Sweep a run's IPC ledger: remove every object the run recorded (bench/ipc-names.ts writes
 * each name or key *before* creating the object) that still exists. This is what cleans up
 * after a side that crashed or was killed before its close() ran.
 *
 * Only ledgered names and keys are touched, never a pattern match, so another run's (or
 * another program's) objects are safe. Idempotent; a missing ledger means nothing to do.
 * Must run in the IPC namespace and with the /dev/shm the run used.
 */
import { readFile, unlink } from 'node:fs/promises';
import type { IpcObjectType, LedgerEntry } from '../ipc-names.js';
import { errnoCode, native } from './index.js';

const TYPES: readonly IpcObjectType[] = ['posix-shm', 'posix-mq', 'posix-sem', 'sysv-shm', 'sysv-msg', 'sysv-sem'];

/** Where glibc keeps POSIX shm objects and named semaphores (shm_overview(7), sem_overview(7)). */
const DEV_SHM = '/dev/shm';

export interface SweepResult {
  /** Objects that still existed and are now gone. */
  removed: LedgerEntry[];
  /** One line per entry that could not be read or removed, naming it and why. */
  failed: string[];
}

export async function sweepLedger(path: string): Promise<SweepResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { removed: [], failed: [] };
    throw err;
  }
  const removed: LedgerEntry[] = [];
  const failed: string[] = [];
  const seen = new Set<string>();
  for (const [lineNo, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const entry = parseEntry(line);
    if (typeof entry === 'string') {
      failed.push(`${path}:${lineNo + 1}: ${entry}`);
      continue;
    }
    // Both sides ledger the names they use; remove each object once.
    const id = `${entry.type}:${entry.name ?? entry.key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    try {
      if (await removeEntry(entry)) removed.push(entry);
    } catch (err) {
      failed.push(`${describe(entry)}: ${(err as Error).message}`);
    }
  }
  return { removed, failed };
}

function parseEntry(line: string): LedgerEntry | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return `not JSON: ${line.slice(0, 80)}`;
  }
  const v = value as { type?: unknown; name?: unknown; key?: unknown };
  if (typeof v !== 'object' || v === null || !TYPES.includes(v.type as IpcObjectType)) {
    return `unknown ledger entry: ${line.slice(0, 80)}`;
  }
  const type = v.type as IpcObjectType;
  if (type.startsWith('posix-')) {
    // The same rule bench/ipc-names.ts produces; anything else is refused rather than
    // turned into a path (a ledger must never make us unlink outside /dev/shm).
    if (typeof v.name !== 'string' || !/^\/podipc-[a-z0-9-]+$/.test(v.name)) return `bad POSIX name in ledger: ${line.slice(0, 80)}`;
    return { type, name: v.name };
  }
  if (typeof v.key !== 'number' || !Number.isInteger(v.key) || v.key <= 0 || v.key > 0xffffffff) {
    return `bad SysV key in ledger: ${line.slice(0, 80)}`;
  }
  return { type, key: v.key };
}

/** Remove one object; false when it did not exist (its owner closed it properly). */
async function removeEntry(entry: LedgerEntry): Promise<boolean> {
  switch (entry.type) {
    case 'posix-shm':
      return unlinkIfPresent(`${DEV_SHM}/${entry.name!.slice(1)}`);
    case 'posix-sem':
      return unlinkIfPresent(`${DEV_SHM}/sem.${entry.name!.slice(1)}`);
    case 'posix-mq':
      return native().mqUnlink(entry.name!);
    case 'sysv-shm':
      return native().shmRemoveKey(entry.key!);
    case 'sysv-msg':
      return native().msgRemoveKey(entry.key!);
    case 'sysv-sem':
      return native().semRemoveKey(entry.key!);
  }
}

async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

function describe(entry: LedgerEntry): string {
  return entry.name !== undefined ? `${entry.type} ${entry.name}` : `${entry.type} key 0x${entry.key!.toString(16)}`;
}
