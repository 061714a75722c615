#include "rendezvous.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util.h"

namespace podipc::probe {

Rendezvous::Rendezvous(const std::string& sharedDir, uint32_t caseIndex)
    : path_(sharedDir + "/case-" + std::to_string(caseIndex) + ".ready.json"), caseIndex_(caseIndex) {}

void Rendezvous::Publish(const std::string& json) const {
  std::string tmp = path_ + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) ThrowErrno("open(" + tmp + ")", errno);
  bool ok = WriteAll(fd, json);
  int err = errno;
  close(fd);
  if (!ok) ThrowErrno("write(" + tmp + ")", err);
  // rename(2) is atomic: the client sees no file or the whole file.
  if (rename(tmp.c_str(), path_.c_str()) != 0) ThrowErrno("rename(" + tmp + ")", errno);
}

Json Rendezvous::Wait(int64_t timeoutMs) const {
  int64_t deadline = NowNs() + timeoutMs * 1000000LL;
  for (;;) {
    std::ifstream in(path_);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      Json info = Json::Parse(text.str());
      if (const Json* skip = info.Get("skip"); skip && skip->IsString()) throw CaseSkipped(skip->string());
      if (const Json* error = info.Get("error"); error && error->IsString()) {
        throw std::runtime_error("server could not open the case: " + error->string());
      }
      return info;
    }
    if (NowNs() > deadline) {
      throw std::runtime_error("the server did not publish case " + std::to_string(caseIndex_) + " at " + path_ +
                               " within " + std::to_string(timeoutMs) + " ms");
    }
    SleepMs(2);
  }
}

std::string PublishedString(const Json& info, const char* name) {
  const Json* v = info.Get(name);
  if (v == nullptr || !v->IsString()) {
    throw std::runtime_error(std::string("the server's rendezvous lacks '") + name + "': run the same podipc build on both sides");
  }
  return v->string();
}

double PublishedNumber(const Json& info, const char* name) {
  const Json* v = info.Get(name);
  if (v == nullptr || !v->IsNumber()) {
    throw std::runtime_error(std::string("the server's rendezvous lacks '") + name + "': run the same podipc build on both sides");
  }
  return v->number();
}

}  // namespace podipc::probe
