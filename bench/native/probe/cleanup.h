// What this process must remove if SIGTERM or SIGINT ends it before a channel's Close() ran
// (the harness sends SIGTERM to a pair that overran its deadline, or on Ctrl-C; SIGKILL
// leaves the rest to the harness's ledger sweep). Each object is registered right after it
// is created and unregistered when Close() removes it. The signal handler walks the table
// with async-signal-safe system calls only (unlink, mq_unlink, *ctl(IPC_RMID)), then _exit()s
// with 128 + signal, as the Node entrypoint does.
#pragma once

#include <string>

namespace podipc::probe {

enum class CleanupKind {
  kUnlinkPath,    // a file: FIFO, Unix socket, /dev/shm/<name> (POSIX shm), /dev/shm/sem.<name>
  kMqUnlink,      // a POSIX message queue name
  kSysvShmRmid,   // a SysV shm id
  kSysvMsgRmid,   // a SysV message queue id
  kSysvSemRmid,   // a SysV semaphore set id
};

// Returns a slot for UnregisterCleanup, or -1 when the table is full (then only the ledger
// sweep covers the object: a warning goes to stderr).
int RegisterCleanup(CleanupKind kind, const std::string& nameOrPath, int id = -1);
void UnregisterCleanup(int slot);

// SIGTERM/SIGINT: remove what is registered and exit; SIGPIPE ignored (a write to a closed
// socket or FIFO becomes EPIPE, which the channel reports as "peer closed").
void InstallSignalHandlers();

// The /dev/shm path glibc uses for a POSIX shm object or named semaphore (shm_overview(7),
// sem_overview(7)), so the handler can remove them with unlink().
std::string DevShmPathOfShm(const std::string& name);
std::string DevShmPathOfSem(const std::string& name);

}  // namespace podipc::probe
