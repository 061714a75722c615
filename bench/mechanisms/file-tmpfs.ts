/**
 * file-tmpfs: the same file hand-off as file-disk, through the pod's emptyDir with
 * medium: Memory (a tmpfs): no journal, no block allocation, no writeback.
 */
import { fileHandoffMechanism, tmpfsVolume } from './file-handoff.js';

export const fileTmpfs = fileHandoffMechanism({
  id: 'file-tmpfs',
  summary: 'File hand-off through the memory (tmpfs) emptyDir (rename + inotify; tailed log for streams)',
  requires: ['volume-tmpfs'],
  volume: tmpfsVolume,
});
