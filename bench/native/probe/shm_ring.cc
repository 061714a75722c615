#include <algorithm>
#include "shm_ring.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "frame.h"
#include "util.h"

namespace podipc::probe {
namespace {

using namespace shm_layout;

// ready() polls between clock reads while spinning (~10 µs of polling; a clock read costs
// ~20-50 ns, so a quick answer never pays for it).
constexpr int kSpinPollsPerClockRead = 1024;
// The safety net under the wake-up protocol: no sleep lasts longer than this, and one that
// its timer ended with the ring ready is counted (LostWakeups), never silently absorbed.
constexpr int64_t kSleepSliceNs = 1000 * 1000;
// The sleeping flag: 0 awake, kWaitingForData or kWaitingForRoom asleep (the waiter's store,
// saying what it waits for), 2 a wake-up under way (the waker's, from taking the flag until
// its wake-up call returned).
constexpr int32_t kWaking = 2;
// How long a side that finds its flag taken waits for the peer's post before draining it
// (ShmChannel::Awake): one system call's time, bounded in case the peer died inside it.
constexpr int64_t kDrainWaitNs = 1000 * 1000;

inline int32_t Load(const int32_t* ctl, int word) { return __atomic_load_n(ctl + word, __ATOMIC_SEQ_CST); }
inline void Store(int32_t* ctl, int word, int32_t v) { __atomic_store_n(ctl + word, v, __ATOMIC_SEQ_CST); }

class Futex : public Sleeper {
 public:
  Futex(int32_t* ctl, int mySeq, int peerSeq) : ctl_(ctl), mySeq_(mySeq), peerSeq_(peerSeq) {}
  int32_t Arm() override { return Load(ctl_, mySeq_); }
  bool Sleep(int32_t armed, int64_t timeoutNs) override {
    struct timespec ts = ToTimespec(timeoutNs);
    // No FUTEX_PRIVATE_FLAG: a private futex is keyed by (process, virtual address) and never
    // meets a waker in another process; the shared form is keyed by the page of the
    // MAP_SHARED mapping, which both processes see. Returns on a wake, on EAGAIN (the word
    // moved since Arm), on EINTR or on timeout: the caller re-checks in every case.
    long rc = syscall(SYS_futex, ctl_ + mySeq_, FUTEX_WAIT, armed, &ts, nullptr, 0);
    if (rc == 0) return false;
    if (errno == ENOSYS) throw std::runtime_error("futex(2) is not supported here: use the spin or sem variant");
    return errno == ETIMEDOUT;
  }
  bool CanLoseWakeups() const override { return true; }
  bool Bumped(int32_t armed) const override { return Load(ctl_, mySeq_) != armed; }
  void Wake() override {
    // Bump first: a peer between its check and FUTEX_WAIT then finds the word changed.
    __atomic_fetch_add(ctl_ + peerSeq_, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, ctl_ + peerSeq_, FUTEX_WAKE, 1, nullptr, nullptr, 0);
  }

 private:
  int32_t* ctl_;
  int mySeq_, peerSeq_;
};

}  // namespace

std::unique_ptr<Sleeper> FutexSleeper(int32_t* ctl, Role role) {
  return role == Role::kServer ? std::make_unique<Futex>(ctl, kServerSeq, kClientSeq) : std::make_unique<Futex>(ctl, kClientSeq, kServerSeq);
}

void InitSegment(uint8_t* bytes, size_t size, uint32_t ringBytes) {
  if ((ringBytes & (ringBytes - 1)) != 0 || ringBytes < 64) throw std::runtime_error("ring size must be a power of two >= 64");
  if (size < ShmSegmentBytes(ringBytes)) throw std::runtime_error("segment is smaller than the rings need");
  if (reinterpret_cast<uintptr_t>(bytes) % 8 != 0) throw std::runtime_error("segment is not 8-byte aligned");
  auto* ctl = reinterpret_cast<int32_t*>(bytes);
  std::memset(bytes, 0, kControlBytes);
  Store(ctl, kVersion, kLayoutVersion);
  Store(ctl, kRingBytes, static_cast<int32_t>(ringBytes));
  Store(ctl, kMagic, static_cast<int32_t>(kShmMagic));
}

uint32_t AttachSegment(const uint8_t* bytes, size_t size, const std::string& where) {
  if (size < kControlBytes) throw std::runtime_error(where + " is " + std::to_string(size) + " bytes, too small for podipc's ring header");
  const auto* ctl = reinterpret_cast<const int32_t*>(bytes);
  if (static_cast<uint32_t>(Load(ctl, kMagic)) != kShmMagic) throw std::runtime_error(where + " is not an initialised podipc ring segment (bad magic)");
  int32_t version = Load(ctl, kVersion);
  if (version != kLayoutVersion) {
    throw std::runtime_error(where + " has ring layout version " + std::to_string(version) + ", this probe speaks " +
                             std::to_string(kLayoutVersion) + ": run the same podipc build on both sides");
  }
  uint32_t ringBytes = static_cast<uint32_t>(Load(ctl, kRingBytes));
  if (ringBytes < 64 || (ringBytes & (ringBytes - 1)) != 0 || size < ShmSegmentBytes(ringBytes)) {
    throw std::runtime_error(where + ": ring size " + std::to_string(ringBytes) + " does not fit the " + std::to_string(size) + "-byte segment");
  }
  return ringBytes;
}

ShmChannel::ShmChannel(Role role, uint8_t* segment, uint32_t ringBytes, std::unique_ptr<Sleeper> sleeper, int64_t silenceMs,
                       std::string label, std::function<void()> release)
    : ctl_(reinterpret_cast<int32_t*>(segment)), mask_(ringBytes - 1), ringBytes_(ringBytes), sleeper_(std::move(sleeper)),
      silenceMs_(silenceMs), label_(std::move(label)), release_(std::move(release)), frame_(64 * 1024), need_(kFrameHeaderBytes) {
  uint8_t* c2s = segment + kControlBytes;
  uint8_t* s2c = c2s + ringBytes;
  const bool server = role == Role::kServer;
  tx_ = server ? s2c : c2s;
  rx_ = server ? c2s : s2c;
  txHeadWord_ = server ? kS2cHead : kC2sHead;
  txTailWord_ = server ? kS2cTail : kC2sTail;
  rxHeadWord_ = server ? kC2sHead : kS2cHead;
  rxTailWord_ = server ? kC2sTail : kS2cTail;
  mySleeping_ = server ? kServerSleeping : kClientSleeping;
  peerSleeping_ = server ? kClientSleeping : kServerSleeping;
  myLostWakeups_ = server ? kServerLostWakeups : kClientLostWakeups;
  myClosedBit_ = server ? kClosedBitServer : kClosedBitClient;
  peerClosedBit_ = server ? kClosedBitClient : kClosedBitServer;
  head_ = static_cast<uint32_t>(Load(ctl_, txHeadWord_));
  tailSeen_ = static_cast<uint32_t>(Load(ctl_, txTailWord_));
  tail_ = static_cast<uint32_t>(Load(ctl_, rxTailWord_));
}

ShmChannel::~ShmChannel() { Close(); }

std::optional<uint64_t> ShmChannel::LostWakeups() const {
  if (!sleeper_ || !sleeper_->CanLoseWakeups() || closed_) return std::nullopt;
  return static_cast<uint64_t>(static_cast<uint32_t>(Load(ctl_, kServerLostWakeups))) +
         static_cast<uint32_t>(Load(ctl_, kClientLostWakeups));
}

bool ShmChannel::PeerClosed() const { return (Load(ctl_, kClosed) & peerClosedBit_) != 0; }

bool ShmChannel::CanRead() const { return static_cast<uint32_t>(Load(ctl_, rxHeadWord_)) != tail_ || PeerClosed(); }

bool ShmChannel::CanWrite() const {
  return head_ - static_cast<uint32_t>(Load(ctl_, txTailWord_)) + pad_ < ringBytes_ || PeerClosed();
}

template <typename Ready>
bool ShmChannel::Wait(Ready ready, int32_t waitingFor, int64_t sliceNs) {
  if (!sleeper_) {
    // Busy polling: no system call on either path, lowest latency, a whole core burnt per
    // waiting side (CPU per message shows it). No pause instruction, as on the Node side.
    int64_t deadline = 0;
    for (;;) {
      for (int i = 0; i < kSpinPollsPerClockRead; i++) {
        if (ready()) return true;
      }
      int64_t now = NowNs();
      if (deadline == 0) deadline = now + sliceNs;
      else if (now >= deadline) return false;
    }
  }
  if (ready()) return true;
  const int64_t deadline = NowNs() + sliceNs;
  // The last sleep ended by a post, which it took: no wake-up of ours is left to drain.
  bool woken = false;
  for (;;) {
    // Arm first, then announce: the order that keeps a wake-up from being lost (the top of
    // shm_ring.h).
    int32_t armed = sleeper_->Arm();
    Store(ctl_, mySleeping_, waitingFor);
    woken = false;
    if (ready()) break;
    int64_t left = deadline - NowNs();
    if (left <= 0) {
      Awake(waitingFor, false);
      return false;
    }
    bool timedOut = false;
    try {
      timedOut = sleeper_->Sleep(armed, std::min(left, kSleepSliceNs));
    } catch (...) {
      if (!ready()) {
        Store(ctl_, mySleeping_, 0);
        throw;
      }
    }
    woken = !timedOut;
    if (ready()) {
      // The timer, not the peer, ended a sleep whose progress had come: a lost wake-up.
      if (timedOut && WakeupLost(armed)) __atomic_fetch_add(ctl_ + myLostWakeups_, 1, __ATOMIC_SEQ_CST);
      break;
    }
  }
  Awake(waitingFor, woken);
  return true;
}

void ShmChannel::Awake(int32_t waitingFor, bool woken) {
  // Lower the flag, sparing the peer a wake-up system call until we sleep again. A peer that
  // took it first has posted, or is posting, a wake-up; unless a sleep took it, a semaphore
  // keeps it as a count, and counts left that way piled up until semop failed with ERANGE
  // (bench/shm-ring.ts SleepingWakeUp.awake). So wait for that post to finish (the peer holds
  // the flag at 2 until then; bounded, in case it died inside) and drain it.
  int32_t expected = waitingFor;
  if (__atomic_compare_exchange_n(ctl_ + mySleeping_, &expected, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return;
  if (woken || !sleeper_->CanLeaveCounts()) {
    Store(ctl_, mySleeping_, 0);
    return;
  }
  const int64_t until = NowNs() + kDrainWaitNs;
  while (Load(ctl_, mySleeping_) == kWaking && NowNs() < until) {
  }
  Store(ctl_, mySleeping_, 0);
  try {
    sleeper_->Drain();
  } catch (...) {
    // The peer closed and removed its semaphores: its post went with them.
  }
}

bool ShmChannel::WakeupLost(int32_t armed) {
  if (!sleeper_->CanLoseWakeups()) return false;
  // Still asleep: the peer has not taken the flag yet and would wake us (taking it back
  // here spares it the system call). Waking: its wake-up is under way. Either way late, not
  // lost.
  if (__atomic_exchange_n(ctl_ + mySleeping_, 0, __ATOMIC_SEQ_CST) != 0) return false;
  // Taken and done: the peer bumped the word and called FUTEX_WAKE. A word still at
  // `armed` means that bump came before our arm(): the race of the old order, and the
  // wake-up for what we waited for will never come. (A word past `armed` is a wake-up our
  // timer beat by a hair, or one that came while we were descheduled after it.)
  return !sleeper_->Bumped(armed);
}

void ShmChannel::WakePeer(int32_t made) {
  // The plain load keeps the common case (peer busy, or waiting for the other thing) free of
  // a locked RMW.
  if (!sleeper_ || Load(ctl_, peerSleeping_) != made) return;
  // Take the flag (one wake per sleep) and mark the wake-up under way until it is done, so
  // that a peer whose timer ends meanwhile can tell a late wake-up from a lost one; the
  // peer raising its flag again (a new sleep) keeps the final exchange from clearing it.
  int32_t asleep = made;
  if (!__atomic_compare_exchange_n(ctl_ + peerSleeping_, &asleep, kWaking, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return;
  sleeper_->Wake();
  int32_t waking = kWaking;
  __atomic_compare_exchange_n(ctl_ + peerSleeping_, &waking, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

uint32_t ShmChannel::WriteSome(const uint8_t* src, uint32_t n) {
  // The consumer's tail as last seen: its line is written by the other core after every
  // read, so it is fetched only when the stale value says there is too little room.
  if (ringBytes_ - (head_ - tailSeen_) - pad_ < n) tailSeen_ = static_cast<uint32_t>(Load(ctl_, txTailWord_));
  uint32_t k = std::min(ringBytes_ - (head_ - tailSeen_) - pad_, n);
  if (k == 0) return 0;
  // A new frame's gap to its line goes out with its first byte.
  head_ += pad_;
  pad_ = 0;
  uint32_t pos = head_ & mask_;
  uint32_t first = std::min(k, ringBytes_ - pos);
  std::memcpy(tx_ + pos, src, first);
  if (k > first) std::memcpy(tx_, src + first, k - first);
  head_ += k;
  // Publish after the copy: the consumer that sees the new head sees the bytes.
  Store(ctl_, txHeadWord_, static_cast<int32_t>(head_));
  return k;
}

const uint8_t* ShmChannel::Pull() {
  const uint32_t before = tail_;
  const uint32_t headNow = static_cast<uint32_t>(Load(ctl_, rxHeadWord_));
  auto read = [&](uint8_t* dst, uint32_t max) -> uint32_t {
    uint32_t n = std::min(headNow - tail_, max);
    if (n == 0) return 0;
    uint32_t pos = tail_ & mask_;
    uint32_t first = std::min(n, ringBytes_ - pos);
    std::memcpy(dst, rx_ + pos, first);
    if (n > first) std::memcpy(dst + first, rx_, n - first);
    tail_ += n;
    return n;
  };
  auto expect = [&](uint32_t frameBytes) {
    if (frameBytes < kFrameHeaderBytes || frameBytes > kMaxFrameBytes) {
      // A corrupt length would desynchronise the ring for good: surface it, do not guess.
      throw std::runtime_error(label_ + ": shared-memory ring desynchronised: frame length field " + std::to_string(frameBytes));
    }
    if (frameBytes > frame_.size()) frame_.resize(frameBytes);
    headerSeen_ = true;
    need_ = frameBytes;
  };
  const uint8_t* done = nullptr;
  if (!headerSeen_) {
    // Between frames, once the next one has begun: it starts on the next line.
    if (have_ == 0 && headNow != tail_) tail_ += (0u - tail_) & (kRecordAlign - 1);
    uint32_t readable = headNow - tail_;
    if (have_ == 0 && readable >= kFrameHeaderBytes) {
      // Between frames: learn the length from the header in place, so a frame already in
      // the ring comes out with one copy.
      uint8_t len[4];
      for (uint32_t i = 0; i < 4; i++) len[i] = rx_[(tail_ + 12 + i) & mask_];
      expect(LoadLe32(len));
    } else {
      have_ += read(frame_.data() + have_, kFrameHeaderBytes - have_);
      if (have_ >= kFrameHeaderBytes) expect(LoadLe32(frame_.data() + 12));
    }
  }
  if (headerSeen_) {
    have_ += read(frame_.data() + have_, need_ - have_);
    if (have_ == need_) {
      done = frame_.data();
      have_ = 0;
      headerSeen_ = false;
    }
  }
  if (tail_ != before) {
    // The bytes are copied out before the producer may overwrite them.
    Store(ctl_, rxTailWord_, static_cast<int32_t>(tail_));
    WakePeer(kWaitingForRoom);
  }
  return done;
}

void ShmChannel::Send(const uint8_t* frame, size_t bytes) {
  if (closed_) throw std::runtime_error(label_ + ": send on a closed channel");
  uint32_t n = static_cast<uint32_t>(bytes);
  pad_ = (0u - head_) & (kRecordAlign - 1);
  uint32_t off = WriteSome(frame, n);
  if (off > 0) WakePeer(kWaitingForData);
  if (off == n) return;
  int64_t lastProgress = NowNs();
  for (;;) {
    if (PeerClosed()) {
      throw std::runtime_error(label_ + ": the peer closed the channel while " + std::to_string(n - off) + " bytes were still to send");
    }
    int64_t left = lastProgress + silenceMs_ * 1000000LL - NowNs();
    if (left <= 0) {
      throw std::runtime_error(label_ + ": waited " + std::to_string(silenceMs_) +
                               " ms for the peer to make room in the ring (it stopped reading)");
    }
    Wait([this] { return CanWrite(); }, kWaitingForRoom, left);
    uint32_t k = WriteSome(frame + off, n - off);
    if (k > 0) {
      off += k;
      WakePeer(kWaitingForData);
      if (off == n) return;
      lastProgress = NowNs();
    }
  }
}

FrameView ShmChannel::Recv(int64_t timeoutMs) {
  if (closed_) throw std::runtime_error(label_ + ": receive on a closed channel");
  const uint8_t* f = Pull();
  if (f) return FrameView{f, need_};
  int64_t lastProgress = NowNs();
  uint32_t position = tail_;
  for (;;) {
    int64_t left = lastProgress + timeoutMs * 1000000LL - NowNs();
    if (left <= 0) return FrameView{nullptr, 0};
    Wait([this] { return CanRead(); }, kWaitingForData, left);
    f = Pull();
    if (f) return FrameView{f, need_};
    if (PeerClosed() && static_cast<uint32_t>(Load(ctl_, rxHeadWord_)) == tail_) {
      throw std::runtime_error(label_ + ": the peer closed the channel" +
                               (have_ ? " in the middle of a frame (" + std::to_string(have_) + " bytes in)" : std::string()));
    }
    if (tail_ != position) {
      position = tail_;
      lastProgress = NowNs();
    }
  }
}

void ShmChannel::Close() {
  if (closed_) return;
  closed_ = true;
  // Tell a waiting peer at once rather than after its silence timeout.
  __atomic_fetch_or(ctl_ + kClosed, myClosedBit_, __ATOMIC_SEQ_CST);
  try {
    // Whatever the peer waits for, the closed bit is the answer.
    WakePeer(kWaitingForData);
    WakePeer(kWaitingForRoom);
  } catch (...) {
    // The peer closed first and removed its semaphore: nobody left to wake.
  }
  if (release_) release_();
}

}  // namespace podipc::probe
