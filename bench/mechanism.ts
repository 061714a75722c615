/**
 * The one interface every mechanism implements. A mechanism is one file under
 * `bench/mechanisms/` plus one line in `bench/registry.ts`; nothing else branches on its id.
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
 * A bidirectional, message-preserving pipe between the two sides. Frames go in whole and
 * come out whole: stream mechanisms frame by the header's length, size-limited ones chunk.
 */
export interface Channel {
  /**
   * Send one frame. Resolves when the mechanism no longer needs `frame` (the caller reuses
   * the buffer), which is also where the mechanism's own flow control applies back-pressure.
   */
  send(frame: Uint8Array): void | Promise<void>;
  /**
   * Receive one whole frame. The returned bytes are valid until the next `recv`.
   * With `timeoutMs`, resolves `null` when nothing arrived in time (lossy mechanisms).
   */
  recv(timeoutMs?: number): Uint8Array | null | Promise<Uint8Array | null>;
  /** Release everything the channel created (sockets, files, IPC objects). Idempotent. */
  close(): Promise<void>;
  /** Kernel limits the channel found and obeyed (e.g. fs.mqueue.msgsize_max), for results. */
  readonly limits?: Record<string, number>;
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

/** Everything a mechanism's variant requires: its own requirements and the variant's. */
export function requirementsOf(mech: Pick<Mechanism, 'requires' | 'variantRequires'>, variant: string | undefined): readonly Requirement[] {
  const extra = variant !== undefined ? mech.variantRequires?.[variant] : undefined;
  return extra ? [...new Set([...mech.requires, ...extra])] : mech.requires;
}
