// libFuzzer target: a Qwen2 byte-level BPE tokenizer folder, input
// "vocab.json<sep>merges.txt<sep>text<sep>tokenizer_config.json<sep>added_tokens.json"
// (FuzzInput.h kFileSeparator; trailing parts may be absent). A loaded tokenizer encodes `text`
// and must decode it back to its NFC form, as QwenTokenizer::encode promises. A clean
// fpgallm::Error is the expected outcome for bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "models/core/Error.h"
#include "models/tokenizer/QwenTokenizer.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = fpgallm::fuzz::split_files(data, size, 5);
  std::vector<std::string_view> files = parts;
  if (files.size() > 2) files.erase(files.begin() + 2);  // the text is not a file
  const auto dir = fpgallm::fuzz::write_folder(
      "qwen", {"vocab.json", "merges.txt", "tokenizer_config.json", "added_tokens.json"}, files);
  const std::string text = parts.size() > 2 ? std::string(parts[2]) : std::string("Hello, world! 123");
  try {
    const fpgallm::QwenTokenizer tok(dir);
    std::string nfc;
    try {
      nfc = fpgallm::nfc_normalize(text);
    } catch (const fpgallm::Error&) {
      return 0;  // invalid UTF-8 text: encode must refuse it too
    }
    const auto ids = tok.encode(text);
    if (tok.decode(ids) != nfc) {
      std::fprintf(stderr, "decode(encode(text)) differs from NFC(text)\n");
      std::abort();
    }
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
