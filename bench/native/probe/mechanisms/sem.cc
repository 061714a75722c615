// sem: the wake-up latency floor, as bench/mechanisms/sem.ts: two POSIX named semaphores,
// ping (client->server) and pong (server->client), hand the turn back and forth; a 4 KiB
// POSIX shm mailbox beside them carries the frame, so seq and checksum are still verified.
// Mailbox: one 2 KiB slot per direction (client->server at 0, server->client at 2048), each
// a u32 "full" flag, a u32 frame length and up to 2040 bytes of frame. Data frames are at
// most 64 bytes; the slot is larger so the JSON control frames fit. Published as
// {"mailbox","ping","pong"}.
#include <atomic>
#include <cstring>
#include <stdexcept>

#include "../message_channel.h"
#include "../semaphores.h"
#include "../shm_segment.h"
#include "../util.h"

namespace podipc::probe::mechanisms {
namespace {

constexpr size_t kMailboxBytes = 4096;
constexpr size_t kSlotBytes = kMailboxBytes / 2;
constexpr size_t kSlotHeaderBytes = 8;
constexpr size_t kSlotFrameBytes = kSlotBytes - kSlotHeaderBytes;
// The largest data frame: sem measures waking, not moving bytes.
constexpr uint32_t kMaxDataBytes = 64;

Support Supports(ProbeKind probe, uint32_t messageBytes, const std::string&) {
  if (probe == ProbeKind::kThroughput) {
    return {false, "sem is a wake-up primitive with no payload stream; stream throughput over shared memory is measured by shm-*/sem"};
  }
  if (messageBytes > kMaxDataBytes) {
    return {false, "sem carries no payload: its 64-byte mailbox holds one frame (seq + checksum); larger messages are measured by shm-*/sem"};
  }
  return {true, ""};
}

class MailboxTransport : public MessageTransport {
 public:
  // sendSlot: 0 for the client (client->server at 0), 1 for the server.
  MailboxTransport(MappedSegment mailbox, std::unique_ptr<PosixSemaphore> post, std::unique_ptr<PosixSemaphore> wait,
                   int sendSlot, std::string what)
      : mailbox_(std::move(mailbox)), post_(std::move(post)), wait_(std::move(wait)),
        send_(mailbox_.bytes() + sendSlot * kSlotBytes), recv_(mailbox_.bytes() + (1 - sendSlot) * kSlotBytes),
        what_(std::move(what)) {}
  ~MailboxTransport() override { Close(); }

  size_t MaxMessageBytes() const override { return kSlotFrameBytes; }

  bool TrySend(const uint8_t* data, size_t bytes, int64_t) override {
    // One frame per direction at a time: ping-pong never sends twice without an answer, and
    // overwriting the slot would corrupt silently. Refuse instead.
    if (__atomic_load_n(reinterpret_cast<uint32_t*>(send_), __ATOMIC_ACQUIRE) != 0) {
      throw std::runtime_error(what_ + ": the peer has not taken the previous frame; sem carries one frame per direction at a time");
    }
    std::memcpy(send_ + kSlotHeaderBytes, data, bytes);
    StoreLe32(send_ + 4, static_cast<uint32_t>(bytes));
    __atomic_store_n(reinterpret_cast<uint32_t*>(send_), 1u, __ATOMIC_RELEASE);
    // sem_post is a release: the peer's sem_wait sees the frame written above.
    post_->Post();
    return true;
  }

  ssize_t TryReceive(uint8_t* into, int64_t timeoutMs) override {
    if (!wait_->Wait(timeoutMs)) return -1;
    uint32_t length = LoadLe32(recv_ + 4);
    if (length > kSlotFrameBytes) {
      throw std::runtime_error(what_ + ": mailbox length field " + std::to_string(length) + " exceeds the " +
                               std::to_string(kSlotFrameBytes) + "-byte slot");
    }
    // Copy out, then free the slot: the returned frame must outlive the peer's next write.
    std::memcpy(into, recv_ + kSlotHeaderBytes, length);
    __atomic_store_n(reinterpret_cast<uint32_t*>(recv_), 0u, __ATOMIC_RELEASE);
    return length;
  }

  void Close() override {
    post_->Release();
    wait_->Release();
    mailbox_.Release();
  }

 private:
  MappedSegment mailbox_;
  std::unique_ptr<PosixSemaphore> post_, wait_;
  uint8_t* send_;
  uint8_t* recv_;
  std::string what_;
};

std::unique_ptr<Channel> OpenServer(const OpenContext& ctx) {
  const std::string mailboxName = ctx.ipc->Posix("posix-shm", "mbox");
  const std::string pingName = ctx.ipc->Posix("posix-sem", "ping");
  const std::string pongName = ctx.ipc->Posix("posix-sem", "pong");
  MappedSegment mailbox = MappedSegment::CreatePosix(mailboxName, kMailboxBytes);
  auto ping = std::make_unique<PosixSemaphore>();
  auto pong = std::make_unique<PosixSemaphore>();
  ping->Create(pingName);
  pong->Create(pongName);
  ctx.rendezvous->Publish(
      JsonWriter().BeginObject().Key("mailbox").String(mailboxName).Key("ping").String(pingName).Key("pong").String(pongName).EndObject().text());
  std::string what = "sem server (" + pingName + ")";
  auto ch = std::make_unique<MessageChannel>(
      std::make_unique<MailboxTransport>(std::move(mailbox), std::move(pong), std::move(ping), 1, what), ctx.setupTimeoutMs, what);
  ch->limits = {{"mailboxBytes", kMailboxBytes}, {"mailboxFrameBytes", kSlotFrameBytes}};
  return ch;
}

std::unique_ptr<Channel> OpenClient(const OpenContext& ctx) {
  Json info = ctx.rendezvous->Wait(ctx.setupTimeoutMs);
  const std::string mailboxName = PublishedString(info, "mailbox");
  const std::string pingName = PublishedString(info, "ping");
  const std::string pongName = PublishedString(info, "pong");
  MappedSegment mailbox = MappedSegment::AttachPosix(mailboxName);
  if (mailbox.size() < kMailboxBytes) throw std::runtime_error(mailbox.where() + " is smaller than the 4096-byte mailbox");
  auto ping = std::make_unique<PosixSemaphore>();
  auto pong = std::make_unique<PosixSemaphore>();
  ping->Open(pingName);
  pong->Open(pongName);
  std::string what = "sem client (" + pongName + ")";
  auto ch = std::make_unique<MessageChannel>(
      std::make_unique<MailboxTransport>(std::move(mailbox), std::move(ping), std::move(pong), 0, what), ctx.setupTimeoutMs, what);
  ch->limits = {{"mailboxBytes", kMailboxBytes}, {"mailboxFrameBytes", kSlotFrameBytes}};
  return ch;
}

std::unique_ptr<Channel> Open(const OpenContext& ctx) { return ctx.role == Role::kServer ? OpenServer(ctx) : OpenClient(ctx); }

}  // namespace

extern const Mechanism sem{"sem", {}, {ProbeKind::kLatency}, false, Supports, Open};

}  // namespace podipc::probe::mechanisms
