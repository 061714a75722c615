/**
 * fifo: two named pipes in the pod's shared disk volume (an emptyDir both containers
 * mount), one per direction. The server creates them; each side opens one read end and
 * one write end. A FIFO is a byte stream, so frames are cut by the header's length
 * (FrameAssembler); with exactly one writer per pipe, PIPE_BUF atomicity does not matter.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Channel, OpenContext } from '../mechanism.js';
import { retryUntil } from '../net-connect.js';
import { streamChannel, streamInbox } from '../stream-channel.js';

const run = promisify(execFile);
const { O_RDONLY, O_WRONLY, O_NONBLOCK } = constants;

interface FifoPaths {
  /** client -> server */
  c2s: string;
  /** server -> client */
  s2c: string;
}

function fifoPaths(ctx: OpenContext): FifoPaths {
  const stem = join(ctx.volumes.disk, `podipc-${ctx.ipc.runTag}-c${ctx.caseIndex}`);
  return { c2s: `${stem}-c2s.fifo`, s2c: `${stem}-s2c.fifo` };
}

/**
 * Open a FIFO end without ever blocking.
 * - Read end, O_RDONLY|O_NONBLOCK: succeeds at once even with no writer yet (POSIX).
 *   Linux reports no hang-up on such a reader until a writer has come and gone (pipe_poll
 *   compares the pipe's writer counter with the one seen at open), so the epoll-driven
 *   reader below simply waits for the first bytes instead of seeing a false EOF.
 * - Write end, O_WRONLY|O_NONBLOCK: fails with ENXIO while nobody has the read end open;
 *   the caller retries until the peer has opened it (or the setup deadline passes).
 * A plain blocking open() would park the thread (libuv's pool, or the main thread with
 * openSync) until the peer arrives, and forever if it never does.
 */
function openEnd(path: string, end: 'read' | 'write'): number {
  return openSync(path, (end === 'read' ? O_RDONLY : O_WRONLY) | O_NONBLOCK);
}

/**
 * Wrap the two fds. `net.Socket({fd})` hands a FIFO to libuv as a pipe stream: reads are
 * driven by epoll on the event loop and writes go straight to write(2), queueing on EAGAIN
 * until the pipe has room (that is the pipe's own flow control, surfaced in `send`).
 *
 * Measured against fs.createReadStream on the same FIFO (thread-pool reads on a blocking
 * fd; `node dist/bench/entrypoint.js` by hand, warm-up 50 ms, budget 300 ms, 2 vCPU shared
 * with other jobs at load ~5, three pairs each):
 *   64 B round trip p50:      net.Socket 28 / 41 / 39 µs   createReadStream 142 / 95 / 135 µs
 *   1 MiB stream:             net.Socket 960 / 786 / 580 MB/s   createReadStream 110 / 404 / 296 MB/s
 * Every thread-pool read is a hop to a worker thread and back to the loop. The stream also
 * needs a blocking fd, and with the O_RDWR open trick (never blocks, never sees EOF) its
 * pending read() can never be cancelled, so close() hung. net.Socket is kept.
 */
function fifoChannel(readFd: number, writeFd: number, paths: FifoPaths): Channel {
  const reader = new Socket({ fd: readFd, readable: true, writable: false });
  const writer = new Socket({ fd: writeFd, readable: false, writable: true });
  const queue = streamInbox(reader);
  // EOF: the peer closed its write end (it exited or closed the case). Unlike a silent
  // file hand-off, a FIFO tells us, so a dead peer fails the case at once.
  reader.on('end', () => queue.fail(new Error('peer closed its end of the FIFO')));
  reader.on('close', () => queue.fail(new Error('FIFO reader closed')));
  writer.on('error', (err) => queue.fail(err));
  // Returns at once when the pipe took the whole frame; a full pipe (64 KiB by default)
  // makes it wait for the write to complete: the pipe's back-pressure.
  return streamChannel(queue, writer, async () => {
    // destroy(), not end(): end() would shutdown(2) the fd, which a FIFO rejects with
    // ENOTSOCK. Every send has completed by now, so nothing is left to flush.
    writer.destroy();
    reader.destroy();
    // Either side may remove the FIFOs: both ends are open (or were), and an unlinked
    // FIFO keeps working for fds already open. force: the other side may have been first.
    await Promise.all([rm(paths.c2s, { force: true }), rm(paths.s2c, { force: true })]);
  });
}

async function openServer(ctx: OpenContext): Promise<Channel> {
  const paths = fifoPaths(ctx);
  let readFd: number | undefined;
  try {
    // Node has no mkfifo(3) binding and the native addon (bench/native) does not carry one;
    // coreutils' mkfifo, run once per case at setup, costs a few ms outside the measured
    // phase and keeps a system call out of this file. Mode 0600: only the pod's own user.
    await run('mkfifo', ['-m', '0600', paths.c2s, paths.s2c]);
    // Order that cannot deadlock: the server opens its read end (c2s) before publishing,
    // so the client's non-blocking open of that write end succeeds at once; the client then
    // opens its read end (s2c), which the server's write open waits for by retrying ENXIO.
    readFd = openEnd(paths.c2s, 'read');
    await ctx.rendezvous.publish({ c2s: paths.c2s, s2c: paths.s2c });
    const writeFd = await retryUntil(ctx.setupTimeoutMs, `open ${paths.s2c} for writing (waiting for the client to open its read end)`, async () =>
      openEnd(paths.s2c, 'write'),
    );
    return fifoChannel(readFd, writeFd, paths);
  } catch (err) {
    if (readFd !== undefined) closeSync(readFd);
    await Promise.all([rm(paths.c2s, { force: true }), rm(paths.s2c, { force: true })]);
    throw err;
  }
}

async function openClient(ctx: OpenContext): Promise<Channel> {
  const info = await ctx.rendezvous.wait(ctx.setupTimeoutMs);
  if (typeof info.c2s !== 'string' || typeof info.s2c !== 'string') {
    throw new Error(`rendezvous for case ${ctx.caseIndex} carries no FIFO paths: ${JSON.stringify(info)}`);
  }
  const paths: FifoPaths = { c2s: info.c2s, s2c: info.s2c };
  // Write end first: the server's read end is already open, so this succeeds at once, and
  // by the time the server's write open succeeds (after our read open below) our write end
  // exists too, so the server's reader never starts on a pipe that has had no writer.
  const writeFd = await retryUntil(ctx.setupTimeoutMs, `open ${paths.c2s} for writing`, async () => openEnd(paths.c2s, 'write'));
  let readFd: number;
  try {
    readFd = openEnd(paths.s2c, 'read');
  } catch (err) {
    closeSync(writeFd);
    throw err;
  }
  return fifoChannel(readFd, writeFd, paths);
}

/** Both ends of the channel (bench/registry.ts loads this module when a case opens one). */
export function open(ctx: OpenContext): Promise<Channel> {
  return ctx.role === 'server' ? openServer(ctx) : openClient(ctx);
}
