/**
 * What shm-sysv and shm-posix share: the ring channel (bench/shm-ring.ts) over a segment
 * from `shm-typed-array`, and the three wake-up variants. Each mechanism file supplies only
 * how to create, attach and remove its segment and its semaphores (a `ShmFlavour`).
 *
 * Lifecycle: the server creates the segment exclusively and owner-only (mode 0600; the
 * library's default would be 0660), lays out the ring header, creates the semaphores for
 * the `sem` variant, and only then publishes at the rendezvous; the client attaches to what
 * was published. close() on either side marks it closed in the header (a waiting peer
 * stops at once), detaches, and the flavour removes what its side owns. Every name and key
 * comes from ctx.ipc, which ledgers it before creation, so the harness sweeps what a killed
 * side could not remove.
 *
 * The addon question: only `futex` and `sem` need bench/native, so their registry entries
 * declare 'native-addon' per variant (`spin` runs without a compiler) and the matrix skips them
 * where the addon is not built. open() still refuses, as CaseSkipped naming the fix, if a
 * plan asks for them anyway.
 */
import { createRequire } from 'node:module';
import type { Channel, OpenContext } from '../mechanism.js';
import type { Role } from '../../core/vocabulary.js';
import { CaseSkipped } from '../case-skipped.js';
import { native, nativeUnavailableReason, type NativeAddon } from '../native/index.js';
import type { RendezvousInfo } from '../rendezvous.js';
import { SHM_VARIANTS, type ShmVariant } from './shm-variants.js';
import {
  attachSegment,
  futexWords,
  initSegment,
  RING_BYTES,
  segmentBytes,
  ShmChannel,
  SleepingWakeUp,
  sleepingWords,
  spinWakeUp,
  type SegmentViews,
  type Sleeper,
  type WakeUp,
} from '../shm-ring.js';

type ShmTypedArray = typeof import('shm-typed-array');
let shmModule: ShmTypedArray | undefined;

/**
 * shm-typed-array, loaded on first use: loading it registers an exit hook and runs its
 * own cleanup, which probes of other mechanisms have no business doing.
 */
export function shmTypedArray(): ShmTypedArray {
  shmModule ??= createRequire(import.meta.url)('shm-typed-array') as ShmTypedArray;
  return shmModule;
}

/** A mapped segment and how to let go of it. */
export interface MappedSegment {
  bytes: Uint8Array;
  /** For errors: "SysV shm key 0x5..." or "POSIX shm /podipc-...". */
  where: string;
  /** Unmap; the creator also removes the object. Must not throw for "already gone". */
  release(): void;
}

/** The semaphores of the `sem` variant: one per side, "wake the server" and "wake the client". */
export interface SidePair {
  /** Sleep until the peer posts ours (true), or timeoutMs (false). */
  waitMine(timeoutMs: number): boolean;
  postPeer(): void;
  /** Close; the creator also removes them. Must not throw for "already gone". */
  release(): void;
}

export interface ShmFlavour {
  /** The mechanism's id, for labels and errors. */
  id: string;
  /** Server: create exclusively with mode 0600; `address` goes to the rendezvous. */
  createSegment(ctx: OpenContext, bytes: number): { segment: MappedSegment; address: RendezvousInfo };
  attachSegment(info: RendezvousInfo): MappedSegment;
  createSemaphores(ctx: OpenContext, addon: NativeAddon): { sems: SidePair; address: RendezvousInfo };
  openSemaphores(info: RendezvousInfo, role: Role, addon: NativeAddon): SidePair;
}

/** The semaphore index (SysV) or name suffix (POSIX) a role sleeps on. */
export function semSlot(role: Role): 0 | 1 {
  return role === 'server' ? 0 : 1;
}

/**
 * The sleepers are classes, not object literals of closures: SleepingWakeUp calls them on
 * every wait, and closures made per channel are new call targets for every case, which threw
 * the optimised wait away at the start of each case (see Readiness in bench/shm-ring.ts).
 */
class FutexSleeper implements Sleeper {
  private readonly mySeq: number;
  private readonly peerSeq: number;

  constructor(
    private readonly ctl: Int32Array,
    role: Role,
    private readonly addon: NativeAddon,
  ) {
    ({ mySeq: this.mySeq, peerSeq: this.peerSeq } = futexWords(role));
  }

  arm(): number {
    return Atomics.load(this.ctl, this.mySeq);
  }

  // 1 (the word moved before we slept) and 2 (timeout) both mean "re-check": the caller
  // does, and counts a timeout that finds the ring ready.
  sleep(armed: number, timeoutMs: number): boolean {
    return this.addon.futexWait(this.ctl, this.mySeq, armed, Math.max(1, Math.ceil(timeoutMs))) === 2;
  }

  bumped(armed: number): boolean {
    return Atomics.load(this.ctl, this.mySeq) !== armed;
  }

  wake(): void {
    // Bump first: a peer between its check and FUTEX_WAIT then finds the word changed.
    Atomics.add(this.ctl, this.peerSeq, 1);
    this.addon.futexWake(this.ctl, this.peerSeq, 1);
  }
}

class SemSleeper implements Sleeper {
  constructor(private readonly sems: SidePair) {}

  arm(): number {
    return 0;
  }

  // The server removes its semaphores when it closes, possibly while we are about to
  // sleep on them to read its last frame: SleepingWakeUp re-checks the ring on a throw.
  sleep(_armed: number, timeoutMs: number): boolean {
    return !this.sems.waitMine(Math.max(1, Math.ceil(timeoutMs)));
  }

  wake(): void {
    this.sems.postPeer();
  }

  drain(): void {
    // 0 ms: sem_trywait / semop with IPC_NOWAIT.
    this.sems.waitMine(0);
  }
}

function wakeUpFor(variant: ShmVariant, role: Role, seg: SegmentViews, addon: NativeAddon | undefined, sems: SidePair | undefined): WakeUp {
  if (variant === 'spin') return spinWakeUp();
  const sleeper = variant === 'futex' ? new FutexSleeper(seg.ctl, role, addon!) : new SemSleeper(sems!);
  return new SleepingWakeUp(seg.ctl, sleepingWords(role), sleeper);
}

function variantOf(flavour: ShmFlavour, ctx: OpenContext): ShmVariant {
  const v = ctx.variant ?? 'spin';
  if (!(SHM_VARIANTS as readonly string[]).includes(v)) throw new Error(`${flavour.id}: unknown variant '${v}'; use one of ${SHM_VARIANTS.join(', ')}`);
  return v as ShmVariant;
}

/** The addon for futex/sem, or CaseSkipped naming the fix. */
function addonFor(flavour: ShmFlavour, variant: ShmVariant): NativeAddon | undefined {
  if (variant === 'spin') return undefined;
  const why = nativeUnavailableReason();
  if (why !== undefined) throw new CaseSkipped(`${flavour.id}/${variant} needs the native addon for ${variant === 'futex' ? 'futex(2)' : 'semaphores'}: ${why}`);
  return native();
}

/** Run every cleanup even when one throws; rethrow the first failure. */
function releaseAll(steps: Array<(() => void) | undefined>): void {
  let failure: unknown;
  for (const step of steps) {
    try {
      step?.();
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined) throw failure;
}

/** On a failed open: undo what was made, keeping the error that made it fail. */
function releaseQuietly(steps: Array<(() => void) | undefined>): void {
  try {
    releaseAll(steps);
  } catch {
    /* the open error is the one worth reporting */
  }
}

async function openServer(flavour: ShmFlavour, ctx: OpenContext): Promise<Channel> {
  const variant = variantOf(flavour, ctx);
  const addon = addonFor(flavour, variant);
  const { segment, address } = flavour.createSegment(ctx, segmentBytes(RING_BYTES));
  let sems: SidePair | undefined;
  try {
    const views = initSegment(segment.bytes, RING_BYTES);
    let semAddress: RendezvousInfo = {};
    if (variant === 'sem') ({ sems, address: semAddress } = flavour.createSemaphores(ctx, addon!));
    const channel = new ShmChannel({
      role: 'server',
      segment: views,
      wake: wakeUpFor(variant, 'server', views, addon, sems),
      silenceMs: ctx.setupTimeoutMs,
      label: `${flavour.id}/${variant} ${segment.where}`,
      release: () => releaseAll([sems?.release, segment.release]),
      limits: { ringBytes: RING_BYTES },
    });
    // The client learns the ring size from the segment header, which it validates.
    await ctx.rendezvous.publish({ ...address, ...semAddress });
    return channel;
  } catch (err) {
    releaseQuietly([sems?.release, segment.release]);
    throw err;
  }
}

async function openClient(flavour: ShmFlavour, ctx: OpenContext): Promise<Channel> {
  const variant = variantOf(flavour, ctx);
  const addon = addonFor(flavour, variant);
  const info = await ctx.rendezvous.wait(ctx.setupTimeoutMs);
  const segment = flavour.attachSegment(info);
  let sems: SidePair | undefined;
  try {
    const views = attachSegment(segment.bytes, segment.where);
    if (variant === 'sem') sems = flavour.openSemaphores(info, 'client', addon!);
    return new ShmChannel({
      role: 'client',
      segment: views,
      wake: wakeUpFor(variant, 'client', views, addon, sems),
      silenceMs: ctx.setupTimeoutMs,
      label: `${flavour.id}/${variant} ${segment.where}`,
      release: () => releaseAll([sems?.release, segment.release]),
      limits: { ringBytes: views.ringBytes },
    });
  } catch (err) {
    releaseQuietly([sems?.release, segment.release]);
    throw err;
  }
}

/** Both ends of a flavour's channel: its module's `open` (bench/registry.ts loads it when a case opens one). */
export function openShm(flavour: ShmFlavour, ctx: OpenContext): Promise<Channel> {
  return ctx.role === 'server' ? openServer(flavour, ctx) : openClient(flavour, ctx);
}

/** A rendezvous field the server must have published, or an error naming it. */
function field(info: RendezvousInfo, name: string, type: 'string' | 'number'): string | number {
  const value = info[name];
  if (typeof value !== type) throw new Error(`the server's rendezvous lacks '${name}' (got ${JSON.stringify(info)}): run the same podipc build on both sides`);
  return value as string | number;
}

export const publishedString = (info: RendezvousInfo, name: string): string => field(info, name, 'string') as string;
export const publishedNumber = (info: RendezvousInfo, name: string): number => field(info, name, 'number') as number;
