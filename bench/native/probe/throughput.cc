// Throughput probe: a one-directional stream, client to server, paced only by the
// mechanism's own flow control (bench/probes/throughput.ts). The clock stops when the
// server's Summary arrives, i.e. after the last frame was consumed and verified, so data
// queued but not yet delivered never inflates the rate.
#include "frame.h"
#include "probes.h"
#include "util.h"

namespace podipc::probe {
namespace {

// Stream until both `minMessages` and `durationMs` are reached; returns messages sent.
uint64_t Stream(Channel& ch, DataFrame& frame, uint64_t minMessages, double durationMs) {
  const int64_t stopAt = NowNs() + static_cast<int64_t>(durationMs * 1e6);
  uint64_t seq = 0;
  do {
    ch.Send(frame.Stamp(static_cast<uint32_t>(seq)), frame.size());
    seq++;
  } while (seq < minMessages || NowNs() < stopAt);
  return seq;
}

}  // namespace

ProbeOutcome ThroughputClient(Channel& ch, const ProbeSettings& s) {
  DataFrame frame(s.messageBytes);
  if (s.warmupMs > 0 || s.warmupRoundTrips > 0) Stream(ch, frame, s.warmupRoundTrips, s.warmupMs);
  // Begin is answered only after the server drained the warm-up frames (in-order
  // mechanisms), so the measured phase starts with an empty pipe.
  BeginExchange(ch, s.lossy, s.silenceTimeoutMs, s.messageBytes);
  const double cpuStartUs = CpuNowUs();
  const int64_t t0 = NowNs();
  const uint64_t sent = Stream(ch, frame, 1, s.measureMs);
  const double clientCpuUs = CpuNowUs() - cpuStartUs;
  ServerSummary server = EndExchange(ch, s.lossy, s.silenceTimeoutMs, sent);
  const double elapsedNs = static_cast<double>(NowNs() - t0);
  const double seconds = elapsedNs / 1e9;

  ProbeOutcome out;
  out.msgsPerSec = static_cast<double>(server.received) / seconds;
  out.bytesPerSec = static_cast<double>(server.received) * s.messageBytes / seconds;
  out.elapsedNs = elapsedNs;
  out.clientUsPerMsg = sent > 0 ? clientCpuUs / static_cast<double>(sent) : 0;
  out.serverUsPerMsg = server.received > 0 ? server.cpuUs / static_cast<double>(server.received) : 0;
  out.integrity.sent = sent;
  out.integrity.received = server.received;
  out.integrity.corrupt = server.corrupt;
  uint64_t accounted = server.received + server.corrupt;
  out.integrity.lost = sent > accounted ? sent - accounted : 0;
  return out;
}

}  // namespace podipc::probe
