// podipc_native: the system calls podipc's IPC mechanisms need and Node does not offer
// (POSIX and SysV message queues, futex on a shared page, named and SysV semaphores), and
// CRC-32C with the SSE4.2 instruction for large frames, and a clock that allocates nothing.
// The TypeScript surface is bench/native/index.ts; every call is synchronous and, where
// it can block, takes a timeout so a dead peer becomes an error rather than a hang.
#include <napi.h>

#include "exports.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  podipc::InitMqPosix(env, exports);
  podipc::InitSysvMsg(env, exports);
  podipc::InitFutex(env, exports);
  podipc::InitPosixSem(env, exports);
  podipc::InitSysvSem(env, exports);
  podipc::InitSysvKeys(env, exports);
  podipc::InitCrc32c(env, exports);
  podipc::InitClock(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(podipc_native, Init)
