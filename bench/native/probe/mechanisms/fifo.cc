// fifo: two named pipes in the pod's shared disk volume, one per direction, as in
// bench/mechanisms/fifo.ts: <disk>/podipc-<tag>-c<case>-c2s.fifo and -s2c.fifo, created by the
// server (mkfifo(3), mode 0600) and published as {"c2s","s2c"}. A FIFO is a byte stream, so
// frames are cut by their length field; with one writer per pipe, PIPE_BUF atomicity does
// not matter.
//
// Opening without deadlock or a false EOF, interoperable with the Node side:
// - server: open c2s for reading (O_NONBLOCK: succeeds with no writer yet), publish, then
//   retry a non-blocking write open of s2c (ENXIO until the client has its read end open);
// - client: open c2s for writing (non-blocking, retried until the server's reader exists),
//   then open s2c for reading *blocking*: it returns once the server's write open succeeded
//   (a reader blocked in open(2) already counts as a reader, so the server's O_NONBLOCK write
//   open stops failing), bounded by the setup timeout. A non-blocking read open would let the
//   client's first read(2) see EOF before the server had opened its write end at all.
// Then both descriptors are switched to blocking mode: a read blocks until bytes arrive (one
// system call per message), a write blocks while the pipe is full (the pipe's flow control),
// each bounded by a BlockingDeadline. EOF means the peer closed its write end: it is gone.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

#include "../cleanup.h"
#include "../net.h"
#include "../stream_channel.h"
#include "../util.h"
#include "../watchdog.h"

namespace podipc::probe::mechanisms {
namespace {

struct FifoPaths {
  std::string c2s, s2c;
};

FifoPaths PathsOf(const OpenContext& ctx) {
  std::string stem = ctx.diskDir + "/podipc-" + ctx.ipc->runTag() + "-c" + std::to_string(ctx.caseIndex);
  return {stem + "-c2s.fifo", stem + "-s2c.fifo"};
}

void SetBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) ThrowErrno("fcntl(F_SETFL)", errno);
}

// Either side may remove the FIFOs: an unlinked FIFO keeps working for descriptors already open.
struct Unlinker {
  FifoPaths paths;
  int slots[2];
  void operator()() const {
    unlink(paths.c2s.c_str());
    unlink(paths.s2c.c_str());
    UnregisterCleanup(slots[0]);
    UnregisterCleanup(slots[1]);
  }
};

Unlinker Register(const FifoPaths& p) {
  return Unlinker{p, {RegisterCleanup(CleanupKind::kUnlinkPath, p.c2s), RegisterCleanup(CleanupKind::kUnlinkPath, p.s2c)}};
}

std::unique_ptr<Channel> OpenServer(const OpenContext& ctx) {
  FifoPaths p = PathsOf(ctx);
  Unlinker unlinker = Register(p);
  try {
    for (const std::string& path : {p.c2s, p.s2c}) {
      if (mkfifo(path.c_str(), 0600) != 0) ThrowErrno("mkfifo(" + path + ")", errno);
    }
    FdGuard readFd(open(p.c2s.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (readFd.get() < 0) ThrowErrno("open(" + p.c2s + ", O_RDONLY)", errno);
    ctx.rendezvous->Publish(JsonWriter().BeginObject().Key("c2s").String(p.c2s).Key("s2c").String(p.s2c).EndObject().text());
    FdGuard writeFd(RetryUntil(ctx.setupTimeoutMs, "open " + p.s2c + " for writing (waiting for the client to open its read end)",
                               [&]() { return open(p.s2c.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC); }));
    SetBlocking(readFd.get());
    SetBlocking(writeFd.get());
    auto ch = std::make_unique<StreamChannel>(StreamChannel::Kind::kFifo, readFd.release(), writeFd.release(),
                                              ctx.setupTimeoutMs, "fifo server (" + p.c2s + ")");
    ch->onClose = unlinker;
    return ch;
  } catch (...) {
    unlinker();
    throw;
  }
}

std::unique_ptr<Channel> OpenClient(const OpenContext& ctx) {
  Json info = ctx.rendezvous->Wait(ctx.setupTimeoutMs);
  FifoPaths p{PublishedString(info, "c2s"), PublishedString(info, "s2c")};
  Unlinker unlinker = Register(p);
  try {
    FdGuard writeFd(RetryUntil(ctx.setupTimeoutMs, "open " + p.c2s + " for writing",
                               [&]() { return open(p.c2s.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC); }));
    int fd;
    {
      BlockingDeadline deadline(ctx.setupTimeoutMs);
      for (;;) {
        fd = open(p.s2c.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) break;
        if (errno != EINTR) ThrowErrno("open(" + p.s2c + ", O_RDONLY)", errno);
        if (deadline.Expired()) {
          throw std::runtime_error("the server did not open " + p.s2c + " for writing within " +
                                   std::to_string(ctx.setupTimeoutMs) + " ms");
        }
      }
    }
    FdGuard readFd(fd);
    SetBlocking(writeFd.get());
    auto ch = std::make_unique<StreamChannel>(StreamChannel::Kind::kFifo, readFd.release(), writeFd.release(),
                                              ctx.setupTimeoutMs, "fifo client (" + p.s2c + ")");
    ch->onClose = unlinker;
    return ch;
  } catch (...) {
    unlinker();
    throw;
  }
}

std::unique_ptr<Channel> Open(const OpenContext& ctx) { return ctx.role == Role::kServer ? OpenServer(ctx) : OpenClient(ctx); }

}  // namespace

extern const Mechanism fifo{"fifo", {}, {ProbeKind::kLatency, ProbeKind::kThroughput}, false, Supported, Open};

}  // namespace podipc::probe::mechanisms
