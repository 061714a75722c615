#include "crc32c.h"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <nmmintrin.h>
#define PODIPC_X86 1
#endif

namespace podipc::probe {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // CRC-32C, bit-reversed

// Slicing-by-8: table[k][b] is the CRC register after byte b followed by k zero bytes.
uint32_t g_table[8][256];
bool g_initialised = false;
const char* g_implementation = "table";

void BuildTable() {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t crc = n;
    for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ kPoly : crc >> 1;
    g_table[0][n] = crc;
  }
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t crc = g_table[0][n];
    for (int k = 1; k < 8; k++) {
      crc = g_table[0][crc & 0xff] ^ (crc >> 8);
      g_table[k][n] = crc;
    }
  }
}

inline uint64_t Load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

#if PODIPC_X86
// Three-way interleave block sizes (Adler's crc32c.c): LONG for large buffers, SHORT for the
// rest; each needs a table that shifts a CRC register over that many zero bytes.
constexpr size_t kLong = 8192;
constexpr size_t kShort = 256;
uint32_t g_long[4][256];
uint32_t g_short[4][256];

// GF(2) matrix algebra of zlib's crc32_combine: a CRC register is a vector of 32 bits, and
// feeding zero bits is multiplication by a fixed matrix.
uint32_t Gf2Times(const uint32_t* mat, uint32_t vec) {
  uint32_t sum = 0;
  while (vec) {
    if (vec & 1) sum ^= *mat;
    vec >>= 1;
    mat++;
  }
  return sum;
}

void Gf2Square(uint32_t* square, const uint32_t* mat) {
  for (int n = 0; n < 32; n++) square[n] = Gf2Times(mat, mat[n]);
}

// The operator that feeds `len` zero bytes (len a power of two) into a CRC register.
void ZerosOperator(uint32_t* even, size_t len) {
  uint32_t odd[32];
  odd[0] = kPoly;  // one zero bit
  uint32_t row = 1;
  for (int n = 1; n < 32; n++) {
    odd[n] = row;
    row <<= 1;
  }
  Gf2Square(even, odd);  // two zero bits
  Gf2Square(odd, even);  // four zero bits
  // Each square doubles: the first puts one zero byte in `even`, the next two in `odd`, ...
  do {
    Gf2Square(even, odd);
    len >>= 1;
    if (len == 0) return;
    Gf2Square(odd, even);
    len >>= 1;
  } while (len);
  std::memcpy(even, odd, sizeof odd);
}

void ZerosTables(uint32_t zeros[4][256], size_t len) {
  uint32_t op[32];
  ZerosOperator(op, len);
  for (uint32_t n = 0; n < 256; n++) {
    zeros[0][n] = Gf2Times(op, n);
    zeros[1][n] = Gf2Times(op, n << 8);
    zeros[2][n] = Gf2Times(op, n << 16);
    zeros[3][n] = Gf2Times(op, n << 24);
  }
}

inline uint32_t Shift(const uint32_t zeros[4][256], uint32_t crc) {
  return zeros[0][crc & 0xff] ^ zeros[1][(crc >> 8) & 0xff] ^ zeros[2][(crc >> 16) & 0xff] ^ zeros[3][crc >> 24];
}

// Compiled for SSE4.2 only here (target attribute), so the rest of the probe still runs on
// any x86-64; InitCrc32c calls it only when CPUID says the instruction exists. Unaligned
// 8-byte loads are cheap on every CPU with SSE4.2, so there is no byte-wise alignment prologue
// (a 64-byte frame's checksum is a handful of dependent instructions).
__attribute__((target("sse4.2"))) uint32_t Sse42(uint32_t crc, const void* data, size_t len) {
  const unsigned char* next = static_cast<const unsigned char*>(data);
  uint64_t crc0 = crc ^ 0xffffffffu;
  while (len >= kLong * 3) {
    uint64_t crc1 = 0, crc2 = 0;
    const unsigned char* end = next + kLong;
    do {
      crc0 = _mm_crc32_u64(crc0, Load64(next));
      crc1 = _mm_crc32_u64(crc1, Load64(next + kLong));
      crc2 = _mm_crc32_u64(crc2, Load64(next + 2 * kLong));
      next += 8;
    } while (next < end);
    // CRC(a||b) = shift(CRC(a), |b|) ^ CRC(b) for the raw registers: fold the streams.
    crc0 = Shift(g_long, static_cast<uint32_t>(crc0)) ^ crc1;
    crc0 = Shift(g_long, static_cast<uint32_t>(crc0)) ^ crc2;
    next += 2 * kLong;
    len -= 3 * kLong;
  }
  while (len >= kShort * 3) {
    uint64_t crc1 = 0, crc2 = 0;
    const unsigned char* end = next + kShort;
    do {
      crc0 = _mm_crc32_u64(crc0, Load64(next));
      crc1 = _mm_crc32_u64(crc1, Load64(next + kShort));
      crc2 = _mm_crc32_u64(crc2, Load64(next + 2 * kShort));
      next += 8;
    } while (next < end);
    crc0 = Shift(g_short, static_cast<uint32_t>(crc0)) ^ crc1;
    crc0 = Shift(g_short, static_cast<uint32_t>(crc0)) ^ crc2;
    next += 2 * kShort;
    len -= 3 * kShort;
  }
  while (len >= 8) {
    crc0 = _mm_crc32_u64(crc0, Load64(next));
    next += 8;
    len -= 8;
  }
  uint32_t c = static_cast<uint32_t>(crc0);
  if (len >= 4) {
    uint32_t w;
    std::memcpy(&w, next, 4);
    c = _mm_crc32_u32(c, w);
    next += 4;
    len -= 4;
  }
  while (len--) c = _mm_crc32_u8(c, *next++);
  return c ^ 0xffffffffu;
}

bool CpuHasSse42() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  return (ecx & bit_SSE4_2) != 0;
}
#endif

}  // namespace

uint32_t Crc32cTable(uint32_t crc, const void* data, size_t len) {
  const unsigned char* next = static_cast<const unsigned char*>(data);
  uint32_t c = crc ^ 0xffffffffu;
  while (len >= 8) {
    // Little-endian word order: slicing-by-8 folds 8 bytes with 8 table lookups.
    uint32_t lo = static_cast<uint32_t>(next[0]) | static_cast<uint32_t>(next[1]) << 8 |
                  static_cast<uint32_t>(next[2]) << 16 | static_cast<uint32_t>(next[3]) << 24;
    uint32_t hi = static_cast<uint32_t>(next[4]) | static_cast<uint32_t>(next[5]) << 8 |
                  static_cast<uint32_t>(next[6]) << 16 | static_cast<uint32_t>(next[7]) << 24;
    lo ^= c;
    c = g_table[7][lo & 0xff] ^ g_table[6][(lo >> 8) & 0xff] ^ g_table[5][(lo >> 16) & 0xff] ^ g_table[4][lo >> 24] ^
        g_table[3][hi & 0xff] ^ g_table[2][(hi >> 8) & 0xff] ^ g_table[1][(hi >> 16) & 0xff] ^ g_table[0][hi >> 24];
    next += 8;
    len -= 8;
  }
  while (len--) c = g_table[0][(c ^ *next++) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

Crc32cFn Crc32c = Crc32cTable;
Crc32cFn Crc32cSse42 = nullptr;

void InitCrc32c() {
  if (g_initialised) return;
  g_initialised = true;
  BuildTable();
#if PODIPC_X86
  if (CpuHasSse42()) {
    ZerosTables(g_long, kLong);
    ZerosTables(g_short, kShort);
    Crc32cSse42 = Sse42;
    Crc32c = Sse42;
    g_implementation = "sse4.2";
  }
#endif
}

const char* Crc32cImplementation() { return g_implementation; }

}  // namespace podipc::probe
