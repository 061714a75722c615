// Timeouts for blocking system calls that have none: read(2)/write(2)/open(2) on a FIFO and
// msgsnd(2)/msgrcv(2) on a SysV queue. Polling first (poll(2), IPC_NOWAIT) would add a system
// call, or a sleep granularity, to every message; so the call blocks for real and a watchdog
// thread interrupts it with a signal once its deadline passed: the call returns EINTR and the
// caller sees Expired(). Arming is a clock read and two uncontended atomic operations.
//
// The watchdog thread wakes every kTickMs (started on first use only, so mechanisms that do
// not need it never have it), and keeps re-sending the signal while an armed deadline stays
// expired: a signal that lands just before the thread enters the call is absorbed by the
// handler without EINTR, the next one is not.
#pragma once

#include <cstdint>

namespace podipc::probe {

class BlockingDeadline {
 public:
  // Arm for the calling thread (the probe's main thread): timeoutMs from now.
  explicit BlockingDeadline(int64_t timeoutMs);
  ~BlockingDeadline();
  BlockingDeadline(const BlockingDeadline&) = delete;
  BlockingDeadline& operator=(const BlockingDeadline&) = delete;
  // True once the deadline has passed (check after EINTR).
  bool Expired() const;

 private:
  int64_t deadlineNs_;
};

}  // namespace podipc::probe
