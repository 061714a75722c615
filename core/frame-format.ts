/**
 * The frame every mechanism carries, version 2: a fixed 20-byte header with a sequence
 * number and a CRC-32C, then a payload. Both probes (bench/frame.ts in TypeScript,
 * bench/native/probe in C++) write and check exactly these bytes, so a Node side and a
 * native side interoperate on every mechanism.
 *
 * Layout (little-endian):
 *   0  u32 magic       FRAME_MAGIC ('PIPC')
 *   4  u16 version     FRAME_VERSION
 *   6  u16 kind        FrameKind
 *   8  u32 seq         per-case sequence number of data frames, from 0 after Begin
 *  12  u32 frameBytes  total length, header included
 *  16  u32 checksum    CRC-32C (Castagnoli) of bytes [0,16) followed by bytes [20,frameBytes)
 *  20  payload         data frames: u32 seq again (a stale buffer is detectable), then a
 *                      fixed pattern; control frames: a small UTF-8 JSON body (Begin and
 *                      its Ack padded with spaces to the case's message size: bench/frame.ts)
 *
 * `messageBytes` in the results is the whole frame: what crosses the mechanism.
 * Version 1 (podipc 0.1) had a u32 kind and zlib's CRC-32; a v1 frame fails the version check.
 */

export const FRAME_MAGIC = 0x43504950; // 'PIPC' read as little-endian u32
export const FRAME_VERSION = 2;
export const FRAME_HEADER_BYTES = 20;
/** The smallest message a case may use: the header plus a 12-byte payload (seq stamp and pattern). */
export const MIN_MESSAGE_BYTES = 32;

export const FRAME_OFFSETS = { magic: 0, version: 4, kind: 6, seq: 8, frameBytes: 12, checksum: 16, stamp: 20 } as const;

export enum FrameKind {
  Data = 1,
  /** Client -> server: warm-up is over, reset counters and CPU baseline, then acknowledge. */
  Begin = 2,
  /** Client -> server: measurement is over; payload is JSON {sent}. Server answers Summary. */
  End = 3,
  /** Server -> client: payload is JSON ServerSummary. */
  Summary = 4,
  /**
   * Server -> client: acknowledges Begin. Client -> server, lossy mechanisms only: the
   * Summary arrived, so the server stops lingering for a resent End.
   */
  Ack = 5,
}

/** The payload pattern byte at offset i (i >= 20) of a data frame. */
export function patternByte(i: number): number {
  return (i * 131 + 7) & 0xff;
}
