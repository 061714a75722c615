/**
 * shm-posix: a POSIX shared memory object (shm_open + mmap MAP_SHARED through
 * shm-typed-array, a file in the pod's shared /dev/shm) holding two byte rings. Variants:
 * spin, futex, sem (two POSIX named semaphores, /dev/shm/sem.<name>, one per side).
 *
 * shm-typed-array facts this relies on (node_modules/shm-typed-array/src/node_shm.cc):
 * - create(count, type, '/name', perm) is shm_open(O_CREAT|O_EXCL|O_RDWR, perm) + ftruncate
 *   + mmap; it returns null when the name exists (EEXIST). perm defaults to '660', so we
 *   pass '600'; shm_open applies the umask on top, which can only narrow it.
 * - It stores the object's size in the first 8 bytes and hands out the bytes after them, so
 *   both sides see the same (8-byte aligned) layout and the client learns the size.
 * - detach(name, true) munmaps and shm_unlinks (the server, at close); detach(name, false)
 *   only munmaps (the client). An unlinked object lives on until the last munmap, so the
 *   order of the two closes does not matter. A side killed before close leaves the name,
 *   which the harness unlinks from its ledger.
 */
import type { Channel, OpenContext } from '../mechanism.js';
import type { Role } from '../../core/vocabulary.js';
import type { NativeAddon } from '../native/index.js';
import { openShm, publishedString, semSlot, shmTypedArray, type MappedSegment, type ShmFlavour, type SidePair } from './shm-common.js';

function mapped(name: string, bytes: Uint8Array | null, owner: boolean, what: string): MappedSegment {
  if (bytes === null) throw new Error(what);
  return {
    bytes,
    where: `POSIX shm ${name}`,
    release() {
      // -1 means "not there any more" (the sweep got there first): nothing to do.
      shmTypedArray().detach(name, owner);
    },
  };
}

/** Open (or create) the semaphore pair; on a failure half way, undo the half. */
function semaphores(addon: NativeAddon, names: readonly [string, string], role: Role, create: boolean): SidePair {
  const handles: number[] = [];
  const release = (): void => {
    for (const h of handles) addon.semClose(h);
    // sem_unlink removes the name only; a peer that has it open keeps a working semaphore.
    if (create) for (const n of names) addon.semUnlink(n);
  };
  try {
    for (const name of names) handles.push(addon.semOpen(name, create ? { create: true, value: 0, mode: 0o600 } : { create: false }));
  } catch (err) {
    release();
    throw err;
  }
  const mine = handles[semSlot(role)]!;
  const peer = handles[semSlot(role === 'server' ? 'client' : 'server')]!;
  return {
    waitMine: (timeoutMs) => addon.semWait(mine, timeoutMs),
    postPeer: () => addon.semPost(peer),
    release,
  };
}

const flavour: ShmFlavour = {
  id: 'shm-posix',
  createSegment(ctx: OpenContext, size: number) {
    const name = ctx.ipc.posix('posix-shm', 'ring');
    const bytes = shmTypedArray().create(size, 'Uint8Array', name, '600');
    const segment = mapped(
      name,
      bytes,
      true,
      `shm_open('${name}', O_CREAT|O_EXCL): /dev/shm${name} already exists (EEXIST), probably left by an interrupted run: remove it with \`rm /dev/shm${name}\``,
    );
    return { segment, address: { shmName: name } };
  },
  attachSegment(info) {
    const name = publishedString(info, 'shmName');
    return mapped(name, shmTypedArray().get(name, 'Uint8Array'), false, `POSIX shm ${name} does not exist: the server removed it or never created it`);
  },
  createSemaphores(ctx, addon) {
    // Index semSlot(role): [0] wakes the server, [1] wakes the client.
    const names = [ctx.ipc.posix('posix-sem', 'wake-server'), ctx.ipc.posix('posix-sem', 'wake-client')] as const;
    return { sems: semaphores(addon, names, 'server', true), address: { semServer: names[0], semClient: names[1] } };
  },
  openSemaphores(info, role, addon) {
    const names = [publishedString(info, 'semServer'), publishedString(info, 'semClient')] as const;
    return semaphores(addon, names, role, false);
  },
};

/** Both ends of the channel (bench/registry.ts loads this module when a case opens one). */
export function open(ctx: OpenContext): Promise<Channel> {
  return openShm(flavour, ctx);
}
