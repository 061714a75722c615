#include "plan.h"

#include <cmath>
#include <stdexcept>

#include "frame.h"
#include "json.h"

namespace podipc::probe {
namespace {

[[noreturn]] void Invalid(const std::string& field, const std::string& why) {
  throw std::runtime_error("invalid probe plan: " + field + ": " + why);
}

const Json& Require(const Json& obj, const std::string& key, const std::string& path) {
  const Json* v = obj.Get(key);
  if (v == nullptr) Invalid(path + key, "Required");
  return *v;
}

const Json& RequireObject(const Json& obj, const std::string& key, const std::string& path) {
  const Json& v = Require(obj, key, path);
  if (!v.IsObject()) Invalid(path + key, "Expected object");
  return v;
}

std::string RequireString(const Json& obj, const std::string& key, const std::string& path) {
  const Json& v = Require(obj, key, path);
  if (!v.IsString()) Invalid(path + key, "Expected string");
  if (v.string().empty()) Invalid(path + key, "String must contain at least 1 character(s)");
  return v.string();
}

std::optional<std::string> OptionalString(const Json& obj, const std::string& key, const std::string& path) {
  const Json* v = obj.Get(key);
  if (v == nullptr || v->type() == Json::Type::kNull) return std::nullopt;
  if (!v->IsString() || v->string().empty()) Invalid(path + key, "Expected a non-empty string");
  return v->string();
}

double RequireNumber(const Json& obj, const std::string& key, const std::string& path, double min, bool exclusiveMin) {
  const Json& v = Require(obj, key, path);
  if (!v.IsNumber() || !std::isfinite(v.number())) Invalid(path + key, "Expected number");
  double d = v.number();
  if (exclusiveMin ? !(d > min) : !(d >= min)) {
    Invalid(path + key, std::string("Number must be ") + (exclusiveMin ? "greater than " : "greater than or equal to ") +
                            std::to_string(static_cast<long long>(min)));
  }
  return d;
}

uint64_t RequireInteger(const Json& obj, const std::string& key, const std::string& path, double min, double max) {
  double d = RequireNumber(obj, key, path, min, false);
  if (std::floor(d) != d) Invalid(path + key, "Expected integer, received float");
  if (d > max) Invalid(path + key, "Number must be less than or equal to " + std::to_string(static_cast<long long>(max)));
  return static_cast<uint64_t>(d);
}

bool ValidRunTag(const std::string& tag) {
  if (tag.size() < 4 || tag.size() > 12) return false;
  for (char c : tag) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace

Plan ParsePlan(const std::string& text) {
  Json root;
  try {
    root = Json::Parse(text);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("the plan is not JSON: ") + e.what());
  }
  if (!root.IsObject()) Invalid("(root)", "Expected object");

  const Json& version = Require(root, "protocolVersion", "");
  if (!version.IsNumber() || version.number() != kProtocolVersion) {
    std::string got = version.IsNumber() ? std::to_string(static_cast<long long>(version.number())) : "not a number";
    throw std::runtime_error("the plan speaks probe protocol version " + got + ", this native probe speaks " +
                             std::to_string(kProtocolVersion) +
                             ": rebuild the probe from the same checkout as the harness (npm ci, or npm run build:native)");
  }

  Plan plan;
  std::string role = RequireString(root, "role", "");
  if (role == "server") plan.role = Role::kServer;
  else if (role == "client") plan.role = Role::kClient;
  else Invalid("role", "Invalid enum value. Expected 'server' | 'client', received '" + role + "'");
  plan.topology = RequireString(root, "topology", "");
  if (plan.topology != "same-pod" && plan.topology != "cross-pod") {
    Invalid("topology", "Invalid enum value. Expected 'same-pod' | 'cross-pod', received '" + plan.topology + "'");
  }
  plan.run = static_cast<uint32_t>(RequireInteger(root, "run", "", 0, 4294967295.0));

  const Json& cases = Require(root, "cases", "");
  if (!cases.IsArray()) Invalid("cases", "Expected array");
  if (cases.items().empty()) Invalid("cases", "Array must contain at least 1 element(s)");
  for (size_t i = 0; i < cases.items().size(); i++) {
    const Json& c = cases.items()[i];
    std::string path = "cases." + std::to_string(i) + ".";
    if (!c.IsObject()) Invalid("cases." + std::to_string(i), "Expected object");
    PlanCase pc;
    pc.caseIndex = static_cast<uint32_t>(RequireInteger(c, "caseIndex", path, 0, 4294967295.0));
    pc.mechanism = RequireString(c, "mechanism", path);
    pc.variant = OptionalString(c, "variant", path);
    std::string probe = RequireString(c, "probe", path);
    if (probe == "latency") pc.probe = ProbeKind::kLatency;
    else if (probe == "throughput") pc.probe = ProbeKind::kThroughput;
    else if (probe == "rate") pc.probe = ProbeKind::kRate;
    else Invalid(path + "probe", "Invalid enum value. Expected 'latency' | 'throughput' | 'rate', received '" + probe + "'");
    pc.messageBytes = static_cast<uint32_t>(RequireInteger(c, "messageBytes", path, kMinMessageBytes, kMaxFrameBytes));
    if (c.Get("warmupRoundTrips") != nullptr) pc.warmupRoundTrips = RequireInteger(c, "warmupRoundTrips", path, 0, 1e15);
    if (c.Get("ratePerSec") != nullptr) pc.ratePerSec = RequireNumber(c, "ratePerSec", path, 0, true);
    if (c.Get("burst") != nullptr) pc.burst = static_cast<uint32_t>(RequireInteger(c, "burst", path, 1, 1e6));
    if (c.Get("search") != nullptr) {
      const Json& search = RequireObject(c, "search", path);
      const std::string sp = path + "search.";
      pc.search = RateSearch{RequireNumber(search, "p99BudgetNs", sp, 0, true), RequireNumber(search, "startRatePerSec", sp, 0, true),
                             RequireNumber(search, "maxRatePerSec", sp, 0, true)};
    }
    if (c.Get("stall") != nullptr) {
      const Json& stall = RequireObject(c, "stall", path);
      pc.stall = Stall{RequireNumber(stall, "everyMs", path + "stall.", 0, true), RequireNumber(stall, "pauseMs", path + "stall.", 0, true)};
    }
    if (pc.probe == ProbeKind::kRate && pc.ratePerSec.has_value() == pc.search.has_value()) {
      Invalid(path + "ratePerSec", "a 'rate' case needs exactly one of ratePerSec and search");
    }
    if (pc.probe != ProbeKind::kRate && (pc.ratePerSec || pc.search || pc.burst)) {
      Invalid(path + "probe", std::string("ratePerSec, burst and search belong to 'rate' cases, not '") + probe + "'");
    }
    for (const PlanCase& earlier : plan.cases) {
      if (earlier.caseIndex == pc.caseIndex) Invalid("cases", "every case needs its own caseIndex");
    }
    plan.cases.push_back(pc);
  }

  const Json& budget = RequireObject(root, "budget", "");
  plan.budget.warmupMs = RequireNumber(budget, "warmupMs", "budget.", 0, false);
  plan.budget.warmupRoundTrips = RequireInteger(budget, "warmupRoundTrips", "budget.", 0, 1e15);
  plan.budget.measureMs = RequireNumber(budget, "measureMs", "budget.", 0, true);
  plan.budget.setupTimeoutMs =
      static_cast<int64_t>(std::ceil(RequireNumber(budget, "setupTimeoutMs", "budget.", 0, true)));

  const Json& dirs = RequireObject(root, "dirs", "");
  plan.dirs.shared = RequireString(dirs, "shared", "dirs.");
  plan.dirs.disk = RequireString(dirs, "disk", "dirs.");
  plan.dirs.tmpfs = OptionalString(dirs, "tmpfs", "dirs.");

  const Json& net = RequireObject(root, "net", "");
  plan.net.listenHost = RequireString(net, "listenHost", "net.");
  plan.net.connectHost = RequireString(net, "connectHost", "net.");
  plan.net.port = static_cast<uint16_t>(RequireInteger(net, "port", "net.", 0, 65535));

  const Json& ipc = RequireObject(root, "ipc", "");
  plan.ipc.runTag = RequireString(ipc, "runTag", "ipc.");
  if (!ValidRunTag(plan.ipc.runTag)) Invalid("ipc.runTag", "Invalid (4-12 of [a-z0-9])");
  plan.ipc.sysvSlot = static_cast<uint32_t>(RequireInteger(ipc, "sysvSlot", "ipc.", 0, 0xffff));
  return plan;
}

}  // namespace podipc::probe
