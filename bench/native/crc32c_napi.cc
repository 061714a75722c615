// The addon's CRC-32C entry points (bench/native/crc32c.cc does the work). The Node probe
// calls crc32cUpdate only for large ranges (bench/checksum.ts NATIVE_MIN_BYTES): below that
// the ~100 ns of a native call costs more than the JavaScript tables.
//
// Plain N-API calls rather than node-addon-api wrappers on this path: one
// napi_get_typedarray_info gives the data pointer with the view's offset applied, and the
// result goes back as an int32 (a Smi, no heap number), which is what bench/checksum.ts's
// `| 0` state arithmetic uses anyway.
#include <napi.h>

#include <cstdint>
#include <string>

#include "common.h"
#include "crc32c.h"
#include "exports.h"

namespace podipc {
namespace {

using UpdateFn = uint32_t (*)(uint32_t, const uint8_t*, size_t);

// (state, bytes, from, to) -> the new un-finalised state as an int32.
template <UpdateFn Update>
napi_value Crc32cUpdateJs(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr);
  bool isTypedArray = false;
  if (argc < 4 || napi_is_typedarray(env, argv[1], &isTypedArray) != napi_ok || !isTypedArray) {
    napi_throw(env, ArgError(Napi::Env(env), "crc32cUpdate(state, bytes, from, to): bytes must be a Uint8Array").Value());
    return nullptr;
  }
  int64_t state = 0;
  int64_t from = 0;
  int64_t to = 0;
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_value_int64(env, argv[0], &state) != napi_ok || napi_get_value_int64(env, argv[2], &from) != napi_ok ||
      napi_get_value_int64(env, argv[3], &to) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) {
    napi_throw(env, ArgError(Napi::Env(env), "crc32cUpdate(state, bytes, from, to): state, from and to must be numbers and bytes a Uint8Array").Value());
    return nullptr;
  }
  if (from < 0 || to < from || static_cast<uint64_t>(to) > length) {
    napi_throw(env, ArgError(Napi::Env(env), "crc32cUpdate: range [" + std::to_string(from) + ", " + std::to_string(to) +
                                                 ") is outside the " + std::to_string(length) + "-byte array").Value());
    return nullptr;
  }
  uint32_t out = Update(static_cast<uint32_t>(state), static_cast<const uint8_t*>(data) + from, static_cast<size_t>(to - from));
  napi_value result;
  napi_create_int32(env, static_cast<int32_t>(out), &result);
  return result;
}

}  // namespace

void InitCrc32c(Napi::Env env, Napi::Object exports) {
  napi_value fn;
  napi_create_function(env, "crc32cUpdate", NAPI_AUTO_LENGTH, Crc32cUpdateJs<Crc32cUpdate>, nullptr, &fn);
  exports.Set("crc32cUpdate", Napi::Value(env, fn));
  napi_create_function(env, "crc32cUpdatePortable", NAPI_AUTO_LENGTH, Crc32cUpdateJs<Crc32cUpdatePortable>, nullptr, &fn);
  exports.Set("crc32cUpdatePortable", Napi::Value(env, fn));
  exports.Set("crc32cImplementation", Napi::String::New(env, Crc32cImplementation()));
}

}  // namespace podipc
