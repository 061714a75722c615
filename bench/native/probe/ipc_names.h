// Names and keys for IPC objects, exactly as bench/ipc-names.ts makes them, each appended to
// the run's ledger (<shared>/ipc-ledger.jsonl, one JSON line) *before* the object exists: the
// harness's sweep (bench/native/ledger.ts) removes whatever a killed side left.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace podipc::probe {

// SysV keys of podipc carry this top nibble, then the run's 16-bit slot, the case and an index.
constexpr uint32_t kSysvKeyBase = 0x5u << 28;

class IpcNames {
 public:
  IpcNames(std::string runTag, uint32_t sysvSlot, uint32_t caseIndex, std::string ledgerPath)
      : runTag_(std::move(runTag)), sysvSlot_(sysvSlot), caseIndex_(caseIndex), ledgerPath_(std::move(ledgerPath)) {}

  // "/podipc-<tag>-c<case>-<suffix>"; type is "posix-shm", "posix-mq" or "posix-sem".
  std::string Posix(const char* type, const std::string& suffix) const;
  // base | slot << 12 | (case mod 64) << 6 | index; type "sysv-shm", "sysv-msg", "sysv-sem".
  key_t Sysv(const char* type, int index) const;

  const std::string& runTag() const { return runTag_; }

 private:
  void Record(const std::string& line) const;
  std::string runTag_;
  uint32_t sysvSlot_;
  uint32_t caseIndex_;
  std::string ledgerPath_;
};

}  // namespace podipc::probe
