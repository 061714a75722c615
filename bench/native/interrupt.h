// Timeouts for system calls that have none (msgsnd, msgrcv).
//
// SysV message queues offer only "block forever" or IPC_NOWAIT. Polling with IPC_NOWAIT and
// sleeps would add the sleep granularity (tens of microseconds) to every message and measure
// the poll loop instead of the kernel's wake-up. So the call blocks for real, and a watchdog
// thread interrupts it with a signal once the deadline has passed: the blocked call returns
// EINTR, the caller sees the deadline is over and reports a timeout. Arming costs one clock
// read and an uncontended lock, no system call.
#pragma once

#include <cstdint>

namespace podipc {

class DeadlineGuard {
 public:
  // timeoutMs > 0 arms a deadline for the calling thread; otherwise the guard does nothing.
  explicit DeadlineGuard(double timeoutMs);
  ~DeadlineGuard();
  DeadlineGuard(const DeadlineGuard&) = delete;
  DeadlineGuard& operator=(const DeadlineGuard&) = delete;
  // True when the deadline has passed (check after EINTR).
  bool Expired() const;
  // False when the guard could not arm (all watchdog slots busy): the caller must poll.
  bool Armed() const;

 private:
  int slot_ = -1;
  int64_t deadlineNs_ = 0;
};

}  // namespace podipc
