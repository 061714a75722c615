#include "ipc_names.h"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

#include "json.h"
#include "util.h"

namespace podipc::probe {

std::string IpcNames::Posix(const char* type, const std::string& suffix) const {
  bool ok = !suffix.empty() && suffix.size() <= 40;
  for (char c : suffix) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (!ok) throw std::runtime_error("IPC name suffix '" + suffix + "' must be 1-40 of [a-z0-9-]");
  std::string name = "/podipc-" + runTag_ + "-c" + std::to_string(caseIndex_) + "-" + suffix;
  Record(JsonWriter().BeginObject().Key("type").String(type).Key("name").String(name).EndObject().text());
  return name;
}

key_t IpcNames::Sysv(const char* type, int index) const {
  if (index < 0 || index > 63) throw std::runtime_error("SysV key index " + std::to_string(index) + " must be 0..63");
  uint32_t key = kSysvKeyBase | (sysvSlot_ << 12) | ((caseIndex_ & 0x3f) << 6) | static_cast<uint32_t>(index);
  Record(JsonWriter().BeginObject().Key("type").String(type).Key("key").Uint(key).EndObject().text());
  return static_cast<key_t>(key);
}

void IpcNames::Record(const std::string& line) const {
  // O_APPEND: one write(2) of one short line is atomic, so server and client may both append.
  int fd = open(ledgerPath_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) ThrowErrno("open(" + ledgerPath_ + ")", errno, "the IPC ledger must be writable in the shared directory");
  std::string text = line + "\n";
  bool ok = WriteAll(fd, text);
  int err = errno;
  close(fd);
  if (!ok) ThrowErrno("write(" + ledgerPath_ + ")", err);
}

}  // namespace podipc::probe
