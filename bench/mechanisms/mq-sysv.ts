/**
 * mq-sysv: two SysV message queues (client->server, server->client) in the pod's shared
 * IPC namespace, addressed by key. A message is at most kernel.msgmax bytes and a queue
 * holds at most kernel.msgmnb bytes (8 KiB / 16 KiB by default, namespaced sysctls that
 * Kubernetes calls unsafe): frames are chunked to the smaller of the two and reassembled.
 * A full queue blocks the sender: that is the mechanism's own flow control.
 *
 * One queue per direction rather than one queue with an mtype per direction: each
 * direction then has the whole msgmnb budget, and a stream one way can never starve the
 * other's replies of queue space.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, OpenContext } from '../mechanism.js';
import { errnoCode, native, type NativeAddon } from '../native/index.js';
import { readSysctl } from '../native/limits.js';
import { messageChannel, type MessageTransport } from '../native/message-channel.js';

/** Both directions use one message type; the queues already separate them. */
const MTYPE = 1;
/** On close, how long the creator waits for the peer to take its last reply before removing. */
const DRAIN_WAIT_MS = 2000;

/** Without a caller timeout, a peer silent this long is taken for dead. */
const peerTimeoutMs = (ctx: OpenContext): number => Math.max(ctx.setupTimeoutMs, 30_000);

function queueTransport(addon: NativeAddon, send: number, receive: number, chunkBytes: number, close: () => Promise<void>): MessageTransport {
  return {
    maxMessageBytes: chunkBytes,
    trySend(data, timeoutMs) {
      try {
        addon.msgSend(send, MTYPE, data, timeoutMs);
        return true;
      } catch (err) {
        if (errnoCode(err) === 'ETIMEDOUT') return false;
        throw err;
      }
    },
    tryReceive: (into, timeoutMs) => addon.msgReceive(receive, MTYPE, into, timeoutMs),
    close,
  };
}

function namespaceLimits(): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const name of ['kernel.msgmax', 'kernel.msgmnb']) {
    const value = readSysctl(name);
    if (value !== undefined) limits[name] = value;
  }
  return limits;
}

async function openServer(ctx: OpenContext): Promise<Channel> {
  const addon = native();
  // create => IPC_CREAT|IPC_EXCL, mode 0600 (owner-only); keys come from the run's ledger.
  const c2sKey = ctx.ipc.sysv('sysv-msg', 0);
  const s2cKey = ctx.ipc.sysv('sysv-msg', 1);
  const c2s = addon.msgGet(c2sKey, { create: true, mode: 0o600 });
  let s2c: number;
  try {
    s2c = addon.msgGet(s2cKey, { create: true, mode: 0o600 });
  } catch (err) {
    addon.msgRemove(c2s);
    throw err;
  }
  const removeBoth = (): void => {
    // IPC_RMID destroys a queue at once, queued messages included, and wakes a peer still
    // blocked on it with EIDRM. Both are attempted even if the first throws.
    try {
      addon.msgRemove(c2s);
    } finally {
      addon.msgRemove(s2c);
    }
  };
  const limits = namespaceLimits();
  let chunkBytes: number;
  try {
    // A message above kernel.msgmax is refused (EINVAL); one above the queue's byte limit
    // (msg_qbytes, from kernel.msgmnb) would never fit and block forever.
    const qbytes = addon.msgStat(s2c).qbytes;
    chunkBytes = Math.min(limits['kernel.msgmax'] ?? 8192, qbytes);
    await ctx.rendezvous.publish({ c2sKey, s2cKey, chunkBytes });
  } catch (err) {
    removeBoth();
    throw err;
  }
  limits.chunkBytes = chunkBytes;
  return messageChannel(
    queueTransport(addon, s2c, c2s, chunkBytes, async () => {
      // Unlike mq_unlink, IPC_RMID would drop a reply the client has not taken yet (the
      // last Summary): wait, briefly, until the client has drained its queue.
      try {
        const deadline = Date.now() + DRAIN_WAIT_MS;
        while (Date.now() < deadline && addon.msgStat(s2c).qnum > 0) await sleep(1);
      } finally {
        removeBoth();
      }
    }),
    { what: `mq-sysv server (msqid ${c2s}/${s2c})`, peerTimeoutMs: peerTimeoutMs(ctx), limits },
  );
}

async function openClient(ctx: OpenContext): Promise<Channel> {
  const addon = native();
  const info = await ctx.rendezvous.wait(ctx.setupTimeoutMs);
  const { c2sKey, s2cKey, chunkBytes } = info;
  if (typeof c2sKey !== 'number' || typeof s2cKey !== 'number' || typeof chunkBytes !== 'number') {
    throw new Error(`mq-sysv rendezvous for case ${ctx.caseIndex} carries no queue keys: ${JSON.stringify(info)}`);
  }
  // Look the queues up by key (no IPC_CREAT): a client outside the server's IPC namespace
  // fails here with ENOENT naming the key, rather than on the first message.
  const c2s = addon.msgGet(c2sKey, { create: false });
  const s2c = addon.msgGet(s2cKey, { create: false });
  // SysV queues have no per-process handle: the client has nothing to release, and the
  // server (the creator) removes both.
  return messageChannel(
    queueTransport(addon, c2s, s2c, chunkBytes, async () => {}),
    { what: `mq-sysv client (msqid ${c2s}/${s2c})`, peerTimeoutMs: peerTimeoutMs(ctx), limits: { ...namespaceLimits(), chunkBytes } },
  );
}

/** Both ends of the channel (bench/registry.ts loads this module when a case opens one). */
export function open(ctx: OpenContext): Promise<Channel> {
  return ctx.role === 'server' ? openServer(ctx) : openClient(ctx);
}
