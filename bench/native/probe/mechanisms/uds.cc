// uds: a Unix-domain stream socket whose file lives on the pod's shared emptyDir (both
// containers mount the volume, so both see the socket file); data never touches the network
// stack. Same wire as bench/mechanisms/uds.ts: path <disk>/podipc-c<case>.sock, the server
// publishes {"path"}, the client dials the file in its own mount of the volume.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "../cleanup.h"
#include "../net.h"
#include "../stream_channel.h"
#include "../util.h"

namespace podipc::probe::mechanisms {
namespace {

// sockaddr_un.sun_path is 108 bytes on Linux including the terminating NUL.
constexpr size_t kSunPathMaxBytes = 107;

std::string SocketPath(const OpenContext& ctx) {
  std::string path = ctx.diskDir + "/podipc-c" + std::to_string(ctx.caseIndex) + ".sock";
  if (path.size() > kSunPathMaxBytes) {
    throw std::runtime_error("Unix socket path is " + std::to_string(path.size()) + " bytes, over the " +
                             std::to_string(kSunPathMaxBytes) + "-byte limit of sockaddr_un.sun_path (108 with the NUL): " +
                             path + ". Mount the disk volume at a shorter path.");
  }
  return path;
}

struct sockaddr_un AddressOf(const std::string& path) {
  struct sockaddr_un a {};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}

std::unique_ptr<Channel> OpenServer(const OpenContext& ctx) {
  const std::string path = SocketPath(ctx);
  // A file left by a crashed run would make bind() fail with EADDRINUSE.
  unlink(path.c_str());
  FdGuard listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) ThrowErrno("socket(AF_UNIX)", errno);
  struct sockaddr_un addr = AddressOf(path);
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ThrowErrno("bind(" + path + ")", errno);
  int slot = RegisterCleanup(CleanupKind::kUnlinkPath, path);
  auto unlinkPath = [path, slot]() {
    unlink(path.c_str());
    UnregisterCleanup(slot);
  };
  try {
    if (listen(listener.get(), 1) != 0) ThrowErrno("listen(" + path + ")", errno);
    ctx.rendezvous->Publish(JsonWriter().BeginObject().Key("path").String(path).EndObject().text());
    int fd = AcceptOne(listener.get(), ctx.setupTimeoutMs, path);
    // One peer per case: the file has served its purpose once the client is connected (libuv
    // unlinks it likewise when the Node server stops listening).
    unlinkPath();
    return std::make_unique<StreamChannel>(StreamChannel::Kind::kSocket, fd, fd, ctx.setupTimeoutMs, "uds server");
  } catch (...) {
    unlinkPath();
    throw;
  }
}

std::unique_ptr<Channel> OpenClient(const OpenContext& ctx) {
  ctx.rendezvous->Wait(ctx.setupTimeoutMs);
  const std::string path = SocketPath(ctx);
  struct sockaddr_un addr = AddressOf(path);
  int fd = RetryUntil(ctx.setupTimeoutMs, "connect to the Unix socket " + path, [&]() {
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      int err = errno;
      close(s);
      errno = err;
      return -1;
    }
    return s;
  });
  return std::make_unique<StreamChannel>(StreamChannel::Kind::kSocket, fd, fd, ctx.setupTimeoutMs, "uds client");
}

std::unique_ptr<Channel> Open(const OpenContext& ctx) { return ctx.role == Role::kServer ? OpenServer(ctx) : OpenClient(ctx); }

}  // namespace

extern const Mechanism uds{"uds", {}, {ProbeKind::kLatency, ProbeKind::kThroughput}, false, Supported, Open};

}  // namespace podipc::probe::mechanisms
