#include "net.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "util.h"

namespace podipc::probe {

FdGuard::~FdGuard() {
  if (fd_ >= 0) close(fd_);
}

SocketAddress ResolveHost(const std::string& host, uint16_t port, int socktype) {
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  hints.ai_flags = AI_NUMERICSERV;
  struct addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    throw std::runtime_error("cannot resolve '" + host + "': " + gai_strerror(rc) + ": check the plan's net hosts");
  }
  SocketAddress a{};
  std::memcpy(&a.storage, res->ai_addr, res->ai_addrlen);
  a.length = res->ai_addrlen;
  freeaddrinfo(res);
  return a;
}

uint16_t PortOf(const SocketAddress& a) {
  if (a.family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_port);
}

int AcceptOne(int listenFd, int64_t timeoutMs, const std::string& what) {
  int64_t deadline = NowNs() + timeoutMs * 1000000LL;
  for (;;) {
    int64_t leftMs = (deadline - NowNs()) / 1000000LL;
    if (leftMs <= 0) throw std::runtime_error("no client connected to " + what + " within " + std::to_string(timeoutMs) + " ms");
    struct pollfd p {listenFd, POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(leftMs));
    if (rc < 0 && errno != EINTR) ThrowErrno("poll(" + what + ")", errno);
    if (rc <= 0) continue;
    int fd = accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return fd;
    if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) ThrowErrno("accept(" + what + ")", errno);
  }
}

int RetryUntil(int64_t timeoutMs, const std::string& what, const std::function<int()>& attempt) {
  int64_t deadline = NowNs() + timeoutMs * 1000000LL;
  for (;;) {
    int fd = attempt();
    if (fd >= 0) return fd;
    int err = errno;
    if (NowNs() > deadline) {
      throw std::runtime_error(what + " failed for " + std::to_string(timeoutMs) + " ms: " + ErrnoText(err));
    }
    SleepMs(20);
  }
}

uint16_t ServerPort(const OpenContext& ctx) {
  if (ctx.port != 0) return ctx.port;
  Json info = ctx.rendezvous->Wait(ctx.setupTimeoutMs);
  return static_cast<uint16_t>(PublishedNumber(info, "port"));
}

}  // namespace podipc::probe
