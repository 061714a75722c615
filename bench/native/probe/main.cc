// podipc_probe: the native probe, one per container, speaking the protocol of the Node
// entrypoint (bench/entrypoint.ts): the plan comes from `--plan FILE` or the PODIPC_PLAN
// environment variable; each case's channel is opened in the plan's role; the client prints
// one `PODIPC_RESULT {json}` line per case on stdout. Diagnostics go to stderr, whose tail the
// harness keeps. Exit codes: 0 done, 2 bad usage or plan, 128+N killed by signal N.
//
// Other modes: `--list` prints what this probe implements (one JSON line);
// `--bench-crc32c` measures the frame checksum; `--crc32c FILE` prints a file's CRC-32C by
// every implementation (tests compare them with the TypeScript one).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "channel.h"
#include "cleanup.h"
#include "crc32c.h"
#include "frame.h"
#include "json.h"
#include "probes.h"
#include "util.h"

namespace podipc::probe {
namespace {

const char* kResultLinePrefix = "PODIPC_RESULT ";

std::string ListJson() {
  JsonWriter w;
  w.BeginObject().Key("protocolVersion").Number(kProtocolVersion).Key("frameVersion").Number(kFrameVersion);
  w.Key("mechanisms").BeginArray();
  for (const Mechanism* m : Mechanisms()) {
    w.BeginObject().Key("id").String(m->id).Key("variants").BeginArray();
    for (const std::string& v : m->variants) w.String(v);
    w.EndArray().Key("probes").BeginArray();
    for (ProbeKind p : m->probes) w.String(ProbeName(p));
    // The rate probe needs nothing of a mechanism but the echo the latency probe uses.
    if (std::find(m->probes.begin(), m->probes.end(), ProbeKind::kLatency) != m->probes.end()) w.String(ProbeName(ProbeKind::kRate));
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return w.text();
}

// The fields every line of a case carries.
void WriteBase(JsonWriter& w, const Plan& plan, const Mechanism& mech, const PlanCase& c) {
  w.Key("protocolVersion").Number(kProtocolVersion);
  w.Key("caseIndex").Uint(c.caseIndex);
  w.Key("mechanism").String(mech.id);
  if (c.variant) w.Key("variant").String(*c.variant);
  w.Key("probe").String(ProbeName(c.probe));
  w.Key("messageBytes").Uint(c.messageBytes);
  // A rate case's identity (its key in results.json) is on every line, skipped and failed too.
  if (c.ratePerSec) w.Key("ratePerSec").Number(*c.ratePerSec);
  if (c.burst) w.Key("burst").Uint(*c.burst);
  if (c.search) w.Key("p99BudgetNs").Number(c.search->p99BudgetNs);
}

void WriteSummary(JsonWriter& w, const char* key, const LatencySummary& l) {
  w.Key(key).BeginObject();
  w.Key("p50").Number(l.p50).Key("p90").Number(l.p90).Key("p99").Number(l.p99).Key("p999").Number(l.p999);
  w.Key("max").Number(l.max).Key("mean").Number(l.mean).Key("stddev").Number(l.stddev);
  w.EndObject();
}

void WriteHistogram(JsonWriter& w, const char* key, const LatencyHistogram& h) {
  w.Key(key).BeginObject().Key("sigDigits").Number(3).Key("pairs").BeginArray();
  for (const auto& [value, count] : h.Pairs()) w.BeginArray().Uint(value).Uint(count).EndArray();
  w.EndArray().EndObject();
}

void WriteIntegrity(JsonWriter& w, const Integrity& in) {
  w.Key("integrity").BeginObject();
  w.Key("sent").Uint(in.sent).Key("received").Uint(in.received);
  w.Key("corrupt").Uint(in.corrupt).Key("lost").Uint(in.lost);
  if (in.lostWakeups) w.Key("lostWakeups").Uint(*in.lostWakeups);
  w.EndObject();
}

std::string StatusLine(const Plan& plan, const Mechanism& mech, const PlanCase& c, const char* status, const std::string& reason) {
  JsonWriter w;
  w.BeginObject();
  WriteBase(w, plan, mech, c);
  w.Key("status").String(status).Key("reason").String(reason);
  w.EndObject();
  return w.text();
}

std::string OkLine(const Plan& plan, const Mechanism& mech, const PlanCase& c, const ProbeOutcome& o,
                   const LatencyHistogram* histogram, const Limits& limits) {
  JsonWriter w;
  w.BeginObject();
  WriteBase(w, plan, mech, c);
  w.Key("status").String("ok");
  if (o.latencyNs) {
    const LatencySummary& l = *o.latencyNs;
    w.Key("latencyNs").BeginObject();
    w.Key("p50").Number(l.p50).Key("p90").Number(l.p90).Key("p99").Number(l.p99).Key("p999").Number(l.p999);
    w.Key("max").Number(l.max).Key("mean").Number(l.mean).Key("stddev").Number(l.stddev);
    w.EndObject();
    w.Key("samples").Uint(o.samples);
    if (histogram) {
      w.Key("latencyHistogram").BeginObject().Key("sigDigits").Number(3).Key("pairs").BeginArray();
      for (const auto& [value, count] : histogram->Pairs()) w.BeginArray().Uint(value).Uint(count).EndArray();
      w.EndArray().EndObject();
    }
  }
  if (o.msgsPerSec) {
    w.Key("throughput").BeginObject().Key("msgsPerSec").Number(*o.msgsPerSec).Key("bytesPerSec").Number(*o.bytesPerSec).EndObject();
  }
  if (o.elapsedNs) w.Key("elapsedNs").Number(*o.elapsedNs);
  w.Key("cpu").BeginObject().Key("clientUsPerMsg").Number(o.clientUsPerMsg).Key("serverUsPerMsg").Number(o.serverUsPerMsg).EndObject();
  WriteIntegrity(w, o.integrity);
  if (!limits.empty()) {
    w.Key("limits").BeginObject();
    for (const auto& [name, value] : limits) w.Key(name).Number(value);
    w.EndObject();
  }
  w.EndObject();
  return w.text();
}

std::string RateLine(const Plan& plan, const Mechanism& mech, const PlanCase& c, const RateOutcome& o, const LatencyHistogram& response,
                     const LatencyHistogram& service, const Limits& limits) {
  const RateStep& shown = o.steps[o.shown];
  JsonWriter w;
  w.BeginObject();
  WriteBase(w, plan, mech, c);
  w.Key("status").String("ok");
  w.Key("samples").Uint(o.base.samples);
  w.Key("cpu").BeginObject().Key("clientUsPerMsg").Number(o.base.clientUsPerMsg).Key("serverUsPerMsg").Number(o.base.serverUsPerMsg).EndObject();
  WriteIntegrity(w, o.base.integrity);
  if (!limits.empty()) {
    w.Key("limits").BeginObject();
    for (const auto& [name, value] : limits) w.Key(name).Number(value);
    w.EndObject();
  }
  w.Key("pacingSpinUsPerMsg").Number(o.pacingSpinUsPerMsg);
  w.Key("achievedRatePerSec").Number(shown.achievedRatePerSec);
  WriteSummary(w, "responseNs", shown.response);
  WriteHistogram(w, "responseHistogram", response);
  WriteSummary(w, "serviceNs", shown.service);
  WriteHistogram(w, "serviceHistogram", service);
  w.Key("selfLagP99Ns").Number(shown.selfLagP99Ns);
  w.Key("clientBehind").Bool(shown.clientBehind);
  if (c.search) {
    w.Key("steps").BeginArray();
    for (const RateStep& st : o.steps) {
      w.BeginObject().Key("ratePerSec").Number(st.ratePerSec).Key("achievedRatePerSec").Number(st.achievedRatePerSec);
      WriteSummary(w, "responseNs", st.response);
      WriteSummary(w, "serviceNs", st.service);
      w.Key("samples").Uint(st.samples).Key("selfLagP99Ns").Number(st.selfLagP99Ns).Key("clientBehind").Bool(st.clientBehind);
      w.Key("lost").Uint(st.lost).Key("corrupt").Uint(st.corrupt).Key("clientUsPerMsg").Number(st.clientUsPerMsg);
      w.Key("ok").Bool(st.ok).EndObject();
    }
    w.EndArray();
    w.Key("sustainableRatePerSec").Number(o.sustainableRatePerSec);
  }
  w.EndObject();
  return w.text();
}

// Closes the channel however the case ends (RAII), before the next case opens its own.
struct ChannelGuard {
  std::unique_ptr<Channel> ch;
  ~ChannelGuard() {
    if (ch) ch->Close();
  }
};

// One case in the plan's role; the client's result line, or "" on the server.
std::string RunCase(const Plan& plan, const Mechanism& mech, const PlanCase& c, LatencyHistogram& histogram, LatencyHistogram& service) {
  const bool client = plan.role == Role::kClient;
  const std::string variant = c.variant.value_or("");
  // The rate probe is an echo on a schedule: the mechanism's latency support decides it.
  const ProbeKind asProbe = c.probe == ProbeKind::kRate ? ProbeKind::kLatency : c.probe;
  if (c.probe == ProbeKind::kRate && std::find(mech.probes.begin(), mech.probes.end(), asProbe) == mech.probes.end()) {
    return client ? StatusLine(plan, mech, c, "skipped", std::string("the native probe does not implement ") + mech.id + " " + ProbeName(c.probe)) : "";
  }
  Support support = mech.supports(asProbe, c.messageBytes, variant);
  if (!support.ok) return client ? StatusLine(plan, mech, c, "skipped", support.reason) : "";

  IpcNames ipc(plan.ipc.runTag, plan.ipc.sysvSlot, c.caseIndex, plan.dirs.shared + "/ipc-ledger.jsonl");
  Rendezvous rendezvous(plan.dirs.shared, c.caseIndex);
  OpenContext ctx{plan.role,          variant,         c.probe,          c.messageBytes,
                  c.caseIndex,        plan.dirs.disk,  plan.dirs.tmpfs.value_or(""),
                  plan.net.listenHost, plan.net.connectHost, plan.net.port, &ipc, &rendezvous,
                  plan.budget.setupTimeoutMs};
  const std::string what = std::string(ProbeName(c.probe)) + " " + std::to_string(c.messageBytes) + " B";
  ChannelGuard guard;
  try {
    guard.ch = mech.open(ctx);
    if (!client) {
      Serve(*guard.ch, c.probe != ProbeKind::kThroughput, mech.lossy, plan.budget.setupTimeoutMs, c.stall ? &*c.stall : nullptr);
      return "";
    }
    ProbeSettings s{c.messageBytes, plan.budget.warmupMs, c.warmupRoundTrips.value_or(plan.budget.warmupRoundTrips), plan.budget.measureMs,
                    plan.budget.setupTimeoutMs, mech.lossy};
    if (c.probe == ProbeKind::kRate) {
      RateOutcome r = RateClient(*guard.ch, s, c, histogram, service);
      r.base.integrity.lostWakeups = guard.ch->LostWakeups();
      return RateLine(plan, mech, c, r, histogram, service, guard.ch->limits);
    }
    ProbeOutcome o = c.probe == ProbeKind::kLatency ? LatencyClient(*guard.ch, s, histogram) : ThroughputClient(*guard.ch, s);
    // After End/Summary: the server's count is final (it counted before it answered).
    o.integrity.lostWakeups = guard.ch->LostWakeups();
    return OkLine(plan, mech, c, o, c.probe == ProbeKind::kLatency ? &histogram : nullptr, guard.ch->limits);
  } catch (const CaseSkipped& e) {
    if (!client) {
      LogError("probe server: case " + std::to_string(c.caseIndex) + " (" + what + "): skipped: " + e.what());
      // Tell a client still waiting at the rendezvous, so it reports this reason at once.
      try {
        rendezvous.Publish(JsonWriter().BeginObject().Key("skip").String(e.what()).EndObject().text());
      } catch (...) {
      }
      return "";
    }
    return StatusLine(plan, mech, c, "skipped", e.what());
  } catch (const std::exception& e) {
    LogError(std::string("probe ") + (client ? "client" : "server") + ": case " + std::to_string(c.caseIndex) + " (" +
             what + "): " + e.what());
    if (!client) {
      try {
        rendezvous.Publish(JsonWriter().BeginObject().Key("error").String(e.what()).EndObject().text());
      } catch (...) {
      }
      return "";
    }
    return StatusLine(plan, mech, c, "failed", e.what());
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path + ": " + ErrnoText(errno));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int BenchCrc32c();

int PrintCrc32c(const std::string& path) {
  std::string bytes = ReadFile(path);
  JsonWriter w;
  w.BeginObject().Key("bytes").Uint(bytes.size());
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08x", Crc32cTable(0, bytes.data(), bytes.size()));
  w.Key("table").String(hex);
  if (Crc32cSse42) {
    std::snprintf(hex, sizeof hex, "%08x", Crc32cSse42(0, bytes.data(), bytes.size()));
    w.Key("sse4.2").String(hex);
  }
  w.Key("chosen").String(Crc32cImplementation()).EndObject();
  WriteAll(1, w.text() + "\n");
  return 0;
}

int Main(int argc, char** argv) {
  InstallSignalHandlers();
  InitCrc32c();
  std::string planText;
  bool havePlan = false;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--list") {
      WriteAll(1, ListJson() + "\n");
      return 0;
    }
    if (arg == "--bench-crc32c") return BenchCrc32c();
    if (arg == "--crc32c" && i + 1 < argc) return PrintCrc32c(argv[i + 1]);
    if (arg == "--plan") {
      if (i + 1 >= argc) throw std::runtime_error("--plan needs a FILE: podipc_probe --plan FILE");
      planText = ReadFile(argv[++i]);
      havePlan = true;
      continue;
    }
    throw std::runtime_error("unknown argument '" + arg +
                             "': use --plan FILE (or set PODIPC_PLAN), --list, --bench-crc32c or --crc32c FILE");
  }
  if (!havePlan) {
    const char* env = std::getenv("PODIPC_PLAN");
    if (env == nullptr || *env == '\0') {
      throw std::runtime_error("no plan: pass --plan FILE or set PODIPC_PLAN to the plan JSON (the harness does this)");
    }
    planText = env;
  }
  Plan plan = ParsePlan(planText);
  // Every mechanism checked before the first case runs: a plan this probe cannot finish is refused whole.
  std::vector<const Mechanism*> mechs;
  for (const PlanCase& c : plan.cases) {
    const Mechanism* mech = FindMechanism(c.mechanism);
    if (mech == nullptr) {
      throw std::runtime_error("the native probe does not implement '" + c.mechanism +
                               "' (podipc_probe --list shows what it does); run it with the node runtime");
    }
    mechs.push_back(mech);
  }
  // Allocated once for every case: recording a round trip never allocates.
  LatencyHistogram histogram, service;
  for (size_t i = 0; i < plan.cases.size(); i++) {
    const PlanCase& c = plan.cases[i];
    std::string line = RunCase(plan, *mechs[i], c, histogram, service);
    if (!line.empty() && !WriteAll(1, kResultLinePrefix + line + "\n")) {
      LogError("probe: cannot write the result line to stdout: " + ErrnoText(errno));
      return 1;
    }
  }
  return 0;
}

// --bench-crc32c: ns per frame checksum as the probes call it (FrameChecksum), per size and
// implementation, best of several rounds so a noisy neighbour shows less.
int BenchCrc32c() {
  const size_t sizes[] = {64, 1024, 65536, 1u << 20};
  std::vector<uint8_t> frame(1u << 20);
  FillPattern(frame.data(), frame.size());
  struct Impl {
    const char* name;
    Crc32cFn fn;
  };
  std::vector<Impl> impls = {{"table", Crc32cTable}};
  if (Crc32cSse42) impls.push_back({"sse4.2", Crc32cSse42});
  const Crc32cFn chosen = Crc32c;
  for (const Impl& impl : impls) {
    Crc32c = impl.fn;
    for (size_t bytes : sizes) {
      StampFrame(frame.data(), FrameKind::kData, 1, static_cast<uint32_t>(bytes));
      // About 50 ms of work per round.
      uint64_t iterations = std::max<uint64_t>(8, (bytes >= 65536 ? 50000000ull : 200000000ull) / (bytes + 64));
      double bestNs = 1e18;
      volatile uint32_t sink = 0;
      for (int round = 0; round < 7; round++) {
        int64_t t0 = NowNs();
        for (uint64_t i = 0; i < iterations; i++) {
          frame[8] = static_cast<uint8_t>(i);  // defeat hoisting: the input changes per call
          sink = sink + FrameChecksum(frame.data(), static_cast<uint32_t>(bytes));
        }
        double ns = static_cast<double>(NowNs() - t0) / static_cast<double>(iterations);
        if (ns < bestNs) bestNs = ns;
      }
      JsonWriter w;
      w.BeginObject().Key("implementation").String(impl.name).Key("frameBytes").Uint(bytes);
      w.Key("nsPerChecksum").Number(std::round(bestNs * 10) / 10);
      w.Key("gbPerSec").Number(std::round(static_cast<double>(bytes) / bestNs * 100) / 100).EndObject();
      WriteAll(1, w.text() + "\n");
    }
  }
  Crc32c = chosen;
  return 0;
}

}  // namespace
}  // namespace podipc::probe

int main(int argc, char** argv) {
  try {
    return podipc::probe::Main(argc, argv);
  } catch (const std::exception& e) {
    podipc::probe::LogError(std::string("probe: ") + e.what());
    return 2;
  }
}
