#include "interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <mutex>

#include "common.h"
#include "interrupt_signal.h"

namespace podipc {
namespace {

// One slot per thread currently blocked with a deadline (probes use one; tests a few).
constexpr int kSlots = 64;
// How often the watchdog looks at the slots: a timeout fires up to this late. Timeouts here
// detect a dead peer (seconds), so 5 ms is precise enough and costs ~200 wake-ups/s only
// in a process that used a timed SysV call.
constexpr long kTickNs = 5 * 1000 * 1000;

struct Slot {
  std::mutex mutex;
  bool armed = false;
  pthread_t thread{};
  int64_t deadlineNs = 0;
};

Slot g_slots[kSlots];
std::once_flag g_started;
int g_signal = 0;

void Watchdog() {
  for (;;) {
    struct timespec tick = {0, kTickNs};
    nanosleep(&tick, nullptr);
    int64_t now = NowNs(CLOCK_MONOTONIC);
    for (Slot& slot : g_slots) {
      std::lock_guard<std::mutex> lock(slot.mutex);
      // Re-sent every tick while the slot stays armed: a signal that lands just before the
      // thread enters the blocking call is handled without EINTR, the next one is not.
      // Sending under the lock keeps the thread from disarming meanwhile, so the signal is
      // handled (at the latest while the thread takes this lock to disarm) before the
      // thread returns to Node, where it would at most cause one retried EINTR anyway.
      if (slot.armed && now >= slot.deadlineNs) pthread_kill(slot.thread, g_signal);
    }
  }
}

void Start() { g_signal = StartInterruptWatchdog(Watchdog); }

}  // namespace

DeadlineGuard::DeadlineGuard(double timeoutMs) {
  if (!(timeoutMs > 0)) return;
  std::call_once(g_started, Start);
  deadlineNs_ = NowNs(CLOCK_MONOTONIC) + static_cast<int64_t>(timeoutMs * 1e6);
  for (int i = 0; i < kSlots; i++) {
    Slot& slot = g_slots[i];
    std::lock_guard<std::mutex> lock(slot.mutex);
    if (!slot.armed) {
      slot.armed = true;
      slot.thread = pthread_self();
      slot.deadlineNs = deadlineNs_;
      slot_ = i;
      return;
    }
  }
  // All slots busy (more than kSlots threads in timed SysV calls at once): Expired() still
  // reports the deadline, but nothing interrupts the call. Callers check Armed().
}

DeadlineGuard::~DeadlineGuard() {
  if (slot_ < 0) return;
  Slot& slot = g_slots[slot_];
  std::lock_guard<std::mutex> lock(slot.mutex);
  slot.armed = false;
}

bool DeadlineGuard::Expired() const { return deadlineNs_ != 0 && NowNs(CLOCK_MONOTONIC) >= deadlineNs_; }

bool DeadlineGuard::Armed() const { return slot_ >= 0; }

}  // namespace podipc
