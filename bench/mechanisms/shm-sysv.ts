/**
 * shm-sysv: a System V shared memory segment (shmget/shmat through shm-typed-array) holding
 * two byte rings, in the pod's shared IPC namespace. Variants: spin, futex, sem (a SysV
 * semaphore set with one semaphore per side).
 *
 * shm-typed-array facts this relies on (node_modules/shm-typed-array/src/node_shm.cc):
 * - create(count, type, key, perm) is shmget(key, size, IPC_CREAT|IPC_EXCL|perm) + shmat;
 *   it returns null when the key exists (EEXIST), and perm defaults to '660' (group
 *   read/write), so we pass '600'. SysV permissions ignore the umask.
 * - detach(key, false) shmdt()s and then IPC_RMIDs the segment if no process is attached
 *   any more; detach(key, true) IPC_RMIDs regardless. After an IPC_RMID the key no longer
 *   resolves, so a process still attached could no longer detach by key and would keep the
 *   mapping until it exits. Hence both sides detach non-forcing: whoever leaves last
 *   removes the segment (server and client alike), and a side killed before detaching
 *   leaves a segment the harness removes by its ledgered key. A racing double IPC_RMID
 *   throws in the library; that only means the other side removed it.
 * - The typed arrays it returns are not unmapped by the GC: only detach() unmaps, after
 *   which the channel never touches them again.
 */
import type { Channel, OpenContext } from '../mechanism.js';
import type { Role } from '../../core/vocabulary.js';
import type { NativeAddon } from '../native/index.js';
import { openShm, publishedNumber, semSlot, shmTypedArray, type MappedSegment, type ShmFlavour, type SidePair } from './shm-common.js';

const hex = (key: number): string => `0x${key.toString(16).padStart(8, '0')}`;

function mapped(key: number, bytes: Uint8Array | null, what: string): MappedSegment {
  if (bytes === null) throw new Error(what);
  return {
    bytes,
    where: `SysV shm key ${hex(key)}`,
    release() {
      try {
        shmTypedArray().detach(key, false);
      } catch {
        /* both sides left at once and the other one's IPC_RMID came first */
      }
    },
  };
}

function semaphores(addon: NativeAddon, semid: number, role: Role, owner: boolean): SidePair {
  const mine = semSlot(role);
  const peer = semSlot(role === 'server' ? 'client' : 'server');
  return {
    waitMine: (timeoutMs) => addon.semOp(semid, mine, -1, timeoutMs),
    // A V operation never blocks: no timeout needed.
    postPeer: () => void addon.semOp(semid, peer, 1, -1),
    release: () => {
      if (owner) addon.semRemove(semid);
    },
  };
}

const flavour: ShmFlavour = {
  id: 'shm-sysv',
  createSegment(ctx: OpenContext, size: number) {
    const key = ctx.ipc.sysv('sysv-shm', 0);
    const bytes = shmTypedArray().create(size, 'Uint8Array', key, '600');
    const segment = mapped(
      key,
      bytes,
      `shmget(${hex(key)}, IPC_CREAT|IPC_EXCL): the key already exists (EEXIST), probably left by an interrupted run with the same SysV slot: check \`ipcs -m\` and remove it with \`ipcrm -M ${hex(key)}\``,
    );
    return { segment, address: { shmKey: key } };
  },
  attachSegment(info) {
    const key = publishedNumber(info, 'shmKey');
    return mapped(key, shmTypedArray().get(key, 'Uint8Array'), `SysV shm key ${hex(key)} does not exist: the server removed it or never created it`);
  },
  createSemaphores(ctx, addon) {
    const key = ctx.ipc.sysv('sysv-sem', 1);
    // Two semaphores, both 0: [0] wakes the server, [1] wakes the client.
    const semid = addon.semGet(key, 2, { create: true, mode: 0o600 });
    return { sems: semaphores(addon, semid, 'server', true), address: { semKey: key } };
  },
  openSemaphores(info, role, addon) {
    const semid = addon.semGet(publishedNumber(info, 'semKey'), 2, { create: false });
    return semaphores(addon, semid, role, false);
  },
};

/** Both ends of the channel (bench/registry.ts loads this module when a case opens one). */
export function open(ctx: OpenContext): Promise<Channel> {
  return openShm(flavour, ctx);
}
