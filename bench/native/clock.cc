// A monotonic clock the probes can read without allocating: performance.now() and
// Date.now() return a heap-allocated number on every call in Node 20 (measured: 16 bytes
// per call, even in optimised code), which would be an allocation per round trip in the
// latency loop. `clockInit(slot)` keeps a Float64Array of length >= 1; each `clockTick()`
// writes CLOCK_MONOTONIC in nanoseconds into slot[0] and returns undefined - nothing is
// allocated on the JavaScript heap. (A double holds integer nanoseconds exactly for 104 days
// of uptime.) The same clock as performance.now: libuv's uv_hrtime is CLOCK_MONOTONIC.
#include <napi.h>
#include <time.h>

#include "common.h"
#include "exports.h"

namespace podipc {
namespace {

double* g_slot = nullptr;
napi_ref g_slotRef = nullptr;  // keeps the array (and so its memory) alive for the process

napi_value ClockTick(napi_env, napi_callback_info) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  if (g_slot != nullptr) *g_slot = static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
  return nullptr;
}

Napi::Value ClockInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[0].As<Napi::Float64Array>().ElementLength() < 1) {
    throw ArgError(env, "clockInit(slot): slot must be a Float64Array of length >= 1");
  }
  Napi::Float64Array slot = info[0].As<Napi::Float64Array>();
  if (g_slotRef != nullptr) napi_delete_reference(env, g_slotRef);
  napi_create_reference(env, slot, 1, &g_slotRef);
  g_slot = slot.Data();
  napi_value tick;
  napi_create_function(env, "clockTick", NAPI_AUTO_LENGTH, ClockTick, nullptr, &tick);
  return Napi::Value(env, tick);
}

}  // namespace

void InitClock(Napi::Env env, Napi::Object exports) { exports.Set("clockInit", Napi::Function::New(env, ClockInit, "clockInit")); }

}  // namespace podipc
