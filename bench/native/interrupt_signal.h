// The signal half of a blocking-call deadline, shared by the addon (interrupt.cc) and the
// native probe (probe/watchdog.cc): a watchdog thread interrupts a call that has no timeout
// of its own (msgsnd, msgrcv, FIFO read/write/open) with a signal whose handler does
// nothing, so the call returns EINTR and the caller sees that its deadline passed. Each
// keeps its own bookkeeping of who is armed; this is how the signal and the thread start.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <thread>

namespace podipc {

// Exists only so that the signal interrupts the blocked call (EINTR) instead of taking the
// default action (terminating the process).
inline void OnInterruptSignal(int) {}

// Installs the handler and starts `watchdog` on a thread of its own; returns the signal to
// send with pthread_kill. Call once (std::call_once).
inline int StartInterruptWatchdog(void (*watchdog)()) {
  // A real-time signal nobody else uses: Node, V8 and libuv use none, and glibc keeps
  // SIGRTMIN+0..2 for itself (SIGRTMIN already skips them).
  int signal = SIGRTMIN + 5;
  struct sigaction action {};
  action.sa_handler = OnInterruptSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: the blocked call must return EINTR, not resume
  sigaction(signal, &action, nullptr);
  // The watchdog thread blocks every signal, so process-wide ones (SIGINT, SIGTERM) still
  // reach the threads that handle them.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  std::thread(watchdog).detach();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return signal;
}

}  // namespace podipc
