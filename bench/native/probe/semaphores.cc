#include "semaphores.h"

#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/sem.h>

#include <stdexcept>

#include "cleanup.h"
#include "shm_segment.h"
#include "util.h"

namespace podipc::probe {

PosixSemaphore::~PosixSemaphore() { Release(); }

void PosixSemaphore::Create(const std::string& name) {
  sem_ = sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 0);
  if (sem_ == SEM_FAILED) {
    ThrowErrno("sem_open('" + name + "', O_CREAT|O_EXCL)", errno,
               errno == EEXIST ? "it exists (left by an interrupted run?): sweep the run's ledger" : "");
  }
  name_ = name;
  owner_ = true;
  cleanupSlot_ = RegisterCleanup(CleanupKind::kUnlinkPath, DevShmPathOfSem(name));
}

void PosixSemaphore::Open(const std::string& name) {
  sem_ = sem_open(name.c_str(), 0);
  if (sem_ == SEM_FAILED) {
    ThrowErrno("sem_open('" + name + "')", errno, errno == ENOENT ? "do both containers share the pod's /dev/shm?" : "");
  }
  name_ = name;
}

bool PosixSemaphore::Wait(int64_t timeoutMs) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 30))
  // sem_clockwait: an absolute CLOCK_MONOTONIC deadline, immune to wall-clock steps.
  struct timespec deadline = DeadlineOn(CLOCK_MONOTONIC, timeoutMs);
  for (;;) {
    if (sem_clockwait(sem_, CLOCK_MONOTONIC, &deadline) == 0) return true;
#else
  struct timespec deadline = DeadlineOn(CLOCK_REALTIME, timeoutMs);
  for (;;) {
    if (sem_timedwait(sem_, &deadline) == 0) return true;
#endif
    if (errno == EINTR) continue;  // the absolute deadline stays put
    if (errno == ETIMEDOUT) return false;
    ThrowErrno("sem_wait('" + name_ + "')", errno);
  }
}

void PosixSemaphore::Post() {
  // sem_post is a release: the waiter's sem_wait sees what was written before it.
  if (sem_post(sem_) != 0) ThrowErrno("sem_post('" + name_ + "')", errno);
}

void PosixSemaphore::Release() {
  if (sem_ != SEM_FAILED) sem_close(sem_);
  sem_ = SEM_FAILED;
  if (owner_) sem_unlink(name_.c_str());
  owner_ = false;
  if (cleanupSlot_ >= 0) UnregisterCleanup(cleanupSlot_);
  cleanupSlot_ = -1;
}

SysvSemaphores::~SysvSemaphores() { Release(); }

void SysvSemaphores::Create(key_t key, int count) {
  // New SysV semaphores start at 0 on Linux (semget(2)): nobody's turn until a post.
  semid_ = semget(key, count, IPC_CREAT | IPC_EXCL | 0600);
  if (semid_ < 0) {
    ThrowErrno("semget(" + HexKey(key) + ", IPC_CREAT|IPC_EXCL)", errno,
               errno == EEXIST ? "the key exists (left by an interrupted run?): `ipcrm -S " + HexKey(key) + "`" : "");
  }
  owner_ = true;
  cleanupSlot_ = RegisterCleanup(CleanupKind::kSysvSemRmid, "", semid_);
}

void SysvSemaphores::Open(key_t key, int count) {
  semid_ = semget(key, count, 0);
  if (semid_ < 0) ThrowErrno("semget(" + HexKey(key) + ")", errno, "is the client in the server's IPC namespace?");
}

bool SysvSemaphores::Wait(int index, int64_t timeoutMs) {
  const int64_t deadline = NowNs() + timeoutMs * 1000000LL;
  for (;;) {
    struct sembuf op {static_cast<unsigned short>(index), -1, 0};
    // semtimedop's timeout is relative: after EINTR wait only for what is left.
    int64_t left = deadline - NowNs();
    if (left < 0) left = 0;
    struct timespec ts = ToTimespec(left);
    if (semtimedop(semid_, &op, 1, &ts) == 0) return true;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return false;  // timed out
    ThrowErrno("semtimedop", errno);
  }
}

void SysvSemaphores::Post(int index) {
  struct sembuf op {static_cast<unsigned short>(index), 1, 0};
  // A V operation never blocks.
  if (semop(semid_, &op, 1) != 0) ThrowErrno("semop(+1)", errno);
}

void SysvSemaphores::Release() {
  if (owner_ && semid_ >= 0) semctl(semid_, 0, IPC_RMID);
  owner_ = false;
  semid_ = -1;
  if (cleanupSlot_ >= 0) UnregisterCleanup(cleanupSlot_);
  cleanupSlot_ = -1;
}

}  // namespace podipc::probe
