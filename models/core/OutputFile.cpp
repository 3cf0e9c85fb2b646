#include "models/core/OutputFile.h"

#include <filesystem>
#include <fstream>

#include "models/core/Error.h"

namespace fpgallm {

void prepare_output_file(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) fail("{}: no output file given", what);
  if (fs::is_directory(path, ec)) fail("{} {}: is a folder, not a file", what, path);
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec)) {
    fs::create_directories(parent, ec);
    if (ec) fail("{} {}: cannot create the folder {}: {}", what, path, parent.string(), ec.message());
  }
  const std::string probe = path + ".tmp";
  {
    std::ofstream f(probe, std::ios::binary | std::ios::app);
    if (!f) fail("{} {}: cannot write in {}", what, path, parent.empty() ? "." : parent.string());
  }
  fs::remove(probe, ec);
}

}  // namespace fpgallm
