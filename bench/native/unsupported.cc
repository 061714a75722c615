// Built instead of the real addon on systems other than Linux: futex, POSIX message queues
// and the rest are Linux facilities. The module loads (so `npm ci` succeeds everywhere) and
// says why it offers nothing; index.ts turns that into nativeAvailable() === false.
#include <napi.h>

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("unsupportedReason",
              Napi::String::New(env, "the podipc native addon needs Linux (futex, POSIX and SysV IPC); this system is not Linux"));
  return exports;
}

}  // namespace

NODE_API_MODULE(podipc_native, Init)
