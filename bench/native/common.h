// Shared helpers for the podipc addon: argument checks, errors that name the call, the
// object and the fix (with .code = the errno name), and deadline arithmetic.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <time.h>

#include "clock_ns.h"
#include "errno_name.h"

namespace podipc {

// Name of an errno value ("EAGAIN"), or "E<number>" for one we do not list.

// An Error with message "<call>: <what>[: <fix>]" and .code = errno name. When `what` is
// empty, strerror(err) and the errno name stand in.
Napi::Error ErrnoError(Napi::Env env, int err, const std::string& call, const std::string& what = "",
                       const std::string& fix = "");

// A TypeError for a bad argument; .code is EINVAL, the same as the kernel would answer.
Napi::Error ArgError(Napi::Env env, const std::string& message);

// Argument readers: throw ArgError naming the parameter when the type is wrong.
Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t i, const char* name);
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name);
int64_t ArgInteger(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max);
// A timeout in milliseconds: negative (or -Infinity) means "block", +Infinity also blocks.
double ArgTimeoutMs(const Napi::CallbackInfo& info, size_t i);
// A SysV key (0..0xffffffff); 0 is IPC_PRIVATE, which names no object and is refused.
int32_t ArgKey(const Napi::CallbackInfo& info, size_t i);

struct Bytes {
  uint8_t* data;
  size_t length;
};
// Any TypedArray or DataView's bytes (the memory stays alive while the call runs).
Bytes ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* name);

bool OptBool(const Napi::Object& opts, const char* key, bool fallback);
// Returns `fallback` when the key is absent or undefined.
int64_t OptInteger(const Napi::Object& opts, const char* key, int64_t fallback, int64_t min, int64_t max);
bool HasOpt(const Napi::Object& opts, const char* key);

// now(clock) + timeoutMs as an absolute timespec.
struct timespec DeadlineAfter(clockid_t clock, double timeoutMs);
// Remaining time to an absolute CLOCK_MONOTONIC deadline in ns (0 when passed).
struct timespec RemainingUntil(int64_t deadlineNs);

// A kernel limit from /proc/sys (e.g. "fs/mqueue/msgsize_max"), or -1 when unreadable.
long ReadSysctl(const char* relPath);

std::string Quote(const std::string& s);    // 'name'
std::string HexKey(int32_t key);            // 0x5abc1234
std::string FormatMs(double timeoutMs);     // "250 ms"

}  // namespace podipc
