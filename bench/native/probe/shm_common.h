// What shm-sysv and shm-posix share (bench/mechanisms/shm-common.ts): the ring channel over
// a segment and the three wake-up variants; each mechanism file supplies only how to create,
// attach and remove its segment and semaphores (a ShmFlavour).
//
// Lifecycle: the server creates the segment exclusively (mode 0600), lays out the ring
// header, creates the semaphores for the `sem` variant, and only then publishes; the client
// attaches to what was published. Close() on either side sets its closed bit (a waiting peer
// stops at once), detaches, and removes what its side owns. Every name and key comes from
// the ledger (IpcNames) first.
#pragma once

#include <memory>
#include <string>

#include "channel.h"
#include "shm_ring.h"
#include "shm_segment.h"

namespace podipc::probe {

// The semaphores of the `sem` variant: one per side, "wake the server" ([0]) and "wake the
// client" ([1]).
class SemPair {
 public:
  virtual ~SemPair() = default;
  // Sleep until the peer posts ours (true) or timeoutMs passed (false).
  virtual bool WaitMine(int64_t timeoutMs) = 0;
  virtual void PostPeer() = 0;
  // Close; the creator also removes them. Never throws.
  virtual void Release() = 0;
};

struct ShmFlavour {
  // Server: create (ledgered, exclusive, 0600); `address` goes to the rendezvous.
  MappedSegment (*createSegment)(const OpenContext& ctx, size_t bytes, JsonWriter& address);
  MappedSegment (*attachSegment)(const Json& info);
  std::unique_ptr<SemPair> (*createSemaphores)(const OpenContext& ctx, JsonWriter& address);
  std::unique_ptr<SemPair> (*openSemaphores)(const Json& info, Role role);
};

// The semaphore index / name a role sleeps on.
inline int SemSlot(Role role) { return role == Role::kServer ? 0 : 1; }

std::unique_ptr<Channel> OpenShm(const char* id, const ShmFlavour& flavour, const OpenContext& ctx);

}  // namespace podipc::probe
