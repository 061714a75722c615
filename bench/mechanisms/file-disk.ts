/**
 * file-disk: file hand-off (rename-published message files for round trips, a tailed and
 * rotated append-only log for streams) through the pod's disk emptyDir, woken by inotify.
 * The page cache makes this mostly memory traffic too; what it adds over file-tmpfs is
 * the disk filesystem's own bookkeeping (journal, block allocation, writeback).
 */
import type { Channel, OpenContext } from '../mechanism.js';
import { openHandoff } from './file-handoff.js';

/** Both ends of the channel (bench/registry.ts loads this module when a case opens one). */
export function open(ctx: OpenContext): Promise<Channel> {
  return openHandoff(ctx, ctx.volumes.disk);
}
