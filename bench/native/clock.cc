// A monotonic clock the probes can read without allocating: performance.now() and
// Date.now() return a heap-allocated number on every call in Node 20 (measured: 16 bytes
// per call, even in optimised code), which would be an allocation per round trip in the
// latency loop. `clockInit(slot)` keeps a Float64Array of length >= 1; each `clockTick()`
// writes CLOCK_MONOTONIC in nanoseconds into slot[0] and returns undefined - nothing is
// allocated on the JavaScript heap. (A double holds integer nanoseconds exactly for 104 days
// of uptime.) The same clock as performance.now: libuv's uv_hrtime is CLOCK_MONOTONIC.
// `threadCpuClockInit(slot)` is the same with CLOCK_THREAD_CPUTIME_ID: the CPU time of the
// calling thread, which stops while the thread is preempted or asleep (the rate probe times
// its pacing spin on it, so a spin preempted half-way is billed for the half it ran).
#include <napi.h>
#include <time.h>

#include <string>

#include "common.h"
#include "exports.h"

namespace podipc {
namespace {

// Each clockInit() gets its own slot, bound to the tick function it returns: no process-wide
// state, so a worker thread (its own napi_env, its own heap) that loads the addon never
// writes through, or frees, another thread's slot.
struct Slot {
  double* data;
  clockid_t clock;
  napi_ref ref;  // keeps the array (and so its memory) alive while the tick function lives
};

napi_value ClockTick(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &data);
  struct timespec ts;
  auto* slot = static_cast<Slot*>(data);
  clock_gettime(slot->clock, &ts);
  *slot->data = static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
  return nullptr;
}

void FreeSlot(napi_env env, void* data, void*) {
  auto* slot = static_cast<Slot*>(data);
  napi_delete_reference(env, slot->ref);
  delete slot;
}

Napi::Value SlotClockInit(const Napi::CallbackInfo& info, clockid_t clock, const char* name) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[0].As<Napi::Float64Array>().ElementLength() < 1) {
    throw ArgError(env, std::string(name) + "(slot): slot must be a Float64Array of length >= 1");
  }
  Napi::Float64Array array = info[0].As<Napi::Float64Array>();
  auto* slot = new Slot{array.Data(), clock, nullptr};
  napi_create_reference(env, array, 1, &slot->ref);
  napi_value tick;
  napi_create_function(env, "clockTick", NAPI_AUTO_LENGTH, ClockTick, slot, &tick);
  napi_add_finalizer(env, tick, slot, FreeSlot, nullptr, nullptr);
  return Napi::Value(env, tick);
}

Napi::Value ClockInit(const Napi::CallbackInfo& info) { return SlotClockInit(info, CLOCK_MONOTONIC, "clockInit"); }
Napi::Value ThreadCpuClockInit(const Napi::CallbackInfo& info) { return SlotClockInit(info, CLOCK_THREAD_CPUTIME_ID, "threadCpuClockInit"); }

}  // namespace

void InitClock(Napi::Env env, Napi::Object exports) {
  exports.Set("clockInit", Napi::Function::New(env, ClockInit, "clockInit"));
  exports.Set("threadCpuClockInit", Napi::Function::New(env, ThreadCpuClockInit, "threadCpuClockInit"));
}

}  // namespace podipc
