// The probe's CRC-32C is the addon's (../crc32c.cc: plain C++ without N-API, which
// binding.gyp compiles into both targets), adapted to the probe's calls on finished CRCs.
#include "crc32c.h"

#include "../crc32c.h"

namespace podipc::probe {
namespace {

constexpr uint32_t kFinal = 0xffffffffu;
bool g_initialised = false;
const char* g_implementation = "table";

uint32_t Hardware(uint32_t crc, const void* data, size_t bytes) {
  return podipc::Crc32cUpdate(crc ^ kFinal, static_cast<const uint8_t*>(data), bytes) ^ kFinal;
}

}  // namespace

uint32_t Crc32cTable(uint32_t crc, const void* data, size_t bytes) {
  return podipc::Crc32cUpdatePortable(crc ^ kFinal, static_cast<const uint8_t*>(data), bytes) ^ kFinal;
}

Crc32cFn Crc32c = Crc32cTable;
Crc32cFn Crc32cSse42 = nullptr;

void InitCrc32c() {
  if (g_initialised) return;
  g_initialised = true;
  // The addon's code chose its implementation when it was loaded (CPU detection).
  if (podipc::Crc32cHardware()) {
    Crc32cSse42 = Hardware;
    Crc32c = Hardware;
    g_implementation = "sse4.2";
  }
}

const char* Crc32cImplementation() { return g_implementation; }

}  // namespace podipc::probe
