#include "shm_segment.h"

#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "cleanup.h"
#include "util.h"

namespace podipc::probe {

std::string HexKey(key_t key) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(key));
  return buf;
}

MappedSegment::~MappedSegment() { Release(); }

MappedSegment::MappedSegment(MappedSegment&& o) noexcept { *this = std::move(o); }

MappedSegment& MappedSegment::operator=(MappedSegment&& o) noexcept {
  if (this != &o) {
    Release();
    kind_ = std::exchange(o.kind_, Kind::kNone);
    map_ = std::exchange(o.map_, nullptr);
    mapBytes_ = o.mapBytes_;
    bytes_ = std::exchange(o.bytes_, nullptr);
    size_ = o.size_;
    name_ = std::move(o.name_);
    shmid_ = o.shmid_;
    owner_ = o.owner_;
    cleanupSlot_ = std::exchange(o.cleanupSlot_, -1);
    where_ = std::move(o.where_);
  }
  return *this;
}

MappedSegment MappedSegment::CreatePosix(const std::string& name, size_t bytes) {
  MappedSegment s;
  s.where_ = "POSIX shm " + name;
  int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    ThrowErrno("shm_open('" + name + "', O_CREAT|O_EXCL)", errno,
               errno == EEXIST ? "/dev/shm" + name + " exists (left by an interrupted run?): remove it with `rm /dev/shm" + name + "`" : "");
  }
  s.kind_ = Kind::kPosix;
  s.name_ = name;
  s.owner_ = true;
  s.cleanupSlot_ = RegisterCleanup(CleanupKind::kUnlinkPath, DevShmPathOfShm(name));
  s.mapBytes_ = bytes + sizeof(size_t);
  int err = 0;
  if (ftruncate(fd, static_cast<off_t>(s.mapBytes_)) != 0) err = errno;
  void* map = err ? MAP_FAILED : mmap(nullptr, s.mapBytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (!err && map == MAP_FAILED) err = errno;
  close(fd);
  if (err) {
    s.Release();
    ThrowErrno("ftruncate/mmap(" + s.where_ + ")", err, "is /dev/shm full? (a pod's is 64 MiB by default)");
  }
  s.map_ = static_cast<uint8_t*>(map);
  size_t size = bytes;
  std::memcpy(s.map_, &size, sizeof size);
  s.bytes_ = s.map_ + sizeof(size_t);
  s.size_ = bytes;
  return s;
}

MappedSegment MappedSegment::AttachPosix(const std::string& name) {
  MappedSegment s;
  s.where_ = "POSIX shm " + name;
  int fd = shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) {
    ThrowErrno("shm_open('" + name + "')", errno,
               errno == ENOENT ? "the server removed it or never created it: do both containers share the pod's /dev/shm?" : "");
  }
  struct stat st {};
  int err = fstat(fd, &st) != 0 ? errno : 0;
  void* map = MAP_FAILED;
  if (!err && static_cast<size_t>(st.st_size) >= sizeof(size_t)) {
    map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) err = errno;
  }
  close(fd);
  if (err) ThrowErrno("fstat/mmap(" + s.where_ + ")", err);
  if (map == MAP_FAILED) throw std::runtime_error(s.where_ + " is too small to be a podipc segment");
  s.kind_ = Kind::kPosix;
  s.name_ = name;
  s.map_ = static_cast<uint8_t*>(map);
  s.mapBytes_ = static_cast<size_t>(st.st_size);
  size_t size;
  std::memcpy(&size, s.map_, sizeof size);
  if (size > s.mapBytes_ - sizeof(size_t)) throw std::runtime_error(s.where_ + ": its size header (" + std::to_string(size) + ") exceeds the object");
  s.bytes_ = s.map_ + sizeof(size_t);
  s.size_ = size;
  return s;
}

MappedSegment MappedSegment::CreateSysv(key_t key, size_t bytes) {
  MappedSegment s;
  s.where_ = "SysV shm key " + HexKey(key);
  int id = shmget(key, bytes, IPC_CREAT | IPC_EXCL | 0600);
  if (id < 0) {
    ThrowErrno("shmget(" + HexKey(key) + ", IPC_CREAT|IPC_EXCL)", errno,
               errno == EEXIST ? "the key exists (left by an interrupted run?): check `ipcs -m`, remove it with `ipcrm -M " + HexKey(key) + "`" : "");
  }
  s.kind_ = Kind::kSysv;
  s.shmid_ = id;
  s.owner_ = true;
  s.cleanupSlot_ = RegisterCleanup(CleanupKind::kSysvShmRmid, "", id);
  void* map = shmat(id, nullptr, 0);
  if (map == reinterpret_cast<void*>(-1)) {
    int err = errno;
    shmctl(id, IPC_RMID, nullptr);
    s.kind_ = Kind::kNone;
    UnregisterCleanup(s.cleanupSlot_);
    s.cleanupSlot_ = -1;
    ThrowErrno("shmat(" + s.where_ + ")", err);
  }
  s.map_ = s.bytes_ = static_cast<uint8_t*>(map);
  s.mapBytes_ = s.size_ = bytes;
  return s;
}

MappedSegment MappedSegment::AttachSysv(key_t key) {
  MappedSegment s;
  s.where_ = "SysV shm key " + HexKey(key);
  int id = shmget(key, 0, 0);
  if (id < 0) {
    ThrowErrno("shmget(" + HexKey(key) + ")", errno,
               errno == ENOENT ? "the server removed it or never created it: is the client in the server's IPC namespace?" : "");
  }
  struct shmid_ds ds {};
  if (shmctl(id, IPC_STAT, &ds) != 0) ThrowErrno("shmctl(IPC_STAT, " + s.where_ + ")", errno);
  void* map = shmat(id, nullptr, 0);
  if (map == reinterpret_cast<void*>(-1)) ThrowErrno("shmat(" + s.where_ + ")", errno);
  s.kind_ = Kind::kSysv;
  s.shmid_ = id;
  s.map_ = s.bytes_ = static_cast<uint8_t*>(map);
  s.mapBytes_ = s.size_ = ds.shm_segsz;
  return s;
}

void MappedSegment::Release() {
  if (kind_ == Kind::kPosix) {
    if (map_) munmap(map_, mapBytes_);
    if (owner_) shm_unlink(name_.c_str());
  } else if (kind_ == Kind::kSysv) {
    if (map_) shmdt(map_);
    // Whoever leaves last removes it. A racing double IPC_RMID only fails with EINVAL/EIDRM:
    // the other side got there first.
    struct shmid_ds ds {};
    if (shmctl(shmid_, IPC_STAT, &ds) == 0 && ds.shm_nattch == 0) shmctl(shmid_, IPC_RMID, nullptr);
  }
  if (cleanupSlot_ >= 0) UnregisterCleanup(cleanupSlot_);
  cleanupSlot_ = -1;
  kind_ = Kind::kNone;
  map_ = bytes_ = nullptr;
}

}  // namespace podipc::probe
