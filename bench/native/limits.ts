/**
 * The IPC limits of the namespace this process runs in. They are per IPC namespace (a pod
 * has its own), so they are read at run time, inside the pod, never assumed.
 */
import { readFileSync } from 'node:fs';

/** A /proc/sys value such as 'fs.mqueue.msgsize_max', or undefined when unreadable. */
export function readSysctl(name: string): number | undefined {
  try {
    const value = Number(readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim().split(/\s+/)[0]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * RLIMIT_MSGQUEUE (soft), the bytes of POSIX queue space one user may hold: queue depth x
 * message size of every queue counts against it, so a deep queue of large messages fails
 * with EMFILE even below fs.mqueue.msgsize_max. Undefined when unlimited or unreadable.
 */
export function msgqueueRlimitBytes(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max msgqueue size'));
    const soft = line?.slice('Max msgqueue size'.length).trim().split(/\s+/)[0];
    const value = Number(soft);
    return soft !== undefined && Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
