// The native ring's half of test/shm-wakeup-race.test.ts: the interleaving that lost
// wake-ups, replayed step by step in one thread against the real ShmChannel of
// bench/native/probe/shm_ring.cc (built by binding.gyp as podipc_ring_replay; the test runs
// it and reads its JSON lines).
//
// The client sends a request and waits for the answer; the server's taking of the request
// (its tail moves: progress the client is NOT waiting for; layout version 2 woke it anyway
// when it looked asleep) lands at the client's arm() or at its sleep, and only then does
// the answer come, while the client sleeps. The futex is modelled by its contract:
// FUTEX_WAIT(word, armed) returns at once when the word is no longer `armed`, else sleeps
// until a FUTEX_WAKE on the word or its timeout. Printed per case: whether the answer came,
// the client's sleeps, how many of them only their timer ended, the channel's
// LostWakeups(), and how many of the server's wake-ups came before its answer (none: the
// client waits for the answer, not for room).
//
// "drain" is a semaphore's: the client's sleep ends by its timer just as the server's answer
// posts it (the model keeps that post as a count), so the client finds the answer without
// taking the post. The count must be drained, not left behind: left, such counts reached
// SEMVMX and semop failed with ERANGE in a 10 M msg/s stream. Printed: the count left.
//
// "lost-bump" is the counter's own check: the server takes the client's flag but its bump
// and wake never happen, so the one sleep ends by its timer with the answer there - the
// signature of the lost wake-up, which LostWakeups() must count.
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../bench/native/probe/frame.h"
#include "../../bench/native/probe/shm_ring.h"

using namespace podipc::probe;
using namespace podipc::probe::shm_layout;

namespace {

enum class Point { kArm, kSleep, kNever };

constexpr uint32_t kRing = 4096;

// One replay's ring segment, laid out fresh, freed after the channels on it are gone.
struct Segment {
  uint8_t* bytes;
  Segment() {
    const size_t size = ShmSegmentBytes(kRing);
    bytes = static_cast<uint8_t*>(std::aligned_alloc(64, (size + 63) / 64 * 64));
    InitSegment(bytes, size, kRing);
  }
  ~Segment() { std::free(bytes); }
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  int32_t* ctl() const { return reinterpret_cast<int32_t*>(bytes); }
};

// The client's request (and the server's answer): a 64-byte data frame, seq 7.
std::vector<uint8_t> Request() {
  std::vector<uint8_t> frame(64);
  FillPattern(frame.data(), frame.size());
  StampFrame(frame.data(), FrameKind::kData, 7, 64);
  return frame;
}

struct Model {
  int32_t* ctl = nullptr;
  bool clientAsleep = false;
  bool woken = false;
  int sleeps = 0, timedOut = 0, earlyWakes = 0;
  bool answerSent = false;
  bool dropServerWakes = false;
  std::function<void(Point)> hook;
};

int32_t Load(const int32_t* ctl, int word) { return __atomic_load_n(ctl + word, __ATOMIC_SEQ_CST); }

class ModelFutex : public Sleeper {
 public:
  ModelFutex(Model* m, bool client) : m_(m), client_(client), mySeq_(client ? kClientSeq : kServerSeq), peerSeq_(client ? kServerSeq : kClientSeq) {}
  int32_t Arm() override {
    if (client_) m_->hook(Point::kArm);
    return Load(m_->ctl, mySeq_);
  }
  bool Sleep(int32_t armed, int64_t) override {
    // Compare and enqueue atomically, then the peer may run.
    if (Load(m_->ctl, mySeq_) != armed) return false;
    m_->sleeps++;
    m_->clientAsleep = true;
    m_->woken = false;
    m_->hook(Point::kSleep);
    m_->clientAsleep = false;
    if (m_->woken) return false;
    m_->timedOut++;
    return true;
  }
  void Wake() override {
    if (!client_ && !m_->answerSent) m_->earlyWakes++;
    if (!client_ && m_->dropServerWakes) return;
    __atomic_fetch_add(m_->ctl + peerSeq_, 1, __ATOMIC_SEQ_CST);
    if (peerSeq_ == kClientSeq && m_->clientAsleep) m_->woken = true;
  }
  bool CanLoseWakeups() const override { return true; }
  bool Bumped(int32_t armed) const override { return Load(m_->ctl, mySeq_) != armed; }

 private:
  Model* m_;
  bool client_;
  int mySeq_, peerSeq_;
};

// A semaphore by its contract: a post adds one, a wait or a drain takes one. The client's
// only sleep ends by its timer after the hook (the server answered and posted meanwhile).
class ModelSem : public Sleeper {
 public:
  ModelSem(Model* m, int* count, int* peerCount, bool client) : m_(m), count_(count), peerCount_(peerCount), client_(client) {}
  int32_t Arm() override { return 0; }
  bool Sleep(int32_t, int64_t) override {
    m_->sleeps++;
    if (client_) m_->hook(Point::kSleep);
    m_->timedOut++;
    return true;
  }
  void Wake() override { ++*peerCount_; }
  bool CanLoseWakeups() const override { return false; }
  bool Bumped(int32_t) const override { return true; }
  bool CanLeaveCounts() const override { return true; }
  void Drain() override {
    if (*count_ > 0) --*count_;
  }

 private:
  Model* m_;
  int* count_;
  int* peerCount_;
  bool client_;
};

void ReplayDrain() {
  Segment segment;
  Model m;
  m.ctl = segment.ctl();
  int clientCount = 0, serverCount = 0;
  std::string error;
  const std::vector<uint8_t> request = Request();
  {
    ShmChannel server(Role::kServer, segment.bytes, kRing, std::make_unique<ModelSem>(&m, &serverCount, &clientCount, false), 1000, "server", nullptr);
    ShmChannel client(Role::kClient, segment.bytes, kRing, std::make_unique<ModelSem>(&m, &clientCount, &serverCount, true), 1000, "client", nullptr);
    bool answered = false;
    m.hook = [&](Point p) {
      if (p != Point::kSleep || answered) return;
      answered = true;
      if (!server.Recv(1)) error = "the server found no request";
      server.Send(request.data(), request.size());
      if (clientCount != 1) error = "the answer did not post the sleeping client";
    };
    client.Send(request.data(), request.size());
    FrameView echo = client.Recv(50);
    if (!echo) error = "the client got no answer";
    std::printf("{\"case\":\"drain\",\"answered\":%s,\"sleeps\":%d,\"countLeft\":%d,\"error\":\"%s\"}\n", echo ? "true" : "false", m.sleeps, clientCount,
                error.c_str());
    client.Close();
    server.Close();
  }
}

void Replay(const char* name, Point inject, bool dropServerWakes) {
  Segment segment;
  Model m;
  m.ctl = segment.ctl();
  m.dropServerWakes = dropServerWakes;
  bool taken = false, answered = false;
  std::string error;
  const std::vector<uint8_t> request = Request();
  {
    ShmChannel server(Role::kServer, segment.bytes, kRing, std::make_unique<ModelFutex>(&m, false), 1000, "server", nullptr);
    ShmChannel client(Role::kClient, segment.bytes, kRing, std::make_unique<ModelFutex>(&m, true), 1000, "client", nullptr);
    m.hook = [&](Point p) {
      if (!taken && (p == inject || (inject == Point::kNever && p == Point::kSleep))) {
        taken = true;
        if (!server.Recv(1)) error = "the server found no request";
      }
      if (p == Point::kSleep && taken && !answered) {
        answered = true;
        m.answerSent = true;
        server.Send(request.data(), request.size());
      }
    };
    client.Send(request.data(), request.size());
    FrameView echo = client.Recv(50);
    if (!echo) error = "the client got no answer";
    else if (!CheckFrame(echo.data, echo.bytes).ok) error = "the answer is corrupt";
    std::optional<uint64_t> lost = client.LostWakeups();
    std::printf("{\"case\":\"%s\",\"answered\":%s,\"sleeps\":%d,\"timedOut\":%d,\"lostWakeups\":%lld,\"earlyWakes\":%d,\"error\":\"%s\"}\n", name,
                echo ? "true" : "false", m.sleeps, m.timedOut, lost ? static_cast<long long>(*lost) : -1LL, m.earlyWakes, error.c_str());
    client.Close();
    server.Close();
  }
}

}  // namespace

int main() {
  try {
    Replay("arm", Point::kArm, false);
    Replay("sleep", Point::kSleep, false);
    Replay("lost-bump", Point::kNever, true);
    ReplayDrain();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ring_replay: %s\n", e.what());
    return 1;
  }
  return 0;
}
