// SysV semaphore sets (semget(2), semtimedop(2)): counters in the IPC namespace, addressed
// by key. Unlike POSIX named semaphores they need no shared /dev/shm.
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

#include <cerrno>
#include <climits>
#include <string>
#include <vector>

#include "common.h"
#include "exports.h"

namespace podipc {
namespace {

// semctl's fourth argument; glibc leaves declaring it to the caller (semctl(2)).
union SemUn {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

std::string Call(const char* call, int semid) { return std::string(call) + "(semid " + std::to_string(semid) + ")"; }

Napi::Value SemGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t key = ArgKey(info, 0);
  int nsems = static_cast<int>(ArgInteger(info, 1, "nsems", 1, 65535));
  Napi::Object opts = ArgObject(info, 2, "opts");
  bool create = OptBool(opts, "create", false);
  std::string call = "semget(" + HexKey(key) + ")";
  int flags = 0;
  if (create) {
    // IPC_EXCL: never attach to a set left by a crashed run or somebody else (its counts
    // would be unknown). Mode 0600: only our user may operate on it.
    flags = IPC_CREAT | IPC_EXCL | static_cast<int>(OptInteger(opts, "mode", 0600, 0, 0777));
  }
  int id = semget(key, nsems, flags);
  if (id < 0) {
    int err = errno;
    switch (err) {
      case EEXIST:
        throw ErrnoError(env, err, call, "a semaphore set with this key already exists (left by a crashed run, or not ours)",
                         "never attach to it: sweep the run's ledger (sweepLedger) or `ipcrm -S " + HexKey(key) + "`");
      case ENOENT:
        throw ErrnoError(env, err, call, "no semaphore set with this key",
                         "the server creates it before publishing; is the client in the same IPC namespace (the same pod)?");
      case EINVAL:
        throw ErrnoError(env, err, call, std::to_string(nsems) + " semaphores is more than SEMMSL or than the existing set holds",
                         "ask for fewer semaphores (kernel.sem: SEMMSL SEMMNS SEMOPM SEMMNI)");
      case ENOSPC:
        throw ErrnoError(env, err, call, "the namespace's semaphore limits (kernel.sem SEMMNI/SEMMNS) are reached",
                         "remove stale sets (`ipcs -s`, sweepLedger) or raise kernel.sem");
      case EACCES:
        throw ErrnoError(env, err, call, "permission denied", "the set belongs to another user (podipc creates them 0600)");
      default:
        throw ErrnoError(env, err, call);
    }
  }
  if (create) {
    // semget leaves the initial values unspecified by POSIX (Linux zeroes them); set them
    // explicitly so both sides start from 0.
    std::vector<unsigned short> zeros(static_cast<size_t>(nsems), 0);
    SemUn arg;
    arg.array = zeros.data();
    if (semctl(id, 0, SETALL, arg) != 0) {
      int err = errno;
      semctl(id, 0, IPC_RMID);
      throw ErrnoError(env, err, Call("semctl(SETALL)", id));
    }
  }
  return Napi::Number::New(env, id);
}

Napi::Value SemOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int semid = static_cast<int>(ArgInteger(info, 0, "semid", 0, INT32_MAX));
  int num = static_cast<int>(ArgInteger(info, 1, "num", 0, 65535));
  int delta = static_cast<int>(ArgInteger(info, 2, "delta", SHRT_MIN, SHRT_MAX));
  double timeoutMs = ArgTimeoutMs(info, 3);
  // No SEM_UNDO: these semaphores count wake-ups between two processes, they are not locks;
  // undoing a dead side's operations would only corrupt the count.
  struct sembuf op {};
  op.sem_num = static_cast<unsigned short>(num);
  op.sem_op = static_cast<short>(delta);
  op.sem_flg = timeoutMs == 0 ? IPC_NOWAIT : 0;
  int rc;
  if (timeoutMs <= 0) {
    do rc = semop(semid, &op, 1);
    while (rc != 0 && errno == EINTR);
  } else {
    // semtimedop's timeout is relative: after EINTR, wait only for what is left of the
    // original deadline.
    int64_t deadlineNs = NowNs(CLOCK_MONOTONIC) + static_cast<int64_t>(timeoutMs * 1e6);
    for (;;) {
      struct timespec left = RemainingUntil(deadlineNs);
      rc = semtimedop(semid, &op, 1, &left);
      if (rc == 0 || errno != EINTR) break;
    }
  }
  if (rc == 0) return Napi::Boolean::New(env, true);
  int err = errno;
  if (err == EAGAIN) return Napi::Boolean::New(env, false);  // the timeout passed (or IPC_NOWAIT found it busy)
  std::string call = Call("semop", semid);
  switch (err) {
    case EIDRM:
      throw ErrnoError(env, err, call, "the set was removed while waiting", "the peer closed the channel");
    case EINVAL:
      throw ErrnoError(env, err, call, "no such semaphore set", "it was removed (semRemove) or never created");
    case EFBIG:
      throw ErrnoError(env, err, call, "semaphore number " + std::to_string(num) + " is outside the set", "use a number below the set's nsems");
    case ERANGE:
      throw ErrnoError(env, err, call, "the value would exceed SEMVMX (32767)", "the peer is not waiting: pair every post with a wait");
    case EACCES:
      throw ErrnoError(env, err, call, "permission denied", "the set belongs to another user");
    default:
      throw ErrnoError(env, err, call);
  }
}

Napi::Value SemRemove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int semid = static_cast<int>(ArgInteger(info, 0, "semid", 0, INT32_MAX));
  // IPC_RMID removes the set at once and wakes every waiter with EIDRM.
  if (semctl(semid, 0, IPC_RMID) == 0) return Napi::Boolean::New(env, true);
  int err = errno;
  if (err == EINVAL || err == EIDRM) return Napi::Boolean::New(env, false);
  if (err == EPERM) throw ErrnoError(env, err, Call("semctl(IPC_RMID)", semid), "not the set's owner", "only the creator (or root) may remove it");
  throw ErrnoError(env, err, Call("semctl(IPC_RMID)", semid));
}

}  // namespace

void InitSysvSem(Napi::Env env, Napi::Object exports) {
  exports.Set("semGet", Napi::Function::New(env, SemGet, "semGet"));
  exports.Set("semOp", Napi::Function::New(env, SemOp, "semOp"));
  exports.Set("semRemove", Napi::Function::New(env, SemRemove, "semRemove"));
}

}  // namespace podipc
