// Linux back-ends of the driver (Cortex-A53, arm64):
//  * UioDevice: the kernel's s_axilite registers and its interrupt through the UIO generic-IRQ driver
//    (/dev/uioN, map 0; docs: Linux "The Userspace I/O HOWTO": read() blocks until an interrupt and
//    returns a 32-bit event count, writing a 32-bit 1 unmasks the interrupt again).
//  * DevMemRegisters: the registers through /dev/mem, for polling without a UIO node.
//  * UdmaBuffer: the DMA buffer from the u-dma-buf module (/dev/<name>, physical address and size in
//    /sys/class/u-dma-buf/<name>/), mapped write-combine (sync_mode 2 + O_SYNC: Normal non-cacheable)
//    or cached with explicit maintenance through the sync_for_device / sync_for_cpu attributes.
//    Plain O_SYNC with sync_mode 1 maps Device memory on arm64 (u-dma-buf README: pgprot_noncached
//    since v2.1.2), where unaligned accesses and memset fault: it is never used.
// Register mappings are volatile uncached pointers (Device memory), accessed as aligned 32-bit words.
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "fpgallm_driver.h"
#include "models/core/Error.h"

namespace fpgallm::ps {

namespace linux_detail {
inline uint64_t read_number(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  if (!(f >> s)) fail("fpgallm driver: cannot read {}", path);
  try {
    return std::stoull(s, nullptr, 0);
  } catch (const std::exception&) {
    fail("fpgallm driver: {} holds '{}', not a number", path, s);
  }
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  if (!(f << text) || !f.flush()) fail("fpgallm driver: cannot write '{}' to {} (root needed?)", text, path);
}

inline uint64_t page_round(uint64_t bytes) {
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}
}  // namespace linux_detail

/** Memory-mapped registers at a physical address through /dev/mem (needs root or CAP_SYS_RAWIO). */
class DevMemRegisters : public RegisterIF {
 public:
  DevMemRegisters(uint64_t phys, uint32_t span) {
    fd_ = ::open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
    if (fd_ < 0) fail("fpgallm driver: cannot open /dev/mem (root needed): {}", std::strerror(errno));
    map_bytes_ = linux_detail::page_round(span);
    void* p = ::mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, static_cast<off_t>(phys));
    if (p == MAP_FAILED) fail("fpgallm driver: cannot map the registers at {:#x}: {}", phys, std::strerror(errno));
    base_ = static_cast<volatile uint32_t*>(p);
  }
  DevMemRegisters(const DevMemRegisters&) = delete;
  DevMemRegisters& operator=(const DevMemRegisters&) = delete;
  ~DevMemRegisters() override {
    ::munmap(const_cast<uint32_t*>(base_), map_bytes_);
    ::close(fd_);
  }
  uint32_t read32(uint32_t off) override { return base_[off / 4]; }
  void write32(uint32_t off, uint32_t v) override { base_[off / 4] = v; }

 private:
  int fd_ = -1;
  uint64_t map_bytes_ = 0;
  volatile uint32_t* base_ = nullptr;
};

/** The kernel as a UIO device (uio_pdrv_genirq, "generic-uio" in the device tree): map 0 holds the
 *  s_axilite registers, the fd delivers the kernel's interrupt. */
class UioDevice : public RegisterIF, public InterruptIF {
 public:
  /** `name`: e.g. "uio4" (see /sys/class/uio/uio*\/name for the node of the kernel). */
  explicit UioDevice(const std::string& name) : name_(name) {
    map_bytes_ = linux_detail::read_number("/sys/class/uio/" + name + "/maps/map0/size");
    fd_ = ::open(("/dev/" + name).c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) fail("fpgallm driver: cannot open /dev/{}: {}", name, std::strerror(errno));
    void* p = ::mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);  // map N at N pages
    if (p == MAP_FAILED) fail("fpgallm driver: cannot map /dev/{} map 0: {}", name, std::strerror(errno));
    base_ = static_cast<volatile uint32_t*>(p);
  }
  UioDevice(const UioDevice&) = delete;
  UioDevice& operator=(const UioDevice&) = delete;
  ~UioDevice() override {
    ::munmap(const_cast<uint32_t*>(base_), map_bytes_);
    ::close(fd_);
  }
  uint32_t read32(uint32_t off) override { return base_[off / 4]; }
  void write32(uint32_t off, uint32_t v) override { base_[off / 4] = v; }

  void enable() override {
    const int32_t on = 1;
    if (::write(fd_, &on, sizeof on) != static_cast<ssize_t>(sizeof on))
      fail("fpgallm driver: cannot unmask the interrupt of /dev/{}: {}", name_, std::strerror(errno));
  }
  bool wait(int timeout_ms) override {
    pollfd p{fd_, POLLIN, 0};
    int n;
    do n = ::poll(&p, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0) fail("fpgallm driver: poll on /dev/{}: {}", name_, std::strerror(errno));
    if (n == 0) return false;
    int32_t events = 0;
    if (::read(fd_, &events, sizeof events) != static_cast<ssize_t>(sizeof events))
      fail("fpgallm driver: cannot read the interrupt count of /dev/{}: {}", name_, std::strerror(errno));
    return true;
  }

 private:
  std::string name_;
  int fd_ = -1;
  uint64_t map_bytes_ = 0;
  volatile uint32_t* base_ = nullptr;
};

/** A u-dma-buf buffer mapped as `mapping` asks (see the file comment). */
class UdmaBuffer : public CacheIF {
 public:
  UdmaBuffer(const std::string& name, BufferMapping mapping, int64_t cache_line_bytes = 64)
      : name_(name), line_(static_cast<uint64_t>(cache_line_bytes)) {
    sys_ = "/sys/class/u-dma-buf/" + name + "/";
    region_.phys = linux_detail::read_number(sys_ + "phys_addr");
    region_.bytes = linux_detail::read_number(sys_ + "size");
    int flags = O_RDWR | O_CLOEXEC;
    if (mapping == BufferMapping::WriteCombine) {
      // sync_mode 2: O_SYNC opens map the buffer write-combine (u-dma-buf README, "sync_mode").
      if (linux_detail::read_number(sys_ + "sync_mode") != kSyncModeWriteCombine)
        linux_detail::write_text(sys_ + "sync_mode", std::to_string(kSyncModeWriteCombine));
      flags |= O_SYNC;
    } else {
      auto open_attr = [&](const char* attr) {
        const int fd = ::open((sys_ + attr).c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) fail("fpgallm driver: cannot open {}{}: {}", sys_, attr, std::strerror(errno));
        return fd;
      };
      sync_device_fd_ = open_attr("sync_for_device");
      sync_cpu_fd_ = open_attr("sync_for_cpu");
    }
    fd_ = ::open(("/dev/" + name).c_str(), flags);
    if (fd_ < 0) fail("fpgallm driver: cannot open /dev/{} (is the u-dma-buf module loaded?): {}", name, std::strerror(errno));
    void* p = ::mmap(nullptr, region_.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) fail("fpgallm driver: cannot map /dev/{}: {}", name, std::strerror(errno));
    region_.virt = static_cast<uint8_t*>(p);
  }
  UdmaBuffer(const UdmaBuffer&) = delete;
  UdmaBuffer& operator=(const UdmaBuffer&) = delete;
  ~UdmaBuffer() override {
    ::munmap(region_.virt, region_.bytes);
    ::close(fd_);
    if (sync_device_fd_ >= 0) ::close(sync_device_fd_);
    if (sync_cpu_fd_ >= 0) ::close(sync_cpu_fd_);
  }
  DmaRegion region() const { return region_; }

  void sync_for_device(uint64_t offset, uint64_t bytes) override { sync(sync_device_fd_, kDmaToDevice, offset, bytes); }
  void sync_for_cpu(uint64_t offset, uint64_t bytes) override { sync(sync_cpu_fd_, kDmaFromDevice, offset, bytes); }

 private:
  static constexpr uint64_t kSyncModeWriteCombine = 2;
  static constexpr uint32_t kDmaToDevice = 1, kDmaFromDevice = 2;  // sync_direction values

  /** One sync of [offset, offset + bytes), widened to whole cache lines, as the attribute's one-shot
   *  form: "0x" + 8 hex digits of the offset + 8 of (size | direction << 2 | 1) (u-dma-buf README,
   *  "sync_for_cpu"/"sync_for_device"; the size's low 4 bits carry the flags). */
  void sync(int fd, uint32_t direction, uint64_t offset, uint64_t bytes) const {
    if (fd < 0) fail("fpgallm driver: /dev/{} is not mapped cached: no cache maintenance", name_);
    const uint64_t lo = offset / line_ * line_;
    const uint64_t hi = std::min(region_.bytes, (offset + bytes + line_ - 1) / line_ * line_);
    const uint64_t size = hi - lo;
    if (lo > 0xFFFFFFFFull || size > 0xFFFFFFF0ull || size % 16)
      fail("fpgallm driver: cache sync of {} bytes at {:#x} in /dev/{} exceeds the 32-bit sync fields", size, lo,
           name_);
    char text[32];
    const int n = std::snprintf(text, sizeof text, "0x%08" PRIX32 "%08" PRIX32, static_cast<uint32_t>(lo),
                                static_cast<uint32_t>(size) | (direction << 2) | 1u);
    if (::pwrite(fd, text, static_cast<size_t>(n), 0) != n)
      fail("fpgallm driver: cache sync through {} failed: {}", sys_, std::strerror(errno));
  }

  std::string name_, sys_;
  uint64_t line_;
  int fd_ = -1, sync_device_fd_ = -1, sync_cpu_fd_ = -1;
  DmaRegion region_;
};

}  // namespace fpgallm::ps
