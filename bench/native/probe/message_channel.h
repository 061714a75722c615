// A Channel over a message transport (POSIX mq, SysV msg, the sem mailbox), chunked as in
// bench/native/message-channel.ts: a frame larger than the transport's message limit goes
// as consecutive full-sized chunks and one last shorter one, reassembled by the frame
// header's frameBytes. Chunks must arrive whole and in order; anything else is a desync.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "channel.h"

namespace podipc::probe {

class MessageTransport {
 public:
  virtual ~MessageTransport() = default;
  // The largest message the transport carries; longer frames are chunked to this size.
  virtual size_t MaxMessageBytes() const = 0;
  // Send one message; false when it could not within timeoutMs (the queue stayed full).
  virtual bool TrySend(const uint8_t* data, size_t bytes, int64_t timeoutMs) = 0;
  // Receive one message into `into` (room for MaxMessageBytes); its length, or -1 on timeout.
  virtual ssize_t TryReceive(uint8_t* into, int64_t timeoutMs) = 0;
  // Release this side's handles, and on the creating side the objects. Never throws.
  virtual void Close() = 0;
};

class MessageChannel : public Channel {
 public:
  MessageChannel(std::unique_ptr<MessageTransport> transport, int64_t silenceMs, std::string what);
  ~MessageChannel() override;
  void Send(const uint8_t* frame, size_t bytes) override;
  FrameView Recv(int64_t timeoutMs) override;
  void Close() override;

 private:
  [[noreturn]] void Desync(const std::string& why) const;
  std::unique_ptr<MessageTransport> transport_;
  size_t chunkBytes_;
  int64_t silenceMs_;
  std::string what_;
  // Reassembly buffer: chunks are received straight into it; grown when a larger frame first
  // arrives (setup or warm-up), never per message.
  std::vector<uint8_t> buf_;
  size_t filled_ = 0;
  uint32_t frameBytes_ = 0;
  bool closed_ = false;
};

}  // namespace podipc::probe
