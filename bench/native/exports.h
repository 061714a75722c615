// One Init function per facility; addon.cc calls them all.
#pragma once

#include <napi.h>

namespace podipc {

void InitMqPosix(Napi::Env env, Napi::Object exports);
void InitSysvMsg(Napi::Env env, Napi::Object exports);
void InitFutex(Napi::Env env, Napi::Object exports);
void InitPosixSem(Napi::Env env, Napi::Object exports);
void InitSysvSem(Napi::Env env, Napi::Object exports);
void InitSysvKeys(Napi::Env env, Napi::Object exports);
void InitCrc32c(Napi::Env env, Napi::Object exports);
void InitClock(Napi::Env env, Napi::Object exports);

}  // namespace podipc
