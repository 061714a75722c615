// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78), the checksum of frame version 2
// (core/frame-format.ts). Plain C++ with no N-API in it, so the native probe can link the
// same code the addon exposes to the Node probe (crc32c_napi.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace podipc {

// Feed [data, data + length) into an un-finalised CRC-32C state and return the new state.
// A whole CRC is Crc32cUpdate(0xFFFFFFFF, ...) ^ 0xFFFFFFFF; working on the raw state lets a
// frame's two ranges (header without its checksum field, then the payload) be one stream.
uint32_t Crc32cUpdate(uint32_t state, const uint8_t* data, size_t length);

// The portable path alone (slicing-by-8), for tests that compare it with the selected one.
uint32_t Crc32cUpdatePortable(uint32_t state, const uint8_t* data, size_t length);

// Which implementation Crc32cUpdate uses on this CPU, chosen once at load time:
// "sse4.2 3-way + pclmul combine", or "portable slicing-by-8".
const char* Crc32cImplementation();

// True when Crc32cUpdate runs on the CPU's crc32 instruction (not the portable path).
bool Crc32cHardware();

}  // namespace podipc
