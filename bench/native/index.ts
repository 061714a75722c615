/**
 * The project's N-API addon (bench/native/*.cc, built by node-gyp from binding.gyp during
 * `npm ci`): the system calls podipc's IPC mechanisms need and Node does not offer.
 *
 * Loaded lazily so that a machine without a compiler still runs every other mechanism:
 * mechanisms that need it declare the 'native-addon' requirement, and the matrix skips
 * them when `nativeAvailable()` is false.
 *
 * Every call is synchronous; calls that can block take `timeoutMs` (negative blocks), so a
 * dead peer becomes an error or a timeout result instead of a hang. Errors are `Error`s
 * whose `.code` is the errno name and whose message names the call, the object and the fix.
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeAddon {
  // --- POSIX message queues (mq_overview(7)) ---
  /** mq_open. create => O_CREAT|O_EXCL with mode (default 0o600) and attrs. Returns the mqd. */
  mqOpen(name: string, opts: { create: boolean; maxMsg?: number; msgSize?: number; mode?: number }): number;
  /** mq_timedsend; timeoutMs < 0 blocks. Throws Error with .code 'ETIMEDOUT' (queue stayed full), 'EMSGSIZE', ... */
  mqSend(mqd: number, data: Uint8Array, timeoutMs: number): void;
  /** mq_timedreceive into `into` (length >= mq_msgsize). Returns bytes received, or -1 on timeout. */
  mqReceive(mqd: number, into: Uint8Array, timeoutMs: number): number;
  mqGetAttr(mqd: number): { maxMsg: number; msgSize: number; curMsgs: number };
  mqClose(mqd: number): void;
  /** mq_unlink; returns false when it did not exist. */
  mqUnlink(name: string): boolean;

  // --- SysV message queues (msgget(2)) ---
  /** create => IPC_CREAT|IPC_EXCL with mode (default 0o600). Returns msqid. */
  msgGet(key: number, opts: { create: boolean; mode?: number }): number;
  /**
   * msgsnd of `data` with message type mtype (>0). Blocks while the queue is full; with
   * timeoutMs >= 0 gives up at the deadline and throws .code 'ETIMEDOUT' (0: one IPC_NOWAIT try).
   */
  msgSend(msqid: number, mtype: number, data: Uint8Array, timeoutMs: number): void;
  /** msgrcv of type mtype into `into`; returns bytes, or -1 on timeout (same timeout rule). */
  msgReceive(msqid: number, mtype: number, into: Uint8Array, timeoutMs: number): number;
  msgStat(msqid: number): { qbytes: number; qnum: number };
  /** IPC_RMID; returns false when it did not exist. */
  msgRemove(msqid: number): boolean;

  // --- futex on a word of shared memory (futex(2)) ---
  /**
   * FUTEX_WAIT (non-private: works across processes on a MAP_SHARED page) on arr[index].
   * Returns 0 when woken, 1 when arr[index] !== expected at call time (EAGAIN), 2 on timeout.
   * EINTR is retried. timeoutMs < 0 waits forever. `arr` may be a non-shared Int32Array over
   * external memory (shm-typed-array).
   */
  futexWait(arr: Int32Array, index: number, expected: number, timeoutMs: number): 0 | 1 | 2;
  /** FUTEX_WAKE up to `count` waiters on arr[index]; returns how many were woken. */
  futexWake(arr: Int32Array, index: number, count: number): number;

  // --- POSIX named semaphores (sem_overview(7)); they live in /dev/shm as sem.<name> ---
  /** sem_open; create => O_CREAT|O_EXCL with mode and initial value. Returns a handle id. */
  semOpen(name: string, opts: { create: boolean; value?: number; mode?: number }): number;
  semPost(handle: number): void;
  /** sem_timedwait (timeoutMs < 0: sem_wait). Returns true when acquired, false on timeout. */
  semWait(handle: number, timeoutMs: number): boolean;
  semClose(handle: number): void;
  /** sem_unlink; false when it did not exist. */
  semUnlink(name: string): boolean;

  // --- SysV semaphores (semget(2), semtimedop(2)) ---
  /** create => IPC_CREAT|IPC_EXCL, nsems semaphores all set to 0. Returns semid. */
  semGet(key: number, nsems: number, opts: { create: boolean; mode?: number }): number;
  /** semtimedop with one sembuf {num, delta}. Returns true when done, false on timeout. */
  semOp(semid: number, num: number, delta: number, timeoutMs: number): boolean;
  /** IPC_RMID; false when it did not exist. */
  semRemove(semid: number): boolean;

  // --- CRC-32C (bench/native/crc32c.cc), called by bench/checksum.ts for large ranges ---
  /**
   * Feed bytes[from..to) into an un-finalised CRC-32C state; returns the new state as an
   * int32 (`>>> 0` for the unsigned value). SSE4.2 + PCLMULQDQ where the CPU has them.
   */
  crc32cUpdate(state: number, bytes: Uint8Array, from: number, to: number): number;
  /** The portable C++ path alone (slicing-by-8), so tests can check it on CPUs that never select it. */
  crc32cUpdatePortable(state: number, bytes: Uint8Array, from: number, to: number): number;
  /** Which path crc32cUpdate takes on this CPU, e.g. "sse4.2 3-way + pclmul combine". */
  readonly crc32cImplementation: string;

  // --- a clock that allocates nothing (bench/native/clock.cc), for the probes' round trips ---
  /** Register `slot` (Float64Array, length >= 1); the returned function writes CLOCK_MONOTONIC ns into slot[0]. */
  clockInit(slot: Float64Array): () => void;
  /** The same with CLOCK_THREAD_CPUTIME_ID: the calling thread's CPU time, ns (stops while it is preempted or asleep). */
  threadCpuClockInit?(slot: Float64Array): () => void;

  // --- removal by key, for sweeping a crashed run's ledger ---
  /** Look up the key (no IPC_CREAT) and IPC_RMID it; false when no such object. */
  shmRemoveKey(key: number): boolean;
  msgRemoveKey(key: number): boolean;
  semRemoveKey(key: number): boolean;
}

/** The package root: this file is dist/bench/native/index.js, three levels below it. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Where node-gyp puts the addon (target `podipc_native` in binding.gyp). */
export const ADDON_PATH = join(PACKAGE_ROOT, 'build', 'Release', 'podipc_native.node');

const BUILD_HINT = 'run `npm ci` or `npm run build:native` (node-gyp needs g++, make and python3)';

let loaded: { ok: true; addon: NativeAddon } | { ok: false; error: Error } | undefined;

function load(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  try {
    const exports = createRequire(import.meta.url)(ADDON_PATH) as Partial<NativeAddon> & { unsupportedReason?: string };
    if (typeof exports.unsupportedReason === 'string') throw new Error(exports.unsupportedReason);
    if (typeof exports.mqOpen !== 'function') throw new Error(`${ADDON_PATH} does not export the expected functions: rebuild it`);
    loaded = { ok: true, addon: exports as NativeAddon };
  } catch (err) {
    const cause = err as NodeJS.ErrnoException;
    const why = cause.code === 'MODULE_NOT_FOUND' ? 'it is not built' : cause.message;
    loaded = { ok: false, error: new Error(`the podipc native addon is unavailable (${why}): ${BUILD_HINT}`, { cause }) };
  }
  return loaded;
}

/** True when the addon is built and loads; never throws. */
export function nativeAvailable(): boolean {
  return load().ok;
}

/** The addon, or an Error naming the fix. */
export function native(): NativeAddon {
  const state = load();
  if (!state.ok) throw state.error;
  return state.addon;
}

/** Why the addon is unavailable (for skip reasons), or undefined when it loads. */
export function nativeUnavailableReason(): string | undefined {
  const state = load();
  return state.ok ? undefined : state.error.message;
}

/** The error code (errno name) of an addon error, or undefined. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : undefined;
}
