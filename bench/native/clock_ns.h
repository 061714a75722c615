// Clocks as int64 nanoseconds and back, shared by the addon and the native probe.
// clock_gettime is served by the vDSO (no system call) on Linux with a TSC or kvm-clock
// clocksource, so reading it per message costs tens of nanoseconds.
#pragma once

#include <time.h>

#include <cstdint>

namespace podipc {

inline int64_t NowNs(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

inline struct timespec TimespecFromNs(int64_t ns) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000LL);
  ts.tv_nsec = static_cast<long>(ns % 1000000000LL);
  return ts;
}

}  // namespace podipc
