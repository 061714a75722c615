#include "watchdog.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <mutex>

#include "../interrupt_signal.h"
#include "util.h"

namespace podipc::probe {
namespace {

// A timeout here detects a dead peer (hundreds of ms or seconds), so firing up to this late
// is precise enough; 50 wake-ups a second cost nothing measurable.
constexpr int64_t kTickMs = 20;

std::once_flag g_started;
int g_signal = 0;
pthread_t g_thread{};
// The lock makes "check armed, send the signal" atomic against disarming, so no signal is
// sent after the destructor returned.
std::atomic_flag g_lock = ATOMIC_FLAG_INIT;
bool g_armed = false;
int64_t g_deadlineNs = 0;

void Lock() {
  while (g_lock.test_and_set(std::memory_order_acquire)) {
  }
}
void Unlock() { g_lock.clear(std::memory_order_release); }

void Run() {
  for (;;) {
    SleepMs(kTickMs);
    int64_t now = NowNs();
    Lock();
    if (g_armed && now >= g_deadlineNs) pthread_kill(g_thread, g_signal);
    Unlock();
  }
}

void Start() { g_signal = StartInterruptWatchdog(Run); }

}  // namespace

BlockingDeadline::BlockingDeadline(int64_t timeoutMs) : deadlineNs_(NowNs() + timeoutMs * 1000000LL) {
  std::call_once(g_started, Start);
  Lock();
  g_thread = pthread_self();
  g_deadlineNs = deadlineNs_;
  g_armed = true;
  Unlock();
}

BlockingDeadline::~BlockingDeadline() {
  Lock();
  g_armed = false;
  Unlock();
}

bool BlockingDeadline::Expired() const { return NowNs() >= deadlineNs_; }

}  // namespace podipc::probe
