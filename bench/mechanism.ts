/**
 * The one interface every mechanism implements. A mechanism is its entry in
 * `bench/registry.ts` (what it is, needs and supports) plus its channel code, one module
 * under `bench/mechanisms/` that the entry loads when a case opens it; nothing else branches
 * on its id.
 */
import type { Requirement } from '../core/requirements.js';
import type { ProbeKind, Role } from '../core/vocabulary.js';
import type { IpcNames } from './ipc-names.js';
import type { Rendezvous } from './rendezvous.js';

/** The volumes and addresses a placement hands to both sides of a case. */
export interface OpenContext {
  role: Role;
  variant: string | undefined;
  probe: ProbeKind;
  /** The largest frame this case will send (the case's messageBytes). */
  messageBytes: number;
  /** Index of the case within the pair's plan: makes per-case names unique. */
  caseIndex: number;
  /** The pod's emptyDir volumes as both containers see them. */
  volumes: { disk: string; tmpfs: string | undefined };
  /**
   * Network addresses. Same pod: both 127.0.0.1. Cross pod: the server listens on
   * `listenHost` and the client dials `connectHost` (the server pod's address).
   */
  net: { listenHost: string; connectHost: string; port: number };
  /** Unique, ledgered IPC names and keys for this run and case. */
  ipc: IpcNames;
  /** Server publishes how to reach it (a port, a key); client waits for it. */
  rendezvous: Rendezvous;
  /** Give up on blocking setup (connect, wait for peer) after this many ms. */
  setupTimeoutMs: number;
}

/**
 * Where an event-driven channel hands its frames once a probe listens (Channel.listen).
 * Both are called from the transport's own event callback, never re-entrantly.
 */
export interface FrameSink {
  /** One whole frame, in order. The bytes are valid until this call returns: echo or check them here. */
  frame(bytes: Uint8Array): void;
  /** The channel broke (peer closed, socket error, stream out of sync): no frame follows. */
  fail(error: Error): void;
}

/**
 * A bidirectional, message-preserving pipe between the two sides. Frames go in whole and
 * come out whole: stream mechanisms frame by the header's length, size-limited ones chunk.
 *
 * Two kinds, and the probes drive each its own way (bench/probes/drive.ts), so that what a
 * round trip costs is the mechanism's cost and not the probe's:
 * - synchronous channels (shared-memory rings, message queues, semaphores: no `listen`):
 *   `send` and `recv` complete without an event-loop turn whenever the peer keeps up, and
 *   the probes run their round trips as a plain loop - no promise, no timer, no allocation
 *   per message. They return a promise only after waiting longer than a short slice (the
 *   peer is slow or gone), which keeps signals and timers running.
 * - event-driven channels (sockets, WebSocket, FIFOs, files, datagrams: `listen` present):
 *   frames arrive on the transport's callbacks; the probes react to each one there, and a
 *   send returns at once whenever the kernel took the frame.
 */
export interface Channel {
  /**
   * Send one frame. Returns nothing when the caller may reuse `frame` at once (the kernel or
   * the ring has the bytes: the common case); a promise only while the mechanism still holds
   * them (a write the kernel took in part, a full ring or queue) - that is the mechanism's
   * own back-pressure, and the caller must not touch `frame` before it resolves.
   */
  send(frame: Uint8Array): void | Promise<void>;
  /**
   * Receive one whole frame. The returned bytes are valid until the next `recv` (or `send`
   * on synchronous channels that reuse one buffer). With `timeoutMs`, resolves `null` when
   * nothing arrived in time (lossy mechanisms); without it, a silent peer fails after the
   * case's silence timeout.
   */
  recv(timeoutMs?: number): Uint8Array | null | Promise<Uint8Array | null>;
  /**
   * Event-driven channels only. From this call on, every frame goes to `sink` as soon as it
   * is whole - frames already waiting first, within this call - instead of waiting for a
   * `recv`; `undefined` hands frames back to `recv`. A failure is reported to the sink once.
   */
  listen?(sink: FrameSink | undefined): void;
  /** Release everything the channel created (sockets, files, IPC objects). Idempotent. */
  close(): Promise<void>;
  /** Kernel limits the channel found and obeyed (e.g. fs.mqueue.msgsize_max), for results. */
  readonly limits?: Record<string, number>;
  /**
   * Sleeps of either side that ended by their timer although what they waited for was
   * there: wake-ups that did not come (the shm rings' futex and sem variants). Read before
   * close(); undefined when the channel has nothing to count.
   */
  lostWakeups?(): number | undefined;
}

/** A case the mechanism cannot run: `skipped` with the reason, naming the limit. */
export type Support = { ok: true } | { ok: false; reason: string };

export interface Mechanism {
  id: string;
  /** One-line description for reports. */
  summary: string;
  /** Wake-up variants (shm: spin, futex, sem). Undefined when the mechanism has none. */
  variants?: readonly string[];
  /** What every variant needs from the pod or the probe (core/requirements.ts); the matrix decides. */
  requires: readonly Requirement[];
  /** What a variant needs beyond `requires` (shm's futex and sem wake-ups need the addon, spin does not). */
  variantRequires?: Readonly<Record<string, readonly Requirement[]>>;
  /** May lose or reorder messages (UDP): probes use receive timeouts and count losses. */
  lossy?: boolean;
  /** Can this case run at all? Static limits only; runtime limits surface as failures. */
  supports(probe: ProbeKind, messageBytes: number, variant: string | undefined): Support;
  open(ctx: OpenContext): Promise<Channel>;
}

export const SUPPORTED: Support = { ok: true };

/** What a mechanism's module under `bench/mechanisms/` exports: both ends of its channel, by role. */
export interface MechanismCode {
  open(ctx: OpenContext): Promise<Channel>;
}

/**
 * A registry entry's `open`: the mechanism's module is loaded when a case first opens it, not
 * when the registry is. A probe pair runs one mechanism, and importing all twelve modules (and
 * the Node modules under them: http, dgram, child_process) made every Node probe process take
 * about 40 ms longer to start (BENCHMARKS.md, "A probe loads only its mechanism"). The harness
 * reads entries and never opens one, so it loads no channel code at all.
 */
export function loadedOnOpen(load: () => Promise<MechanismCode>): Mechanism['open'] {
  return async (ctx) => (await load()).open(ctx);
}

/** Everything a mechanism's variant requires: its own requirements and the variant's. */
export function requirementsOf(mech: Pick<Mechanism, 'requires' | 'variantRequires'>, variant: string | undefined): readonly Requirement[] {
  const extra = variant !== undefined ? mech.variantRequires?.[variant] : undefined;
  return extra ? [...new Set([...mech.requires, ...extra])] : mech.requires;
}
