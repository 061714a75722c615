/**
 * The mechanism registry: what each mechanism is, needs and supports, read by the harness's
 * matrix and by the probe. Its channel code is a module under `bench/mechanisms/` (the file
 * of the same name, exporting `open`), loaded only when a case opens it (`loadedOnOpen`): a
 * probe pair runs one mechanism, so a probe loads one mechanism's code, and the harness none.
 * Adding a mechanism is that module plus its entry here. Nothing else in podipc switches on a
 * mechanism's id; the matrix reads `requires`, `variants` and `supports()`.
 */
import { MAX_CHUNK_PAYLOAD_BYTES, maxFrameBytes } from './dgram-chunks.js';
import { loadedOnOpen, SUPPORTED, type Mechanism, type Support } from './mechanism.js';
import { SHM_VARIANTS } from './mechanisms/shm-variants.js';

/** The largest frame udp's chunking can carry (65,535 chunks). */
const UDP_LARGEST_FRAME_BYTES = maxFrameBytes(MAX_CHUNK_PAYLOAD_BYTES);

/** The largest data frame a sem case may use: sem measures waking, not moving bytes. */
const SEM_MAX_DATA_BYTES = 64;
const SEM_NO_THROUGHPUT: Support = {
  ok: false,
  reason: 'sem is a wake-up primitive with no payload stream; stream throughput over shared memory is measured by shm-*/sem',
};
const SEM_NO_LARGE: Support = {
  ok: false,
  reason: 'sem carries no payload: its 64-byte mailbox holds one frame (seq + checksum); larger messages are measured by shm-*/sem',
};

/** The shm rings: any frame size streams through the ring, and only the sleeping wake-ups need the addon. */
const SHM_RING = {
  variants: SHM_VARIANTS,
  variantRequires: { futex: ['native-addon'], sem: ['native-addon'] },
  supports: () => SUPPORTED,
} as const;

export const mechanisms: readonly Mechanism[] = [
  // loopback network: the pod's shared network namespace
  {
    id: 'tcp',
    summary: 'TCP over the pod loopback (TCP_NODELAY)',
    requires: [],
    supports: () => SUPPORTED,
    open: loadedOnOpen(() => import('./mechanisms/tcp.js')),
  },
  {
    id: 'udp',
    summary: 'UDP datagrams over the pod loopback; frames over 65,507 B are chunked, lost chunks lose the frame',
    requires: [],
    lossy: true,
    supports(_probe, messageBytes) {
      if (messageBytes > UDP_LARGEST_FRAME_BYTES) {
        return { ok: false, reason: `udp chunking carries at most ${UDP_LARGEST_FRAME_BYTES} bytes per frame (65,535 chunks of ${MAX_CHUNK_PAYLOAD_BYTES} B); ${messageBytes} B is larger` };
      }
      return SUPPORTED;
    },
    open: loadedOnOpen(() => import('./mechanisms/udp.js')),
  },
  {
    id: 'ws',
    summary: 'WebSocket (ws package) over the pod loopback: binary messages, no compression, TCP_NODELAY',
    requires: [],
    supports: () => SUPPORTED,
    open: loadedOnOpen(() => import('./mechanisms/ws.js')),
  },
  // shared volume: an emptyDir mounted in both containers
  {
    id: 'uds',
    summary: 'Unix stream socket whose file is on the shared emptyDir volume',
    requires: ['volume-disk'],
    supports: () => SUPPORTED,
    open: loadedOnOpen(() => import('./mechanisms/uds.js')),
  },
  {
    id: 'fifo',
    summary: 'Two named pipes (mkfifo) in the shared emptyDir, one per direction',
    requires: ['volume-disk'],
    supports: () => SUPPORTED,
    open: loadedOnOpen(() => import('./mechanisms/fifo.js')),
  },
  {
    id: 'file-disk',
    summary: 'File hand-off through the disk emptyDir (rename + inotify; tailed log for streams)',
    requires: ['volume-disk'],
    supports: () => SUPPORTED,
    open: loadedOnOpen(() => import('./mechanisms/file-disk.js')),
  },
  {
    id: 'file-tmpfs',
    summary: 'File hand-off through the memory (tmpfs) emptyDir (rename + inotify; tailed log for streams)',
    requires: ['volume-tmpfs'],
    supports: () => SUPPORTED,
    open: loadedOnOpen(() => import('./mechanisms/file-tmpfs.js')),
  },
  // IPC namespace: shared by the pod's containers
  {
    id: 'mq-posix',
    summary: 'POSIX message queues, one per direction (chunked above fs.mqueue.msgsize_max)',
    requires: ['ipc-namespace', 'native-addon'],
    supports: () => SUPPORTED,
    open: loadedOnOpen(() => import('./mechanisms/mq-posix.js')),
  },
  {
    id: 'mq-sysv',
    summary: 'SysV message queues, one per direction (chunked above kernel.msgmax / msgmnb)',
    requires: ['ipc-namespace', 'native-addon'],
    supports: () => SUPPORTED,
    open: loadedOnOpen(() => import('./mechanisms/mq-sysv.js')),
  },
  {
    id: 'sem',
    summary: 'POSIX named semaphores ping-pong with a 64-byte shm mailbox: the wake-up floor',
    requires: ['ipc-namespace', 'shared-dev-shm', 'native-addon'],
    supports(probe, messageBytes) {
      if (probe === 'throughput') return SEM_NO_THROUGHPUT;
      return messageBytes <= SEM_MAX_DATA_BYTES ? SUPPORTED : SEM_NO_LARGE;
    },
    open: loadedOnOpen(() => import('./mechanisms/sem.js')),
  },
  {
    id: 'shm-sysv',
    summary: 'SysV shared memory ring (shmget), woken by spinning, a futex or a SysV semaphore',
    requires: ['ipc-namespace'],
    ...SHM_RING,
    open: loadedOnOpen(() => import('./mechanisms/shm-sysv.js')),
  },
  {
    id: 'shm-posix',
    summary: 'POSIX shared memory ring (shm_open in /dev/shm), woken by spinning, a futex or a POSIX semaphore',
    requires: ['ipc-namespace', 'shared-dev-shm'],
    ...SHM_RING,
    open: loadedOnOpen(() => import('./mechanisms/shm-posix.js')),
  },
];

export function findMechanism(id: string): Mechanism | undefined {
  return mechanisms.find((m) => m.id === id);
}
