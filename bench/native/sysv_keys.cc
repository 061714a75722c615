// Removal by key, for sweeping the ledger of a run that crashed: the key is all that is
// known, so look the object up without IPC_CREAT (which never creates) and IPC_RMID it.
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <cerrno>
#include <string>

#include "common.h"
#include "exports.h"

namespace podipc {
namespace {

// Returns false when no object has the key (or it vanished between lookup and removal).
bool RemoveByKey(Napi::Env env, const char* getCall, int id, int lookupErr, const char* rmCall, int (*rm)(int),
                 int32_t key) {
  if (id < 0) {
    if (lookupErr == ENOENT) return false;
    std::string call = std::string(getCall) + "(" + HexKey(key) + ")";
    if (lookupErr == EACCES) throw ErrnoError(env, lookupErr, call, "permission denied", "the object belongs to another user");
    throw ErrnoError(env, lookupErr, call);
  }
  if (rm(id) == 0) return true;
  int err = errno;
  if (err == EINVAL || err == EIDRM) return false;
  std::string call = std::string(rmCall) + "(" + HexKey(key) + ")";
  if (err == EPERM) throw ErrnoError(env, err, call, "not the object's owner", "only the creator (or root) may remove it");
  throw ErrnoError(env, err, call);
}

Napi::Value ShmRemoveKey(const Napi::CallbackInfo& info) {
  int32_t key = ArgKey(info, 0);
  int id = shmget(key, 0, 0);
  int err = errno;
  // IPC_RMID on a segment marks it for destruction: the key is released at once and the
  // memory goes when the last process detaches (a dead process has detached already).
  return Napi::Boolean::New(info.Env(), RemoveByKey(info.Env(), "shmget", id, err, "shmctl(IPC_RMID)",
                                                    [](int i) { return shmctl(i, IPC_RMID, nullptr); }, key));
}

Napi::Value MsgRemoveKey(const Napi::CallbackInfo& info) {
  int32_t key = ArgKey(info, 0);
  int id = msgget(key, 0);
  int err = errno;
  return Napi::Boolean::New(info.Env(), RemoveByKey(info.Env(), "msgget", id, err, "msgctl(IPC_RMID)",
                                                    [](int i) { return msgctl(i, IPC_RMID, nullptr); }, key));
}

Napi::Value SemRemoveKey(const Napi::CallbackInfo& info) {
  int32_t key = ArgKey(info, 0);
  int id = semget(key, 0, 0);
  int err = errno;
  return Napi::Boolean::New(info.Env(), RemoveByKey(info.Env(), "semget", id, err, "semctl(IPC_RMID)",
                                                    [](int i) { return semctl(i, 0, IPC_RMID); }, key));
}

}  // namespace

void InitSysvKeys(Napi::Env env, Napi::Object exports) {
  exports.Set("shmRemoveKey", Napi::Function::New(env, ShmRemoveKey, "shmRemoveKey"));
  exports.Set("msgRemoveKey", Napi::Function::New(env, MsgRemoveKey, "msgRemoveKey"));
  exports.Set("semRemoveKey", Napi::Function::New(env, SemRemoveKey, "semRemoveKey"));
}

}  // namespace podipc
