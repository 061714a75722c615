// The probes (bench/probes/*.ts in C++): the client's latency and throughput loops and the
// server's echo/sink loop, with the Begin/Ack and End/Summary exchanges of session.ts.
#pragma once

#include <cstdint>
#include <optional>

#include "channel.h"
#include "histogram.h"

namespace podipc::probe {

struct ProbeSettings {
  uint32_t messageBytes;
  double warmupMs;
  uint64_t warmupRoundTrips;
  double measureMs;
  // The peer is presumed dead after this long without an expected frame.
  int64_t silenceTimeoutMs;
  bool lossy;
};

struct Integrity {
  uint64_t sent = 0, received = 0, corrupt = 0, lost = 0;
};

struct ProbeOutcome {
  // Latency: the histogram of measured round trips (owned by the caller) and its summary.
  std::optional<LatencySummary> latencyNs;
  uint64_t samples = 0;
  // Throughput.
  std::optional<double> msgsPerSec, bytesPerSec;
  std::optional<double> elapsedNs;
  double clientUsPerMsg = 0, serverUsPerMsg = 0;
  Integrity integrity;
};

// What only the server knows, from its Summary frame.
struct ServerSummary {
  uint64_t received, corrupt;
  double cpuUs;
};

// CPU time (user + system) of this process in µs, from getrusage(RUSAGE_SELF).
double CpuNowUs();

void BeginExchange(Channel& ch, bool lossy, int64_t deadlineMs);
ServerSummary EndExchange(Channel& ch, bool lossy, int64_t deadlineMs, uint64_t sent);

// The server side of every case: echo (latency) or count (throughput) data frames, answer
// Begin with Ack and End with Summary; returns after End (lossy: after lingering ~300 ms to
// answer a resent End). Throws when the client stays silent for silenceMs.
void Serve(Channel& ch, bool echo, bool lossy, int64_t silenceMs);

ProbeOutcome LatencyClient(Channel& ch, const ProbeSettings& s, LatencyHistogram& histogram);
ProbeOutcome ThroughputClient(Channel& ch, const ProbeSettings& s);

}  // namespace podipc::probe
