// udp: loopback datagrams in the pod's shared network namespace, the wire of
// bench/mechanisms/udp.ts and bench/dgram-chunks.ts. Lossy: UDP has no retransmission and no
// flow control towards the receiver; a datagram the receiver has no room for is dropped by
// the kernel and counted `lost` by the probes.
//
// Chunking: a UDP payload is at most 65,507 bytes, so every datagram carries a 20-byte chunk
// header (little-endian: u32 magic 'PDGM', u16 kind 1 Hello / 2 Welcome / 3 Chunk, u16
// chunkIndex, u16 chunkCount, u16 reserved, u32 messageId, u32 frameBytes) and up to 65,487
// bytes of the frame. The receiver reassembles by messageId (a per-sender counter) and
// delivers a frame only when every chunk came exactly once; a frame missing a chunk is
// abandoned (8 frames in assembly at most, the oldest goes first), a late or duplicated
// chunk of a finished frame is ignored.
//
// Handshake: the server binds (ephemeral port, published as {"port"}; or the plan's fixed
// port) and waits; the client sends Hello with a random nonce every 50 ms until a Welcome
// with that nonce answers; then both connect() their sockets to each other, so the kernel
// filters foreign datagrams and each send skips the address lookup. A resent Hello after the
// handshake (our Welcome was lost) is answered again.
//
// Timeouts: SO_RCVTIMEO bounds each recv (set only when the wanted timeout changes).
// Sends block only while the socket's own send buffer is full (SO_SNDTIMEO bounds that);
// ENOBUFS/EAGAIN mean the kernel dropped the datagram: counted lost, not an error.
#include <algorithm>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <stdexcept>

#include "../net.h"
#include "../util.h"

namespace podipc::probe::mechanisms {
namespace {

constexpr uint32_t kDgramMagic = 0x4d474450;  // 'PDGM'
constexpr size_t kChunkHeaderBytes = 20;
constexpr size_t kUdpMaxPayloadBytes = 65507;  // 65,535 - 20 (IP header) - 8 (UDP header)
constexpr size_t kChunkPayloadBytes = kUdpMaxPayloadBytes - kChunkHeaderBytes;
constexpr uint32_t kMaxChunks = 0xffff;
constexpr uint16_t kHello = 1, kWelcome = 2, kChunk = 3;
// Requested SO_RCVBUF/SO_SNDBUF: a 1 MiB frame is 17 datagrams sent back to back, more than
// the default receive buffer holds (see udp.ts). The kernel caps it at net.core.rmem_max.
constexpr int kSocketBufferBytes = 4 * 1024 * 1024;
constexpr int64_t kHelloResendMs = 50;
constexpr int kMaxPartials = 8;
constexpr uint32_t kRememberFinished = 4096;

struct Header {
  uint16_t kind, chunkIndex, chunkCount;
  uint32_t messageId, frameBytes;
};

void Encode(uint8_t* out, const Header& h) {
  StoreLe32(out, kDgramMagic);
  StoreLe16(out + 4, h.kind);
  StoreLe16(out + 6, h.chunkIndex);
  StoreLe16(out + 8, h.chunkCount);
  StoreLe16(out + 10, 0);
  StoreLe32(out + 12, h.messageId);
  StoreLe32(out + 16, h.frameBytes);
}

bool Decode(const uint8_t* d, size_t n, Header* h) {
  if (n < kChunkHeaderBytes || LoadLe32(d) != kDgramMagic) return false;
  h->kind = LoadLe16(d + 4);
  if (h->kind != kHello && h->kind != kWelcome && h->kind != kChunk) return false;
  h->chunkIndex = LoadLe16(d + 6);
  h->chunkCount = LoadLe16(d + 8);
  h->messageId = LoadLe32(d + 12);
  h->frameBytes = LoadLe32(d + 16);
  return true;
}

uint32_t ChunkCountFor(uint64_t frameBytes) {
  return static_cast<uint32_t>(std::max<uint64_t>(1, (frameBytes + kChunkPayloadBytes - 1) / kChunkPayloadBytes));
}

int GetBuffer(int fd, int option) {
  int value = 0;
  socklen_t len = sizeof value;
  getsockopt(fd, SOL_SOCKET, option, &value, &len);
  return value;
}

void SetTimeout(int fd, int option, int64_t ms) {
  struct timeval tv {static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  if (setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv) != 0) ThrowErrno("setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)", errno);
}

int NewSocket(int family, uint32_t messageBytes) {
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) ThrowErrno("socket(SOCK_DGRAM)", errno);
  int size = kSocketBufferBytes;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  // A receive buffer that cannot hold one whole frame loses a chunk of nearly every frame
  // (udp.ts measured it): skip naming the limit instead of reporting timeouts as latency.
  int granted = GetBuffer(fd, SO_RCVBUF);
  if (static_cast<uint32_t>(granted) < messageBytes) {
    close(fd);
    throw CaseSkipped("udp: the socket receive buffer cannot hold one " + std::to_string(messageBytes) + "-byte frame (" +
                      std::to_string(ChunkCountFor(messageBytes)) + " datagrams): the kernel granted " + std::to_string(granted) +
                      " B of the " + std::to_string(kSocketBufferBytes) +
                      " B requested, capped by net.core.rmem_max. Raise it on the node, e.g. sysctl -w net.core.rmem_max=" +
                      std::to_string(kSocketBufferBytes));
  }
  return fd;
}

class UdpChannel : public Channel {
 public:
  UdpChannel(int fd, int64_t silenceMs, bool server, uint32_t nonce)
      : fd_(fd), silenceMs_(silenceMs), server_(server), nonce_(nonce), dgram_(65536) {
    for (uint32_t i = 0; i < kRememberFinished; i++) finished_[i] = i + 1;  // maps to another slot: "none"
    Encode(welcome_, Header{kWelcome, 0, 0, nonce_, 0});
    SetTimeout(fd_, SO_SNDTIMEO, silenceMs_);
    limits = {{"udpRecvBufferBytes", static_cast<double>(GetBuffer(fd_, SO_RCVBUF))},
              {"udpSendBufferBytes", static_cast<double>(GetBuffer(fd_, SO_SNDBUF))},
              {"udpChunkPayloadBytes", static_cast<double>(kChunkPayloadBytes)}};
  }
  ~UdpChannel() override { Close(); }

  void Send(const uint8_t* frame, size_t bytes) override {
    if (closed_) throw std::runtime_error("udp: send on a closed channel");
    uint32_t chunkCount = ChunkCountFor(bytes);
    if (chunkCount > kMaxChunks) throw std::runtime_error("udp: a frame of " + std::to_string(bytes) + " bytes needs more than 65535 datagrams");
    uint32_t messageId = nextMessageId_++;
    for (uint32_t i = 0; i < chunkCount; i++) {
      size_t start = i * kChunkPayloadBytes;
      size_t n = std::min(kChunkPayloadBytes, bytes - start);
      uint8_t header[kChunkHeaderBytes];
      Encode(header, Header{kChunk, static_cast<uint16_t>(i), static_cast<uint16_t>(chunkCount), messageId, static_cast<uint32_t>(bytes)});
      // Header and frame slice go out as one datagram of two iovecs: no copy of the frame.
      struct iovec iov[2] = {{header, kChunkHeaderBytes}, {const_cast<uint8_t*>(frame + start), n}};
      struct msghdr msg {};
      msg.msg_iov = iov;
      msg.msg_iovlen = 2;
      SendDatagram(msg);
    }
  }

  FrameView Recv(int64_t timeoutMs) override {
    if (closed_) throw std::runtime_error("udp: receive on a closed channel");
    if (timeoutMs != rcvTimeoutMs_) {
      SetTimeout(fd_, SO_RCVTIMEO, timeoutMs);
      rcvTimeoutMs_ = timeoutMs;
    }
    for (;;) {
      ssize_t n = recv(fd_, dgram_.data(), dgram_.size(), 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return FrameView{nullptr, 0};
        // A connected UDP socket reports the peer's ICMP "port unreachable" as ECONNREFUSED:
        // the peer closed (e.g. the server after answering End). Timeouts handle that.
        if (errno == EINTR || errno == ECONNREFUSED) continue;
        ThrowErrno("udp: recv", errno);
      }
      Header h;
      if (!Decode(dgram_.data(), static_cast<size_t>(n), &h)) continue;  // not ours
      if (h.kind == kHello) {
        // Our Welcome was lost and the client asked again.
        if (server_ && h.messageId == nonce_) send(fd_, welcome_, sizeof welcome_, MSG_NOSIGNAL);
        continue;
      }
      if (h.kind != kChunk) continue;
      FrameView f = Push(h, dgram_.data() + kChunkHeaderBytes, static_cast<size_t>(n) - kChunkHeaderBytes);
      if (f) return f;
    }
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    close(fd_);
  }

 private:
  struct Partial {
    bool used = false;
    uint32_t messageId = 0, chunkCount = 0, haveCount = 0, frameBytes = 0;
    uint64_t order = 0;
    std::vector<uint8_t> frame, have;
  };

  void SendDatagram(const struct msghdr& msg) {
    for (;;) {
      if (sendmsg(fd_, &msg, MSG_NOSIGNAL) >= 0) return;
      // ENOBUFS/EAGAIN: the kernel had no room and dropped it - UDP's behaviour, measured as
      // a lost frame. ECONNREFUSED: the peer's port is closed; timeouts tell the probe.
      if (errno == ENOBUFS || errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED) return;
      if (errno == EINTR) continue;
      ThrowErrno("udp: sendmsg", errno);
    }
  }

  bool Finished(uint32_t id) const { return finished_[id % kRememberFinished] == id; }
  void Finish(uint32_t id) { finished_[id % kRememberFinished] = id; }

  void Abandon(Partial& p) {
    Finish(p.messageId);
    p.used = false;
  }

  FrameView Push(const Header& h, const uint8_t* payload, size_t payloadBytes) {
    if (h.frameBytes == 0 || h.chunkCount != ChunkCountFor(h.frameBytes) || h.chunkIndex >= h.chunkCount ||
        payloadBytes != std::min<size_t>(kChunkPayloadBytes, h.frameBytes - size_t{h.chunkIndex} * kChunkPayloadBytes)) {
      return FrameView{nullptr, 0};  // malformed
    }
    if (Finished(h.messageId)) return FrameView{nullptr, 0};  // straggler
    if (h.chunkCount == 1) {
      // The common small-message case: the datagram is the frame, no copy.
      Finish(h.messageId);
      return FrameView{payload, payloadBytes};
    }
    Partial* p = nullptr;
    for (Partial& q : partials_) {
      if (q.used && q.messageId == h.messageId) p = &q;
    }
    if (p == nullptr) {
      Partial* oldest = nullptr;
      for (Partial& q : partials_) {
        if (!q.used) {
          p = &q;
          break;
        }
        if (!oldest || q.order < oldest->order) oldest = &q;
      }
      if (p == nullptr) {
        // A frame still incomplete while 8 newer ones arrive lost a chunk: abandon it.
        Abandon(*oldest);
        p = oldest;
      }
      p->used = true;
      p->messageId = h.messageId;
      p->chunkCount = h.chunkCount;
      p->frameBytes = h.frameBytes;
      p->haveCount = 0;
      p->order = order_++;
      if (p->frame.size() < h.frameBytes) p->frame.resize(h.frameBytes);
      p->have.assign(h.chunkCount, 0);
    } else if (p->chunkCount != h.chunkCount || p->frameBytes != h.frameBytes) {
      Abandon(*p);  // two shapes for one frame: neither can be trusted
      return FrameView{nullptr, 0};
    }
    if (p->have[h.chunkIndex]) return FrameView{nullptr, 0};  // duplicate
    std::memcpy(p->frame.data() + size_t{h.chunkIndex} * kChunkPayloadBytes, payload, payloadBytes);
    p->have[h.chunkIndex] = 1;
    if (++p->haveCount < p->chunkCount) return FrameView{nullptr, 0};
    p->used = false;
    Finish(p->messageId);
    return FrameView{p->frame.data(), p->frameBytes};
  }

  int fd_;
  int64_t silenceMs_;
  bool server_;
  uint32_t nonce_;
  uint8_t welcome_[kChunkHeaderBytes];
  std::vector<uint8_t> dgram_;
  uint32_t nextMessageId_ = 0;
  uint64_t order_ = 0;
  Partial partials_[kMaxPartials];
  uint32_t finished_[kRememberFinished];
  int64_t rcvTimeoutMs_ = -1;
  bool closed_ = false;
};

std::unique_ptr<Channel> OpenServer(const OpenContext& ctx) {
  SocketAddress addr = ResolveHost(ctx.listenHost, ctx.port, SOCK_DGRAM);
  FdGuard fd(NewSocket(addr.family(), ctx.messageBytes));
  // Cross-pod the port is fixed and the previous case's server may still hold it for a
  // moment (it lingers to answer a resent End): retry the bind until setup times out.
  RetryUntil(ctx.setupTimeoutMs, "udp bind " + ctx.listenHost + ":" + std::to_string(ctx.port), [&]() {
    return bind(fd.get(), reinterpret_cast<sockaddr*>(&addr.storage), addr.length) == 0 ? 0 : -1;
  });
  SocketAddress bound{};
  bound.length = sizeof bound.storage;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound.storage), &bound.length);
  ctx.rendezvous->Publish(JsonWriter().BeginObject().Key("port").Uint(PortOf(bound)).EndObject().text());

  // The first Hello names the client; its Welcome goes back to that address.
  SetTimeout(fd.get(), SO_RCVTIMEO, 100);
  const int64_t deadline = NowNs() + ctx.setupTimeoutMs * 1000000LL;
  uint8_t buf[64];
  for (;;) {
    if (NowNs() > deadline) throw std::runtime_error("no udp Hello from a client within " + std::to_string(ctx.setupTimeoutMs) + " ms");
    SocketAddress from{};
    from.length = sizeof from.storage;
    ssize_t n = recvfrom(fd.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from.storage), &from.length);
    Header h;
    if (n < 0 || !Decode(buf, static_cast<size_t>(n), &h) || h.kind != kHello) continue;
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&from.storage), from.length) != 0) ThrowErrno("udp connect", errno);
    uint8_t welcome[kChunkHeaderBytes];
    Encode(welcome, Header{kWelcome, 0, 0, h.messageId, 0});
    send(fd.get(), welcome, sizeof welcome, MSG_NOSIGNAL);
    return std::make_unique<UdpChannel>(fd.release(), ctx.setupTimeoutMs, true, h.messageId);
  }
}

std::unique_ptr<Channel> OpenClient(const OpenContext& ctx) {
  uint16_t port = ServerPort(ctx);
  SocketAddress server = ResolveHost(ctx.connectHost, port, SOCK_DGRAM);
  FdGuard fd(NewSocket(server.family(), ctx.messageBytes));
  // Unconnected until answered: a connected socket would turn the ICMP "port unreachable"
  // of a server not yet bound (cross-pod, fixed port) into errors.
  std::random_device rd;
  uint32_t nonce = std::uniform_int_distribution<uint32_t>(1, 0x7ffffffe)(rd);
  uint8_t hello[kChunkHeaderBytes];
  Encode(hello, Header{kHello, 0, 0, nonce, 0});
  SetTimeout(fd.get(), SO_RCVTIMEO, kHelloResendMs);
  const int64_t deadline = NowNs() + ctx.setupTimeoutMs * 1000000LL;
  uint8_t buf[64];
  for (;;) {
    if (NowNs() > deadline) {
      throw std::runtime_error("udp server " + ctx.connectHost + ":" + std::to_string(port) + " did not answer Hello within " +
                               std::to_string(ctx.setupTimeoutMs) + " ms");
    }
    sendto(fd.get(), hello, sizeof hello, 0, reinterpret_cast<sockaddr*>(&server.storage), server.length);
    int64_t resendAt = NowNs() + kHelloResendMs * 1000000LL;
    while (NowNs() < resendAt) {
      SocketAddress from{};
      from.length = sizeof from.storage;
      ssize_t n = recvfrom(fd.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from.storage), &from.length);
      if (n < 0) break;  // timeout (or a stray ICMP error): resend
      Header h;
      if (!Decode(buf, static_cast<size_t>(n), &h) || h.kind != kWelcome || h.messageId != nonce) continue;
      // Connect to where the Welcome came from: the address the server's replies carry.
      if (connect(fd.get(), reinterpret_cast<sockaddr*>(&from.storage), from.length) != 0) ThrowErrno("udp connect", errno);
      return std::make_unique<UdpChannel>(fd.release(), ctx.setupTimeoutMs, false, nonce);
    }
  }
}

std::unique_ptr<Channel> Open(const OpenContext& ctx) { return ctx.role == Role::kServer ? OpenServer(ctx) : OpenClient(ctx); }

Support Supports(ProbeKind, uint32_t messageBytes, const std::string&) {
  uint64_t largest = uint64_t{kMaxChunks} * kChunkPayloadBytes;
  if (messageBytes > largest) {
    return {false, "udp chunking carries at most " + std::to_string(largest) + " bytes per frame (65,535 chunks of " +
                       std::to_string(kChunkPayloadBytes) + " B); " + std::to_string(messageBytes) + " B is larger"};
  }
  return {true, ""};
}

}  // namespace

extern const Mechanism udp{"udp", {}, {ProbeKind::kLatency, ProbeKind::kThroughput}, true, Supports, Open};

}  // namespace podipc::probe::mechanisms
