#include "run/Resources.h"

#include <dlfcn.h>

#include <cstdlib>

#include "models/core/Error.h"

namespace fpgallm::run {
namespace {

namespace fs = std::filesystem;

// How far above the running binary an install prefix may sit: <prefix>/bin/fpgallm is 1 level,
// <prefix>/lib/python3.X/dist-packages/fpgallm/_fpgallm.so is 4.
constexpr int kMaxPrefixLevels = 4;

bool has_resources(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "configs", ec) && fs::is_directory(dir / "data", ec);
}

/** The file holding this code: the executable, or the shared object (the Python module) it is linked into. */
fs::path own_binary() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&has_resources), &info) && info.dli_fname && *info.dli_fname) {
    const fs::path lib = fs::weakly_canonical(info.dli_fname, ec);
    // dladdr names the main program by argv[0]; /proc/self/exe is the reliable name for it.
    if (!ec && fs::is_regular_file(lib) && !fs::equivalent(lib, exe, ec)) return lib;
  }
  return exe;
}

fs::path find_root() {
  if (const char* env = std::getenv(kResourceRootEnv); env && *env) {
    if (!has_resources(env))
      fail("{}={}: that folder has no configs/ and data/ (point it at an fpgallm source tree or "
           "<prefix>/share/fpgallm)", kResourceRootEnv, env);
    return env;
  }
  std::string looked;
  fs::path dir = own_binary().parent_path();
  for (int level = 0; level < kMaxPrefixLevels && !dir.empty() && dir != dir.root_path(); ++level) {
    const fs::path installed = dir.parent_path() / "share" / "fpgallm";
    if (has_resources(installed)) return installed;
    looked += installed.string() + ", ";
    dir = dir.parent_path();
  }
  const fs::path source = FPGALLM_RESOURCE_SOURCE_DIR;
  if (has_resources(source)) return source;
  fail("cannot find fpgallm's configs/ and data/ (looked in {}{}); set {} to the folder that holds them", looked,
       source.string(), kResourceRootEnv);
}

}  // namespace

const fs::path& resource_root() {
  static const fs::path root = find_root();
  return root;
}

std::string resource_path(const std::string& rel) { return (resource_root() / rel).string(); }

std::string find_file(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  if (p.empty() || p.is_absolute() || fs::exists(p, ec)) return path;
  const fs::path shipped = resource_root() / p;
  return fs::exists(shipped, ec) ? shipped.string() : path;
}

}  // namespace fpgallm::run
