#include <algorithm>
#include <cstdio>
#include <exception>

#include <fmt/core.h>

#include "apps/fpgallm/Command.h"
#include "models/core/Error.h"

int main(int argc, char** argv) {
  CLI::App app{"fpgallm: cycle-approximate simulator and design-space explorer for FPGA LLM accelerators"};
  app.require_subcommand(1);
  auto entries = fpgallm::cli::CommandRegistry::entries();
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& e : entries) e.setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const fpgallm::Error& e) {
    std::fflush(stdout);
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fflush(stdout);
    fmt::print(stderr, "error: out of memory\n");
    return 3;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "internal error: {}\n", e.what());
    return 4;
  }
  return 0;
}
