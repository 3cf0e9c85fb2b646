#pragma once
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace fpgallm {

/** The one exception type for bad input: the message names the file/field and the reason. */
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

/** Throws fpgallm::Error with a fmt-formatted message. */
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace fpgallm
