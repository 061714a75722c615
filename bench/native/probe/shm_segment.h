// Shared memory segments laid out as the Node side's shm-typed-array makes them, so a Node
// peer and a native peer map the same bytes:
// - POSIX (shm_open in /dev/shm): the object is 8 bytes longer than asked; its first 8 bytes
//   hold the usable size (a native-endian size_t) and the usable bytes follow them;
// - SysV (shmget): the segment is exactly the usable bytes, its size read back by IPC_STAT.
// Creators use O_EXCL / IPC_EXCL and mode 0600. Release: POSIX unmaps (the creator also
// shm_unlinks; an unlinked object lives until the last unmap); SysV detaches and then
// removes the segment if nobody is attached any more - whoever leaves last removes it,
// server or client, as shm-typed-array's detach(key, false) does.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace podipc::probe {

class MappedSegment {
 public:
  MappedSegment() = default;
  ~MappedSegment();
  MappedSegment(MappedSegment&& other) noexcept;
  MappedSegment& operator=(MappedSegment&& other) noexcept;
  MappedSegment(const MappedSegment&) = delete;
  MappedSegment& operator=(const MappedSegment&) = delete;

  static MappedSegment CreatePosix(const std::string& name, size_t bytes);
  static MappedSegment AttachPosix(const std::string& name);
  static MappedSegment CreateSysv(key_t key, size_t bytes);
  static MappedSegment AttachSysv(key_t key);

  // The usable bytes (8-byte aligned).
  uint8_t* bytes() const { return bytes_; }
  size_t size() const { return size_; }
  // "POSIX shm /podipc-..." or "SysV shm key 0x5...", for errors.
  const std::string& where() const { return where_; }
  // Unmap / detach, and remove what this side owns. Idempotent, never throws.
  void Release();

 private:
  enum class Kind { kNone, kPosix, kSysv } kind_ = Kind::kNone;
  uint8_t* map_ = nullptr;  // what mmap/shmat returned
  size_t mapBytes_ = 0;
  uint8_t* bytes_ = nullptr;
  size_t size_ = 0;
  std::string name_;
  int shmid_ = -1;
  bool owner_ = false;
  int cleanupSlot_ = -1;
  std::string where_;
};

std::string HexKey(key_t key);

}  // namespace podipc::probe
