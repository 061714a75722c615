/**
 * Datagram chunking for UDP: what an application does to send a message larger than one
 * datagram. Pure data handling (no sockets), so it is unit-tested on its own.
 *
 * A UDP payload is at most 65,507 bytes (65,535 IP total length - 20 IP header - 8 UDP
 * header). A frame is split into chunks of up to `chunkPayloadBytes`, each datagram carrying
 * a 20-byte chunk header (little-endian):
 *
 *   0  u32 magic 'PDGM'
 *   4  u16 kind        (DatagramKind: hello, welcome, chunk)
 *   6  u16 chunkIndex  (0 .. chunkCount-1)
 *   8  u16 chunkCount  (ceil(frameBytes / chunkPayloadBytes); 0 for hello/welcome)
 *  10  u16 reserved    (0)
 *  12  u32 messageId   (sender-local counter, never reused by one sender; a nonce for hello)
 *  16  u32 frameBytes  (length of the whole frame)
 *  20  chunk payload   (bytes [chunkIndex * chunkPayloadBytes, ...) of the frame)
 *
 * The receiver reassembles by messageId. A frame is delivered only when every chunk came,
 * exactly once: a frame with a missing chunk is abandoned (the probe counts it lost), a
 * duplicated or late chunk of a finished frame is ignored, and chunks that disagree about a
 * frame's shape abandon it. Nothing is ever delivered half or twice.
 */

export const DGRAM_MAGIC = 0x4d474450; // 'PDGM' read as little-endian u32
export const CHUNK_HEADER_BYTES = 20;
/** The largest UDP payload over IPv4: 65,535 - 20 (IP header) - 8 (UDP header). */
export const UDP_MAX_PAYLOAD_BYTES = 65_507;
/** Frame bytes per datagram at the UDP limit. */
export const MAX_CHUNK_PAYLOAD_BYTES = UDP_MAX_PAYLOAD_BYTES - CHUNK_HEADER_BYTES;
/** chunkIndex/chunkCount are u16. */
const MAX_CHUNKS = 0xffff;

export enum DatagramKind {
  /** Client -> server, resent until answered: tells the server where the client is. */
  Hello = 1,
  /** Server -> client: answers a Hello (same messageId, the client's nonce). */
  Welcome = 2,
  /** One piece of a frame. */
  Chunk = 3,
}

export interface DatagramHeader {
  kind: DatagramKind;
  chunkIndex: number;
  chunkCount: number;
  messageId: number;
  frameBytes: number;
}

export interface Chunk extends DatagramHeader {
  /** The chunk's share of the frame (a view into the datagram). */
  payload: Uint8Array;
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function encodeHeader(h: DatagramHeader): Buffer {
  const buf = Buffer.alloc(CHUNK_HEADER_BYTES);
  writeHeader(buf, h.kind, h.chunkIndex, h.chunkCount, h.messageId, h.frameBytes);
  return buf;
}

/** Write a chunk header into `buf[0..20)` in place (the sender's per-message path: no allocation). */
export function writeHeader(buf: Buffer, kind: DatagramKind, chunkIndex: number, chunkCount: number, messageId: number, frameBytes: number): void {
  buf.writeUInt32LE(DGRAM_MAGIC, 0);
  buf.writeUInt16LE(kind, 4);
  buf.writeUInt16LE(chunkIndex, 6);
  buf.writeUInt16LE(chunkCount, 8);
  buf.writeUInt16LE(0, 10);
  buf.writeUInt32LE(messageId >>> 0, 12);
  buf.writeUInt32LE(frameBytes >>> 0, 16);
}

/** Parse one received datagram; undefined when it is not ours or is malformed. */
export function decodeDatagram(datagram: Uint8Array): Chunk | undefined {
  if (datagram.length < CHUNK_HEADER_BYTES) return undefined;
  const v = view(datagram);
  if (v.getUint32(0, true) !== DGRAM_MAGIC) return undefined;
  const kind = v.getUint16(4, true);
  if (kind !== DatagramKind.Hello && kind !== DatagramKind.Welcome && kind !== DatagramKind.Chunk) return undefined;
  return {
    kind,
    chunkIndex: v.getUint16(6, true),
    chunkCount: v.getUint16(8, true),
    messageId: v.getUint32(12, true),
    frameBytes: v.getUint32(16, true),
    payload: datagram.subarray(CHUNK_HEADER_BYTES),
  };
}

export function chunkCountFor(frameBytes: number, chunkPayloadBytes: number): number {
  return Math.max(1, Math.ceil(frameBytes / chunkPayloadBytes));
}

/** The largest frame the u16 chunk count allows. */
export function maxFrameBytes(chunkPayloadBytes: number): number {
  return MAX_CHUNKS * chunkPayloadBytes;
}

/**
 * Split a frame into datagrams, each `[header, payload view]` so the socket can send both
 * as one datagram (sendmsg with two iovecs) without copying the frame.
 */
export function chunkFrame(frame: Uint8Array, messageId: number, chunkPayloadBytes = MAX_CHUNK_PAYLOAD_BYTES): [Buffer, Uint8Array][] {
  const frameBytes = frame.length;
  const chunkCount = chunkCountFor(frameBytes, chunkPayloadBytes);
  if (chunkCount > MAX_CHUNKS) {
    throw new Error(`a ${frameBytes}-byte frame needs ${chunkCount} datagrams; the chunk header allows ${MAX_CHUNKS} (${maxFrameBytes(chunkPayloadBytes)} bytes)`);
  }
  const out: [Buffer, Uint8Array][] = [];
  for (let chunkIndex = 0; chunkIndex < chunkCount; chunkIndex++) {
    const start = chunkIndex * chunkPayloadBytes;
    const header = encodeHeader({ kind: DatagramKind.Chunk, chunkIndex, chunkCount, messageId, frameBytes });
    out.push([header, frame.subarray(start, Math.min(start + chunkPayloadBytes, frameBytes))]);
  }
  return out;
}

interface Partial {
  frame: Buffer;
  chunkCount: number;
  have: Uint8Array; // 1 per chunk received
  haveCount: number;
}

export interface ReassemblerOptions {
  /** Must match the sender's. */
  chunkPayloadBytes?: number;
  /**
   * Frames assembled at once. A frame still incomplete when this many newer ones are
   * in progress lost a chunk (loopback does not reorder); it is abandoned. Bounds memory.
   */
  maxPartials?: number;
  /** How many finished (delivered or abandoned) message ids are remembered to reject stragglers. */
  rememberFinished?: number;
}

export interface ReassemblyStats {
  /** Frames delivered whole. */
  delivered: number;
  /** Frames abandoned with chunks missing (or whose chunks disagreed). */
  abandoned: number;
  /** Chunks ignored: duplicates, or for a frame already delivered or abandoned. */
  stragglers: number;
  /** Chunks whose header cannot describe a frame (wrong count, size or index). */
  malformed: number;
}

/** Reassembles frames from chunk datagrams of one sender. */
export class Reassembler {
  readonly stats: ReassemblyStats = { delivered: 0, abandoned: 0, stragglers: 0, malformed: 0 };
  private readonly chunkPayloadBytes: number;
  private readonly maxPartials: number;
  /** In arrival order of each frame's first chunk: the first entry is the oldest. */
  private readonly partials = new Map<number, Partial>();
  private readonly finished = new Set<number>();
  /** Ring of the finished ids, oldest forgotten first. */
  private readonly finishedRing: (number | undefined)[];
  private finishedNext = 0;

  constructor(options: ReassemblerOptions = {}) {
    this.chunkPayloadBytes = options.chunkPayloadBytes ?? MAX_CHUNK_PAYLOAD_BYTES;
    this.maxPartials = options.maxPartials ?? 8;
    this.finishedRing = new Array<number | undefined>(options.rememberFinished ?? 4096);
  }

  /** Add one chunk; returns the frame it completes, else undefined. */
  push(chunk: Chunk): Uint8Array | undefined {
    const { messageId, chunkIndex, chunkCount, frameBytes, payload } = chunk;
    if (
      chunk.kind !== DatagramKind.Chunk ||
      frameBytes === 0 ||
      chunkCount !== chunkCountFor(frameBytes, this.chunkPayloadBytes) ||
      chunkIndex >= chunkCount ||
      payload.length !== Math.min(this.chunkPayloadBytes, frameBytes - chunkIndex * this.chunkPayloadBytes)
    ) {
      this.stats.malformed++;
      return undefined;
    }
    if (this.finished.has(messageId)) {
      this.stats.stragglers++;
      return undefined;
    }
    if (chunkCount === 1) {
      // The common small-message case: the datagram is the frame, no copy.
      this.finish(messageId);
      this.stats.delivered++;
      return payload;
    }
    let p = this.partials.get(messageId);
    if (p === undefined) {
      p = { frame: Buffer.allocUnsafe(frameBytes), chunkCount, have: new Uint8Array(chunkCount), haveCount: 0 };
      this.partials.set(messageId, p);
      this.evictOldest();
    } else if (p.chunkCount !== chunkCount || p.frame.length !== frameBytes) {
      // Two shapes for one frame: neither can be trusted.
      this.abandon(messageId);
      this.stats.malformed++;
      return undefined;
    }
    if (p.have[chunkIndex] === 1) {
      this.stats.stragglers++;
      return undefined;
    }
    p.frame.set(payload, chunkIndex * this.chunkPayloadBytes);
    p.have[chunkIndex] = 1;
    p.haveCount++;
    if (p.haveCount < p.chunkCount) return undefined;
    this.partials.delete(messageId);
    this.finish(messageId);
    this.stats.delivered++;
    return p.frame;
  }

  /** Frames currently being assembled. */
  get pending(): number {
    return this.partials.size;
  }

  private evictOldest(): void {
    while (this.partials.size > this.maxPartials) {
      const oldest = this.partials.keys().next().value as number;
      this.abandon(oldest);
    }
  }

  private abandon(messageId: number): void {
    this.partials.delete(messageId);
    this.finish(messageId);
    this.stats.abandoned++;
  }

  private finish(messageId: number): void {
    const forgotten = this.finishedRing[this.finishedNext];
    if (forgotten !== undefined) this.finished.delete(forgotten);
    this.finishedRing[this.finishedNext] = messageId;
    this.finishedNext = (this.finishedNext + 1) % this.finishedRing.length;
    this.finished.add(messageId);
  }
}
