// CRC-32C in C++: the SSE4.2 `crc32` instruction on three interleaved streams, their CRCs
// joined with a carry-less multiply (PCLMULQDQ), chosen at load time by CPU detection; a
// portable slicing-by-8 table version everywhere else (the same algorithm as
// bench/checksum.ts).
//
// Why three streams: `crc32 r64, m64` takes 8 bytes with a latency of 3 cycles but issues
// one per cycle, so a single dependent chain runs at a third of the instruction's rate
// (~8 GB/s at 3 GHz); three independent chains keep it busy. Splitting a block into
// A | B | C and running B and C from state 0, the state after the block is
//   S(A|B|C) = S(A) * x^(16L) + S(B) * x^(8L) + S(C)   (mod P, L = stream bytes)
// because the CRC state is linear in the message once the initial state is accounted for.
// Multiplying a 32-bit state by a constant x^k mod P is one PCLMULQDQ and one `crc32` on the
// 64-bit product: for bit-reflected operands the carry-less product carries one extra factor
// x and `crc32(0, d64)` multiplies by x^32 and reduces, so shifting by n bytes uses the
// constant x^(8n - 33) mod P (computed at load time below, not typed in).
#include "crc32c.h"

#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PODIPC_CRC32C_X86 1
#include <immintrin.h>
#endif

namespace podipc {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected 0x1EDC6F41

// kTable[k][b]: the state after feeding byte b followed by k zero bytes into state 0.
struct Tables {
  uint32_t t[8][256];
  Tables() {
    for (uint32_t b = 0; b < 256; b++) {
      uint32_t c = b;
      for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; b++) {
      for (int k = 1; k < 8; k++) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
    }
  }
};
const Tables kTables;

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint32_t Portable(uint32_t c, const uint8_t* p, size_t n) {
  const auto& t = kTables.t;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  while (n >= 8) {
    uint64_t w = Load64(p);
    uint32_t lo = static_cast<uint32_t>(w) ^ c;
    uint32_t hi = static_cast<uint32_t>(w >> 32);
    c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
        t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
#endif
  while (n--) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xFF];
  return c;
}

#ifdef PODIPC_CRC32C_X86

// x^e mod P in the reflected representation (bit 31 - i holds the coefficient of x^i).
uint32_t XPowMod(uint64_t e) {
  uint32_t v = 0x80000000u;  // x^0
  while (e--) v = (v & 1) ? (v >> 1) ^ kPoly : v >> 1;
  return v;
}

struct Block {
  size_t bytes;  // per stream
  uint32_t shiftOne;  // x^(8 * bytes - 33) mod P: moves a state past one stream
  uint32_t shiftTwo;  // x^(16 * bytes - 33) mod P: past two
};

// 3 x 8 KiB per combine for large frames (the combine's ~20 cycles are lost in 24 KiB), and
// 3 x 256 B for mid-sized ones; what is left (< 768 B) runs as one chain.
Block MakeBlock(size_t bytes) { return Block{bytes, XPowMod(8 * bytes - 33), XPowMod(16 * bytes - 33)}; }
const Block kLong = MakeBlock(8192);
const Block kShort = MakeBlock(256);

__attribute__((target("sse4.2,pclmul"))) inline uint64_t Shift(uint32_t state, uint32_t k) {
  __m128i product = _mm_clmulepi64_si128(_mm_cvtsi32_si128(static_cast<int>(state)), _mm_cvtsi32_si128(static_cast<int>(k)), 0x00);
  return static_cast<uint64_t>(_mm_cvtsi128_si64(product));
}

__attribute__((target("sse4.2,pclmul"))) uint32_t Hardware(uint32_t state, const uint8_t* p, size_t n) {
  // Align to 8 bytes so every 64-bit load below is aligned.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    state = _mm_crc32_u8(state, *p++);
    n--;
  }
  uint64_t c0 = state;
  const Block* const blocks[] = {&kLong, &kShort};
  for (const Block* b : blocks) {
    const size_t L = b->bytes;
    while (n >= 3 * L) {
      uint64_t c1 = 0;
      uint64_t c2 = 0;
      const uint8_t* end = p + L;
      do {
        c0 = _mm_crc32_u64(c0, Load64(p));
        c1 = _mm_crc32_u64(c1, Load64(p + L));
        c2 = _mm_crc32_u64(c2, Load64(p + 2 * L));
        c0 = _mm_crc32_u64(c0, Load64(p + 8));
        c1 = _mm_crc32_u64(c1, Load64(p + L + 8));
        c2 = _mm_crc32_u64(c2, Load64(p + 2 * L + 8));
        p += 16;
      } while (p < end);
      // c0 * x^(16L) + c1 * x^(8L), reduced by one crc32 of the XORed 64-bit products.
      uint64_t shifted = Shift(static_cast<uint32_t>(c0), b->shiftTwo) ^ Shift(static_cast<uint32_t>(c1), b->shiftOne);
      c0 = _mm_crc32_u64(0, shifted) ^ c2;
      p += 2 * L;
      n -= 3 * L;
    }
  }
  while (n >= 8) {
    c0 = _mm_crc32_u64(c0, Load64(p));
    p += 8;
    n -= 8;
  }
  uint32_t c = static_cast<uint32_t>(c0);
  while (n--) c = _mm_crc32_u8(c, *p++);
  return c;
}

bool HardwareUsable() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul");
}

#endif  // PODIPC_CRC32C_X86

using UpdateFn = uint32_t (*)(uint32_t, const uint8_t*, size_t);

struct Selected {
  UpdateFn fn;
  const char* name;
};

Selected Select() {
#ifdef PODIPC_CRC32C_X86
  if (HardwareUsable()) return {Hardware, "sse4.2 3-way + pclmul combine"};
#endif
  return {Portable, "portable slicing-by-8"};
}

const Selected kSelected = Select();

}  // namespace

uint32_t Crc32cUpdate(uint32_t state, const uint8_t* data, size_t length) { return kSelected.fn(state, data, length); }

uint32_t Crc32cUpdatePortable(uint32_t state, const uint8_t* data, size_t length) { return Portable(state, data, length); }

const char* Crc32cImplementation() { return kSelected.name; }

bool Crc32cHardware() { return kSelected.fn != Portable; }

}  // namespace podipc
