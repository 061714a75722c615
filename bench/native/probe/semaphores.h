// Named POSIX semaphores (sem_overview(7): a futex word in /dev/shm/sem.<name>) and SysV
// semaphore sets, with the timeouts the probes need. sem_post/sem_wait stay in user space
// when nobody waits / the count is positive; otherwise they are one futex(2) call.
#pragma once

#include <semaphore.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace podipc::probe {

class PosixSemaphore {
 public:
  PosixSemaphore() = default;
  ~PosixSemaphore();
  PosixSemaphore(const PosixSemaphore&) = delete;
  PosixSemaphore& operator=(const PosixSemaphore&) = delete;

  // O_CREAT|O_EXCL, mode 0600, initial count 0 (nobody's turn until a post).
  void Create(const std::string& name);
  void Open(const std::string& name);
  // True when acquired, false after timeoutMs. Throws when the semaphore is unusable.
  bool Wait(int64_t timeoutMs);
  void Post();
  // sem_close, and sem_unlink for the creator (a peer with it open keeps a working one).
  void Release();

 private:
  sem_t* sem_ = SEM_FAILED;
  std::string name_;
  bool owner_ = false;
  int cleanupSlot_ = -1;
};

// A SysV semaphore set of `count` semaphores, all 0 at creation.
class SysvSemaphores {
 public:
  SysvSemaphores() = default;
  ~SysvSemaphores();
  SysvSemaphores(const SysvSemaphores&) = delete;
  SysvSemaphores& operator=(const SysvSemaphores&) = delete;

  void Create(key_t key, int count);
  void Open(key_t key, int count);
  // semtimedop(-1) on semaphore `index`; false after timeoutMs. Throws when the set is gone.
  bool Wait(int index, int64_t timeoutMs);
  void Post(int index);
  // IPC_RMID for the creator (wakes a peer blocked on it with EIDRM).
  void Release();

 private:
  int semid_ = -1;
  bool owner_ = false;
  int cleanupSlot_ = -1;
};

}  // namespace podipc::probe
