// mq-sysv: two SysV message queues (client->server, server->client) in the pod's shared IPC
// namespace, keyed from the run's ledger (indices 0 and 1), as bench/mechanisms/mq-sysv.ts:
// the server creates both IPC_CREAT|IPC_EXCL mode 0600, publishes {"c2sKey","s2cKey",
// "chunkBytes"}, chunkBytes = min(kernel.msgmax, the queue's msg_qbytes); every message has
// mtype 1. A full queue blocks the sender: the mechanism's own flow control. msgsnd/msgrcv
// have no timeout, so they block under a BlockingDeadline (watchdog.h): no IPC_NOWAIT polling.
#include <algorithm>
#include <sys/ipc.h>
#include <sys/msg.h>

#include <cstring>
#include <stdexcept>

#include "../cleanup.h"
#include "../message_channel.h"
#include "../util.h"
#include "../watchdog.h"

namespace podipc::probe::mechanisms {
namespace {

constexpr long kMtype = 1;
// On close, how long the creator waits for the peer to take its last reply before removing.
constexpr int64_t kDrainWaitMs = 2000;

std::string Hex(key_t key) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(key));
  return buf;
}

class QueueTransport : public MessageTransport {
 public:
  QueueTransport(int send, int receive, size_t chunkBytes, bool owner, std::vector<int> slots)
      : send_(send), receive_(receive), chunkBytes_(chunkBytes), owner_(owner), slots_(std::move(slots)),
        sendBuf_(sizeof(long) + chunkBytes), recvBuf_(sizeof(long) + chunkBytes) {
    std::memcpy(sendBuf_.data(), &kMtype, sizeof(long));
  }
  ~QueueTransport() override { Close(); }

  size_t MaxMessageBytes() const override { return chunkBytes_; }

  bool TrySend(const uint8_t* data, size_t bytes, int64_t timeoutMs) override {
    // msgsnd takes struct { long mtype; char mtext[]; }: one reusable buffer, one copy.
    std::memcpy(sendBuf_.data() + sizeof(long), data, bytes);
    BlockingDeadline deadline(timeoutMs);
    for (;;) {
      if (msgsnd(send_, sendBuf_.data(), bytes, 0) == 0) return true;
      if (errno == EINTR) {
        if (deadline.Expired()) return false;
        continue;
      }
      if (errno == EIDRM || errno == EINVAL) throw std::runtime_error("msgsnd: the queue was removed: the peer closed the channel");
      ThrowErrno("msgsnd", errno);
    }
  }

  ssize_t TryReceive(uint8_t* into, int64_t timeoutMs) override {
    BlockingDeadline deadline(timeoutMs);
    for (;;) {
      // No MSG_NOERROR: a message larger than the buffer must fail (E2BIG), never be clipped.
      ssize_t n = msgrcv(receive_, recvBuf_.data(), chunkBytes_, kMtype, 0);
      if (n >= 0) {
        std::memcpy(into, recvBuf_.data() + sizeof(long), static_cast<size_t>(n));
        return n;
      }
      if (errno == EINTR) {
        if (deadline.Expired()) return -1;
        continue;
      }
      if (errno == EIDRM || errno == EINVAL) throw std::runtime_error("msgrcv: the queue was removed: the peer closed the channel");
      ThrowErrno("msgrcv", errno);
    }
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    // SysV queues have no per-process handle: only the creator has something to release.
    if (!owner_) return;
    // IPC_RMID would drop a reply the client has not taken yet (the last Summary): wait,
    // briefly, until it has drained its queue.
    int64_t deadline = NowNs() + kDrainWaitMs * 1000000LL;
    struct msqid_ds ds {};
    while (NowNs() < deadline && msgctl(send_, IPC_STAT, &ds) == 0 && ds.msg_qnum > 0) SleepMs(1);
    // IPC_RMID destroys a queue at once and wakes a peer blocked on it with EIDRM.
    msgctl(receive_, IPC_RMID, nullptr);
    msgctl(send_, IPC_RMID, nullptr);
    for (int slot : slots_) UnregisterCleanup(slot);
  }

 private:
  int send_, receive_;
  size_t chunkBytes_;
  bool owner_;
  std::vector<int> slots_;
  std::vector<uint8_t> sendBuf_, recvBuf_;
  bool closed_ = false;
};

Limits NamespaceLimits() {
  Limits limits;
  for (const char* name : {"kernel.msgmax", "kernel.msgmnb"}) {
    if (auto v = ReadSysctl(name)) limits.emplace_back(name, static_cast<double>(*v));
  }
  return limits;
}

std::unique_ptr<Channel> OpenServer(const OpenContext& ctx) {
  const key_t c2sKey = ctx.ipc->Sysv("sysv-msg", 0);
  const key_t s2cKey = ctx.ipc->Sysv("sysv-msg", 1);
  std::vector<int> ids, slots;
  auto undo = [&]() {
    for (int id : ids) msgctl(id, IPC_RMID, nullptr);
    for (int slot : slots) UnregisterCleanup(slot);
  };
  size_t chunkBytes;
  try {
    for (key_t key : {c2sKey, s2cKey}) {
      // IPC_EXCL: fail rather than attach to a queue somebody else left under this key.
      int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
      if (id < 0) {
        ThrowErrno("msgget(" + Hex(key) + ")", errno,
                   errno == EEXIST ? "the key exists (left by a crashed run?): sweep the run's ledger or `ipcrm -Q " + Hex(key) + "`" : "");
      }
      ids.push_back(id);
      slots.push_back(RegisterCleanup(CleanupKind::kSysvMsgRmid, "", id));
    }
    // A message above kernel.msgmax is refused (EINVAL); one above the queue's byte limit
    // (msg_qbytes, from kernel.msgmnb) would never fit and block forever.
    struct msqid_ds ds {};
    if (msgctl(ids[1], IPC_STAT, &ds) != 0) ThrowErrno("msgctl(IPC_STAT)", errno);
    long msgmax = ReadSysctl("kernel.msgmax").value_or(8192);
    chunkBytes = static_cast<size_t>(std::min<long>(msgmax, static_cast<long>(ds.msg_qbytes)));
    ctx.rendezvous->Publish(JsonWriter()
                                .BeginObject()
                                .Key("c2sKey").Uint(static_cast<uint32_t>(c2sKey))
                                .Key("s2cKey").Uint(static_cast<uint32_t>(s2cKey))
                                .Key("chunkBytes").Uint(chunkBytes)
                                .EndObject()
                                .text());
  } catch (...) {
    undo();
    throw;
  }
  Limits limits = NamespaceLimits();
  limits.emplace_back("chunkBytes", static_cast<double>(chunkBytes));
  auto ch = std::make_unique<MessageChannel>(std::make_unique<QueueTransport>(ids[1], ids[0], chunkBytes, true, slots),
                                             ctx.setupTimeoutMs,
                                             "mq-sysv server (msqid " + std::to_string(ids[0]) + "/" + std::to_string(ids[1]) + ")");
  ch->limits = limits;
  return ch;
}

std::unique_ptr<Channel> OpenClient(const OpenContext& ctx) {
  Json info = ctx.rendezvous->Wait(ctx.setupTimeoutMs);
  key_t c2sKey = static_cast<key_t>(static_cast<uint32_t>(PublishedNumber(info, "c2sKey")));
  key_t s2cKey = static_cast<key_t>(static_cast<uint32_t>(PublishedNumber(info, "s2cKey")));
  size_t chunkBytes = static_cast<size_t>(PublishedNumber(info, "chunkBytes"));
  // Look the queues up by key (no IPC_CREAT): a client outside the server's IPC namespace
  // fails here with ENOENT naming the key, rather than on the first message.
  int c2s = msgget(c2sKey, 0);
  if (c2s < 0) ThrowErrno("msgget(" + Hex(c2sKey) + ")", errno, "is the client in the server's IPC namespace (the same pod)?");
  int s2c = msgget(s2cKey, 0);
  if (s2c < 0) ThrowErrno("msgget(" + Hex(s2cKey) + ")", errno, "is the client in the server's IPC namespace (the same pod)?");
  Limits limits = NamespaceLimits();
  limits.emplace_back("chunkBytes", static_cast<double>(chunkBytes));
  auto ch = std::make_unique<MessageChannel>(std::make_unique<QueueTransport>(c2s, s2c, chunkBytes, false, std::vector<int>{}),
                                             ctx.setupTimeoutMs,
                                             "mq-sysv client (msqid " + std::to_string(c2s) + "/" + std::to_string(s2c) + ")");
  ch->limits = limits;
  return ch;
}

std::unique_ptr<Channel> Open(const OpenContext& ctx) { return ctx.role == Role::kServer ? OpenServer(ctx) : OpenClient(ctx); }

}  // namespace

extern const Mechanism mq_sysv{"mq-sysv", {}, {ProbeKind::kLatency, ProbeKind::kThroughput}, false, Supported, Open};

}  // namespace podipc::probe::mechanisms
