/**
 * sem: the wake-up latency floor. Two POSIX named semaphores, ping (client->server) and
 * pong (server->client), hand the turn back and forth; sem_post/sem_wait are futex
 * operations on a word in /dev/shm/sem.<name>, so this is the cost of waking the other
 * container and nothing else. A 4 KiB POSIX shm mailbox beside them carries the frame, so
 * the sequence number and checksum are still verified like every other mechanism's.
 *
 * Mailbox layout: one 2 KiB slot per direction (client->server at 0, server->client at
 * 2048), each a u32 "full" flag, a u32 frame length and up to 2040 bytes of frame. Data
 * frames are at most 64 bytes (sem's supports() in bench/registry.ts); the slot is larger so
 * the JSON control frames (Begin/End/Summary, well under 1 KiB) fit as well.
 */
import shm from 'shm-typed-array';
import type { Channel, OpenContext } from '../mechanism.js';
import { native, type NativeAddon } from '../native/index.js';
import { messageChannel, type MessageTransport } from '../native/message-channel.js';
import { copyBytes } from '../bytes.js';

const MAILBOX_BYTES = 4096;
const SLOT_BYTES = MAILBOX_BYTES / 2;
const SLOT_HEADER_BYTES = 8;
const SLOT_FRAME_BYTES = SLOT_BYTES - SLOT_HEADER_BYTES;

/** Without a caller timeout, a peer silent this long is taken for dead. */
const peerTimeoutMs = (ctx: OpenContext): number => Math.max(ctx.setupTimeoutMs, 30_000);

interface Objects {
  mailbox: Uint8Array;
  /** Semaphore handles: `post` wakes the peer, `wait` is where the peer wakes us. */
  post: number;
  wait: number;
}

function mailboxTransport(addon: NativeAddon, objects: Objects, sendSlot: 0 | 1, what: string, close: () => void): MessageTransport {
  const { mailbox, post, wait } = objects;
  const view = new DataView(mailbox.buffer, mailbox.byteOffset, mailbox.byteLength);
  const sendBase = sendSlot * SLOT_BYTES;
  const recvBase = (1 - sendSlot) * SLOT_BYTES;
  return {
    maxMessageBytes: SLOT_FRAME_BYTES,
    trySend(data) {
      // One frame per direction at a time: ping-pong never sends twice without an answer,
      // and if something did, overwriting the slot would corrupt silently. Refuse instead.
      if (view.getUint32(sendBase, true) !== 0) {
        throw new Error(`${what}: the peer has not taken the previous frame; sem carries one frame per direction at a time`);
      }
      mailbox.set(data, sendBase + SLOT_HEADER_BYTES);
      view.setUint32(sendBase + 4, data.length, true);
      view.setUint32(sendBase, 1, true);
      // sem_post is a release: the peer's sem_wait sees the frame written above.
      addon.semPost(post);
      return true;
    },
    tryReceive(into, timeoutMs) {
      if (!addon.semWait(wait, timeoutMs)) return -1;
      const length = view.getUint32(recvBase + 4, true);
      if (length > SLOT_FRAME_BYTES) throw new Error(`${what}: mailbox length field ${length} exceeds the ${SLOT_FRAME_BYTES}-byte slot`);
      // Copy out, then free the slot: the returned frame must outlive the peer's next write.
      copyBytes(into, 0, mailbox, recvBase + SLOT_HEADER_BYTES, length);
      view.setUint32(recvBase, 0, true);
      return length;
    },
    close,
  };
}

/** Run every cleanup step even when one fails; then report the first failure. */
function releaseAll(steps: Array<() => unknown>): void {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      step();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
}

async function openServer(ctx: OpenContext): Promise<Channel> {
  const addon = native();
  const mailboxName = ctx.ipc.posix('posix-shm', 'mbox');
  const pingName = ctx.ipc.posix('posix-sem', 'ping');
  const pongName = ctx.ipc.posix('posix-sem', 'pong');
  const cleanup: Array<() => unknown> = [];
  try {
    // shm-typed-array creates POSIX shm with O_CREAT|O_EXCL (null when the name exists),
    // mode 0600: owner-only. destroy() unmaps and shm_unlinks it.
    const mailbox = shm.create(MAILBOX_BYTES, 'Uint8Array', mailboxName, '600');
    if (!mailbox) {
      throw new Error(`shm_open('${mailboxName}'): the name already exists (left by a crashed run, or not ours): sweep the run's ledger`);
    }
    cleanup.push(() => shm.destroy(mailboxName));
    // create => O_CREAT|O_EXCL, mode 0600, initial count 0: nobody's turn until a post.
    const ping = addon.semOpen(pingName, { create: true, value: 0, mode: 0o600 });
    cleanup.push(() => addon.semClose(ping), () => addon.semUnlink(pingName));
    const pong = addon.semOpen(pongName, { create: true, value: 0, mode: 0o600 });
    cleanup.push(() => addon.semClose(pong), () => addon.semUnlink(pongName));
    await ctx.rendezvous.publish({ mailbox: mailboxName, ping: pingName, pong: pongName });
    return messageChannel(
      mailboxTransport(addon, { mailbox, post: pong, wait: ping }, 1, `sem server (${pingName})`, () => releaseAll(cleanup)),
      { what: `sem server (${pingName})`, peerTimeoutMs: peerTimeoutMs(ctx), limits: { mailboxBytes: MAILBOX_BYTES, mailboxFrameBytes: SLOT_FRAME_BYTES } },
    );
  } catch (err) {
    try {
      releaseAll(cleanup);
    } catch {
      // The open error is the one worth reporting.
    }
    throw err;
  }
}

async function openClient(ctx: OpenContext): Promise<Channel> {
  const addon = native();
  const info = await ctx.rendezvous.wait(ctx.setupTimeoutMs);
  const { mailbox: mailboxName, ping: pingName, pong: pongName } = info;
  if (typeof mailboxName !== 'string' || typeof pingName !== 'string' || typeof pongName !== 'string') {
    throw new Error(`sem rendezvous for case ${ctx.caseIndex} carries no object names: ${JSON.stringify(info)}`);
  }
  const cleanup: Array<() => unknown> = [];
  try {
    const mailbox = shm.get(mailboxName, 'Uint8Array');
    if (!mailbox) {
      throw new Error(`shm_open('${mailboxName}'): no such object: do both containers share the pod's /dev/shm?`);
    }
    // detach() unmaps without unlinking: the server, which created it, unlinks.
    cleanup.push(() => shm.detach(mailboxName));
    const ping = addon.semOpen(pingName, { create: false });
    cleanup.push(() => addon.semClose(ping));
    const pong = addon.semOpen(pongName, { create: false });
    cleanup.push(() => addon.semClose(pong));
    return messageChannel(
      mailboxTransport(addon, { mailbox, post: ping, wait: pong }, 0, `sem client (${pongName})`, () => releaseAll(cleanup)),
      { what: `sem client (${pongName})`, peerTimeoutMs: peerTimeoutMs(ctx), limits: { mailboxBytes: MAILBOX_BYTES, mailboxFrameBytes: SLOT_FRAME_BYTES } },
    );
  } catch (err) {
    try {
      releaseAll(cleanup);
    } catch {
      // The open error is the one worth reporting.
    }
    throw err;
  }
}

/** Both ends of the channel (bench/registry.ts loads this module when a case opens one). */
export function open(ctx: OpenContext): Promise<Channel> {
  return ctx.role === 'server' ? openServer(ctx) : openClient(ctx);
}
