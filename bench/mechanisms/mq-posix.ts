/**
 * mq-posix: two POSIX message queues (client->server, server->client) in the pod's shared
 * IPC namespace. The kernel keeps whole messages, so there is no framing to parse, but a
 * message is at most fs.mqueue.msgsize_max bytes (8 KiB by default, a namespaced sysctl
 * Kubernetes calls unsafe): larger frames are chunked in order and reassembled, as an
 * application would. A full queue (fs.mqueue.msg_max messages) blocks the sender: that is
 * the mechanism's own flow control.
 */
import { CaseSkipped } from '../case-skipped.js';
import type { Channel, OpenContext } from '../mechanism.js';
import { errnoCode, native, type NativeAddon } from '../native/index.js';
import { msgqueueRlimitBytes, readSysctl } from '../native/limits.js';
import { messageChannel, type MessageTransport } from '../native/message-channel.js';

/** Control frames (Begin/End/Summary JSON) fit one message even in a 64-byte case. */
const CONTROL_FRAME_BYTES = 1024;
/** A deeper queue buys little beyond this: a sender blocked on a full queue is the point. */
const MAX_DEPTH = 64;
/** Kernel bookkeeping per message charged to RLIMIT_MSGQUEUE besides the payload (msg_msg + tree node, rounded up). */
const PER_MESSAGE_OVERHEAD_BYTES = 128;

interface QueueShape {
  msgSize: number;
  maxMsg: number;
  limits: Record<string, number>;
}

/** Size both queues from the namespace's limits; CaseSkipped names the limit when impossible. */
function shapeQueues(messageBytes: number): QueueShape {
  const msgsizeMax = readSysctl('fs.mqueue.msgsize_max');
  const msgMax = readSysctl('fs.mqueue.msg_max');
  if (msgsizeMax === undefined || msgMax === undefined) {
    throw new CaseSkipped('POSIX message queues are unavailable: /proc/sys/fs/mqueue is missing (kernel without CONFIG_POSIX_MQUEUE?)');
  }
  // Bigger messages than a frame needs cost nothing per message (the kernel copies what is
  // sent), but must stay within the namespace's limit or mq_open fails.
  const msgSize = Math.min(Math.max(messageBytes, CONTROL_FRAME_BYTES), msgsizeMax);
  const rlimit = msgqueueRlimitBytes();
  // Two queues of maxMsg x msgSize must fit the user's RLIMIT_MSGQUEUE, or mq_open fails with EMFILE.
  const byRlimit = rlimit === undefined ? MAX_DEPTH : Math.floor(rlimit / (2 * (msgSize + PER_MESSAGE_OVERHEAD_BYTES)));
  const maxMsg = Math.min(msgMax, MAX_DEPTH, byRlimit);
  if (maxMsg < 1) {
    throw new CaseSkipped(
      `RLIMIT_MSGQUEUE (${rlimit} B) cannot hold two queues of ${msgSize}-byte messages: raise \`ulimit -q\` or lower fs.mqueue.msgsize_max`,
    );
  }
  const limits: Record<string, number> = {
    'fs.mqueue.msgsize_max': msgsizeMax,
    'fs.mqueue.msg_max': msgMax,
    mqMsgSizeBytes: msgSize,
    mqMaxMsg: maxMsg,
  };
  if (rlimit !== undefined) limits.rlimitMsgqueueBytes = rlimit;
  return { msgSize, maxMsg, limits };
}

function queueTransport(addon: NativeAddon, send: number, receive: number, msgSize: number, release: () => void): MessageTransport {
  return {
    maxMessageBytes: msgSize,
    trySend(data, timeoutMs) {
      try {
        addon.mqSend(send, data, timeoutMs);
        return true;
      } catch (err) {
        if (errnoCode(err) === 'ETIMEDOUT') return false;
        throw err;
      }
    },
    tryReceive: (into, timeoutMs) => addon.mqReceive(receive, into, timeoutMs),
    close: release,
  };
}

/** Close every descriptor and unlink every name even when one step fails; then report the first failure. */
function closeAll(addon: NativeAddon, mqds: number[], unlink: string[]): void {
  const errors: unknown[] = [];
  for (const mqd of mqds) {
    try {
      addon.mqClose(mqd);
    } catch (err) {
      errors.push(err);
    }
  }
  // mq_unlink removes the names now; the queues themselves live until the peer closes its
  // descriptors, so a reply still in flight is not lost.
  for (const name of unlink) {
    try {
      addon.mqUnlink(name);
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
}

/** Without a caller timeout, a peer silent this long is taken for dead. */
const peerTimeoutMs = (ctx: OpenContext): number => Math.max(ctx.setupTimeoutMs, 30_000);

async function openServer(ctx: OpenContext): Promise<Channel> {
  const addon = native();
  const shape = shapeQueues(ctx.messageBytes);
  const c2sName = ctx.ipc.posix('posix-mq', 'c2s');
  const s2cName = ctx.ipc.posix('posix-mq', 's2c');
  const opened: number[] = [];
  const created: string[] = [];
  try {
    // create => O_CREAT|O_EXCL, mode 0600 (owner-only), with the computed depth and size.
    for (const name of [c2sName, s2cName]) {
      opened.push(addon.mqOpen(name, { create: true, maxMsg: shape.maxMsg, msgSize: shape.msgSize, mode: 0o600 }));
      created.push(name);
    }
  } catch (err) {
    closeAll(addon, opened, created);
    throw err;
  }
  const [c2s, s2c] = opened as [number, number];
  const release = (): void => closeAll(addon, [c2s, s2c], [c2sName, s2cName]);
  try {
    await ctx.rendezvous.publish({ c2s: c2sName, s2c: s2cName });
  } catch (err) {
    release();
    throw err;
  }
  return messageChannel(queueTransport(addon, s2c, c2s, shape.msgSize, release), {
    what: `mq-posix server (${c2sName})`,
    peerTimeoutMs: peerTimeoutMs(ctx),
    limits: shape.limits,
  });
}

async function openClient(ctx: OpenContext): Promise<Channel> {
  const addon = native();
  const info = await ctx.rendezvous.wait(ctx.setupTimeoutMs);
  if (typeof info.c2s !== 'string' || typeof info.s2c !== 'string') {
    throw new Error(`mq-posix rendezvous for case ${ctx.caseIndex} carries no queue names: ${JSON.stringify(info)}`);
  }
  const c2s = addon.mqOpen(info.c2s, { create: false });
  let s2c: number;
  try {
    s2c = addon.mqOpen(info.s2c, { create: false });
  } catch (err) {
    addon.mqClose(c2s);
    throw err;
  }
  // The server chose depth and size; read them back rather than redo its arithmetic.
  const attr = addon.mqGetAttr(s2c);
  const limits: Record<string, number> = { mqMsgSizeBytes: attr.msgSize, mqMaxMsg: attr.maxMsg };
  for (const name of ['fs.mqueue.msgsize_max', 'fs.mqueue.msg_max']) {
    const value = readSysctl(name);
    if (value !== undefined) limits[name] = value;
  }
  return messageChannel(queueTransport(addon, c2s, s2c, attr.msgSize, () => closeAll(addon, [c2s, s2c], [])), {
    what: `mq-posix client (${info.s2c})`,
    peerTimeoutMs: peerTimeoutMs(ctx),
    limits,
  });
}

/** Both ends of the channel (bench/registry.ts loads this module when a case opens one). */
export function open(ctx: OpenContext): Promise<Channel> {
  return ctx.role === 'server' ? openServer(ctx) : openClient(ctx);
}
