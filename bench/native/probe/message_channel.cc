#include <algorithm>
#include "message_channel.h"

#include <stdexcept>

#include "frame.h"
#include "util.h"

namespace podipc::probe {

MessageChannel::MessageChannel(std::unique_ptr<MessageTransport> transport, int64_t silenceMs, std::string what)
    : transport_(std::move(transport)), chunkBytes_(transport_->MaxMessageBytes()), silenceMs_(silenceMs), what_(std::move(what)) {
  if (chunkBytes_ < kFrameHeaderBytes) {
    transport_->Close();
    throw std::runtime_error(what_ + ": message limit " + std::to_string(chunkBytes_) + " B is below the " +
                             std::to_string(kFrameHeaderBytes) + "-byte frame header");
  }
  buf_.resize(std::max<size_t>(4096, chunkBytes_) + chunkBytes_);
}

MessageChannel::~MessageChannel() { Close(); }

void MessageChannel::Desync(const std::string& why) const {
  throw std::runtime_error(what_ + ": message stream out of sync (" + why + "); chunks must arrive whole and in order");
}

void MessageChannel::Send(const uint8_t* frame, size_t bytes) {
  if (closed_) throw std::runtime_error(what_ + ": channel is closed");
  // The transport copies each message into the kernel (or the mailbox): the caller may reuse
  // `frame` once the last chunk is sent. A queue full for the silence timeout means the peer
  // stopped taking messages.
  for (size_t offset = 0; offset < bytes;) {
    size_t n = std::min(chunkBytes_, bytes - offset);
    if (!transport_->TrySend(frame + offset, n, silenceMs_)) {
      throw std::runtime_error(what_ + ": the peer has not taken a message for " + std::to_string(silenceMs_) +
                               " ms (queue full): is it alive?");
    }
    offset += n;
  }
}

FrameView MessageChannel::Recv(int64_t timeoutMs) {
  if (closed_) throw std::runtime_error(what_ + ": channel is closed");
  for (;;) {
    if (buf_.size() < filled_ + chunkBytes_) buf_.resize(filled_ + 2 * chunkBytes_);
    // Later chunks of a frame follow at once (the sender is mid-frame); the timeout is the
    // caller's silence bound for each.
    ssize_t n = transport_->TryReceive(buf_.data() + filled_, timeoutMs);
    if (n < 0) return FrameView{nullptr, 0};
    size_t got = static_cast<size_t>(n);
    if (filled_ == 0) {
      if (got < kFrameHeaderBytes) Desync("first chunk of " + std::to_string(got) + " B is shorter than a frame header");
      frameBytes_ = LoadLe32(buf_.data() + 12);
      if (frameBytes_ < kFrameHeaderBytes || frameBytes_ > kMaxFrameBytes) Desync("frame length field " + std::to_string(frameBytes_));
      if (got > frameBytes_) Desync("a " + std::to_string(got) + " B message for a " + std::to_string(frameBytes_) + " B frame");
      if (buf_.size() < frameBytes_ + chunkBytes_) buf_.resize(frameBytes_ + chunkBytes_);
    } else if (filled_ + got > frameBytes_) {
      Desync("chunk overruns the " + std::to_string(frameBytes_) + " B frame");
    }
    filled_ += got;
    if (filled_ == frameBytes_) {
      filled_ = 0;
      return FrameView{buf_.data(), frameBytes_};
    }
    // Every chunk but the last is full-sized; a short one means a message went missing.
    if (got != chunkBytes_) Desync("short chunk of " + std::to_string(got) + " B inside a " + std::to_string(frameBytes_) + " B frame");
  }
}

void MessageChannel::Close() {
  if (closed_) return;
  closed_ = true;
  transport_->Close();
}

}  // namespace podipc::probe
