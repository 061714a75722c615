/**
 * file-tmpfs: the same file hand-off as file-disk, through the pod's emptyDir with
 * medium: Memory (a tmpfs): no journal, no block allocation, no writeback.
 */
import type { Channel, OpenContext } from '../mechanism.js';
import { openHandoff, tmpfsVolume } from './file-handoff.js';

/** Both ends of the channel (bench/registry.ts loads this module when a case opens one). */
export async function open(ctx: OpenContext): Promise<Channel> {
  // async: a missing volume (CaseSkipped) surfaces as a rejection, like every other open failure.
  return openHandoff(ctx, tmpfsVolume(ctx));
}
