#pragma once
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace fpgallm::cli {

/** Each cmd_*.cpp registers one subcommand, so adding a command never touches main.cpp. */
struct CommandRegistry {
  using Setup = std::function<void(CLI::App&)>;
  struct Entry { std::string name; Setup setup; };
  static std::vector<Entry>& entries() {
    static std::vector<Entry> e;
    return e;
  }
  static bool add(std::string name, Setup s) {
    entries().push_back({std::move(name), std::move(s)});
    return true;
  }
};

}  // namespace fpgallm::cli

#define FPGALLM_REGISTER_COMMAND(name, fn) \
  static const bool fpgallm_cmd_registered_##fn = ::fpgallm::cli::CommandRegistry::add(name, fn)
