#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace fpgallm {

/**
 * Streaming XXH3-64 (Debian's libxxhash): a fast non-cryptographic digest that catches corruption
 * of files the product writes and reads back (packed models, cache entries), not tampering.
 */
class Digest {
 public:
  Digest();
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  void update(const void* p, size_t n);
  uint64_t value() const;
  /** 16 lowercase hex digits. */
  std::string hex() const;
  /** The digest of one buffer, as 16 hex digits. */
  static std::string hex_of(const std::string& bytes);

 private:
  void* state_;
};

}  // namespace fpgallm
