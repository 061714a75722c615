/**
 * The frame every mechanism carries: a fixed header with a sequence number and a CRC-32C,
 * then a payload. The receiver recomputes the checksum, so a mechanism that corrupts or
 * drops data shows it in `integrity` instead of silently looking fast.
 *
 * Layout, frame version 2 (little-endian; the native probe writes the same bytes):
 *   0  u32 magic 'PIPC'
 *   4  u16 version     (2)
 *   6  u16 kind        (FrameKind)
 *   8  u32 seq         (per-case sequence number, starts at 0 after BEGIN)
 *  12  u32 frameBytes  (total length, header included)
 *  16  u32 checksum    (CRC-32C over bytes 0..16 and 20..frameBytes)
 *  20  payload
 *
 * `messageBytes` in the results is the whole frame: what crosses the mechanism.
 */

export const FRAME_MAGIC = 0x43504950; // 'PIPC' read as little-endian u32
export const FRAME_VERSION = 2;
export const FRAME_HEADER_BYTES = 20;
/** The smallest message a case may use: the header plus a 12-byte payload stamp. */
export const MIN_MESSAGE_BYTES = 32;

export enum FrameKind {
  Data = 1,
  /** Client -> server: warm-up is over, reset counters and CPU baseline, then acknowledge. */
  Begin = 2,
  /** Client -> server: measurement is over; payload is JSON {sent}. Server answers Summary. */
  End = 3,
  /** Server -> client: payload is JSON ServerSummary. */
  Summary = 4,
  /** Server -> client: acknowledges Begin. */
  Ack = 5,
}

export interface FrameHeader {
  kind: FrameKind;
  seq: number;
  frameBytes: number;
}

export type FrameCheck =
  | ({ ok: true } & FrameHeader)
  | { ok: false; reason: string };

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one table lookup per byte. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C of `bytes`, continuing from `crc` (the finished CRC of what came before; 0 for none). */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function checksum(frame: Uint8Array, frameBytes: number): number {
  return crc32c(frame.subarray(20, frameBytes), crc32c(frame.subarray(0, 16)));
}

/**
 * Fill a reusable buffer once with a payload pattern; `stampFrame` then only rewrites the
 * header and the per-message stamp, so the sender does not regenerate a megabyte per message.
 */
export function allocFrame(frameBytes: number): Uint8Array {
  const frame = new Uint8Array(frameBytes);
  for (let i = FRAME_HEADER_BYTES; i < frameBytes; i++) frame[i] = (i * 131 + 7) & 0xff;
  return frame;
}

/**
 * Write header, for data frames a payload stamp (seq repeated, so a stale buffer is
 * detectable), and the
 * checksum. The whole payload is covered by the CRC, so the cost scales with size as it
 * would for an application that verifies what it receives.
 */
export function stampFrame(frame: Uint8Array, kind: FrameKind, seq: number, frameBytes = frame.byteLength): Uint8Array {
  const v = view(frame);
  v.setUint32(0, FRAME_MAGIC, true);
  v.setUint16(4, FRAME_VERSION, true);
  v.setUint16(6, kind, true);
  v.setUint32(8, seq >>> 0, true);
  v.setUint32(12, frameBytes, true);
  if (kind === FrameKind.Data && frameBytes >= FRAME_HEADER_BYTES + 4) v.setUint32(20, seq >>> 0, true);
  v.setUint32(16, checksum(frame, frameBytes), true);
  return frame.byteLength === frameBytes ? frame : frame.subarray(0, frameBytes);
}

/** A control frame carrying a small JSON payload. */
export function jsonFrame(kind: FrameKind, body: unknown): Uint8Array {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  frame.set(payload, FRAME_HEADER_BYTES);
  return stampFrame(frame, kind, 0);
}

export function jsonPayload(frame: Uint8Array): unknown {
  const { frameBytes } = readHeader(frame);
  return JSON.parse(Buffer.from(frame.buffer, frame.byteOffset + FRAME_HEADER_BYTES, frameBytes - FRAME_HEADER_BYTES).toString('utf8'));
}

/** Read the header without verifying: used by stream readers to find frame boundaries. */
export function readHeader(frame: Uint8Array): FrameHeader & { magic: number; version: number } {
  const v = view(frame);
  return {
    magic: v.getUint32(0, true),
    version: v.getUint16(4, true),
    kind: v.getUint16(6, true) as FrameKind,
    seq: v.getUint32(8, true),
    frameBytes: v.getUint32(12, true),
  };
}

/** Verify magic, version, length and checksum. Never throws: a bad frame is data for `integrity`. */
export function checkFrame(frame: Uint8Array): FrameCheck {
  if (frame.byteLength < FRAME_HEADER_BYTES) return { ok: false, reason: `short frame (${frame.byteLength} bytes)` };
  const h = readHeader(frame);
  if (h.magic !== FRAME_MAGIC) return { ok: false, reason: `bad magic 0x${h.magic.toString(16)}` };
  if (h.version !== FRAME_VERSION) return { ok: false, reason: `frame version ${h.version}, expected ${FRAME_VERSION}` };
  if (h.frameBytes !== frame.byteLength) {
    return { ok: false, reason: `length field ${h.frameBytes} but ${frame.byteLength} bytes received` };
  }
  const expected = view(frame).getUint32(16, true);
  if (checksum(frame, h.frameBytes) !== expected) return { ok: false, reason: 'checksum mismatch' };
  if (h.kind === FrameKind.Data && h.frameBytes >= FRAME_HEADER_BYTES + 4 && view(frame).getUint32(20, true) !== h.seq) {
    return { ok: false, reason: 'payload stamp does not match seq' };
  }
  return { ok: true, kind: h.kind, seq: h.seq, frameBytes: h.frameBytes };
}
