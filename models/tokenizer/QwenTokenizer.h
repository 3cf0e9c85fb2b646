#pragma once
#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/tokenizer/Tokenizer.h"

namespace fpgallm {

/** One added (special) token: its exact text and id. */
struct AddedToken {
  std::string content;
  int32_t id = -1;
};

/** The 22 added tokens of Qwen2.5 (ids 151643..151664), as in its tokenizer.json. */
const std::vector<AddedToken>& qwen25_added_tokens();

/** NFC form of valid UTF-8 text; fails (fpgallm::Error) on invalid UTF-8, naming `what`. */
std::string nfc_normalize(std::string_view utf8, std::string_view what = "text");

/**
 * Qwen2 byte-level BPE (HF "Qwen2Tokenizer"): added tokens are split out first, the rest is NFC
 * normalised, cut by the Qwen2 pre-tokenizer regex, mapped to GPT-2 byte-level characters and
 * merged by rank. Ids of added tokens follow the base vocabulary. There is no BOS.
 */
class QwenTokenizer : public Tokenizer {
 public:
  /** Loads `dir`/vocab.json and `dir`/merges.txt, plus the added tokens the folder lists
   *  (tokenizer_config.json, added_tokens.json). With the 151,643-token Qwen2 base vocabulary the
   *  Qwen2.5 added tokens the folder does not list are added from qwen25_added_tokens(). */
  explicit QwenTokenizer(const std::string& dir);

  /** Text must be valid UTF-8 (else fpgallm::Error); `add_bos` is ignored (Qwen has no BOS).
   *  decode(encode(s)) gives back the NFC form of s, which is s itself for NFC text. */
  std::vector<int32_t> encode(const std::string& text, bool add_bos = false) const override;
  /** Raw bytes of `token` (a piece may be a partial UTF-8 sequence); `prev` is not needed. */
  std::string decode_token(int32_t prev, int32_t token) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(pieces_.size()); }
  int32_t eos_id() const override { return eos_id_; }

  /** Id of an added token by its text, or -1. */
  int32_t added_token_id(std::string_view content) const;
  /** Number of tokens in vocab.json (without added tokens). */
  int64_t base_vocab_size() const { return base_vocab_size_; }

  /** The Qwen2 pre-tokenizer regex applied to (already normalised) valid UTF-8 text. */
  static std::vector<std::string_view> pre_tokenize(std::string_view text);

 private:
  struct Merge {
    int32_t rank;
    int32_t merged_id;
  };
  void load_vocab(const std::string& path, std::unordered_map<std::string, int32_t>& by_key);
  void load_merges(const std::string& path, const std::unordered_map<std::string, int32_t>& by_key);
  void load_added_tokens(const std::string& dir);
  void add_token(const AddedToken& t, const std::string& source);
  void bpe(std::string_view word, std::vector<int32_t>& out) const;
  void encode_ordinary(std::string_view text, std::vector<int32_t>& out) const;

  std::vector<std::string> pieces_;           // id -> raw bytes (added tokens: their text)
  int64_t base_vocab_size_ = 0;
  int32_t byte_token_[256] = {};              // byte -> id of its single-byte token
  std::unordered_map<uint64_t, Merge> merges_;  // (left id << 32 | right id) -> merge
  std::vector<AddedToken> added_;             // longest first, for leftmost-longest matching
  std::array<bool, 256> added_first_byte_{};  // bytes an added token can start with
  int32_t eos_id_ = -1;

  // Pre-tokenized words recur constantly in real text; caching their BPE result is the main speed-up.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace fpgallm
