// SysV message queues (msgget(2), msgsnd(2), msgrcv(2)): a queue per key in the IPC
// namespace; each message carries a type (mtype > 0) so one queue can hold two directions.
// Limits are per IPC namespace: kernel.msgmax (bytes per message) and kernel.msgmnb (bytes
// per queue, the queue's default msg_qbytes).
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"
#include "exports.h"
#include "interrupt.h"

namespace podipc {
namespace {

// msgsnd/msgrcv take a struct { long mtype; char mtext[]; }: one reusable buffer per thread
// avoids an allocation per message.
thread_local std::vector<char> t_buffer;

char* MsgBuffer(size_t textBytes) {
  size_t need = sizeof(long) + textBytes;
  if (t_buffer.size() < need) t_buffer.resize(need);
  return t_buffer.data();
}

// The timeout rule of msgSend/msgReceive. `op(flags)` is one msgsnd/msgrcv attempt.
//   timeoutMs < 0: block (retry after EINTR);
//   timeoutMs == 0: one IPC_NOWAIT attempt;
//   timeoutMs > 0: block for real, interrupted by the watchdog at the deadline (see
//   interrupt.h); if no watchdog slot is free, poll with IPC_NOWAIT and short sleeps.
// Returns op's result; sets *timedOut when the deadline passed with nothing done.
template <typename Op>
ssize_t WithTimeout(double timeoutMs, bool* timedOut, Op op) {
  *timedOut = false;
  ssize_t r;
  if (timeoutMs < 0) {
    do r = op(0);
    while (r < 0 && errno == EINTR);
    return r;
  }
  if (timeoutMs == 0) {
    do r = op(IPC_NOWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == ENOMSG)) *timedOut = true;
    return r;
  }
  DeadlineGuard guard(timeoutMs);
  for (;;) {
    r = op(guard.Armed() ? 0 : IPC_NOWAIT);
    if (r >= 0) return r;
    if (errno == EINTR || (!guard.Armed() && (errno == EAGAIN || errno == ENOMSG))) {
      if (guard.Expired()) {
        *timedOut = true;
        return -1;
      }
      if (!guard.Armed()) {
        struct timespec pause = {0, 200 * 1000};
        nanosleep(&pause, nullptr);
      }
      continue;
    }
    return r;
  }
}

std::string Call(const char* call, int msqid) { return std::string(call) + "(msqid " + std::to_string(msqid) + ")"; }

Napi::Value MsgGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t key = ArgKey(info, 0);
  Napi::Object opts = ArgObject(info, 1, "opts");
  bool create = OptBool(opts, "create", false);
  std::string call = "msgget(" + HexKey(key) + ")";
  int flags = 0;
  if (create) {
    // IPC_EXCL: fail rather than attach to a queue somebody else (or a crashed run) left
    // under this key. Mode 0600: only our user may send to or read from it.
    flags = IPC_CREAT | IPC_EXCL | static_cast<int>(OptInteger(opts, "mode", 0600, 0, 0777));
  }
  int id = msgget(key, flags);
  if (id >= 0) return Napi::Number::New(env, id);
  int err = errno;
  switch (err) {
    case EEXIST:
      throw ErrnoError(env, err, call, "a queue with this key already exists (left by a crashed run, or not ours)",
                       "never attach to it: sweep the run's ledger (sweepLedger) or `ipcrm -Q " + HexKey(key) + "`, then use a fresh run");
    case ENOENT:
      throw ErrnoError(env, err, call, "no queue with this key",
                       "the server creates it before publishing; is the client in the same IPC namespace (the same pod)?");
    case EACCES:
      throw ErrnoError(env, err, call, "permission denied", "the queue belongs to another user (podipc creates them 0600)");
    case ENOSPC:
      throw ErrnoError(env, err, call,
                       "kernel.msgmni (" + std::to_string(ReadSysctl("kernel/msgmni")) + ") queues already exist in this IPC namespace",
                       "remove stale queues (`ipcs -q`, sweepLedger) or raise kernel.msgmni");
    default:
      throw ErrnoError(env, err, call);
  }
}

Napi::Value MsgSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int msqid = static_cast<int>(ArgInteger(info, 0, "msqid", 0, 0x7fffffff));
  long mtype = static_cast<long>(ArgInteger(info, 1, "mtype", 1, 0x7fffffff));
  Bytes data = ArgBytes(info, 2, "data");
  double timeoutMs = ArgTimeoutMs(info, 3);
  char* buf = MsgBuffer(data.length);
  std::memcpy(buf, &mtype, sizeof(long));
  if (data.length > 0) std::memcpy(buf + sizeof(long), data.data, data.length);
  bool timedOut;
  ssize_t r = WithTimeout(timeoutMs, &timedOut, [&](int flags) -> ssize_t {
    return msgsnd(msqid, buf, data.length, flags);
  });
  if (r == 0) return env.Undefined();
  std::string call = Call("msgsnd", msqid);
  if (timedOut) {
    struct msqid_ds ds {};
    msgctl(msqid, IPC_STAT, &ds);
    if (data.length > ds.msg_qbytes) {
      throw ErrnoError(env, ETIMEDOUT, call,
                       "message of " + std::to_string(data.length) + " bytes can never fit the queue's " +
                           std::to_string(ds.msg_qbytes) + " bytes (kernel.msgmnb)",
                       "chunk messages to at most msg_qbytes bytes or raise kernel.msgmnb in the pod's IPC namespace");
    }
    throw ErrnoError(env, ETIMEDOUT, call,
                     "the queue stayed full (" + std::to_string(ds.msg_qnum) + " messages, " +
                         std::to_string(ds.msg_cbytes) + " of " + std::to_string(ds.msg_qbytes) + " bytes) for " +
                         FormatMs(timeoutMs),
                     "the receiver is not draining it: is the peer alive?");
  }
  int err = errno;
  switch (err) {
    case EINVAL: {
      long msgmax = ReadSysctl("kernel/msgmax");
      if (msgmax >= 0 && static_cast<long>(data.length) > msgmax) {
        throw ErrnoError(env, err, call,
                         "message of " + std::to_string(data.length) + " bytes exceeds kernel.msgmax (" + std::to_string(msgmax) + ")",
                         "chunk messages or raise kernel.msgmax in the pod's IPC namespace");
      }
      throw ErrnoError(env, err, call, "no such queue", "it was removed (msgRemove) or never created");
    }
    case EIDRM:
      throw ErrnoError(env, err, call, "the queue was removed while sending", "the peer closed the channel");
    case EACCES:
      throw ErrnoError(env, err, call, "permission denied", "the queue belongs to another user");
    default:
      throw ErrnoError(env, err, call);
  }
}

Napi::Value MsgReceive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int msqid = static_cast<int>(ArgInteger(info, 0, "msqid", 0, 0x7fffffff));
  long mtype = static_cast<long>(ArgInteger(info, 1, "mtype", 0, 0x7fffffff));
  Bytes into = ArgBytes(info, 2, "into");
  double timeoutMs = ArgTimeoutMs(info, 3);
  char* buf = MsgBuffer(into.length);
  bool timedOut;
  // No MSG_NOERROR: a message larger than the buffer must fail (E2BIG), never be clipped.
  ssize_t n = WithTimeout(timeoutMs, &timedOut, [&](int flags) -> ssize_t {
    return msgrcv(msqid, buf, into.length, mtype, flags);
  });
  if (n >= 0) {
    if (n > 0) std::memcpy(into.data, buf + sizeof(long), static_cast<size_t>(n));
    return Napi::Number::New(env, static_cast<double>(n));
  }
  if (timedOut) return Napi::Number::New(env, -1);
  int err = errno;
  std::string call = Call("msgrcv", msqid);
  switch (err) {
    case E2BIG:
      throw ErrnoError(env, err, call, "the next message is larger than the receive buffer of " + std::to_string(into.length) + " bytes",
                       "pass a buffer of kernel.msgmax (" + std::to_string(ReadSysctl("kernel/msgmax")) + ") bytes");
    case EIDRM:
      throw ErrnoError(env, err, call, "the queue was removed while waiting", "the peer closed the channel");
    case EINVAL:
      throw ErrnoError(env, err, call, "no such queue", "it was removed (msgRemove) or never created");
    case EACCES:
      throw ErrnoError(env, err, call, "permission denied", "the queue belongs to another user");
    default:
      throw ErrnoError(env, err, call);
  }
}

Napi::Value MsgStat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int msqid = static_cast<int>(ArgInteger(info, 0, "msqid", 0, 0x7fffffff));
  struct msqid_ds ds {};
  if (msgctl(msqid, IPC_STAT, &ds) != 0) {
    int err = errno;
    if (err == EINVAL || err == EIDRM) throw ErrnoError(env, err, Call("msgctl", msqid), "no such queue", "it was removed already");
    throw ErrnoError(env, err, Call("msgctl", msqid));
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("qbytes", Napi::Number::New(env, static_cast<double>(ds.msg_qbytes)));
  out.Set("qnum", Napi::Number::New(env, static_cast<double>(ds.msg_qnum)));
  return out;
}

Napi::Value MsgRemove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int msqid = static_cast<int>(ArgInteger(info, 0, "msqid", 0, 0x7fffffff));
  // IPC_RMID removes the queue at once and wakes every blocked sender and receiver with
  // EIDRM: that is how the creator's close() releases a peer still waiting.
  if (msgctl(msqid, IPC_RMID, nullptr) == 0) return Napi::Boolean::New(env, true);
  int err = errno;
  if (err == EINVAL || err == EIDRM) return Napi::Boolean::New(env, false);
  if (err == EPERM) throw ErrnoError(env, err, Call("msgctl", msqid), "not the queue's owner", "only the creator (or root) may remove it");
  throw ErrnoError(env, err, Call("msgctl", msqid));
}

}  // namespace

void InitSysvMsg(Napi::Env env, Napi::Object exports) {
  exports.Set("msgGet", Napi::Function::New(env, MsgGet, "msgGet"));
  exports.Set("msgSend", Napi::Function::New(env, MsgSend, "msgSend"));
  exports.Set("msgReceive", Napi::Function::New(env, MsgReceive, "msgReceive"));
  exports.Set("msgStat", Napi::Function::New(env, MsgStat, "msgStat"));
  exports.Set("msgRemove", Napi::Function::New(env, MsgRemove, "msgRemove"));
}

}  // namespace podipc
