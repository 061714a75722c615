// POSIX named semaphores (sem_overview(7)): glibc keeps each one as a small file
// /dev/shm/sem.<name> mapped MAP_SHARED, and sem_wait/sem_post are futex operations on it.
// Both containers must therefore share the pod's /dev/shm, not only the IPC namespace.
#include <fcntl.h>
#include <semaphore.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common.h"
#include "exports.h"

namespace podipc {
namespace {

// JS holds a small integer handle; the sem_t* and its name stay here.
struct Sem {
  sem_t* sem;
  std::string name;
};
std::mutex g_mutex;
std::unordered_map<int, Sem> g_sems;
int g_nextHandle = 1;

void CheckName(Napi::Env env, const char* call, const std::string& name) {
  // glibc turns the name into a path under /dev/shm: a second '/' would leave that dir.
  bool ok = name.size() >= 2 && name.size() <= 251 && name[0] == '/' && name.find('/', 1) == std::string::npos;
  if (!ok) {
    throw ErrnoError(env, EINVAL, std::string(call) + "(" + Quote(name) + ")", "invalid semaphore name",
                     "a POSIX semaphore name is '/' followed by 1-250 characters without another '/' (use IpcNames.posix)");
  }
}

Sem Lookup(Napi::Env env, const char* call, int handle) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_sems.find(handle);
  if (it == g_sems.end()) {
    throw ErrnoError(env, EBADF, std::string(call) + "(handle " + std::to_string(handle) + ")", "no open semaphore with this handle",
                     "it was closed already (semClose)");
  }
  return it->second;
}

std::string Call(const char* call, const Sem& s) { return std::string(call) + "(" + Quote(s.name) + ")"; }

int ArgHandle(const Napi::CallbackInfo& info) { return static_cast<int>(ArgInteger(info, 0, "handle", 1, INT32_MAX)); }

Napi::Value SemOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "name");
  Napi::Object opts = ArgObject(info, 1, "opts");
  bool create = OptBool(opts, "create", false);
  CheckName(env, "sem_open", name);
  std::string call = "sem_open(" + Quote(name) + ")";
  sem_t* sem;
  if (create) {
    // O_EXCL: never attach to a semaphore left by a crashed run or somebody else (its count
    // would be unknown). Mode 0600: only our user may post or wait.
    mode_t mode = static_cast<mode_t>(OptInteger(opts, "mode", 0600, 0, 0777));
    unsigned value = static_cast<unsigned>(OptInteger(opts, "value", 0, 0, SEM_VALUE_MAX));
    sem = sem_open(name.c_str(), O_CREAT | O_EXCL, mode, value);
  } else {
    sem = sem_open(name.c_str(), 0);
  }
  if (sem == SEM_FAILED) {
    int err = errno;
    switch (err) {
      case EEXIST:
        throw ErrnoError(env, err, call, "a semaphore with this name already exists (left by a crashed run, or not ours)",
                         "never attach to it: sweep the run's ledger (sweepLedger) or remove /dev/shm/sem." + name.substr(1));
      case ENOENT:
        throw ErrnoError(env, err, call, "no such semaphore",
                         "the server creates it before publishing; do both containers share the pod's /dev/shm?");
      case EACCES:
        throw ErrnoError(env, err, call, "permission denied", "the semaphore belongs to another user (podipc creates them 0600)");
      case ENOSPC:
      case ENOMEM:
        throw ErrnoError(env, err, call, "no space in /dev/shm", "free /dev/shm (the pod's tmpfs) or enlarge it");
      default:
        throw ErrnoError(env, err, call);
    }
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  int handle = g_nextHandle++;
  g_sems[handle] = Sem{sem, name};
  return Napi::Number::New(env, handle);
}

Napi::Value SemPost(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Sem s = Lookup(env, "sem_post", ArgHandle(info));
  if (sem_post(s.sem) == 0) return env.Undefined();
  int err = errno;
  if (err == EOVERFLOW) throw ErrnoError(env, err, Call("sem_post", s), "the count would exceed SEM_VALUE_MAX", "the peer is not waiting: pair every post with a wait");
  throw ErrnoError(env, err, Call("sem_post", s));
}

Napi::Value SemWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Sem s = Lookup(env, "sem_wait", ArgHandle(info));
  double timeoutMs = ArgTimeoutMs(info, 1);
  int rc;
  if (timeoutMs < 0) {
    do rc = sem_wait(s.sem);
    while (rc != 0 && errno == EINTR);
  } else if (timeoutMs == 0) {
    do rc = sem_trywait(s.sem);
    while (rc != 0 && errno == EINTR);
    if (rc != 0 && errno == EAGAIN) return Napi::Boolean::New(env, false);
  } else {
    // sem_timedwait takes an absolute CLOCK_REALTIME deadline: a retry after EINTR reuses
    // it unchanged, so signals never stretch the wait.
    struct timespec deadline = DeadlineAfter(CLOCK_REALTIME, timeoutMs);
    do rc = sem_timedwait(s.sem, &deadline);
    while (rc != 0 && errno == EINTR);
  }
  if (rc == 0) return Napi::Boolean::New(env, true);
  int err = errno;
  if (err == ETIMEDOUT) return Napi::Boolean::New(env, false);
  throw ErrnoError(env, err, Call("sem_wait", s));
}

Napi::Value SemClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int handle = ArgHandle(info);
  Sem s = Lookup(env, "sem_close", handle);
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_sems.erase(handle);
  }
  // sem_close unmaps this process's view; the semaphore file stays until sem_unlink.
  if (sem_close(s.sem) != 0) throw ErrnoError(env, errno, Call("sem_close", s));
  return env.Undefined();
}

Napi::Value SemUnlink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "name");
  CheckName(env, "sem_unlink", name);
  if (sem_unlink(name.c_str()) == 0) return Napi::Boolean::New(env, true);
  int err = errno;
  if (err == ENOENT) return Napi::Boolean::New(env, false);
  if (err == EACCES) throw ErrnoError(env, err, "sem_unlink(" + Quote(name) + ")", "permission denied", "the semaphore belongs to another user");
  throw ErrnoError(env, err, "sem_unlink(" + Quote(name) + ")");
}

}  // namespace

void InitPosixSem(Napi::Env env, Napi::Object exports) {
  exports.Set("semOpen", Napi::Function::New(env, SemOpen, "semOpen"));
  exports.Set("semPost", Napi::Function::New(env, SemPost, "semPost"));
  exports.Set("semWait", Napi::Function::New(env, SemWait, "semWait"));
  exports.Set("semClose", Napi::Function::New(env, SemClose, "semClose"));
  exports.Set("semUnlink", Napi::Function::New(env, SemUnlink, "semUnlink"));
}

}  // namespace podipc
