// errno's symbolic name ("ENOENT") for error messages, shared by the addon and the native
// probe: glibc names every errno itself (strerrorname_np, glibc 2.32+); elsewhere "E<n>".
#pragma once

#include <cstdio>
#include <cstring>

namespace podipc {

inline const char* ErrnoName(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char* name = strerrorname_np(err)) return name;
#endif
  static thread_local char buf[16];
  std::snprintf(buf, sizeof buf, "E%d", err);
  return buf;
}

}  // namespace podipc
