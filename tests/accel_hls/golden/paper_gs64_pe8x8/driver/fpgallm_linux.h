// Linux back-ends of the driver: the s_axilite registers through /dev/mem, the DMA buffer from
// the u-dma-buf kernel module (/dev/udmabufN, physical address in sysfs), opened O_SYNC so the
// A53 does not cache it (the PL's HP ports are not coherent with the A53 caches).
#pragma once
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "fpgallm_driver.h"
#include "models/core/Error.h"

namespace fpgallm::ps {

/** Memory-mapped registers at a physical address (needs root or CAP_SYS_RAWIO). */
class DevMemRegisters : public RegisterIF {
 public:
  DevMemRegisters(uint64_t phys, uint32_t span) : span_(span) {
    fd_ = ::open("/dev/mem", O_RDWR | O_SYNC);
    if (fd_ < 0) fail("fpgallm driver: cannot open /dev/mem (root needed)");
    const long page = ::sysconf(_SC_PAGESIZE);
    map_bytes_ = (span + static_cast<uint64_t>(page) - 1) / static_cast<uint64_t>(page) * static_cast<uint64_t>(page);
    void* p = ::mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, static_cast<off_t>(phys));
    if (p == MAP_FAILED) fail("fpgallm driver: cannot map the registers at {:#x}", phys);
    base_ = static_cast<volatile uint32_t*>(p);
  }
  ~DevMemRegisters() override {
    ::munmap(const_cast<uint32_t*>(base_), map_bytes_);
    ::close(fd_);
  }
  uint32_t read32(uint32_t off) override { return base_[off / 4]; }
  void write32(uint32_t off, uint32_t v) override { base_[off / 4] = v; }

 private:
  int fd_ = -1;
  uint32_t span_;
  uint64_t map_bytes_ = 0;
  volatile uint32_t* base_ = nullptr;
};

/** A u-dma-buf buffer: /dev/<name>, its physical address and size from /sys/class/u-dma-buf/<name>/. */
class UdmaBuffer {
 public:
  explicit UdmaBuffer(const std::string& name) {
    const std::string sys = "/sys/class/u-dma-buf/" + name + "/";
    region_.phys = read_number(sys + "phys_addr");
    region_.bytes = read_number(sys + "size");
    fd_ = ::open(("/dev/" + name).c_str(), O_RDWR | O_SYNC);
    if (fd_ < 0) fail("fpgallm driver: cannot open /dev/{} (is the u-dma-buf module loaded?)", name);
    void* p = ::mmap(nullptr, region_.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) fail("fpgallm driver: cannot map /dev/{}", name);
    region_.virt = static_cast<uint8_t*>(p);
  }
  ~UdmaBuffer() {
    ::munmap(region_.virt, region_.bytes);
    ::close(fd_);
  }
  DmaRegion region() const { return region_; }

 private:
  static uint64_t read_number(const std::string& path) {
    std::ifstream f(path);
    std::string s;
    if (!(f >> s)) fail("fpgallm driver: cannot read {}", path);
    return std::stoull(s, nullptr, 0);
  }
  int fd_ = -1;
  DmaRegion region_;
};

}  // namespace fpgallm::ps
