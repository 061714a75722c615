// The probes (bench/probes/*.ts in C++): the client's latency and throughput loops and the
// server's echo/sink loop, with the Begin/Ack and End/Summary exchanges of session.ts.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

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
  // Channel::LostWakeups of the case, where the channel counts them.
  std::optional<uint64_t> lostWakeups;
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

void BeginExchange(Channel& ch, bool lossy, int64_t deadlineMs, uint32_t messageBytes);
ServerSummary EndExchange(Channel& ch, bool lossy, int64_t deadlineMs, uint64_t sent);

// The server side of every case: echo (latency) or count (throughput) data frames, answer
// Begin with Ack and End with Summary; returns after End (lossy: after lingering ~300 ms to
// answer a resent End). Throws when the client stays silent for silenceMs.
// `stall` (test-only, may be null): stop answering for pauseMs every everyMs of the measured
// phase, busy-waiting so the pause is exact.
void Serve(Channel& ch, bool echo, bool lossy, int64_t silenceMs, const Stall* stall = nullptr);

ProbeOutcome LatencyClient(Channel& ch, const ProbeSettings& s, LatencyHistogram& histogram);

// One measured window of the rate probe (bench/probes/rate.ts; core/protocol.ts rateStepSchema).
struct RateStep {
  double ratePerSec = 0, achievedRatePerSec = 0;
  LatencySummary response{}, service{};
  uint64_t samples = 0;
  double selfLagP99Ns = 0;
  bool clientBehind = false;
  uint64_t lost = 0, corrupt = 0;
  double clientUsPerMsg = 0;
  bool ok = false;
};

struct RateOutcome {
  ProbeOutcome base;
  std::vector<RateStep> steps;
  // The step the line's histograms and summaries describe: the fixed rate's, or the search's best.
  size_t shown = 0;
  double sustainableRatePerSec = 0;
  // The pacing spin per message, already taken out of base.clientUsPerMsg.
  double pacingSpinUsPerMsg = 0;
};

// The open-loop rate probe; `response` and `service` receive the shown step's histograms.
RateOutcome RateClient(Channel& ch, const ProbeSettings& s, const PlanCase& c, LatencyHistogram& response, LatencyHistogram& service);
ProbeOutcome ThroughputClient(Channel& ch, const ProbeSettings& s);

}  // namespace podipc::probe
