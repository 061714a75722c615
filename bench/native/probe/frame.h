// Frame v2, byte for byte the layout of core/frame-format.ts (bench/frame.ts; little-endian,
// 20-byte header, CRC-32C over bytes [0,16) then [20,frameBytes)):
//    0 u32 magic 0x43504950 ('PIPC')   4 u16 version 2   6 u16 kind
//    8 u32 seq                         12 u32 frameBytes 16 u32 checksum   20 payload
// Data frames of 24 bytes or more repeat the seq at offset 20, so a stale buffer shows; the
// rest of the payload is the fixed pattern byte[i] = (i*131+7) & 0xff.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace podipc::probe {

constexpr uint32_t kFrameMagic = 0x43504950u;
constexpr uint16_t kFrameVersion = 2;
constexpr uint32_t kFrameHeaderBytes = 20;
// The smallest message a case may use: the header plus a 12-byte payload stamp.
constexpr uint32_t kMinMessageBytes = 32;
// A length field above this means the stream lost sync (frames are at most a few MiB).
constexpr uint32_t kMaxFrameBytes = 64u * 1024 * 1024;

enum class FrameKind : uint16_t { kData = 1, kBegin = 2, kEnd = 3, kSummary = 4, kAck = 5 };

const char* FrameKindName(FrameKind kind);

// Fill a reusable buffer once with the payload pattern; StampFrame then rewrites only the
// header, the stamp and the checksum, so the sender never regenerates a megabyte per message.
void FillPattern(uint8_t* frame, size_t frameBytes);

// Write the header, the stamp of a data frame, and the checksum over the whole frame.
void StampFrame(uint8_t* frame, FrameKind kind, uint32_t seq, uint32_t frameBytes);

// The checksum as the contract defines it.
uint32_t FrameChecksum(const uint8_t* frame, uint32_t frameBytes);

// A data frame that a sender stamps again and again with a new seq (the latency, rate and
// throughput probes' requests), as bench/frame.ts DataFrame: only the seq changes, in the
// header and in the payload stamp, and the CRC-32C is linear over GF(2), so the checksum is
// the frame's checksum at seq 0 XOR four table lookups by the seq's bytes, computed once for
// the frame's length. The bytes and the checksum are exactly StampFrame's; every receiver
// still checks every byte (CheckFrame).
class DataFrame {
 public:
  explicit DataFrame(uint32_t frameBytes);
  // The frame stamped with `seq`; valid until the next Stamp.
  const uint8_t* Stamp(uint32_t seq);
  uint32_t size() const { return static_cast<uint32_t>(frame_.size()); }

 private:
  std::vector<uint8_t> frame_;
  uint32_t checksumAtSeq0_;
  uint32_t deltas_[4][256];
};

struct FrameCheck {
  bool ok;
  FrameKind kind;
  uint32_t seq;
  uint32_t frameBytes;
  // Why it failed (static text), when !ok.
  const char* reason;
};

// Verify in the contract's order: length >= 20, magic, version, frameBytes == bytes received,
// checksum, then for Data the stamp. Never throws: a bad frame is data for `integrity`.
FrameCheck CheckFrame(const uint8_t* frame, size_t bytes);

// A control frame carrying a small UTF-8 JSON payload (Begin/End/Summary/Ack), seq 0. With
// frameBytes (and room for the JSON) the frame has that length, the JSON followed by spaces:
// Begin and its Ack travel at the case's message size, as in bench/frame.ts jsonFrame.
std::vector<uint8_t> JsonFrame(FrameKind kind, const std::string& json, size_t frameBytes = 0);
std::string FramePayload(const uint8_t* frame, size_t bytes);

}  // namespace podipc::probe
