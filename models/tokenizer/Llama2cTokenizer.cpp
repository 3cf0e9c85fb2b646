#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "models/core/Error.h"
#include "models/tokenizer/Tokenizer.h"

namespace fpgallm {

namespace {
/** llama2.c / sentencepiece: ids 0..2 are <unk>, <s>, </s>; byte b falls back to token b + 3. */
constexpr int32_t kByteFallbackFirstId = 3;
}  // namespace

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  int32_t prev = -1;
  for (int32_t id : ids) {
    out += decode_token(prev, id);
    prev = id;
  }
  return out;
}

Llama2cTokenizer::Llama2cTokenizer(const std::string& path, int64_t vocab_size) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("{}: cannot open tokenizer", path);
  if (vocab_size <= 0) fail("{}: llama2.c tokenizer needs the model's vocab size (got {})", path, vocab_size);
  // Each token takes at least a score and a length; reject sizes the file cannot hold before allocating.
  constexpr int64_t kHeaderBytes = 4, kMinTokenBytes = 8;
  std::error_code ec;
  const auto file_bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  if (ec) fail("{}: cannot read its size ({})", path, ec.message());
  if (vocab_size > (file_bytes - kHeaderBytes) / kMinTokenBytes)
    fail("{}: {} bytes cannot hold {} tokens (truncated file or wrong vocab size)", path, file_bytes, vocab_size);
  int32_t max_len = 0;
  if (!f.read(reinterpret_cast<char*>(&max_len), 4)) fail("{}: truncated tokenizer header", path);
  if (max_len <= 0 || max_len > 1 << 16) fail("{}: implausible max_token_length {}", path, max_len);
  vocab_.resize(static_cast<size_t>(vocab_size));
  scores_.resize(static_cast<size_t>(vocab_size));
  for (int64_t i = 0; i < vocab_size; ++i) {
    int32_t len = 0;
    if (!f.read(reinterpret_cast<char*>(&scores_[i]), 4) || !f.read(reinterpret_cast<char*>(&len), 4))
      fail("{}: truncated at token {} of {}", path, i, vocab_size);
    if (len < 0 || len > max_len) fail("{}: token {} has length {} (max {})", path, i, len, max_len);
    vocab_[i].resize(static_cast<size_t>(len));
    if (len && !f.read(vocab_[i].data(), len)) fail("{}: truncated in token {}", path, i);
  }
  for (int32_t i = 0; i < static_cast<int32_t>(vocab_.size()); ++i) sorted_.emplace_back(vocab_[i], i);
  std::sort(sorted_.begin(), sorted_.end());
}

int32_t Llama2cTokenizer::lookup(const std::string& s) const {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), std::make_pair(s, INT32_MIN));
  return (it != sorted_.end() && it->first == s) ? it->second : -1;
}

std::vector<int32_t> Llama2cTokenizer::encode(const std::string& text, bool add_bos) const {
  std::vector<int32_t> ids;
  if (add_bos) ids.push_back(bos_id());
  // llama2.c (sentencepiece) prepends a dummy space to non-empty text.
  if (!text.empty()) {
    const int32_t sp = lookup(" ");
    if (sp >= 0) ids.push_back(sp);
  }
  // One id per UTF-8 codepoint, or its bytes (+3) when the codepoint is not in the vocab.
  for (size_t i = 0; i < text.size();) {
    size_t len = 1;
    while (i + len < text.size() && len < 4 && (static_cast<unsigned char>(text[i + len]) & 0xC0) == 0x80) ++len;
    const std::string cp = text.substr(i, len);
    const int32_t id = lookup(cp);
    if (id >= 0) {
      ids.push_back(id);
    } else {
      for (char ch : cp) {
        const int32_t byte_id = static_cast<int32_t>(static_cast<unsigned char>(ch)) + kByteFallbackFirstId;
        if (byte_id >= static_cast<int32_t>(vocab_.size()))
          fail("llama2.c tokenizer: byte 0x{:02X} needs byte-fallback token {} but the vocabulary has {} tokens",
               static_cast<unsigned char>(ch), byte_id, vocab_.size());
        ids.push_back(byte_id);
      }
    }
    i += len;
  }
  // Merge the best-scoring adjacent pair until none is in the vocab.
  const size_t first = add_bos ? 1 : 0;
  while (true) {
    float best = -1e10f;
    int32_t best_id = -1;
    size_t best_i = 0;
    for (size_t i = first; i + 1 < ids.size(); ++i) {
      const int32_t id = lookup(vocab_[ids[i]] + vocab_[ids[i + 1]]);
      if (id >= 0 && scores_[id] > best) {
        best = scores_[id];
        best_id = id;
        best_i = i;
      }
    }
    if (best_id < 0) break;
    ids[best_i] = best_id;
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(best_i) + 1);
  }
  return ids;
}

std::string Llama2cTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  int32_t prev = -1;
  for (int32_t id : ids) {
    const std::string piece = decode_token(prev, id);
    if (id != bos_id() && id != eos_id()) out += piece;
    prev = id;
  }
  return out;
}

std::string Llama2cTokenizer::decode_token(int32_t prev, int32_t token) const {
  if (token < 0 || token >= static_cast<int32_t>(vocab_.size())) fail("token id {} is outside the vocabulary", token);
  std::string piece = vocab_[token];
  if (prev == bos_id() && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
  unsigned int byte = 0;
  if (piece.size() == 6 && std::sscanf(piece.c_str(), "<0x%02X>", &byte) == 1) return std::string(1, static_cast<char>(byte));
  return piece;
}

}  // namespace fpgallm
