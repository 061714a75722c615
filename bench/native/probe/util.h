// Small helpers every part of the native probe uses: errors that name the call and the fix,
// the monotonic clock, little-endian loads and stores, sysctl reads.
#pragma once

#include <time.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "../clock_ns.h"

namespace podipc::probe {

// A case the mechanism cannot run here: reported `skipped` with the message, which names the
// limit (the Node side's CaseSkipped).
struct CaseSkipped : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "strerror (ENAME)", e.g. "No such file or directory (ENOENT)".
std::string ErrnoText(int err);
const char* ErrnoName(int err);

// Throws std::runtime_error("<call>: <strerror> (<ENAME>)[: <fix>]").
[[noreturn]] void ThrowErrno(const std::string& call, int err, const std::string& fix = "");

// CLOCK_MONOTONIC in ns (../clock_ns.h: a vDSO read, no system call).
inline int64_t NowNs() { return podipc::NowNs(CLOCK_MONOTONIC); }

inline struct timespec ToTimespec(int64_t ns) { return podipc::TimespecFromNs(ns); }

// An absolute deadline on `clock` timeoutMs from now (for mq_timedsend, sem_clockwait, ...).
inline struct timespec DeadlineOn(clockid_t clock, int64_t timeoutMs) {
  return ToTimespec(podipc::NowNs(clock) + timeoutMs * 1000000LL);
}

void SleepMs(int64_t ms);

// Frames are little-endian on the wire whatever the host; memcpy keeps unaligned access legal.
inline uint32_t LoadLe32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}
inline uint16_t LoadLe16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap16(v);
#endif
  return v;
}
inline void StoreLe32(uint8_t* p, uint32_t v) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  std::memcpy(p, &v, 4);
}
inline void StoreLe16(uint8_t* p, uint16_t v) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap16(v);
#endif
  std::memcpy(p, &v, 2);
}

// A /proc/sys value such as "fs.mqueue.msgsize_max" (first field), or nullopt when unreadable.
// The IPC limits are per IPC namespace, so they are read at run time, inside the pod.
std::optional<long long> ReadSysctl(const std::string& dotted);

// Soft RLIMIT_MSGQUEUE in bytes, read from /proc/self/limits as the Node side does; nullopt
// when unlimited or unreadable.
std::optional<long long> MsgqueueRlimitBytes();

// write(2) all of `text`, retrying short writes and EINTR. For stdout/stderr and files.
bool WriteAll(int fd, const char* data, size_t bytes);
inline bool WriteAll(int fd, const std::string& text) { return WriteAll(fd, text.data(), text.size()); }

// Diagnostics for the harness's stderr tail.
void LogError(const std::string& line);

}  // namespace podipc::probe
