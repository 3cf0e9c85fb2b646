#include <filesystem>

#include "models/Error.h"
#include "models/Tokenizer.h"

namespace fpgallm {

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path, int64_t vocab_size_hint) {
  namespace fs = std::filesystem;
  if (!fs::exists(path)) fail("{}: no such tokenizer file or folder", path);
  if (fs::is_regular_file(path) && fs::path(path).extension() == ".bin")
    return std::make_unique<Llama2cTokenizer>(path, vocab_size_hint);
  fail("{}: not a recognised tokenizer (llama2.c .bin or a folder with vocab.json + merges.txt)", path);
}

}  // namespace fpgallm
