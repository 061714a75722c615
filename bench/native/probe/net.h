// Socket plumbing the socket mechanisms share (bench/net-connect.ts): resolving the plan's
// hosts, accepting exactly the one peer of a case within the setup timeout, and dialling
// with retries until the server listens.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>

#include "channel.h"

namespace podipc::probe {

struct SocketAddress {
  struct sockaddr_storage storage;
  socklen_t length;
  int family() const { return storage.ss_family; }
};

// host (an IP literal or a name) and port -> one address of the given socket type.
SocketAddress ResolveHost(const std::string& host, uint16_t port, int socktype);
uint16_t PortOf(const SocketAddress& a);

// poll(2) the listening socket for up to timeoutMs, then accept4(SOCK_CLOEXEC) one peer.
int AcceptOne(int listenFd, int64_t timeoutMs, const std::string& what);

// Retry `attempt` (returns an fd, or -1 with errno) every 20 ms until it succeeds or
// timeoutMs passed; the last error names what failed.
int RetryUntil(int64_t timeoutMs, const std::string& what, const std::function<int()>& attempt);

// The server's port: the plan's fixed one, else what the server published (ephemeral).
uint16_t ServerPort(const OpenContext& ctx);

// RAII for a descriptor during setup: closed unless released.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard();
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace podipc::probe
