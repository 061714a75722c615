// shm-posix: a POSIX shared memory object (shm_open + mmap MAP_SHARED, a file in the pod's
// shared /dev/shm) holding the two rings of shm_ring.h, laid out as shm-typed-array makes it
// (shm_segment.h), published as {"shmName"}. Variants: spin, futex, sem (two POSIX named
// semaphores "wake-server" and "wake-client", published as {"semServer","semClient"}).
#include "../semaphores.h"
#include "../shm_common.h"

namespace podipc::probe::mechanisms {
namespace {

class PosixSemPair : public SemPair {
 public:
  PosixSemPair(const std::string& server, const std::string& client, Role role, bool create) {
    PosixSemaphore* sems[2] = {&sems_[0], &sems_[1]};
    const std::string* names[2] = {&server, &client};
    for (int i = 0; i < 2; i++) {
      if (create) sems[i]->Create(*names[i]);
      else sems[i]->Open(*names[i]);
    }
    mine_ = &sems_[SemSlot(role)];
    peer_ = &sems_[SemSlot(role == Role::kServer ? Role::kClient : Role::kServer)];
  }
  bool WaitMine(int64_t timeoutMs) override { return mine_->Wait(timeoutMs); }
  void PostPeer() override { peer_->Post(); }
  void Release() override {
    sems_[0].Release();
    sems_[1].Release();
  }

 private:
  PosixSemaphore sems_[2];
  PosixSemaphore* mine_;
  PosixSemaphore* peer_;
};

MappedSegment CreateSegment(const OpenContext& ctx, size_t bytes, JsonWriter& address) {
  std::string name = ctx.ipc->Posix("posix-shm", "ring");
  MappedSegment s = MappedSegment::CreatePosix(name, bytes);
  address.Key("shmName").String(name);
  return s;
}

MappedSegment AttachSegment(const Json& info) { return MappedSegment::AttachPosix(PublishedString(info, "shmName")); }

std::unique_ptr<SemPair> CreateSemaphores(const OpenContext& ctx, JsonWriter& address) {
  std::string server = ctx.ipc->Posix("posix-sem", "wake-server");
  std::string client = ctx.ipc->Posix("posix-sem", "wake-client");
  auto pair = std::make_unique<PosixSemPair>(server, client, Role::kServer, true);
  address.Key("semServer").String(server).Key("semClient").String(client);
  return pair;
}

std::unique_ptr<SemPair> OpenSemaphores(const Json& info, Role role) {
  return std::make_unique<PosixSemPair>(PublishedString(info, "semServer"), PublishedString(info, "semClient"), role, false);
}

const ShmFlavour kFlavour{CreateSegment, AttachSegment, CreateSemaphores, OpenSemaphores};

std::unique_ptr<Channel> Open(const OpenContext& ctx) { return OpenShm("shm-posix", kFlavour, ctx); }

}  // namespace

extern const Mechanism shm_posix{"shm-posix", {"spin", "futex", "sem"}, {ProbeKind::kLatency, ProbeKind::kThroughput}, false, Supported, Open};

}  // namespace podipc::probe::mechanisms
