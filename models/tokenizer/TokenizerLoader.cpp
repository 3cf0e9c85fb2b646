#include <array>
#include <filesystem>
#include <string_view>

#include "models/core/Error.h"
#include "models/tokenizer/QwenTokenizer.h"
#include "models/tokenizer/Tokenizer.h"

namespace fpgallm {
namespace {

namespace fs = std::filesystem;

bool is_bpe_folder(const fs::path& dir) {
  return fs::is_regular_file(dir / "vocab.json") && fs::is_regular_file(dir / "merges.txt");
}

/** Files of a HF tokenizer folder that a user may point at instead of the folder itself. */
bool is_hf_tokenizer_file(const fs::path& p) {
  constexpr std::array<std::string_view, 4> kNames = {"vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json"};
  const std::string name = p.filename().string();
  for (std::string_view n : kNames)
    if (name == n) return true;
  return false;
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path, int64_t vocab_size_hint) {
  if (!fs::exists(path)) fail("{}: no such tokenizer file or folder", path);
  const fs::path p(path);
  if (fs::is_regular_file(p) && p.extension() == ".bin") return std::make_unique<Llama2cTokenizer>(path, vocab_size_hint);
  if (fs::is_directory(p)) {
    if (is_bpe_folder(p)) return std::make_unique<QwenTokenizer>(path);
    fail("{}: folder has no vocab.json + merges.txt (a Qwen2 byte-level BPE tokenizer needs both)", path);
  }
  if (fs::is_regular_file(p) && is_hf_tokenizer_file(p)) {
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    if (is_bpe_folder(dir)) return std::make_unique<QwenTokenizer>(dir.string());
    fail("{}: its folder has no vocab.json + merges.txt (a Qwen2 byte-level BPE tokenizer needs both)", path);
  }
  fail("{}: not a recognised tokenizer (llama2.c .bin or a folder with vocab.json + merges.txt)", path);
}

}  // namespace fpgallm
