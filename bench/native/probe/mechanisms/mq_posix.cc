// mq-posix: two POSIX message queues (client->server "c2s", server->client "s2c") in the
// pod's shared IPC namespace, as bench/mechanisms/mq-posix.ts makes them: the server sizes
// both from the namespace's limits, creates them O_CREAT|O_EXCL mode 0600 and publishes
// {"c2s","s2c"}; the client opens them and reads the size back with mq_getattr. The kernel
// keeps whole messages; a message is at most fs.mqueue.msgsize_max bytes, so larger frames
// are chunked (message_channel.h). A full queue blocks the sender: the mechanism's own flow
// control. Timeouts are mq_timedsend/mq_timedreceive's absolute CLOCK_REALTIME deadlines
// (the clock is read in the vDSO: no extra system call).
#include <fcntl.h>
#include <algorithm>
#include <mqueue.h>

#include <stdexcept>

#include "../cleanup.h"
#include "../message_channel.h"
#include "../util.h"

namespace podipc::probe::mechanisms {
namespace {

// Control frames (Begin/End/Summary JSON) fit one message even in a 64-byte case.
constexpr long kControlFrameBytes = 1024;
// A deeper queue buys little beyond this: a sender blocked on a full queue is the point.
constexpr long kMaxDepth = 64;
// Kernel bookkeeping per message charged to RLIMIT_MSGQUEUE besides the payload.
constexpr long kPerMessageOverheadBytes = 128;

struct QueueShape {
  long msgSize, maxMsg;
  Limits limits;
};

QueueShape ShapeQueues(uint32_t messageBytes) {
  auto msgsizeMax = ReadSysctl("fs.mqueue.msgsize_max");
  auto msgMax = ReadSysctl("fs.mqueue.msg_max");
  if (!msgsizeMax || !msgMax) {
    throw CaseSkipped("POSIX message queues are unavailable: /proc/sys/fs/mqueue is missing (kernel without CONFIG_POSIX_MQUEUE?)");
  }
  // Bigger messages than a frame needs cost nothing per message (the kernel copies what is
  // sent) but must stay within the namespace's limit or mq_open fails.
  long msgSize = std::min<long>(std::max<long>(messageBytes, kControlFrameBytes), *msgsizeMax);
  auto rlimit = MsgqueueRlimitBytes();
  // Two queues of maxMsg x msgSize must fit RLIMIT_MSGQUEUE, or mq_open fails with EMFILE.
  long byRlimit = rlimit ? static_cast<long>(*rlimit / (2 * (msgSize + kPerMessageOverheadBytes))) : kMaxDepth;
  long maxMsg = std::min<long>({static_cast<long>(*msgMax), kMaxDepth, byRlimit});
  if (maxMsg < 1) {
    throw CaseSkipped("RLIMIT_MSGQUEUE (" + std::to_string(*rlimit) + " B) cannot hold two queues of " + std::to_string(msgSize) +
                      "-byte messages: raise `ulimit -q` or lower fs.mqueue.msgsize_max");
  }
  QueueShape shape{msgSize, maxMsg, {}};
  shape.limits = {{"fs.mqueue.msgsize_max", static_cast<double>(*msgsizeMax)},
                  {"fs.mqueue.msg_max", static_cast<double>(*msgMax)},
                  {"mqMsgSizeBytes", static_cast<double>(msgSize)},
                  {"mqMaxMsg", static_cast<double>(maxMsg)}};
  if (rlimit) shape.limits.emplace_back("rlimitMsgqueueBytes", static_cast<double>(*rlimit));
  return shape;
}

[[noreturn]] void ThrowOpen(const std::string& name, int err, bool create) {
  std::string call = "mq_open('" + name + "')";
  switch (err) {
    case EEXIST:
      ThrowErrno(call, err, "a queue with this name exists (left by a crashed run?): sweep the run's ledger, then use a fresh run tag");
    case ENOENT:
      ThrowErrno(call, err, "the server creates it before publishing; is the client in the same IPC namespace (the same pod)?");
    case EMFILE:
      ThrowErrno(call, err, "per-user queue memory (RLIMIT_MSGQUEUE) or descriptors exhausted: raise `ulimit -q`");
    case EINVAL:
      if (create) ThrowErrno(call, err, "queue depth or message size over fs.mqueue.msg_max / msgsize_max");
      [[fallthrough]];
    default:
      ThrowErrno(call, err);
  }
}

class QueueTransport : public MessageTransport {
 public:
  QueueTransport(mqd_t send, mqd_t receive, size_t msgSize, std::vector<std::string> unlinkNames, std::vector<int> slots)
      : send_(send), receive_(receive), msgSize_(msgSize), unlink_(std::move(unlinkNames)), slots_(std::move(slots)) {}
  ~QueueTransport() override { Close(); }

  size_t MaxMessageBytes() const override { return msgSize_; }

  bool TrySend(const uint8_t* data, size_t bytes, int64_t timeoutMs) override {
    struct timespec deadline = DeadlineOn(CLOCK_REALTIME, timeoutMs);
    for (;;) {
      if (mq_timedsend(send_, reinterpret_cast<const char*>(data), bytes, 0, &deadline) == 0) return true;
      if (errno == EINTR) continue;  // the absolute deadline stays put
      if (errno == ETIMEDOUT) return false;
      ThrowErrno("mq_send", errno);
    }
  }

  ssize_t TryReceive(uint8_t* into, int64_t timeoutMs) override {
    struct timespec deadline = DeadlineOn(CLOCK_REALTIME, timeoutMs);
    for (;;) {
      ssize_t n = mq_timedreceive(receive_, reinterpret_cast<char*>(into), msgSize_, nullptr, &deadline);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if (errno == ETIMEDOUT) return -1;
      ThrowErrno("mq_receive", errno);
    }
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    mq_close(send_);
    mq_close(receive_);
    // mq_unlink removes the names now; the queues live until the peer closes its
    // descriptors, so a reply still in flight is not lost.
    for (const std::string& name : unlink_) mq_unlink(name.c_str());
    for (int slot : slots_) UnregisterCleanup(slot);
  }

 private:
  mqd_t send_, receive_;
  size_t msgSize_;
  std::vector<std::string> unlink_;
  std::vector<int> slots_;
  bool closed_ = false;
};

std::unique_ptr<Channel> OpenServer(const OpenContext& ctx) {
  QueueShape shape = ShapeQueues(ctx.messageBytes);
  const std::string c2sName = ctx.ipc->Posix("posix-mq", "c2s");
  const std::string s2cName = ctx.ipc->Posix("posix-mq", "s2c");
  struct mq_attr attr {};
  attr.mq_maxmsg = shape.maxMsg;
  attr.mq_msgsize = shape.msgSize;
  std::vector<mqd_t> opened;
  std::vector<int> slots;
  auto undo = [&]() {
    for (mqd_t q : opened) mq_close(q);
    for (size_t i = 0; i < opened.size(); i++) mq_unlink(i == 0 ? c2sName.c_str() : s2cName.c_str());
    for (int slot : slots) UnregisterCleanup(slot);
  };
  try {
    for (const std::string& name : {c2sName, s2cName}) {
      // O_EXCL: never attach to a queue somebody else left; mode 0600: owner-only.
      mqd_t q = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
      if (q == static_cast<mqd_t>(-1)) ThrowOpen(name, errno, true);
      opened.push_back(q);
      slots.push_back(RegisterCleanup(CleanupKind::kMqUnlink, name));
    }
    ctx.rendezvous->Publish(JsonWriter().BeginObject().Key("c2s").String(c2sName).Key("s2c").String(s2cName).EndObject().text());
  } catch (...) {
    undo();
    throw;
  }
  auto transport = std::make_unique<QueueTransport>(opened[1], opened[0], static_cast<size_t>(shape.msgSize),
                                                    std::vector<std::string>{c2sName, s2cName}, slots);
  auto ch = std::make_unique<MessageChannel>(std::move(transport), ctx.setupTimeoutMs, "mq-posix server (" + c2sName + ")");
  ch->limits = shape.limits;
  return ch;
}

std::unique_ptr<Channel> OpenClient(const OpenContext& ctx) {
  Json info = ctx.rendezvous->Wait(ctx.setupTimeoutMs);
  const std::string c2sName = PublishedString(info, "c2s");
  const std::string s2cName = PublishedString(info, "s2c");
  mqd_t c2s = mq_open(c2sName.c_str(), O_RDWR | O_CLOEXEC);
  if (c2s == static_cast<mqd_t>(-1)) ThrowOpen(c2sName, errno, false);
  mqd_t s2c = mq_open(s2cName.c_str(), O_RDWR | O_CLOEXEC);
  if (s2c == static_cast<mqd_t>(-1)) {
    int err = errno;
    mq_close(c2s);
    ThrowOpen(s2cName, err, false);
  }
  // The server chose depth and size; read them back rather than redo its arithmetic.
  struct mq_attr attr {};
  mq_getattr(s2c, &attr);
  Limits limits = {{"mqMsgSizeBytes", static_cast<double>(attr.mq_msgsize)}, {"mqMaxMsg", static_cast<double>(attr.mq_maxmsg)}};
  for (const char* name : {"fs.mqueue.msgsize_max", "fs.mqueue.msg_max"}) {
    if (auto v = ReadSysctl(name)) limits.emplace_back(name, static_cast<double>(*v));
  }
  auto transport = std::make_unique<QueueTransport>(c2s, s2c, static_cast<size_t>(attr.mq_msgsize), std::vector<std::string>{},
                                                    std::vector<int>{});
  auto ch = std::make_unique<MessageChannel>(std::move(transport), ctx.setupTimeoutMs, "mq-posix client (" + s2cName + ")");
  ch->limits = limits;
  return ch;
}

std::unique_ptr<Channel> Open(const OpenContext& ctx) { return ctx.role == Role::kServer ? OpenServer(ctx) : OpenClient(ctx); }

}  // namespace

extern const Mechanism mq_posix{"mq-posix", {}, {ProbeKind::kLatency, ProbeKind::kThroughput}, false, Supported, Open};

}  // namespace podipc::probe::mechanisms
