/**
 * file-disk: file hand-off (rename-published message files for round trips, a tailed and
 * rotated append-only log for streams) through the pod's disk emptyDir, woken by inotify.
 * The page cache makes this mostly memory traffic too; what it adds over file-tmpfs is
 * the disk filesystem's own bookkeeping (journal, block allocation, writeback).
 */
import { fileHandoffMechanism } from './file-handoff.js';

export const fileDisk = fileHandoffMechanism({
  id: 'file-disk',
  summary: 'File hand-off through the disk emptyDir (rename + inotify; tailed log for streams)',
  requires: ['volume-disk'],
  volume: (ctx) => ctx.volumes.disk,
});
