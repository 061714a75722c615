#include "common.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace podipc {


Napi::Error ErrnoError(Napi::Env env, int err, const std::string& call, const std::string& what,
                       const std::string& fix) {
  std::string message = call + ": ";
  if (what.empty()) {
    message += std::strerror(err);
    message += " (";
    message += ErrnoName(err);
    message += ")";
  } else {
    message += what;
  }
  if (!fix.empty()) message += ": " + fix;
  Napi::Error error = Napi::Error::New(env, message);
  error.Value().Set("code", Napi::String::New(env, ErrnoName(err)));
  error.Value().Set("errno", Napi::Number::New(env, err));
  error.Value().Set("syscall", Napi::String::New(env, call.substr(0, call.find('('))));
  return error;
}

Napi::Error ArgError(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::TypeError::New(env, message);
  error.Value().Set("code", Napi::String::New(env, "EINVAL"));
  return error;
}

static Napi::Value Arg(const Napi::CallbackInfo& info, size_t i) {
  return i < info.Length() ? info[i] : info.Env().Undefined();
}

Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = Arg(info, i);
  if (!v.IsObject()) throw ArgError(info.Env(), std::string(name) + " must be an object");
  return v.As<Napi::Object>();
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = Arg(info, i);
  if (!v.IsString()) throw ArgError(info.Env(), std::string(name) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

static int64_t CheckInteger(Napi::Env env, Napi::Value v, const std::string& name, int64_t min, int64_t max) {
  if (!v.IsNumber()) throw ArgError(env, name + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(min) || d > static_cast<double>(max)) {
    throw ArgError(env, name + " must be an integer in " + std::to_string(min) + ".." + std::to_string(max) +
                            " (got " + v.ToString().Utf8Value() + ")");
  }
  return static_cast<int64_t>(d);
}

int64_t ArgInteger(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max) {
  return CheckInteger(info.Env(), Arg(info, i), name, min, max);
}

double ArgTimeoutMs(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = Arg(info, i);
  if (!v.IsNumber()) throw ArgError(info.Env(), "timeoutMs must be a number (negative blocks)");
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::isnan(d)) throw ArgError(info.Env(), "timeoutMs must be a number, not NaN");
  if (std::isinf(d)) return -1;
  return d;
}

int32_t ArgKey(const Napi::CallbackInfo& info, size_t i) {
  int64_t key = ArgInteger(info, i, "key", 0, 0xffffffffLL);
  if (key == 0) throw ArgError(info.Env(), "key 0 is IPC_PRIVATE, which names no shared object: use a key from IpcNames.sysv");
  // key_t is a signed 32-bit int: keys above 0x7fffffff wrap, as they do in C.
  return static_cast<int32_t>(static_cast<uint32_t>(key));
}

Bytes ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = Arg(info, i);
  if (v.IsTypedArray()) {
    Napi::TypedArray t = v.As<Napi::TypedArray>();
    Napi::ArrayBuffer ab = t.ArrayBuffer();
    return Bytes{static_cast<uint8_t*>(ab.Data()) + t.ByteOffset(), t.ByteLength()};
  }
  if (v.IsDataView()) {
    Napi::DataView d = v.As<Napi::DataView>();
    return Bytes{static_cast<uint8_t*>(d.ArrayBuffer().Data()) + d.ByteOffset(), d.ByteLength()};
  }
  throw ArgError(info.Env(), std::string(name) + " must be a Uint8Array (or another TypedArray)");
}

bool HasOpt(const Napi::Object& opts, const char* key) {
  return opts.Has(key) && !opts.Get(key).IsUndefined();
}

bool OptBool(const Napi::Object& opts, const char* key, bool fallback) {
  if (!HasOpt(opts, key)) return fallback;
  Napi::Value v = opts.Get(key);
  if (!v.IsBoolean()) throw ArgError(opts.Env(), std::string("opts.") + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

int64_t OptInteger(const Napi::Object& opts, const char* key, int64_t fallback, int64_t min, int64_t max) {
  if (!HasOpt(opts, key)) return fallback;
  return CheckInteger(opts.Env(), opts.Get(key), std::string("opts.") + key, min, max);
}

struct timespec DeadlineAfter(clockid_t clock, double timeoutMs) {
  return TimespecFromNs(NowNs(clock) + static_cast<int64_t>(timeoutMs * 1e6));
}

struct timespec RemainingUntil(int64_t deadlineNs) {
  int64_t left = deadlineNs - NowNs(CLOCK_MONOTONIC);
  return TimespecFromNs(left > 0 ? left : 0);
}

long ReadSysctl(const char* relPath) {
  std::string path = std::string("/proc/sys/") + relPath;
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return -1;
  long value = -1;
  if (std::fscanf(f, "%ld", &value) != 1) value = -1;
  std::fclose(f);
  return value;
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

std::string HexKey(int32_t key) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<uint32_t>(key));
  return buf;
}

std::string FormatMs(double timeoutMs) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g ms", timeoutMs);
  return buf;
}

}  // namespace podipc
