// Rate probe: open loop on a fixed schedule, corrected for coordinated omission
// (bench/probes/rate.ts in C++; the arithmetic is core/rate.ts, mirrored below). Message i is
// intended for t0 + floor(i / burst) * burst / rate; the client keeps one request outstanding
// and sends i at max(intended_i, answer of i-1). Per message: response time (answer -
// intended), service time (answer - actual send) and self lag (actual send - max(intended,
// previous answer)) go into HdrHistograms. Waiting sleeps with clock_nanosleep to kSpinNs
// before the intended time and spins the rest; that spin is timed on the thread's CPU clock
// and taken out of the client's CPU per message (reported as pacingSpinUsPerMsg), so CPU per
// message at low rates is the mechanism's, not the pacing's (what is billed and why:
// bench/probes/rate.ts, top of file).
#include <time.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "frame.h"
#include "probes.h"
#include "util.h"

namespace podipc::probe {
namespace {

constexpr int64_t kSpinNs = 150000;
constexpr int64_t kLossTimeoutMs = 200;
constexpr uint64_t kMinWindowMessages = 10;
constexpr double kWindowCapFactor = 2;
constexpr int kSearchRefineSteps = 4;

// core/rate.ts intendedSendNs.
int64_t IntendedSendNs(int64_t t0, uint64_t i, double rate, uint32_t burst) {
  uint64_t burstIndex = i / burst;
  return t0 + static_cast<int64_t>(static_cast<double>(burstIndex * burst) * 1e9 / rate);
}

// core/rate.ts clientBehind.
bool ClientBehind(double selfLagP99Ns, double rate) { return selfLagP99Ns > std::max(50000.0, 0.1 * (1e9 / rate)); }

// core/rate.ts sustains.
bool Sustains(const RateStep& s, double p99BudgetNs) {
  return !s.clientBehind && s.lost == 0 && s.response.p99 <= p99BudgetNs && s.achievedRatePerSec >= 0.95 * s.ratePerSec;
}

// core/rate.ts nextSearchRate; 0 when the search is done.
double NextSearchRate(const std::vector<RateStep>& tried, const RateSearch& o) {
  if (tried.empty()) return o.startRatePerSec;
  double best = -1, worst = -1;
  size_t firstFail = tried.size();
  for (size_t k = 0; k < tried.size(); k++) {
    const RateStep& t = tried[k];
    if (t.ok) best = std::max(best, t.ratePerSec);
    else {
      worst = worst < 0 ? t.ratePerSec : std::min(worst, t.ratePerSec);
      if (firstFail == tried.size()) firstFail = k;
    }
  }
  if (worst < 0) {
    if (best < 0 || best >= o.maxRatePerSec) return 0;
    return std::min(o.maxRatePerSec, best * 2);
  }
  if (best < 0) return 0;
  size_t refinements = tried.size() - firstFail - 1;
  if (refinements >= static_cast<size_t>(kSearchRefineSteps) || worst / best < 1.02) return 0;
  return std::round(std::sqrt(best * worst));
}

int64_t ThreadCpuNs() {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// What reading the thread's CPU clock costs (a system call; no vDSO for it): the spin ends
// this much early, so the read that closes it lands on the intended time instead of delaying
// the send (bench/probes/rate.ts does the same). The cheapest of a few reads.
int64_t CpuReadNs() {
  static const int64_t cost = [] {
    int64_t best = 20000;
    for (int k = 0; k < 32; k++) {
      const int64_t t = NowNs();
      ThreadCpuNs();
      best = std::min(best, NowNs() - t);
    }
    return best;
  }();
  return cost;
}

// Until targetNs: clock_nanosleep (no CPU) to kSpinNs before it, then a spin; returns the CPU
// ns the spin burned (the thread's CPU clock, so time preempted mid-spin is not counted).
int64_t SleepUntil(int64_t targetNs) {
  int64_t wakeNs = targetNs - kSpinNs;
  if (wakeNs > NowNs()) {
    struct timespec ts = ToTimespec(wakeNs);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
  }
  const int64_t spinUntil = targetNs - CpuReadNs();
  int64_t spunNs = 0;
  if (NowNs() < spinUntil) {
    const int64_t cpuFrom = ThreadCpuNs();
    while (NowNs() < spinUntil) {
    }
    spunNs = ThreadCpuNs() - cpuFrom;
  }
  // Never send before the intended time (a response shorter than its service time would
  // follow): the last stretch, shorter than one CPU-clock read, is spun unaccounted.
  while (NowNs() < targetNs) {
  }
  return spunNs;
}

class RateRunner {
 public:
  RateRunner(Channel& ch, const ProbeSettings& s) : ch_(ch), s_(s), frame_(s.messageBytes) {}

  uint32_t seq = 0;

  // One window at `rate` for durationMs (at least kMinWindowMessages messages).
  RateStep Window(double rate, uint32_t burst, double durationMs, double p99BudgetNs, LatencyHistogram& response,
                  LatencyHistogram& service, Integrity& in) {
    response.Reset();
    service.Reset();
    selfLag_.Reset();
    RateStep step;
    step.ratePerSec = rate;
    uint64_t sent = 0, received = 0, corrupt = 0, lost = 0;
    int64_t pacingNs = 0;
    const double cpuStartUs = CpuNowUs();
    const int64_t t0 = NowNs() + kSpinNs;
    const int64_t endNs = t0 + static_cast<int64_t>(durationMs * 1e6);
    const int64_t capNs = t0 + static_cast<int64_t>(kWindowCapFactor * durationMs * 1e6) + 200000000LL;
    int64_t lastAnswer = 0, lastSend = t0;
    for (uint64_t i = 0;; i++) {
      const int64_t intended = IntendedSendNs(t0, i, rate, burst);
      if ((intended >= endNs && i >= kMinWindowMessages) || NowNs() >= capNs) break;
      const int64_t ready = std::max(intended, lastAnswer);
      pacingNs += SleepUntil(intended);
      const int64_t sendNs = NowNs();
      selfLag_.Record(sendNs - ready);
      lastSend = sendNs;
      ch_.Send(frame_.Stamp(seq), frame_.size());
      sent++;
      for (;;) {
        FrameView echo = ch_.Recv(s_.lossy ? kLossTimeoutMs : s_.silenceTimeoutMs);
        const int64_t answer = NowNs();
        if (!echo) {
          if (!s_.lossy) {
            throw std::runtime_error("no answer from the server within " + std::to_string(s_.silenceTimeoutMs) +
                                     " ms (stopped or hung?)");
          }
          lost++;
          lastAnswer = answer;
          break;
        }
        FrameCheck check = CheckFrame(echo.data, echo.bytes);
        // A lossy transport may deliver an echo we already gave up on: skip it.
        if (s_.lossy && check.ok && check.kind == FrameKind::kData && check.seq < seq) continue;
        if (check.ok && check.kind == FrameKind::kData && check.seq == seq) {
          received++;
          response.Record(answer - intended);
          service.Record(answer - sendNs);
        } else {
          corrupt++;
        }
        lastAnswer = answer;
        break;
      }
      seq++;
    }
    // The pacing spin is the generator's cost, not the mechanism's: taken out (clamped at 0).
    const double pacingUs = static_cast<double>(pacingNs) / 1e3;
    const double clientUs = std::max(0.0, CpuNowUs() - cpuStartUs - pacingUs);
    const double spanNs = static_cast<double>(lastSend - t0) + static_cast<double>(burst) * 1e9 / rate;
    step.achievedRatePerSec = sent > 0 ? static_cast<double>(received + corrupt) / (spanNs / 1e9) : 0;
    step.samples = response.total();
    if (step.samples > 0) {
      step.response = response.Summary();
      step.service = service.Summary();
    }
    step.selfLagP99Ns = selfLag_.total() > 0 ? selfLag_.Summary().p99 : 0;
    step.clientBehind = ClientBehind(step.selfLagP99Ns, rate);
    step.lost = lost;
    step.corrupt = corrupt;
    step.clientUsPerMsg = sent > 0 ? clientUs / static_cast<double>(sent) : 0;
    step.ok = step.samples > 0 && corrupt == 0 && Sustains(step, p99BudgetNs);
    in.sent += sent;
    in.received += received;
    in.corrupt += corrupt;
    in.lost += lost;
    clientUs_ += clientUs;
    pacingUs_ += pacingUs;
    return step;
  }

  double clientUs() const { return clientUs_; }
  double pacingUs() const { return pacingUs_; }

  // Closed-loop round trips (warm-up): nothing is recorded.
  void PingPong(uint64_t roundTrips) {
    for (uint64_t n = 0; n < roundTrips; n++) {
      ch_.Send(frame_.Stamp(seq), frame_.size());
      for (;;) {
        FrameView echo = ch_.Recv(s_.lossy ? kLossTimeoutMs : s_.silenceTimeoutMs);
        if (!echo) {
          if (!s_.lossy) throw std::runtime_error("no answer from the server within " + std::to_string(s_.silenceTimeoutMs) + " ms (stopped or hung?)");
          break;
        }
        FrameCheck check = CheckFrame(echo.data, echo.bytes);
        if (s_.lossy && check.ok && check.kind == FrameKind::kData && check.seq < seq) continue;
        break;
      }
      seq++;
    }
  }

 private:
  Channel& ch_;
  const ProbeSettings& s_;
  DataFrame frame_;
  LatencyHistogram selfLag_;
  double clientUs_ = 0;
  double pacingUs_ = 0;
};

}  // namespace

RateOutcome RateClient(Channel& ch, const ProbeSettings& s, const PlanCase& c, LatencyHistogram& response, LatencyHistogram& service) {
  RateRunner run(ch, s);
  const uint32_t burst = c.burst.value_or(1);
  const double firstRate = c.ratePerSec ? *c.ratePerSec : c.search->startRatePerSec;
  // Warm-up: closed-loop round trips, then the plan's warm-up time on the schedule itself.
  run.PingPong(s.warmupRoundTrips);
  Integrity unused;
  if (s.warmupMs > 0) run.Window(firstRate, burst, s.warmupMs, std::numeric_limits<double>::infinity(), response, service, unused);

  BeginExchange(ch, s.lossy, s.silenceTimeoutMs, s.messageBytes);
  run.seq = 0;
  RateOutcome out;
  Integrity& in = out.base.integrity;
  const double clientUsBefore = run.clientUs();
  const double pacingUsBefore = run.pacingUs();
  if (c.search) {
    // Keep the histograms of the best step that held (or of the first step, when none does).
    LatencyHistogram stepResponse, stepService;
    double best = -1;
    for (double rate = NextSearchRate(out.steps, *c.search); rate > 0; rate = NextSearchRate(out.steps, *c.search)) {
      RateStep step = run.Window(rate, burst, s.measureMs, c.search->p99BudgetNs, stepResponse, stepService, in);
      out.steps.push_back(step);
      if (out.steps.size() == 1 || (step.ok && rate > best)) {
        if (step.ok) best = rate;
        response = stepResponse;
        service = stepService;
        out.shown = out.steps.size() - 1;
      }
    }
    out.sustainableRatePerSec = std::max(0.0, best);
  } else {
    out.steps.push_back(run.Window(*c.ratePerSec, burst, s.measureMs, std::numeric_limits<double>::infinity(), response, service, in));
  }
  const double clientUs = run.clientUs() - clientUsBefore;
  const double pacingUs = run.pacingUs() - pacingUsBefore;
  ServerSummary server = EndExchange(ch, s.lossy, s.silenceTimeoutMs, in.sent);
  const RateStep& shown = out.steps[out.shown];
  if (shown.samples == 0) {
    throw std::runtime_error("no message of the measured phase was answered (" + std::to_string(in.lost) + " of " +
                             std::to_string(in.sent) + " lost)");
  }
  out.base.samples = shown.samples;
  out.pacingSpinUsPerMsg = in.sent > 0 ? pacingUs / static_cast<double>(in.sent) : 0;
  out.base.clientUsPerMsg = in.sent > 0 ? clientUs / static_cast<double>(in.sent) : 0;
  out.base.serverUsPerMsg = server.received > 0 ? server.cpuUs / static_cast<double>(server.received) : 0;
  return out;
}

}  // namespace podipc::probe
