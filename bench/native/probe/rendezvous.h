// How the two sides of a case meet (bench/rendezvous.ts): the server publishes what the
// client needs (a port, a name, a key) as <shared>/case-<i>.ready.json, written to .tmp and
// renamed so the client never reads half of it; the client polls for it. `{"skip":reason}` or
// `{"error":reason}` tell a waiting client at once why the server could not open the case.
#pragma once

#include <cstdint>
#include <string>

#include "json.h"

namespace podipc::probe {

class Rendezvous {
 public:
  Rendezvous(const std::string& sharedDir, uint32_t caseIndex);
  // `json` is one JSON object's text.
  void Publish(const std::string& json) const;
  // What the server published; throws CaseSkipped / runtime_error for skip / error, or when
  // nothing appeared within timeoutMs.
  Json Wait(int64_t timeoutMs) const;

 private:
  std::string path_;
  uint32_t caseIndex_;
};

// A field the server must have published, or an error naming it.
std::string PublishedString(const Json& info, const char* name);
double PublishedNumber(const Json& info, const char* name);

}  // namespace podipc::probe
