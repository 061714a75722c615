#include "cleanup.h"

#include <mqueue.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "util.h"

namespace podipc::probe {
namespace {

constexpr int kSlots = 64;
constexpr size_t kNameBytes = 256;

struct Entry {
  std::atomic<bool> active{false};
  CleanupKind kind = CleanupKind::kUnlinkPath;
  int id = -1;
  char name[kNameBytes] = {};
};

Entry g_entries[kSlots];

void RemoveAll() {
  for (Entry& e : g_entries) {
    if (!e.active.load(std::memory_order_acquire)) continue;
    switch (e.kind) {
      case CleanupKind::kUnlinkPath:
        unlink(e.name);
        break;
      case CleanupKind::kMqUnlink:
        mq_unlink(e.name);  // a plain system call wrapper in glibc
        break;
      case CleanupKind::kSysvShmRmid:
        // Marks the segment for destruction; it goes when the last process detaches (a peer
        // still attached keeps working until it leaves).
        shmctl(e.id, IPC_RMID, nullptr);
        break;
      case CleanupKind::kSysvMsgRmid:
        msgctl(e.id, IPC_RMID, nullptr);
        break;
      case CleanupKind::kSysvSemRmid:
        semctl(e.id, 0, IPC_RMID);
        break;
    }
  }
}

void OnTerminate(int sig) {
  const char* what = sig == SIGINT ? "probe: SIGINT, removing this side's IPC objects\n"
                                   : "probe: SIGTERM, removing this side's IPC objects\n";
  ssize_t ignored = write(2, what, std::strlen(what));
  (void)ignored;
  RemoveAll();
  _exit(128 + sig);
}

}  // namespace

int RegisterCleanup(CleanupKind kind, const std::string& nameOrPath, int id) {
  if (nameOrPath.size() >= kNameBytes) {
    LogError("probe: warning: name too long for the signal cleanup table (the ledger sweep covers it): " + nameOrPath);
    return -1;
  }
  for (int i = 0; i < kSlots; i++) {
    Entry& e = g_entries[i];
    if (e.active.load(std::memory_order_relaxed)) continue;
    e.kind = kind;
    e.id = id;
    std::memcpy(e.name, nameOrPath.c_str(), nameOrPath.size() + 1);
    // Published last: the handler (which interrupts this thread) sees a whole entry or none.
    e.active.store(true, std::memory_order_release);
    return i;
  }
  LogError("probe: warning: signal cleanup table full (the ledger sweep covers it): " + nameOrPath);
  return -1;
}

void UnregisterCleanup(int slot) {
  if (slot >= 0 && slot < kSlots) g_entries[slot].active.store(false, std::memory_order_release);
}

void InstallSignalHandlers() {
  struct sigaction term {};
  term.sa_handler = OnTerminate;
  sigemptyset(&term.sa_mask);
  // Block the other terminating signal while one is handled: one cleanup pass, one exit code.
  sigaddset(&term.sa_mask, SIGTERM);
  sigaddset(&term.sa_mask, SIGINT);
  term.sa_flags = 0;
  sigaction(SIGTERM, &term, nullptr);
  sigaction(SIGINT, &term, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

std::string DevShmPathOfShm(const std::string& name) { return "/dev/shm/" + name.substr(1); }
std::string DevShmPathOfSem(const std::string& name) { return "/dev/shm/sem." + name.substr(1); }

}  // namespace podipc::probe
