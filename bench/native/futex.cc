// futex(2) on a 32-bit word of shared memory: the kernel's wait queue keyed by the word's
// address. Atomics.wait/notify cannot do this across processes (V8 keeps a process-local
// wait list), so shared-memory mechanisms wake their peer through these two calls.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>

#include "common.h"
#include "exports.h"

namespace podipc {
namespace {

// The address of arr[index], checked: the kernel needs a 4-byte aligned word.
int32_t* WordAt(const Napi::CallbackInfo& info, const char* call) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw ArgError(env, std::string(call) + ": arr must be an Int32Array (for example from shm-typed-array)");
  }
  Napi::Int32Array arr = info[0].As<Napi::Int32Array>();
  if (arr.ElementLength() == 0) throw ArgError(env, std::string(call) + ": arr is empty");
  int64_t index = ArgInteger(info, 1, "index", 0, static_cast<int64_t>(arr.ElementLength()) - 1);
  int32_t* word = arr.Data() + index;
  if (reinterpret_cast<uintptr_t>(word) % 4 != 0) {
    throw ErrnoError(env, EINVAL, std::string(call), "arr[" + std::to_string(index) + "] is not 4-byte aligned",
                     "place the futex word at a 4-byte aligned offset of the shared segment");
  }
  return word;
}

long Futex(int32_t* word, int op, int32_t value, const struct timespec* timeout, uint32_t value3) {
  return syscall(SYS_futex, word, op, value, timeout, nullptr, value3);
}

Napi::Value FutexWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t* word = WordAt(info, "futexWait");
  int32_t expected = static_cast<int32_t>(ArgInteger(info, 2, "expected", INT32_MIN, UINT32_MAX));
  double timeoutMs = ArgTimeoutMs(info, 3);
  long rc;
  // No FUTEX_PRIVATE_FLAG: a private futex is keyed by (process, virtual address) and so
  // never meets a waker in another process. The shared form keys it by the underlying page
  // (inode + offset of the MAP_SHARED mapping), which both processes see.
  if (timeoutMs < 0) {
    do rc = Futex(word, FUTEX_WAIT, expected, nullptr, 0);
    while (rc != 0 && errno == EINTR);
  } else {
    // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline (FUTEX_WAIT's is
    // relative): a retry after EINTR reuses it unchanged. MATCH_ANY makes it a plain wait.
    struct timespec deadline = DeadlineAfter(CLOCK_MONOTONIC, timeoutMs);
    do rc = Futex(word, FUTEX_WAIT_BITSET, expected, &deadline, FUTEX_BITSET_MATCH_ANY);
    while (rc != 0 && errno == EINTR);
  }
  if (rc == 0) return Napi::Number::New(env, 0);  // woken (or a spurious wake-up: callers re-check the word)
  int err = errno;
  if (err == EAGAIN) return Napi::Number::New(env, 1);  // the word was not `expected` when we came to sleep
  if (err == ETIMEDOUT) return Napi::Number::New(env, 2);
  if (err == ENOSYS) throw ErrnoError(env, err, "futex(FUTEX_WAIT)", "futex is not supported here", "use the spin or sem variant");
  throw ErrnoError(env, err, "futex(FUTEX_WAIT)");
}

Napi::Value FutexWake(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t* word = WordAt(info, "futexWake");
  int32_t count = static_cast<int32_t>(ArgInteger(info, 2, "count", 0, INT32_MAX));
  long rc = Futex(word, FUTEX_WAKE, count, nullptr, 0);
  if (rc < 0) throw ErrnoError(env, errno, "futex(FUTEX_WAKE)");
  return Napi::Number::New(env, static_cast<double>(rc));
}

}  // namespace

void InitFutex(Napi::Env env, Napi::Object exports) {
  exports.Set("futexWait", Napi::Function::New(env, FutexWait, "futexWait"));
  exports.Set("futexWake", Napi::Function::New(env, FutexWake, "futexWake"));
}

}  // namespace podipc
