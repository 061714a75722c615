// POSIX message queues (mq_overview(7)): kernel-held queues of whole messages, named in the
// IPC namespace (not the filesystem: /dev/mqueue is only a view and need not be mounted).
// Limits are per IPC namespace: fs.mqueue.msg_max (depth) and fs.mqueue.msgsize_max (bytes).
#include <fcntl.h>
#include <mqueue.h>
#include <sys/stat.h>

#include <cerrno>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common.h"
#include "exports.h"

namespace podipc {
namespace {

// mqd -> name, so that errors from mq_send/mq_receive can name the queue, not a number.
std::mutex g_namesMutex;
std::unordered_map<mqd_t, std::string> g_names;

std::string Label(const char* call, mqd_t mqd) {
  std::lock_guard<std::mutex> lock(g_namesMutex);
  auto it = g_names.find(mqd);
  return std::string(call) + "(" + (it == g_names.end() ? "mqd " + std::to_string(mqd) : Quote(it->second)) + ")";
}

// A POSIX IPC name is '/' followed by 1..255 characters with no further '/'. glibc and the
// kernel answer a bad one with EINVAL, EACCES or ENOENT depending on the defect; check it
// here so the error always says what is wrong with the name.
void CheckName(Napi::Env env, const char* call, const std::string& name) {
  bool ok = name.size() >= 2 && name.size() <= 256 && name[0] == '/' && name.find('/', 1) == std::string::npos;
  if (!ok) {
    throw ErrnoError(env, EINVAL, std::string(call) + "(" + Quote(name) + ")", "invalid queue name",
                     "a POSIX queue name is '/' followed by 1-255 characters without another '/' (use IpcNames.posix)");
  }
}

Napi::Value MqOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "name");
  Napi::Object opts = ArgObject(info, 1, "opts");
  bool create = OptBool(opts, "create", false);
  CheckName(env, "mq_open", name);
  std::string call = "mq_open(" + Quote(name) + ")";

  struct mq_attr attr {};
  bool withAttr = HasOpt(opts, "maxMsg") || HasOpt(opts, "msgSize");
  if (withAttr) {
    // mq_open needs both fields when given attributes; the namespace default fills the gap.
    long defMax = ReadSysctl("fs/mqueue/msg_default");
    long defSize = ReadSysctl("fs/mqueue/msgsize_default");
    attr.mq_maxmsg = OptInteger(opts, "maxMsg", defMax > 0 ? defMax : 10, 1, 1 << 20);
    attr.mq_msgsize = OptInteger(opts, "msgSize", defSize > 0 ? defSize : 8192, 1, 1 << 30);
  }
  // Both sides send and receive (one direction per queue, but O_RDWR keeps one descriptor
  // usable for either).
  mqd_t mqd;
  do {
    if (create) {
      // O_EXCL: never attach to a queue somebody else (or a crashed run) left under this
      // name; the ledger sweeps ours. Mode 0600: owner-only, nobody else may read or inject.
      mode_t mode = static_cast<mode_t>(OptInteger(opts, "mode", 0600, 0, 0777));
      mqd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, mode, withAttr ? &attr : nullptr);
    } else {
      mqd = mq_open(name.c_str(), O_RDWR);
    }
  } while (mqd == static_cast<mqd_t>(-1) && errno == EINTR);

  if (mqd == static_cast<mqd_t>(-1)) {
    int err = errno;
    switch (err) {
      case EEXIST:
        throw ErrnoError(env, err, call, "a queue with this name already exists (left by a crashed run, or not ours)",
                         "never attach to it: sweep the run's ledger (sweepLedger) or mq_unlink it, then use a fresh run tag");
      case ENOENT:
        throw ErrnoError(env, err, call, "no such queue",
                         "the server creates it before publishing; is the client in the same IPC namespace (the same pod)?");
      case EINVAL: {
        long sizeMax = ReadSysctl("fs/mqueue/msgsize_max");
        long depthMax = ReadSysctl("fs/mqueue/msg_max");
        if (withAttr && sizeMax > 0 && attr.mq_msgsize > sizeMax) {
          throw ErrnoError(env, err, call,
                           "message size " + std::to_string(attr.mq_msgsize) + " exceeds fs.mqueue.msgsize_max (" +
                               std::to_string(sizeMax) + ")",
                           "chunk messages or raise fs.mqueue.msgsize_max in the pod's IPC namespace");
        }
        if (withAttr && depthMax > 0 && attr.mq_maxmsg > depthMax) {
          throw ErrnoError(env, err, call,
                           "queue depth " + std::to_string(attr.mq_maxmsg) + " exceeds fs.mqueue.msg_max (" +
                               std::to_string(depthMax) + ")",
                           "ask for at most fs.mqueue.msg_max messages or raise it in the pod's IPC namespace");
        }
        throw ErrnoError(env, err, call, "invalid attributes (maxMsg " + std::to_string(attr.mq_maxmsg) + ", msgSize " +
                                             std::to_string(attr.mq_msgsize) + ")",
                         "both must be at least 1 and within the hard limits (65536 messages, 16 MiB)");
      }
      case EACCES:
        throw ErrnoError(env, err, call, "permission denied", "the queue belongs to another user (podipc creates them 0600)");
      case EMFILE:
        throw ErrnoError(env, err, call, "per-user queue memory (RLIMIT_MSGQUEUE) or descriptors (RLIMIT_NOFILE) exhausted",
                         "close queues you no longer need, sweep stale ones, or raise `ulimit -q`");
      case ENOSPC:
        throw ErrnoError(env, err, call,
                         "fs.mqueue.queues_max (" + std::to_string(ReadSysctl("fs/mqueue/queues_max")) +
                             ") queues already exist in this IPC namespace",
                         "remove stale queues (sweepLedger) or raise fs.mqueue.queues_max");
      case ENOSYS:
        throw ErrnoError(env, err, call, "POSIX message queues are not supported by this kernel",
                         "use a kernel built with CONFIG_POSIX_MQUEUE");
      default:
        throw ErrnoError(env, err, call);
    }
  }
  {
    std::lock_guard<std::mutex> lock(g_namesMutex);
    g_names[mqd] = name;
  }
  return Napi::Number::New(env, mqd);
}

mqd_t ArgMqd(const Napi::CallbackInfo& info) { return static_cast<mqd_t>(ArgInteger(info, 0, "mqd", 0, 0x7fffffff)); }

long MsgSizeOf(mqd_t mqd) {
  struct mq_attr attr {};
  return mq_getattr(mqd, &attr) == 0 ? attr.mq_msgsize : -1;
}

Napi::Value MqSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  mqd_t mqd = ArgMqd(info);
  Bytes data = ArgBytes(info, 1, "data");
  double timeoutMs = ArgTimeoutMs(info, 2);
  const char* ptr = reinterpret_cast<const char*>(data.data);
  int rc;
  if (timeoutMs < 0) {
    do rc = mq_send(mqd, ptr, data.length, 0);
    while (rc != 0 && errno == EINTR);
  } else {
    // mq_timedsend takes an absolute CLOCK_REALTIME deadline: a retry after EINTR reuses it
    // unchanged, so signals never stretch the wait.
    struct timespec deadline = DeadlineAfter(CLOCK_REALTIME, timeoutMs);
    do rc = mq_timedsend(mqd, ptr, data.length, 0, &deadline);
    while (rc != 0 && errno == EINTR);
  }
  if (rc == 0) return env.Undefined();
  int err = errno;
  std::string call = Label("mq_send", mqd);
  switch (err) {
    case ETIMEDOUT: {
      struct mq_attr attr {};
      mq_getattr(mqd, &attr);
      throw ErrnoError(env, err, call,
                       "the queue stayed full (" + std::to_string(attr.mq_curmsgs) + " of " + std::to_string(attr.mq_maxmsg) +
                           " messages) for " + FormatMs(timeoutMs),
                       "the receiver is not draining it: is the peer alive?");
    }
    case EMSGSIZE:
      throw ErrnoError(env, err, call,
                       "message of " + std::to_string(data.length) + " bytes exceeds the queue's message size (" +
                           std::to_string(MsgSizeOf(mqd)) + ")",
                       "chunk messages to at most mq_msgsize bytes or create the queue with a larger msgSize");
    case EBADF:
      throw ErrnoError(env, err, call, "not an open queue descriptor", "it was closed already (mqClose)");
    default:
      throw ErrnoError(env, err, call);
  }
}

Napi::Value MqReceive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  mqd_t mqd = ArgMqd(info);
  Bytes into = ArgBytes(info, 1, "into");
  double timeoutMs = ArgTimeoutMs(info, 2);
  char* ptr = reinterpret_cast<char*>(into.data);
  ssize_t n;
  if (timeoutMs < 0) {
    do n = mq_receive(mqd, ptr, into.length, nullptr);
    while (n < 0 && errno == EINTR);
  } else {
    struct timespec deadline = DeadlineAfter(CLOCK_REALTIME, timeoutMs);
    do n = mq_timedreceive(mqd, ptr, into.length, nullptr, &deadline);
    while (n < 0 && errno == EINTR);
  }
  if (n >= 0) return Napi::Number::New(env, static_cast<double>(n));
  int err = errno;
  if (err == ETIMEDOUT) return Napi::Number::New(env, -1);
  std::string call = Label("mq_receive", mqd);
  switch (err) {
    case EMSGSIZE:
      throw ErrnoError(env, err, call,
                       "receive buffer of " + std::to_string(into.length) + " bytes is smaller than the queue's message size (" +
                           std::to_string(MsgSizeOf(mqd)) + ")",
                       "pass a buffer of at least mq_msgsize bytes (mqGetAttr)");
    case EBADF:
      throw ErrnoError(env, err, call, "not an open queue descriptor", "it was closed already (mqClose)");
    default:
      throw ErrnoError(env, err, call);
  }
}

Napi::Value MqGetAttr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  mqd_t mqd = ArgMqd(info);
  struct mq_attr attr {};
  if (mq_getattr(mqd, &attr) != 0) throw ErrnoError(env, errno, Label("mq_getattr", mqd));
  Napi::Object out = Napi::Object::New(env);
  out.Set("maxMsg", Napi::Number::New(env, static_cast<double>(attr.mq_maxmsg)));
  out.Set("msgSize", Napi::Number::New(env, static_cast<double>(attr.mq_msgsize)));
  out.Set("curMsgs", Napi::Number::New(env, static_cast<double>(attr.mq_curmsgs)));
  return out;
}

Napi::Value MqClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  mqd_t mqd = ArgMqd(info);
  std::string call = Label("mq_close", mqd);
  if (mq_close(mqd) != 0) {
    int err = errno;
    if (err == EBADF) throw ErrnoError(env, err, call, "not an open queue descriptor", "it was closed already");
    throw ErrnoError(env, err, call);
  }
  std::lock_guard<std::mutex> lock(g_namesMutex);
  g_names.erase(mqd);
  return env.Undefined();
}

Napi::Value MqUnlink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "name");
  CheckName(env, "mq_unlink", name);
  // mq_unlink removes the name at once; the queue itself lives until the last descriptor
  // is closed, so the peer may still drain it.
  if (mq_unlink(name.c_str()) == 0) return Napi::Boolean::New(env, true);
  int err = errno;
  if (err == ENOENT) return Napi::Boolean::New(env, false);
  if (err == EACCES) {
    throw ErrnoError(env, err, "mq_unlink(" + Quote(name) + ")", "permission denied", "the queue belongs to another user");
  }
  throw ErrnoError(env, err, "mq_unlink(" + Quote(name) + ")");
}

}  // namespace

void InitMqPosix(Napi::Env env, Napi::Object exports) {
  exports.Set("mqOpen", Napi::Function::New(env, MqOpen, "mqOpen"));
  exports.Set("mqSend", Napi::Function::New(env, MqSend, "mqSend"));
  exports.Set("mqReceive", Napi::Function::New(env, MqReceive, "mqReceive"));
  exports.Set("mqGetAttr", Napi::Function::New(env, MqGetAttr, "mqGetAttr"));
  exports.Set("mqClose", Napi::Function::New(env, MqClose, "mqClose"));
  exports.Set("mqUnlink", Napi::Function::New(env, MqUnlink, "mqUnlink"));
}

}  // namespace podipc
