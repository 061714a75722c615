#include "frame.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "crc32c.h"
#include "util.h"

namespace podipc::probe {

const char* FrameKindName(FrameKind kind) {
  switch (kind) {
    case FrameKind::kData:
      return "Data";
    case FrameKind::kBegin:
      return "Begin";
    case FrameKind::kEnd:
      return "End";
    case FrameKind::kSummary:
      return "Summary";
    case FrameKind::kAck:
      return "Ack";
  }
  return "?";
}

void FillPattern(uint8_t* frame, size_t frameBytes) {
  for (size_t i = kFrameHeaderBytes; i < frameBytes; i++) frame[i] = static_cast<uint8_t>((i * 131 + 7) & 0xff);
}

uint32_t FrameChecksum(const uint8_t* frame, uint32_t frameBytes) {
  return Crc32c(Crc32c(0, frame, 16), frame + kFrameHeaderBytes, frameBytes - kFrameHeaderBytes);
}

void StampFrame(uint8_t* frame, FrameKind kind, uint32_t seq, uint32_t frameBytes) {
  StoreLe32(frame, kFrameMagic);
  StoreLe16(frame + 4, kFrameVersion);
  StoreLe16(frame + 6, static_cast<uint16_t>(kind));
  StoreLe32(frame + 8, seq);
  StoreLe32(frame + 12, frameBytes);
  if (kind == FrameKind::kData && frameBytes >= kFrameHeaderBytes + 4) StoreLe32(frame + 20, seq);
  StoreLe32(frame + 16, FrameChecksum(frame, frameBytes));
}

namespace {

// The CRC-32C register as a linear map over GF(2) (bench/checksum.ts crc32cU32Deltas): a
// matrix is its 32 columns, the images of the one-bit states.
using Gf2Matrix = std::array<uint32_t, 32>;

uint32_t Apply(const Gf2Matrix& m, uint32_t v) {
  uint32_t out = 0;
  for (int i = 0; v != 0; i++, v >>= 1) {
    if (v & 1) out ^= m[i];
  }
  return out;
}

Gf2Matrix Compose(const Gf2Matrix& a, const Gf2Matrix& b) {
  Gf2Matrix out{};
  for (int i = 0; i < 32; i++) out[i] = Apply(a, b[i]);
  return out;
}

// The register after feeding byte b from state 0 (the reflected table).
uint32_t ByteTable(uint32_t b) {
  uint32_t c = b;
  for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
  return c;
}

// One zero byte: c -> (c >> 8) ^ T[c & 0xff], column by column.
Gf2Matrix OneZeroByte() {
  Gf2Matrix m{};
  for (int i = 0; i < 32; i++) m[i] = i < 8 ? ByteTable(1u << i) : (1u << i) >> 8;
  return m;
}

// Feeding k zero bytes, by squaring.
Gf2Matrix ZeroBytes(uint64_t k) {
  Gf2Matrix power = OneZeroByte();
  Gf2Matrix result{};
  for (int i = 0; i < 32; i++) result[i] = 1u << i;
  for (uint64_t n = k; n > 0; n /= 2) {
    if (n % 2 == 1) result = Compose(power, result);
    if (n > 1) power = Compose(power, power);
  }
  return result;
}

}  // namespace

DataFrame::DataFrame(uint32_t frameBytes) : frame_(frameBytes), deltas_{} {
  if (frameBytes < kFrameHeaderBytes + 4) throw std::runtime_error("a data frame needs room for its payload stamp");
  FillPattern(frame_.data(), frame_.size());
  StampFrame(frame_.data(), FrameKind::kData, 0, frameBytes);
  checksumAtSeq0_ = LoadLe32(frame_.data() + 16);
  // The checksummed stream leaves out the checksum field [16, 20): the header's seq (frame
  // byte 8) is stream byte 8, the payload stamp (frame byte 20) stream byte 16.
  const uint64_t streamBytes = frameBytes - 4;
  const Gf2Matrix oneZero = OneZeroByte();
  for (uint64_t at : {uint64_t{8}, uint64_t{16}}) {
    // The seq's byte j sits at at + j, followed by streamBytes - (at + j) - 1 bytes.
    Gf2Matrix shift = ZeroBytes(streamBytes - at - 4);
    for (int j = 3; j >= 0; j--) {
      for (uint32_t b = 0; b < 256; b++) deltas_[j][b] ^= Apply(shift, ByteTable(b));
      shift = Compose(oneZero, shift);
    }
  }
}

const uint8_t* DataFrame::Stamp(uint32_t seq) {
  uint8_t* f = frame_.data();
  StoreLe32(f + 8, seq);
  StoreLe32(f + 20, seq);
  StoreLe32(f + 16, checksumAtSeq0_ ^ deltas_[0][seq & 0xff] ^ deltas_[1][(seq >> 8) & 0xff] ^ deltas_[2][(seq >> 16) & 0xff] ^
                        deltas_[3][seq >> 24]);
  return f;
}

FrameCheck CheckFrame(const uint8_t* frame, size_t bytes) {
  FrameCheck bad{false, FrameKind::kData, 0, 0, nullptr};
  if (bytes < kFrameHeaderBytes) return bad.reason = "short frame", bad;
  if (LoadLe32(frame) != kFrameMagic) return bad.reason = "bad magic", bad;
  if (LoadLe16(frame + 4) != kFrameVersion) return bad.reason = "unknown frame version", bad;
  uint32_t frameBytes = LoadLe32(frame + 12);
  if (frameBytes != bytes) return bad.reason = "length field disagrees with bytes received", bad;
  if (FrameChecksum(frame, frameBytes) != LoadLe32(frame + 16)) return bad.reason = "checksum mismatch", bad;
  FrameKind kind = static_cast<FrameKind>(LoadLe16(frame + 6));
  uint32_t seq = LoadLe32(frame + 8);
  if (kind == FrameKind::kData && frameBytes >= kFrameHeaderBytes + 4 && LoadLe32(frame + 20) != seq) {
    return bad.reason = "payload stamp does not match seq", bad;
  }
  return FrameCheck{true, kind, seq, frameBytes, nullptr};
}

std::vector<uint8_t> JsonFrame(FrameKind kind, const std::string& json, size_t frameBytes) {
  std::vector<uint8_t> frame(std::max(kFrameHeaderBytes + json.size(), frameBytes), ' ');
  std::memcpy(frame.data() + kFrameHeaderBytes, json.data(), json.size());
  StampFrame(frame.data(), kind, 0, static_cast<uint32_t>(frame.size()));
  return frame;
}

std::string FramePayload(const uint8_t* frame, size_t bytes) {
  if (bytes <= kFrameHeaderBytes) return "";
  return std::string(reinterpret_cast<const char*>(frame) + kFrameHeaderBytes, bytes - kFrameHeaderBytes);
}

}  // namespace podipc::probe
