/**
 * Writing and checking frames (layout: core/frame-format.ts). The receiver recomputes the
 * checksum, so a mechanism that corrupts or drops data shows it in `integrity` instead of
 * silently looking fast. Hot-path functions read and write bytes directly: no DataView,
 * no allocation per message.
 */
import { FRAME_HEADER_BYTES, FRAME_MAGIC, FRAME_VERSION, FrameKind, patternByte } from '../core/frame-format.js';
import { CRC32C_INIT, crc32cUpdate } from './checksum.js';

export interface FrameHeader {
  kind: FrameKind;
  seq: number;
  frameBytes: number;
}

export type FrameCheck = ({ ok: true } & FrameHeader) | { ok: false; reason: string };

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

/** CRC-32C of the header's first 16 bytes and the payload: every byte but the checksum field. */
export function frameChecksum(frame: Uint8Array, frameBytes: number): number {
  const head = crc32cUpdate(CRC32C_INIT, frame, 0, 16);
  return (crc32cUpdate(head, frame, FRAME_HEADER_BYTES, frameBytes) ^ 0xffffffff) >>> 0;
}

/**
 * Fill a reusable buffer once with the payload pattern; `stampFrame` then only rewrites the
 * header and the per-message stamp, so the sender does not regenerate a megabyte per message.
 */
export function allocFrame(frameBytes: number): Uint8Array {
  const frame = new Uint8Array(frameBytes);
  for (let i = FRAME_HEADER_BYTES; i < frameBytes; i++) frame[i] = patternByte(i);
  return frame;
}

/**
 * Write header, for data frames the payload stamp (seq repeated), and the checksum. The
 * whole payload is covered, so the cost scales with size as it would for an application
 * that verifies what it receives.
 */
export function stampFrame(frame: Uint8Array, kind: FrameKind, seq: number, frameBytes = frame.byteLength): Uint8Array {
  putU32(frame, 0, FRAME_MAGIC);
  frame[4] = FRAME_VERSION & 0xff;
  frame[5] = FRAME_VERSION >>> 8;
  frame[6] = kind & 0xff;
  frame[7] = kind >>> 8;
  putU32(frame, 8, seq >>> 0);
  putU32(frame, 12, frameBytes);
  if (kind === FrameKind.Data && frameBytes >= FRAME_HEADER_BYTES + 4) putU32(frame, 20, seq >>> 0);
  putU32(frame, 16, frameChecksum(frame, frameBytes));
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
  const frameBytes = u32(frame, 12);
  return JSON.parse(Buffer.from(frame.buffer, frame.byteOffset + FRAME_HEADER_BYTES, frameBytes - FRAME_HEADER_BYTES).toString('utf8'));
}

/** The length field, without verifying: stream readers use it to find frame boundaries. */
export function frameLength(frame: Uint8Array): number {
  return u32(frame, 12);
}

/** Read the header without verifying. */
export function readHeader(frame: Uint8Array): FrameHeader & { magic: number; version: number } {
  return {
    magic: u32(frame, 0),
    version: frame[4]! | (frame[5]! << 8),
    kind: (frame[6]! | (frame[7]! << 8)) as FrameKind,
    seq: u32(frame, 8),
    frameBytes: u32(frame, 12),
  };
}

/** Verify magic, version, length, checksum and stamp. Never throws: a bad frame is data for `integrity`. */
export function checkFrame(frame: Uint8Array): FrameCheck {
  if (frame.byteLength < FRAME_HEADER_BYTES) return { ok: false, reason: `short frame (${frame.byteLength} bytes)` };
  const h = readHeader(frame);
  if (h.magic !== FRAME_MAGIC) return { ok: false, reason: `bad magic 0x${h.magic.toString(16)}` };
  if (h.version !== FRAME_VERSION) return { ok: false, reason: `frame version ${h.version}, this probe speaks ${FRAME_VERSION}: run the same podipc build on both sides` };
  if (h.frameBytes !== frame.byteLength) {
    return { ok: false, reason: `length field ${h.frameBytes} but ${frame.byteLength} bytes received` };
  }
  if (frameChecksum(frame, h.frameBytes) !== u32(frame, 16)) return { ok: false, reason: 'checksum mismatch' };
  if (h.kind === FrameKind.Data && h.frameBytes >= FRAME_HEADER_BYTES + 4 && u32(frame, 20) !== h.seq) {
    return { ok: false, reason: 'payload stamp does not match seq' };
  }
  return { ok: true, kind: h.kind, seq: h.seq, frameBytes: h.frameBytes };
}
