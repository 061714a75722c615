// Latency probe: round-trip ping-pong (bench/probes/latency.ts). The client stamps a frame
// (seq + CRC-32C), sends it and waits for the server's echo, which it verifies; each round
// trip is timed with clock_gettime(CLOCK_MONOTONIC) around send + receive and recorded in an
// HdrHistogram. The loop allocates nothing and makes no system call but the mechanism's own.
#include <stdexcept>

#include "frame.h"
#include "probes.h"
#include "util.h"

namespace podipc::probe {
namespace {

// A lossy mechanism's echo that has not come back after this long counts as lost.
constexpr int64_t kLossTimeoutMs = 200;
// At least this many measured round trips, even when one outlasts the budget (1 MiB on a busy host).
constexpr uint64_t kMinSamples = 10;

enum class Outcome { kIntact, kCorrupt, kLost };

class RoundTrips {
 public:
  RoundTrips(Channel& ch, const ProbeSettings& s) : ch_(ch), s_(s), frame_(s.messageBytes) {}

  Outcome Once(uint32_t seq) {
    ch_.Send(frame_.Stamp(seq), frame_.size());
    for (;;) {
      FrameView echo = ch_.Recv(s_.lossy ? kLossTimeoutMs : s_.silenceTimeoutMs);
      if (!echo) {
        if (!s_.lossy) {
          throw std::runtime_error("no answer from the server within " + std::to_string(s_.silenceTimeoutMs) +
                                   " ms (stopped or hung?)");
        }
        return Outcome::kLost;
      }
      FrameCheck check = CheckFrame(echo.data, echo.bytes);
      // A lossy transport may deliver an echo we already gave up on: skip it.
      if (s_.lossy && check.ok && check.kind == FrameKind::kData && check.seq < seq) continue;
      return check.ok && check.kind == FrameKind::kData && check.seq == seq ? Outcome::kIntact : Outcome::kCorrupt;
    }
  }

 private:
  Channel& ch_;
  const ProbeSettings& s_;
  DataFrame frame_;
};

}  // namespace

ProbeOutcome LatencyClient(Channel& ch, const ProbeSettings& s, LatencyHistogram& histogram) {
  RoundTrips rt(ch, s);
  histogram.Reset();

  // Warm-up until both the round-trip count and the time are reached (caches, branch
  // predictors, the peer's scheduling); nothing is counted.
  uint32_t seq = 0;
  const int64_t warmupStart = NowNs();
  const int64_t warmupEnd = warmupStart + static_cast<int64_t>(s.warmupMs * 1e6);
  for (uint64_t n = 0; n < s.warmupRoundTrips || NowNs() < warmupEnd; n++) rt.Once(seq++);

  BeginExchange(ch, s.lossy, s.silenceTimeoutMs, s.messageBytes);
  ProbeOutcome out;
  Integrity& in = out.integrity;
  seq = 0;
  const double cpuStartUs = CpuNowUs();
  const int64_t start = NowNs();
  const int64_t stopAt = start + static_cast<int64_t>(s.measureMs * 1e6);
  int64_t t1 = start;
  do {
    const int64_t t0 = NowNs();
    Outcome o = rt.Once(seq++);
    t1 = NowNs();
    in.sent++;
    if (o == Outcome::kLost) {
      // A lost message has no round-trip time: it is counted, not timed.
      in.lost++;
      continue;
    }
    if (o == Outcome::kIntact) in.received++;
    else in.corrupt++;
    histogram.Record(t1 - t0);
  } while (t1 < stopAt || in.sent < kMinSamples);
  const double cpuUs = CpuNowUs() - cpuStartUs;

  ServerSummary server = EndExchange(ch, s.lossy, s.silenceTimeoutMs, in.sent);
  out.latencyNs = histogram.Summary();
  out.samples = histogram.total();
  out.clientUsPerMsg = in.sent > 0 ? cpuUs / static_cast<double>(in.sent) : 0;
  out.serverUsPerMsg = server.received > 0 ? server.cpuUs / static_cast<double>(server.received) : 0;
  // A request damaged on the way in is echoed damaged, so the client's count covers both
  // directions; adding the server's would count such a round trip twice.
  return out;
}

}  // namespace podipc::probe
