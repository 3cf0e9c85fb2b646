#pragma once
#include <string>

namespace fpgallm {

/**
 * Makes sure `path` can be written before a long job produces it: creates its parent folders and
 * creates then removes `path + ".tmp"`. Throws naming `what` (e.g. "--out") and the reason, so a
 * run fails in a second, not after minutes of work.
 */
void prepare_output_file(const std::string& path, const std::string& what);

}  // namespace fpgallm
