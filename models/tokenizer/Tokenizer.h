#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fpgallm {

/** Text <-> token ids. Implementations: llama2.c (tok512.bin) and Qwen2 byte-level BPE. */
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  /** Encodes UTF-8 text; `add_bos` prepends BOS where the tokenizer has one. */
  virtual std::vector<int32_t> encode(const std::string& text, bool add_bos) const = 0;
  /** Bytes of one token as it continues after `prev` (streaming output). */
  virtual std::string decode_token(int32_t prev, int32_t token) const = 0;
  /** Decodes a whole sequence. */
  virtual std::string decode(const std::vector<int32_t>& ids) const;
  virtual int64_t vocab_size() const = 0;
  virtual int32_t bos_id() const { return -1; }
  virtual int32_t eos_id() const { return -1; }
};

/** llama2.c tokenizer.bin: greedy merges by score, byte fallback, BOS = 1, EOS = 2. */
class Llama2cTokenizer : public Tokenizer {
 public:
  Llama2cTokenizer(const std::string& path, int64_t vocab_size);
  std::vector<int32_t> encode(const std::string& text, bool add_bos) const override;
  std::string decode_token(int32_t prev, int32_t token) const override;
  /** Like the base decode, but BOS/EOS add no text (they still strip the space after BOS). */
  std::string decode(const std::vector<int32_t>& ids) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(vocab_.size()); }
  int32_t bos_id() const override { return 1; }
  int32_t eos_id() const override { return 2; }

 private:
  int32_t lookup(const std::string& s) const;
  std::vector<std::string> vocab_;
  std::vector<float> scores_;
  std::vector<std::pair<std::string, int32_t>> sorted_;
};

/** Opens a tokenizer by path: a .bin file (llama2.c, needs vocab size) or a HF folder/tokenizer files. */
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path, int64_t vocab_size_hint);

}  // namespace fpgallm
