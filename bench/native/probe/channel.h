// The one interface every native mechanism implements (the C++ twin of bench/mechanism.ts):
// a bidirectional, message-preserving pipe between the two sides of a case. Adding a native
// mechanism is one file in mechanisms/ defining a `Mechanism` plus one line in registry.cc;
// nothing else switches on its id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ipc_names.h"
#include "plan.h"
#include "rendezvous.h"

namespace podipc::probe {

// A received frame, valid until the next Recv or Close. data == nullptr: nothing arrived in time.
struct FrameView {
  const uint8_t* data;
  size_t bytes;
  explicit operator bool() const { return data != nullptr; }
};

// Kernel limits a channel found and obeyed (e.g. fs.mqueue.msgsize_max), for the result line.
using Limits = std::vector<std::pair<std::string, double>>;

class Channel {
 public:
  virtual ~Channel() = default;
  // Send one whole frame. Returns once the mechanism no longer needs the bytes (the caller
  // reuses the buffer): where the mechanism's own flow control applies back-pressure. Throws
  // when the peer is gone, or has taken nothing for the case's setup timeout.
  virtual void Send(const uint8_t* frame, size_t bytes) = 0;
  // Receive one whole frame, waiting at most timeoutMs (> 0) of silence; FrameView{} when
  // nothing came. Throws when the channel broke (peer closed, stream out of sync).
  virtual FrameView Recv(int64_t timeoutMs) = 0;
  // Release this side's descriptors and mappings, and the objects this side created.
  // Idempotent; never throws (problems go to stderr).
  virtual void Close() = 0;
  // Sleeps of either side that ended by their timer although what they waited for was
  // there: wake-ups that did not come (shm-ring with futex/sem). nullopt: nothing to count.
  virtual std::optional<uint64_t> LostWakeups() const { return std::nullopt; }

  Limits limits;
};

// What a mechanism needs to open its channel (bench/mechanism.ts OpenContext).
struct OpenContext {
  Role role;
  // Empty when the plan names none.
  std::string variant;
  ProbeKind probe;
  uint32_t messageBytes;
  uint32_t caseIndex;
  std::string diskDir;
  std::string tmpfsDir;  // empty when the pod has no memory volume
  std::string listenHost, connectHost;
  uint16_t port;
  const IpcNames* ipc;
  const Rendezvous* rendezvous;
  // Blocking setup (connect, wait for the peer) and silence on a channel end after this long.
  int64_t setupTimeoutMs;
};

struct Support {
  bool ok;
  std::string reason;
};

struct Mechanism {
  const char* id;
  // Wake-up variants (shm: spin, futex, sem); empty when the mechanism has none.
  std::vector<std::string> variants;
  // The probes it can run at all (for --list); size limits come from supports().
  std::vector<ProbeKind> probes;
  // May lose messages (UDP): probes use receive timeouts and count losses.
  bool lossy;
  // Static limits; runtime limits surface as failures (the Node side's supports()).
  Support (*supports)(ProbeKind probe, uint32_t messageBytes, const std::string& variant);
  std::unique_ptr<Channel> (*open)(const OpenContext& ctx);
};

inline Support Supported(ProbeKind, uint32_t, const std::string&) { return {true, ""}; }

// The registry (registry.cc): every native mechanism in report order.
const std::vector<const Mechanism*>& Mechanisms();
const Mechanism* FindMechanism(const std::string& id);

}  // namespace podipc::probe
