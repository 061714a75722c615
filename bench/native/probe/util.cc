#include "util.h"

#include "../errno_name.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace podipc::probe {

const char* ErrnoName(int err) { return podipc::ErrnoName(err); }

std::string ErrnoText(int err) { return std::string(std::strerror(err)) + " (" + ErrnoName(err) + ")"; }

void ThrowErrno(const std::string& call, int err, const std::string& fix) {
  std::string message = call + ": " + ErrnoText(err);
  if (!fix.empty()) message += ": " + fix;
  throw std::runtime_error(message);
}

void SleepMs(int64_t ms) {
  struct timespec ts = ToTimespec(ms * 1000000LL);
  // nanosleep writes the remainder back on EINTR: resume with what is left.
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

std::optional<long long> ReadSysctl(const std::string& dotted) {
  std::string path = "/proc/sys/" + dotted;
  for (size_t i = sizeof "/proc/sys/" - 1; i < path.size(); i++) {
    if (path[i] == '.') path[i] = '/';
  }
  std::ifstream in(path);
  long long value;
  if (!(in >> value)) return std::nullopt;
  return value;
}

std::optional<long long> MsgqueueRlimitBytes() {
  std::ifstream in("/proc/self/limits");
  std::string line;
  const std::string label = "Max msgqueue size";
  while (std::getline(in, line)) {
    if (line.compare(0, label.size(), label) != 0) continue;
    std::istringstream fields(line.substr(label.size()));
    std::string soft;
    fields >> soft;
    try {
      size_t used = 0;
      long long value = std::stoll(soft, &used);
      if (used != soft.size()) return std::nullopt;
      return value;
    } catch (...) {
      return std::nullopt;  // "unlimited"
    }
  }
  return std::nullopt;
}

bool WriteAll(int fd, const char* data, size_t bytes) {
  while (bytes > 0) {
    ssize_t n = write(fd, data, bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    bytes -= static_cast<size_t>(n);
  }
  return true;
}

void LogError(const std::string& line) { WriteAll(2, line + "\n"); }

}  // namespace podipc::probe
