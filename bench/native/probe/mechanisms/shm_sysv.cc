// shm-sysv: a System V shared memory segment (shmget/shmat) holding the two rings of
// shm_ring.h, keyed from the ledger (index 0), published as {"shmKey"}. Variants: spin,
// futex, sem (a SysV set of two semaphores keyed at index 1, published as {"semKey"}:
// [0] wakes the server, [1] the client).
#include "../semaphores.h"
#include "../shm_common.h"

namespace podipc::probe::mechanisms {
namespace {

class SysvSemPair : public SemPair {
 public:
  SysvSemPair(key_t key, Role role, bool create) : mine_(SemSlot(role)), peer_(SemSlot(role == Role::kServer ? Role::kClient : Role::kServer)) {
    if (create) set_.Create(key, 2);
    else set_.Open(key, 2);
  }
  bool WaitMine(int64_t timeoutMs) override { return set_.Wait(mine_, timeoutMs); }
  void PostPeer() override { set_.Post(peer_); }
  void Release() override { set_.Release(); }

 private:
  SysvSemaphores set_;
  int mine_, peer_;
};

MappedSegment CreateSegment(const OpenContext& ctx, size_t bytes, JsonWriter& address) {
  key_t key = ctx.ipc->Sysv("sysv-shm", 0);
  MappedSegment s = MappedSegment::CreateSysv(key, bytes);
  address.Key("shmKey").Uint(static_cast<uint32_t>(key));
  return s;
}

MappedSegment AttachSegment(const Json& info) {
  return MappedSegment::AttachSysv(static_cast<key_t>(static_cast<uint32_t>(PublishedNumber(info, "shmKey"))));
}

std::unique_ptr<SemPair> CreateSemaphores(const OpenContext& ctx, JsonWriter& address) {
  key_t key = ctx.ipc->Sysv("sysv-sem", 1);
  auto pair = std::make_unique<SysvSemPair>(key, Role::kServer, true);
  address.Key("semKey").Uint(static_cast<uint32_t>(key));
  return pair;
}

std::unique_ptr<SemPair> OpenSemaphores(const Json& info, Role role) {
  return std::make_unique<SysvSemPair>(static_cast<key_t>(static_cast<uint32_t>(PublishedNumber(info, "semKey"))), role, false);
}

const ShmFlavour kFlavour{CreateSegment, AttachSegment, CreateSemaphores, OpenSemaphores};

std::unique_ptr<Channel> Open(const OpenContext& ctx) { return OpenShm("shm-sysv", kFlavour, ctx); }

}  // namespace

extern const Mechanism shm_sysv{"shm-sysv", {"spin", "futex", "sem"}, {ProbeKind::kLatency, ProbeKind::kThroughput}, false, Supported, Open};

}  // namespace podipc::probe::mechanisms
