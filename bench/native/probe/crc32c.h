// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF), the
// frame checksum of frame v2: the addon's implementation (../crc32c.h), behind one function
// pointer chosen once at start-up from the CPU's features:
// - "sse4.2": the x86 `crc32` instruction, 8 bytes per instruction, three interleaved
//   streams joined with a carry-less multiply (needs SSE4.2 and PCLMULQDQ).
// - "table": portable slicing-by-8 tables, for other CPUs and architectures.
#pragma once

#include <cstddef>
#include <cstdint>

namespace podipc::probe {

// Picks the implementation (runtime CPU detection) and builds the tables. Call once before
// any checksum; idempotent.
void InitCrc32c();

// CRC-32C of `bytes` bytes at `data`, continuing from `crc` (the finished CRC of the data
// before; 0 for none): Crc32c(Crc32c(0, a, n), b, m) == CRC of a||b.
using Crc32cFn = uint32_t (*)(uint32_t crc, const void* data, size_t bytes);
extern Crc32cFn Crc32c;

// "sse4.2" or "table": what InitCrc32c chose.
const char* Crc32cImplementation();

// Each implementation, for tests and the benchmark. Crc32cSse42 is nullptr without the instructions.
uint32_t Crc32cTable(uint32_t crc, const void* data, size_t bytes);
extern Crc32cFn Crc32cSse42;

}  // namespace podipc::probe
