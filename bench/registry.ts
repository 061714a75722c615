/**
 * The mechanism registry: adding a mechanism is one file in `bench/mechanisms/` plus its
 * import and entry here. Nothing else in podipc switches on a mechanism's id; the matrix reads
 * `requires`, `variants` and `supports()`.
 */
import type { Mechanism } from './mechanism.js';
import { tcp } from './mechanisms/tcp.js';
import { fifo } from './mechanisms/fifo.js';
import { fileDisk } from './mechanisms/file-disk.js';
import { fileTmpfs } from './mechanisms/file-tmpfs.js';
import { udp } from './mechanisms/udp.js';
import { ws } from './mechanisms/ws.js';
import { uds } from './mechanisms/uds.js';
import { mqPosix } from './mechanisms/mq-posix.js';
import { mqSysv } from './mechanisms/mq-sysv.js';
import { sem } from './mechanisms/sem.js';
import { shmSysv } from './mechanisms/shm-sysv.js';
import { shmPosix } from './mechanisms/shm-posix.js';

export const mechanisms: readonly Mechanism[] = [
  // loopback network: the pod's shared network namespace
  tcp,
  udp,
  ws,
  // shared volume: an emptyDir mounted in both containers
  uds,
  fifo,
  fileDisk,
  fileTmpfs,
  // IPC namespace: shared by the pod's containers
  mqPosix,
  mqSysv,
  sem,
  shmSysv,
  shmPosix,
];

export function findMechanism(id: string): Mechanism | undefined {
  return mechanisms.find((m) => m.id === id);
}
