// The probe plan (the schema is core/protocol.ts planSchema),
// validated once here; the rest of the probe trusts it. Unknown fields are ignored, so a
// newer harness may add some without breaking this probe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace podipc::probe {

// The probe protocol version this probe speaks (core/protocol.ts PROTOCOL_VERSION; 2: frame
// v2, budget.warmupRoundTrips, latencyHistogram on result lines; 3: mechanism and variant per case).
constexpr int kProtocolVersion = 3;

enum class Role { kServer, kClient };
enum class ProbeKind { kLatency, kThroughput, kRate };

inline const char* ProbeName(ProbeKind p) {
  return p == ProbeKind::kLatency ? "latency" : p == ProbeKind::kThroughput ? "throughput" : "rate";
}

// The rate probe's search for the sustainable rate (core/protocol.ts rateSearchSchema).
struct RateSearch {
  double p99BudgetNs, startRatePerSec, maxRatePerSec;
};

// Test-only: the server stops answering for pauseMs every everyMs (core/protocol.ts stallSchema).
struct Stall {
  double everyMs, pauseMs;
};

struct PlanCase {
  // Unique within the plan: the case's rendezvous and IPC names derive from it.
  uint32_t caseIndex;
  // Protocol 3: each case names its mechanism, so one pair can run several in turn.
  std::string mechanism;
  std::optional<std::string> variant;
  ProbeKind probe;
  uint32_t messageBytes;
  // This case's warm-up round trips (messages), in place of budget.warmupRoundTrips.
  std::optional<uint64_t> warmupRoundTrips;
  // Rate cases: exactly one of a fixed rate and a search.
  std::optional<double> ratePerSec;
  std::optional<uint32_t> burst;
  std::optional<RateSearch> search;
  std::optional<Stall> stall;
};

struct Budget {
  double warmupMs;
  // Warm-up lasts until both this many round trips (throughput: messages) and warmupMs passed.
  uint64_t warmupRoundTrips;
  double measureMs;
  // Every blocking wait gives up after this much silence from the peer.
  int64_t setupTimeoutMs;
};

struct Plan {
  Role role;
  std::string topology;
  uint32_t run;
  std::vector<PlanCase> cases;
  Budget budget;
  struct {
    std::string shared, disk;
    std::optional<std::string> tmpfs;
  } dirs;
  struct {
    std::string listenHost, connectHost;
    uint16_t port;
  } net;
  struct {
    std::string runTag;
    uint32_t sysvSlot;
  } ipc;
};

// Parse and validate plan JSON. Throws std::runtime_error("invalid probe plan: <field>: <why>");
// a plan of another protocol version says which versions differ and what to do.
Plan ParsePlan(const std::string& text);

}  // namespace podipc::probe
