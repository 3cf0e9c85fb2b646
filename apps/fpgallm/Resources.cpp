#include "apps/fpgallm/Resources.h"

#include <cstdlib>

#include "models/core/Error.h"

namespace fpgallm::cli {
namespace {

namespace fs = std::filesystem;

bool has_resources(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "configs", ec) && fs::is_directory(dir / "data", ec);
}

fs::path find_root() {
  if (const char* env = std::getenv(kResourceRootEnv); env && *env) {
    if (!has_resources(env))
      fail("{}={}: that folder has no configs/ and data/ (point it at an fpgallm source tree or "
           "<prefix>/share/fpgallm)", kResourceRootEnv, env);
    return env;
  }
  std::string looked;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "fpgallm";
    if (has_resources(installed)) return installed;
    looked = installed.string();
  }
  const fs::path source = FPGALLM_CLI_SOURCE_DIR;
  if (has_resources(source)) return source;
  fail("cannot find fpgallm's configs/ and data/ (looked in {}{}); set {} to the folder that holds them", looked,
       looked.empty() ? source.string() : ", " + source.string(), kResourceRootEnv);
}

}  // namespace

const fs::path& resource_root() {
  static const fs::path root = find_root();
  return root;
}

std::string resource_path(const std::string& rel) { return (resource_root() / rel).string(); }

}  // namespace fpgallm::cli
