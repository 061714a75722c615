#include <algorithm>
#include "shm_common.h"

#include <stdexcept>

#include "util.h"

namespace podipc::probe {

namespace {

class SemSleeper : public Sleeper {
 public:
  explicit SemSleeper(SemPair* sems) : sems_(sems) {}
  int32_t Arm() override { return 0; }
  // The server removes its semaphores when it closes, possibly while we are about to sleep on
  // them to read its last frame: the ring's Wait re-checks on a throw.
  bool Sleep(int32_t, int64_t timeoutNs) override { return !sems_->WaitMine(std::max<int64_t>(1, (timeoutNs + 999999) / 1000000)); }
  void Wake() override { sems_->PostPeer(); }
  bool CanLoseWakeups() const override { return false; }
  bool Bumped(int32_t) const override { return true; }
  bool CanLeaveCounts() const override { return true; }
  // 0 ms: a semaphore with no count returns at once.
  void Drain() override { sems_->WaitMine(0); }

 private:
  SemPair* sems_;
};

std::string VariantOf(const char* id, const OpenContext& ctx) {
  std::string v = ctx.variant.empty() ? "spin" : ctx.variant;
  for (const char* known : {"spin", "futex", "sem"}) {
    if (v == known) return v;
  }
  throw std::runtime_error(std::string(id) + ": unknown variant '" + v + "'; use one of spin, futex, sem");
}

}  // namespace

std::unique_ptr<Channel> OpenShm(const char* id, const ShmFlavour& flavour, const OpenContext& ctx) {
  const std::string variant = VariantOf(id, ctx);
  const bool server = ctx.role == Role::kServer;
  // Both owned by the channel's release function from here on.
  auto segment = std::make_shared<MappedSegment>();
  std::shared_ptr<SemPair> sems;
  uint32_t ringBytes;
  if (server) {
    JsonWriter address;
    address.BeginObject();
    *segment = flavour.createSegment(ctx, ShmSegmentBytes(), address);
    InitSegment(segment->bytes(), segment->size(), shm_layout::kRingBytes_);
    ringBytes = shm_layout::kRingBytes_;
    if (variant == "sem") sems = flavour.createSemaphores(ctx, address);
    address.EndObject();
    // The client learns the ring size from the segment header, which it validates.
    ctx.rendezvous->Publish(address.text());
  } else {
    Json info = ctx.rendezvous->Wait(ctx.setupTimeoutMs);
    *segment = flavour.attachSegment(info);
    ringBytes = AttachSegment(segment->bytes(), segment->size(), segment->where());
    if (variant == "sem") sems = flavour.openSemaphores(info, ctx.role);
  }
  std::unique_ptr<Sleeper> sleeper;
  auto* ctl = reinterpret_cast<int32_t*>(segment->bytes());
  if (variant == "futex") sleeper = FutexSleeper(ctl, ctx.role);
  else if (variant == "sem") sleeper = std::make_unique<SemSleeper>(sems.get());
  auto release = [segment, sems]() {
    if (sems) sems->Release();
    segment->Release();
  };
  auto ch = std::make_unique<ShmChannel>(ctx.role, segment->bytes(), ringBytes, std::move(sleeper), ctx.setupTimeoutMs,
                                         std::string(id) + "/" + variant + " " + segment->where(), release);
  ch->limits = {{"ringBytes", static_cast<double>(ringBytes)}};
  return ch;
}

}  // namespace podipc::probe
