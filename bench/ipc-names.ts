/**
 * Names and keys for IPC objects, unique per run and case, each written to the run's
 * ledger *before* the object is created. Whatever kills a side (a crash, SIGKILL after a
 * hang, Ctrl-C), the harness can read the ledger afterwards and remove exactly the run's
 * own objects, never anyone else's.
 */
import { appendFileSync } from 'node:fs';

export type IpcObjectType = 'posix-shm' | 'posix-mq' | 'posix-sem' | 'sysv-shm' | 'sysv-msg' | 'sysv-sem';

export interface LedgerEntry {
  type: IpcObjectType;
  /** POSIX objects: the name passed to shm_open / mq_open / sem_open ("/podipc-..."). */
  name?: string;
  /** SysV objects: the key passed to shmget / msgget / semget. */
  key?: number;
}

/** SysV keys of podipc carry this top nibble, then a 16-bit run slot, the case and an index. */
export const SYSV_KEY_BASE = 0x5 << 28;

export class IpcNames {
  constructor(
    /** Short tag unique to the run, e.g. "r3k9x2": every POSIX name starts "/podipc-<tag>-". */
    readonly runTag: string,
    /** 0..0xffff, picked at random per run. */
    readonly sysvSlot: number,
    readonly caseIndex: number,
    /** Append-only JSON lines file in the run's shared directory. */
    readonly ledgerPath: string,
  ) {}

  /** A POSIX IPC name: "/podipc-<tag>-c<case>-<suffix>" (suffix: [a-z0-9-]). */
  posix(type: 'posix-shm' | 'posix-mq' | 'posix-sem', suffix: string): string {
    if (!/^[a-z0-9-]{1,40}$/.test(suffix)) throw new Error(`IPC name suffix '${suffix}' must be 1-40 of [a-z0-9-]`);
    const name = `/podipc-${this.runTag}-c${this.caseIndex}-${suffix}`;
    this.record({ type, name });
    return name;
  }

  /** A SysV key: base | slot << 12 | (case mod 64) << 6 | index (0..63). */
  sysv(type: 'sysv-shm' | 'sysv-msg' | 'sysv-sem', index: number): number {
    if (!Number.isInteger(index) || index < 0 || index > 63) throw new Error(`SysV key index ${index} must be 0..63`);
    const key = (SYSV_KEY_BASE | (this.sysvSlot << 12) | ((this.caseIndex & 0x3f) << 6) | index) >>> 0;
    this.record({ type, key });
    return key;
  }

  private record(entry: LedgerEntry): void {
    // O_APPEND writes of one short line are atomic, so server and client may both append.
    appendFileSync(this.ledgerPath, JSON.stringify(entry) + '\n', { mode: 0o600 });
  }
}
