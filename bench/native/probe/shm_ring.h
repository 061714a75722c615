// The framed, bidirectional channel over one shared-memory segment, byte for byte the layout
// of bench/shm-ring.ts: a control block of Int32 words, then two single-producer single-
// consumer byte rings (client->server, server->client). Words (each side writes only its own
// cache lines):
//    0 magic 'PSHM'  1 layout version 3  2 ringBytes  3 closed bits (1 server, 2 client)
//   16 c2sHead  32 c2sTail  48 s2cHead  64 s2cTail
//   80 serverSleeping  81 serverSeq  82 serverLostWakeups
//   96 clientSleeping  97 clientSeq  98 clientLostWakeups
// The control block is 512 bytes; the c2s ring follows it, then the s2c ring. Head and tail
// are free-running u32 byte counters (used = head - tail, position = index & (ringBytes-1)).
// Frames start on a cache line of the ring (kRecordAlign; version 1 packed them back to back).
//
// Memory ordering: the producer copies bytes in, then publishes its head with a
// sequentially consistent store; the consumer loads the head before copying out and
// publishes its tail the same way (the Node side uses Atomics, which are sequentially
// consistent: the same instructions on x86, an xchg per store). Sequential consistency is
// also what the sleeping handshake below needs (a store then a load of another word).
//
// Wake-ups (the variant): spin busy-polls (no system call either way, a core burnt per waiting
// side); futex and sem sleep in the kernel after announcing it, with K what the waiter waits for
// (kWaitingForData: the peer's head to move; kWaitingForRoom: its tail):
//   waiter:   armed = arm(); store mySleeping=K; if ready() -> done; else sleep(armed)
//   notifier: publish head (K = data) or tail (K = room);  if cas(peerSleeping, K -> 2): wake(); cas(peerSleeping, 2 -> 0)
// Either the notifier's CAS follows the waiter's store and sees K, or it precedes it and the
// waiter's ready() sees the progress. Progress of the other kind leaves the flag alone, so a
// server taking a request does not wake the client that waits for the answer (layout version 2
// had one "asleep" value: that wake-up came before the answer, a system call on the server's way
// to it). A wake between the waiter's check and its sleep is caught by the primitive: the futex
// waiter passes the sequence word it read in arm() and the waker bumps that word before
// FUTEX_WAKE; a semaphore keeps the post as a count. No spinning before sleeping: these variants
// measure the kernel's wake-up.
//
// arm() comes BEFORE the store: a notifier whose exchange takes the flag must bump the sequence
// word after the waiter read it. The other order (store, then arm) lost wake-ups in layout
// version 2: the notifier of an earlier, unrelated progress (the tail moved while the waiter
// waits for data) exchanged the fresh flag to 0 and bumped the word between the waiter's store
// and its read; the waiter armed with the bumped value, found nothing to read, and slept with
// its flag down, so the wake-up for the data it waited for was skipped. (Runs stalled until
// their silence timeout, about 1 in 40 on 2026-12-02; test/shm-wakeup-race.test.ts replays that
// interleaving step by step.)
//
// Every sleep is also capped at kSleepSliceNs (1 ms) as a safety net, and a futex sleep that its
// timer ended while the ring was ready is examined. The waker holds the flag at 2 ("waking")
// from taking it until its FUTEX_WAKE returned, so: the flag still what we stored (not taken
// yet) or 2 (wake-up under way) is a late wake-up, not counted - a few per run when waits last
// over 1 ms (1 MiB round trips) or a Node waker pauses between two steps; flag 0 with the word
// still at what we armed with is a wake-up that will never come - the signature of the race
// above, exact - and it is counted, by each side in its own control word (serverLostWakeups /
// clientLostWakeups); the client reports both in the result line's integrity.lostWakeups, an
// integrity failure rather than a 1 ms bump hidden in the tail.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "channel.h"

namespace podipc::probe {

namespace shm_layout {
constexpr int kLineWords = 16;
constexpr int kMagic = 0, kVersion = 1, kRingBytes = 2, kClosed = 3;
constexpr int kC2sHead = 1 * kLineWords, kC2sTail = 2 * kLineWords;
constexpr int kS2cHead = 3 * kLineWords, kS2cTail = 4 * kLineWords;
constexpr int kServerSleeping = 5 * kLineWords, kServerSeq = 5 * kLineWords + 1;
constexpr int kClientSleeping = 6 * kLineWords, kClientSeq = 6 * kLineWords + 1;
// Lost wake-ups (see the top), each written by its own side only.
constexpr int kServerLostWakeups = 5 * kLineWords + 2, kClientLostWakeups = 6 * kLineWords + 2;
constexpr uint32_t kShmMagic = 0x4d485350;  // 'PSHM' little-endian
constexpr int32_t kLayoutVersion = 3;
// What a sleeping side waits for, as the value of its sleeping flag (bench/shm-ring.ts
// WAITING_FOR); 2 is a wake-up under way.
constexpr int32_t kWaitingForData = 1, kWaitingForRoom = 3;
// Every frame starts on a cache line of its ring (bench/shm-ring.ts RECORD_ALIGN, and why):
// the writer skips to the next multiple of kRecordAlign before a frame's first byte, the
// reader skips the same gap between frames once the next frame's bytes are there.
constexpr uint32_t kRecordAlign = 64;
constexpr size_t kControlBytes = 8 * kLineWords * 4;
// 256 KiB per direction, as bench/shm-ring.ts (a typical socket buffer; why: see there).
constexpr uint32_t kRingBytes_ = 256 * 1024;
constexpr int32_t kClosedBitServer = 1, kClosedBitClient = 2;
}  // namespace shm_layout

inline size_t ShmSegmentBytes(uint32_t ringBytes = shm_layout::kRingBytes_) { return shm_layout::kControlBytes + 2 * size_t{ringBytes}; }

// Creator: lay out a fresh segment (magic last). Attacher: validate it before trusting an index.
void InitSegment(uint8_t* bytes, size_t size, uint32_t ringBytes);
uint32_t AttachSegment(const uint8_t* bytes, size_t size, const std::string& where);

// The kernel primitive behind a sleeping wake-up: a futex word or a semaphore.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Read BEFORE announcing "asleep" and the last ready() check (futex: the sequence word).
  virtual int32_t Arm() = 0;
  // Sleep until woken or timeoutNs; may return early. True when the sleep ended by its timer
  // (not a wake, a changed word or a signal). May throw when the primitive is gone (the peer
  // closed and removed it): the caller re-checks and rethrows only if idle.
  virtual bool Sleep(int32_t armed, int64_t timeoutNs) = 0;
  virtual void Wake() = 0;
  // Whether a wake-up can be lost at all, and the evidence after a sleep its timer ended:
  // has the peer bumped our word past `armed` (futex)? A semaphore post is a count: never lost.
  virtual bool CanLoseWakeups() const = 0;
  virtual bool Bumped(int32_t armed) const = 0;
  // Semaphore only: a post nobody slept for stays as a count. Drain takes one without
  // waiting, if there is one (ShmChannel::Awake). A futex wake-up with no sleeper leaves
  // nothing behind.
  virtual bool CanLeaveCounts() const { return false; }
  virtual void Drain() {}
};

enum class WakeKind { kSpin, kSleep };

class ShmChannel : public Channel {
 public:
  // `release` runs once in Close(): unmap/detach and remove what this side owns.
  ShmChannel(Role role, uint8_t* segment, uint32_t ringBytes, std::unique_ptr<Sleeper> sleeper, int64_t silenceMs,
             std::string label, std::function<void()> release);
  ~ShmChannel() override;
  void Send(const uint8_t* frame, size_t bytes) override;
  FrameView Recv(int64_t timeoutMs) override;
  void Close() override;
  // Both sides' sleeps that ended by their timer with the ring ready (see the top); nullopt
  // for spin, which never sleeps.
  std::optional<uint64_t> LostWakeups() const override;

 private:
  bool PeerClosed() const;
  bool CanRead() const;
  bool CanWrite() const;
  // Wait until ready() or sliceNs passed; true when ready. `waitingFor`: kWaitingForData or
  // kWaitingForRoom, what ready() checks.
  template <typename Ready>
  bool Wait(Ready ready, int32_t waitingFor, int64_t sliceNs);
  // After publishing progress - `made` data (head) or room (tail): wake the peer if it sleeps
  // waiting for that.
  void WakePeer(int32_t made);
  // After a sleep its timer ended with the ring ready: was the wake-up lost, or on its way?
  bool WakeupLost(int32_t armed);
  // Awake after a wait: lower the flag, and drain a semaphore post this side did not sleep for.
  void Awake(int32_t waitingFor, bool woken);
  // Copy what the ring holds into the frame buffer; a whole frame when it completes one.
  const uint8_t* Pull();
  uint32_t WriteSome(const uint8_t* src, uint32_t n);

  int32_t* ctl_;
  uint8_t* tx_;
  uint8_t* rx_;
  uint32_t mask_;
  uint32_t ringBytes_;
  int txHeadWord_, txTailWord_, rxHeadWord_, rxTailWord_;
  int mySleeping_, peerSleeping_, myLostWakeups_;
  int32_t myClosedBit_, peerClosedBit_;
  uint32_t head_;  // our producer index
  uint32_t tailSeen_;  // the consumer's tail as last loaded (never ahead of the real one)
  uint32_t pad_ = 0;  // bytes to skip before the next byte written (a new frame's gap to its line)
  uint32_t tail_;  // our consumer index
  std::unique_ptr<Sleeper> sleeper_;  // null: spin
  int64_t silenceMs_;
  std::string label_;
  std::function<void()> release_;
  // Frame reassembly: header first (from which the length), then the rest.
  std::vector<uint8_t> frame_;
  uint32_t have_ = 0;
  uint32_t need_;
  bool headerSeen_ = false;
  bool closed_ = false;
};

// The futex sleeper on the segment's sequence words (role decides which is whose).
std::unique_ptr<Sleeper> FutexSleeper(int32_t* ctl, Role role);

}  // namespace podipc::probe
