// The control exchange both probes share (bench/probes/session.ts): Begin/Ack opens the
// measured phase, End/Summary closes it and brings back what only the server knows.
#include <algorithm>
#include <limits>
#include <sys/resource.h>

#include <stdexcept>

#include "frame.h"
#include "json.h"
#include "probes.h"
#include "util.h"

namespace podipc::probe {
namespace {

// How long a lossy mechanism waits for a control answer before resending.
constexpr int64_t kControlResendMs = 100;
// After answering End on a lossy mechanism, how long the server waits for a resent End when
// the client's Ack (Summary received) does not come.
constexpr int64_t kLingerMs = 300;

FrameView Exchange(Channel& ch, bool lossy, int64_t deadlineMs, const std::vector<uint8_t>& request, FrameKind expect) {
  int64_t deadline = NowNs() + deadlineMs * 1000000LL;
  for (;;) {
    ch.Send(request.data(), request.size());
    for (;;) {
      int64_t leftMs = (deadline - NowNs()) / 1000000LL;
      FrameView frame = ch.Recv(lossy ? kControlResendMs : std::max<int64_t>(1, leftMs));
      if (!frame) break;  // lossy: resend; otherwise the deadline check below fails
      // Data frames still in flight (a late echo) are skipped, as is anything damaged.
      FrameCheck check = CheckFrame(frame.data, frame.bytes);
      if (check.ok && check.kind == expect) return frame;
    }
    if (NowNs() > deadline) {
      throw std::runtime_error(std::string("no ") + FrameKindName(expect) + " answer from the server within " +
                               std::to_string(deadlineMs) + " ms");
    }
  }
}

}  // namespace

double CpuNowUs() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

void BeginExchange(Channel& ch, bool lossy, int64_t deadlineMs, uint32_t messageBytes) {
  Exchange(ch, lossy, deadlineMs, JsonFrame(FrameKind::kBegin, "{}", messageBytes), FrameKind::kAck);
}

ServerSummary EndExchange(Channel& ch, bool lossy, int64_t deadlineMs, uint64_t sent) {
  std::string body = JsonWriter().BeginObject().Key("sent").Uint(sent).EndObject().text();
  FrameView frame = Exchange(ch, lossy, deadlineMs, JsonFrame(FrameKind::kEnd, body), FrameKind::kSummary);
  std::string payload = FramePayload(frame.data, frame.bytes);
  // Lossy: tell the server its Summary arrived, so it stops lingering for a resent End at once
  // (if this Ack is lost too, the server lingers kLingerMs as before).
  if (lossy) {
    const std::vector<uint8_t> ack = JsonFrame(FrameKind::kAck, "{}");
    ch.Send(ack.data(), ack.size());
  }
  Json summary;
  try {
    summary = Json::Parse(payload);
  } catch (const std::exception&) {
    throw std::runtime_error("server summary is not JSON: " + payload.substr(0, 120));
  }
  const Json* received = summary.Get("received");
  const Json* corrupt = summary.Get("corrupt");
  const Json* cpuUs = summary.Get("cpuUs");
  if (!received || !received->IsNumber() || !corrupt || !corrupt->IsNumber() || !cpuUs || !cpuUs->IsNumber()) {
    throw std::runtime_error("server summary is malformed: " + payload.substr(0, 120));
  }
  return ServerSummary{static_cast<uint64_t>(received->number()), static_cast<uint64_t>(corrupt->number()), cpuUs->number()};
}

void Serve(Channel& ch, bool echo, bool lossy, int64_t silenceMs, const Stall* stall) {
  uint64_t received = 0, corrupt = 0;
  double cpuStartUs = CpuNowUs();
  // The test-only stall: the next one's start (after Begin), its length and period.
  const int64_t stallEveryNs = stall ? static_cast<int64_t>(stall->everyMs * 1e6) : 0;
  const int64_t stallPauseNs = stall ? static_cast<int64_t>(stall->pauseMs * 1e6) : 0;
  int64_t nextStallNs = std::numeric_limits<int64_t>::max();
  std::vector<uint8_t> summary;
  for (;;) {
    FrameView frame = ch.Recv(!summary.empty() && lossy ? kLingerMs : silenceMs);
    if (!frame) {
      if (!summary.empty()) return;  // lingering after End: the client is gone
      throw std::runtime_error("no frame from the client within " + std::to_string(silenceMs) + " ms (stopped or hung?)");
    }
    FrameCheck check = CheckFrame(frame.data, frame.bytes);
    if (!check.ok || check.kind == FrameKind::kData) {
      if (!summary.empty()) continue;
      if (check.ok) received++;
      else corrupt++;
      if (stallEveryNs > 0) {
        const int64_t now = NowNs();
        if (now >= nextStallNs) {
          // Busy-wait, not sleep: the pause is exact and nothing else runs.
          while (NowNs() < now + stallPauseNs) {
          }
          while (nextStallNs <= now) nextStallNs += stallEveryNs;
        }
      }
      // Echo even a corrupt frame: the client is waiting, and will see the damage itself.
      if (echo) ch.Send(frame.data, frame.bytes);
      continue;
    }
    if (check.kind == FrameKind::kBegin) {
      received = 0;
      corrupt = 0;
      cpuStartUs = CpuNowUs();
      if (stallEveryNs > 0) nextStallNs = NowNs() + stallEveryNs;
      // At the Begin's length: the client's receive path sees no new frame length here.
      const std::vector<uint8_t> ack = JsonFrame(FrameKind::kAck, "{}", frame.bytes);
      ch.Send(ack.data(), ack.size());
    } else if (check.kind == FrameKind::kAck && !summary.empty()) {
      return;  // the client has the Summary (lossy mechanisms): no resent End will come
    } else if (check.kind == FrameKind::kEnd) {
      if (summary.empty()) {
        std::string body = JsonWriter()
                               .BeginObject()
                               .Key("received").Uint(received)
                               .Key("corrupt").Uint(corrupt)
                               .Key("cpuUs").Number(CpuNowUs() - cpuStartUs)
                               .EndObject()
                               .text();
        summary = JsonFrame(FrameKind::kSummary, body);
      }
      ch.Send(summary.data(), summary.size());
      if (!lossy) return;
    }
  }
}

}  // namespace podipc::probe
