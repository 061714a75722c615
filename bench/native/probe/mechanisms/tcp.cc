// tcp: loopback TCP inside the pod's shared network namespace (or across the veth/CNI link
// cross-pod), with TCP_NODELAY so small ping-pong messages are not held back by Nagle's
// algorithm waiting for the previous segment's ACK. Same wire as bench/mechanisms/tcp.ts:
// the server listens (ephemeral port, published as {"port"}; or the plan's fixed port),
// accepts one peer; frames are cut from the stream by their length field.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../net.h"
#include "../stream_channel.h"
#include "../util.h"

namespace podipc::probe::mechanisms {
namespace {

void NoDelay(int fd) {
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) ThrowErrno("setsockopt(TCP_NODELAY)", errno);
}

std::unique_ptr<Channel> OpenServer(const OpenContext& ctx) {
  SocketAddress addr = ResolveHost(ctx.listenHost, ctx.port, SOCK_STREAM);
  std::string what = "tcp " + ctx.listenHost + ":" + (ctx.port ? std::to_string(ctx.port) : std::string("(ephemeral)"));
  FdGuard listener(socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) ThrowErrno("socket(" + what + ")", errno);
  // SO_REUSEADDR: the previous case's connection may still be in TIME_WAIT on a fixed port.
  int one = 1;
  setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&addr.storage), addr.length) != 0) ThrowErrno("bind(" + what + ")", errno);
  if (listen(listener.get(), 1) != 0) ThrowErrno("listen(" + what + ")", errno);
  SocketAddress bound{};
  bound.length = sizeof bound.storage;
  getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound.storage), &bound.length);
  ctx.rendezvous->Publish(JsonWriter().BeginObject().Key("port").Uint(PortOf(bound)).EndObject().text());
  // One peer per case; closing the listener right away frees the port for the next case.
  FdGuard conn(AcceptOne(listener.get(), ctx.setupTimeoutMs, what));
  NoDelay(conn.get());
  int fd = conn.release();
  return std::make_unique<StreamChannel>(StreamChannel::Kind::kSocket, fd, fd, ctx.setupTimeoutMs, "tcp server");
}

std::unique_ptr<Channel> OpenClient(const OpenContext& ctx) {
  uint16_t port = ServerPort(ctx);
  SocketAddress addr = ResolveHost(ctx.connectHost, port, SOCK_STREAM);
  std::string what = "connect to tcp " + ctx.connectHost + ":" + std::to_string(port);
  int fd = RetryUntil(ctx.setupTimeoutMs, what, [&]() {
    int s = socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    if (connect(s, reinterpret_cast<sockaddr*>(&addr.storage), addr.length) != 0) {
      int err = errno;
      close(s);
      errno = err;
      return -1;
    }
    return s;
  });
  FdGuard conn(fd);
  NoDelay(conn.get());
  conn.release();
  return std::make_unique<StreamChannel>(StreamChannel::Kind::kSocket, fd, fd, ctx.setupTimeoutMs, "tcp client");
}

std::unique_ptr<Channel> Open(const OpenContext& ctx) { return ctx.role == Role::kServer ? OpenServer(ctx) : OpenClient(ctx); }

}  // namespace

extern const Mechanism tcp{"tcp", {}, {ProbeKind::kLatency, ProbeKind::kThroughput}, false, Supported, Open};

}  // namespace podipc::probe::mechanisms
