#include "models/core/Digest.h"

#include <xxhash.h>

#include <fmt/format.h>

#include "models/core/Error.h"

namespace fpgallm {

Digest::Digest() : state_(XXH3_createState()) {
  if (!state_ || XXH3_64bits_reset(static_cast<XXH3_state_t*>(state_)) == XXH_ERROR)
    fail("cannot start an XXH3 digest");
}

Digest::~Digest() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

void Digest::update(const void* p, size_t n) {
  if (n && XXH3_64bits_update(static_cast<XXH3_state_t*>(state_), p, n) == XXH_ERROR) fail("XXH3 digest update failed");
}

uint64_t Digest::value() const { return XXH3_64bits_digest(static_cast<XXH3_state_t*>(state_)); }

std::string Digest::hex() const { return fmt::format("{:016x}", value()); }

std::string Digest::hex_of(const std::string& bytes) {
  Digest d;
  d.update(bytes.data(), bytes.size());
  return d.hex();
}

}  // namespace fpgallm
