import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHUNK_HEADER_BYTES,
  chunkFrame,
  DatagramKind,
  decodeDatagram,
  encodeHeader,
  MAX_CHUNK_PAYLOAD_BYTES,
  Reassembler,
  UDP_MAX_PAYLOAD_BYTES,
  type Chunk,
} from '../bench/dgram-chunks.js';

/** Small chunks so a few hundred bytes make a multi-chunk frame. */
const CHUNK = 100;

function frameOf(bytes: number, salt = 1): Uint8Array {
  const f = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) f[i] = (i * 31 + salt) & 0xff;
  return f;
}

/** What the wire carries: header and payload joined into one datagram, then parsed back. */
function datagrams(frame: Uint8Array, messageId: number, chunkPayloadBytes = CHUNK): Chunk[] {
  return chunkFrame(frame, messageId, chunkPayloadBytes).map(([header, payload]) => {
    const d = decodeDatagram(Buffer.concat([header, payload]));
    assert.ok(d, 'every datagram decodes');
    return d;
  });
}

/** Feed chunks; return every frame delivered. */
function feed(r: Reassembler, chunks: Chunk[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    const f = r.push(c);
    if (f) out.push(Uint8Array.from(f)); // copy: a delivered frame may alias the datagram
  }
  return out;
}

test('a chunked frame reassembles byte-identical', () => {
  const frame = frameOf(1234);
  const chunks = datagrams(frame, 7);
  assert.equal(chunks.length, 13); // ceil(1234 / 100)
  assert.deepEqual(chunks.map((c) => c.chunkIndex), [...Array(13).keys()]);
  assert.ok(chunks.every((c) => c.chunkCount === 13 && c.frameBytes === 1234 && c.messageId === 7));
  const out = feed(new Reassembler({ chunkPayloadBytes: CHUNK }), chunks);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0], frame);
});

test('at the real limit a 1 MiB frame is 17 datagrams of at most 65,507 bytes and reassembles', () => {
  const frame = frameOf(1024 * 1024, 5);
  const parts = chunkFrame(frame, 0);
  assert.equal(parts.length, Math.ceil((1024 * 1024) / MAX_CHUNK_PAYLOAD_BYTES));
  assert.equal(parts.length, 17);
  for (const [header, payload] of parts) assert.ok(header.byteLength + payload.byteLength <= UDP_MAX_PAYLOAD_BYTES);
  const out = feed(new Reassembler(), datagrams(frame, 0, MAX_CHUNK_PAYLOAD_BYTES));
  assert.equal(out.length, 1);
  assert.deepEqual(out[0], frame);
});

test('a frame that fits one datagram is one chunk and is delivered as is', () => {
  const frame = frameOf(64);
  const chunks = datagrams(frame, 3);
  assert.equal(chunks.length, 1);
  assert.equal(chunks[0]!.chunkCount, 1);
  assert.deepEqual(feed(new Reassembler({ chunkPayloadBytes: CHUNK }), chunks), [frame]);
});

test('reordered chunks of one frame reassemble', () => {
  const frame = frameOf(950, 9);
  const chunks = datagrams(frame, 1);
  const shuffled = [chunks[9]!, chunks[0]!, chunks[5]!, chunks[2]!, chunks[8]!, chunks[1]!, chunks[7]!, chunks[3]!, chunks[6]!, chunks[4]!];
  assert.equal(shuffled.length, chunks.length);
  const out = feed(new Reassembler({ chunkPayloadBytes: CHUNK }), shuffled);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0], frame);
});

test('a frame with a missing chunk never yields a frame, and the next frame still does', () => {
  // maxPartials 1: a newer frame in progress means the older one lost a chunk for good.
  const r = new Reassembler({ chunkPayloadBytes: CHUNK, maxPartials: 1 });
  const first = datagrams(frameOf(500, 1), 0);
  const lossy = [...first.slice(0, 2), ...first.slice(3)]; // chunk 2 lost
  assert.deepEqual(feed(r, lossy), []);
  assert.equal(r.pending, 1);
  const second = frameOf(500, 2);
  assert.deepEqual(feed(r, datagrams(second, 1)), [second]);
  assert.equal(r.stats.abandoned, 1, 'the incomplete frame was abandoned when a newer one took its slot');
  // The lost chunk arriving late must not revive the frame that was given up on.
  assert.equal(r.push(first[2]!), undefined, 'a straggler of an abandoned frame yields nothing');
  assert.deepEqual(feed(r, first), [], 'not even with every chunk resent');
  assert.equal(r.pending, 0);
  assert.equal(r.stats.delivered, 1);
});

test('a duplicated chunk never yields a frame twice nor completes a frame early', () => {
  const frame = frameOf(400, 4);
  const chunks = datagrams(frame, 9);
  const r = new Reassembler({ chunkPayloadBytes: CHUNK });
  // Chunk 0 three times, chunk 3 missing: the duplicates must not count as the missing one.
  assert.deepEqual(feed(r, [chunks[0]!, chunks[0]!, chunks[1]!, chunks[0]!, chunks[2]!]), []);
  assert.equal(r.stats.stragglers, 2);
  const out = feed(r, [chunks[3]!, ...chunks]); // completes, then every chunk again
  assert.equal(out.length, 1);
  assert.deepEqual(out[0], frame);
  // A single-datagram frame duplicated is delivered once.
  const small = datagrams(frameOf(40), 10);
  assert.equal(feed(r, [...small, ...small]).length, 1);
});

test('chunks that disagree about a frame abandon it; malformed datagrams are ignored', () => {
  const r = new Reassembler({ chunkPayloadBytes: CHUNK });
  const a = datagrams(frameOf(300), 5);
  const b = datagrams(frameOf(400), 5); // same id, different shape
  assert.deepEqual(feed(r, [a[0]!, b[1]!, a[1]!, a[2]!]), []);
  assert.equal(r.stats.malformed, 1);

  const wrongCount: Chunk = { ...a[0]!, messageId: 6, chunkCount: 7 };
  const wrongLength: Chunk = { ...a[0]!, messageId: 6, payload: a[0]!.payload.subarray(1) };
  const indexOutOfRange: Chunk = { ...a[0]!, messageId: 6, chunkIndex: 3 };
  for (const c of [wrongCount, wrongLength, indexOutOfRange]) assert.equal(r.push(c), undefined);
  assert.equal(r.stats.malformed, 4);

  assert.equal(decodeDatagram(new Uint8Array(CHUNK_HEADER_BYTES - 1)), undefined, 'too short');
  assert.equal(decodeDatagram(new Uint8Array(64)), undefined, 'no magic');
  const hello = decodeDatagram(encodeHeader({ kind: DatagramKind.Hello, chunkIndex: 0, chunkCount: 0, messageId: 42, frameBytes: 0 }));
  assert.equal(hello?.kind, DatagramKind.Hello);
  assert.equal(hello?.messageId, 42);
  assert.equal(r.push(hello!), undefined, 'a control datagram is not a chunk');
});

test('the reassembler holds at most maxPartials incomplete frames', () => {
  const r = new Reassembler({ chunkPayloadBytes: CHUNK, maxPartials: 3 });
  for (let id = 0; id < 10; id++) feed(r, datagrams(frameOf(250, id), id).slice(1)); // each misses chunk 0
  assert.equal(r.pending, 3);
  assert.equal(r.stats.abandoned, 7);
  assert.equal(r.stats.delivered, 0);
});
