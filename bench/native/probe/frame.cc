#include "frame.h"

#include <algorithm>

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
