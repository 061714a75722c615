// A Channel over a byte stream (TCP, Unix socket, a pair of FIFOs): frames are cut out of
// the stream by the header's frameBytes (bench/stream-channel.ts FrameAssembler), straight in
// the receive buffer: a frame comes back as a view, without a copy, valid until the next Recv.
//
// Timeouts without extra system calls: sockets get SO_RCVTIMEO/SO_SNDTIMEO (the kernel ends
// a blocked recv/send with EAGAIN after that long), set once and changed only when a caller
// asks for another timeout; pipes have no such option, so FIFO reads and writes block under a
// BlockingDeadline (watchdog.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "channel.h"

namespace podipc::probe {

class StreamChannel : public Channel {
 public:
  enum class Kind { kSocket, kFifo };

  // Takes ownership of the descriptors (the same fd twice for a socket).
  StreamChannel(Kind kind, int readFd, int writeFd, int64_t silenceMs, std::string what);
  ~StreamChannel() override;

  void Send(const uint8_t* frame, size_t bytes) override;
  FrameView Recv(int64_t timeoutMs) override;
  void Close() override;

  // Runs once in Close(), after the descriptors are closed (unlink a socket file, FIFOs).
  std::function<void()> onClose;

 private:
  // Read more bytes into the buffer; false on timeout.
  bool Fill(int64_t timeoutMs, size_t want);
  void SetReceiveTimeout(int64_t timeoutMs);
  [[noreturn]] void PeerClosed() const;

  Kind kind_;
  int readFd_, writeFd_;
  int64_t silenceMs_;
  std::string what_;
  std::vector<uint8_t> buf_;
  size_t head_ = 0;  // start of the first unconsumed byte
  size_t fill_ = 0;  // end of the received bytes
  int64_t rcvTimeoutMs_ = -1;
  bool closed_ = false;
};

}  // namespace podipc::probe
