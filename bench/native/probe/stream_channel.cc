#include "stream_channel.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "frame.h"
#include "util.h"
#include "watchdog.h"

namespace podipc::probe {
namespace {

// Above this frame size a read asks only for the rest of the current frame, so a finished
// frame never leaves a large partial successor to move to the buffer's front.
constexpr size_t kLargeFrameBytes = 64 * 1024;

void SetSocketTimeout(int fd, int option, int64_t timeoutMs) {
  struct timeval tv;
  tv.tv_sec = static_cast<time_t>(timeoutMs / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeoutMs % 1000) * 1000);
  if (setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv) != 0) ThrowErrno("setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)", errno);
}

}  // namespace

StreamChannel::StreamChannel(Kind kind, int readFd, int writeFd, int64_t silenceMs, std::string what)
    : kind_(kind), readFd_(readFd), writeFd_(writeFd), silenceMs_(silenceMs), what_(std::move(what)), buf_(256 * 1024) {
  if (kind_ == Kind::kSocket) {
    SetReceiveTimeout(silenceMs_);
    // A send blocked on a full socket buffer for this long means the peer stopped reading.
    SetSocketTimeout(writeFd_, SO_SNDTIMEO, silenceMs_);
  }
}

StreamChannel::~StreamChannel() { Close(); }

void StreamChannel::SetReceiveTimeout(int64_t timeoutMs) {
  if (timeoutMs == rcvTimeoutMs_) return;
  SetSocketTimeout(readFd_, SO_RCVTIMEO, timeoutMs);
  rcvTimeoutMs_ = timeoutMs;
}

void StreamChannel::PeerClosed() const {
  throw std::runtime_error(what_ + (kind_ == Kind::kFifo ? ": peer closed its end of the FIFO" : ": peer closed the connection"));
}

void StreamChannel::Send(const uint8_t* frame, size_t bytes) {
  if (closed_) throw std::runtime_error(what_ + ": send on a closed channel");
  while (bytes > 0) {
    ssize_t n;
    if (kind_ == Kind::kSocket) {
      // MSG_NOSIGNAL: a peer that closed gives EPIPE, not a SIGPIPE.
      n = send(writeFd_, frame, bytes, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        throw std::runtime_error(what_ + ": the peer has not read for " + std::to_string(silenceMs_) + " ms (is it alive?)");
      }
    } else {
      // A full pipe blocks write(2): the pipe's own flow control. The deadline bounds it.
      BlockingDeadline deadline(silenceMs_);
      n = write(writeFd_, frame, bytes);
      if (n < 0 && errno == EINTR && deadline.Expired()) {
        throw std::runtime_error(what_ + ": the peer has not read for " + std::to_string(silenceMs_) + " ms (is it alive?)");
      }
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET) PeerClosed();
      ThrowErrno(what_ + ": send", errno);
    }
    frame += n;
    bytes -= static_cast<size_t>(n);
  }
}

bool StreamChannel::Fill(int64_t timeoutMs, size_t want) {
  if (buf_.size() - fill_ < want) {
    // Move the unconsumed bytes (less than a frame) to the front, and grow if still short.
    if (head_ > 0) {
      std::memmove(buf_.data(), buf_.data() + head_, fill_ - head_);
      fill_ -= head_;
      head_ = 0;
    }
    if (buf_.size() - fill_ < want) buf_.resize(fill_ + want);
  }
  size_t room = buf_.size() - fill_;
  if (want >= kLargeFrameBytes) room = want;
  for (;;) {
    ssize_t n;
    if (kind_ == Kind::kSocket) {
      SetReceiveTimeout(timeoutMs);
      n = recv(readFd_, buf_.data() + fill_, room, 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;  // SO_RCVTIMEO expired
    } else {
      BlockingDeadline deadline(timeoutMs);
      n = read(readFd_, buf_.data() + fill_, room);
      if (n < 0 && errno == EINTR && deadline.Expired()) return false;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) PeerClosed();
      ThrowErrno(what_ + ": receive", errno);
    }
    if (n == 0) PeerClosed();
    fill_ += static_cast<size_t>(n);
    return true;
  }
}

FrameView StreamChannel::Recv(int64_t timeoutMs) {
  if (closed_) throw std::runtime_error(what_ + ": receive on a closed channel");
  if (head_ == fill_) head_ = fill_ = 0;  // the common case: the last frame was all there was
  for (;;) {
    size_t have = fill_ - head_;
    size_t need = kFrameHeaderBytes;
    if (have >= kFrameHeaderBytes) {
      uint32_t frameBytes = LoadLe32(buf_.data() + head_ + 12);
      if (frameBytes < kFrameHeaderBytes || frameBytes > kMaxFrameBytes) {
        // A corrupt length would desynchronise the stream for good: surface it, do not guess.
        throw std::runtime_error(what_ + ": stream desynchronised: frame length field " + std::to_string(frameBytes));
      }
      if (have >= frameBytes) {
        FrameView view{buf_.data() + head_, frameBytes};
        head_ += frameBytes;
        return view;
      }
      need = frameBytes;
    }
    if (!Fill(timeoutMs, need - have)) return FrameView{nullptr, 0};
  }
}

void StreamChannel::Close() {
  if (closed_) return;
  closed_ = true;
  close(readFd_);
  if (writeFd_ != readFd_) close(writeFd_);
  if (onClose) {
    try {
      onClose();
    } catch (const std::exception& e) {
      LogError(what_ + ": close: " + e.what());
    }
  }
}

}  // namespace podipc::probe
