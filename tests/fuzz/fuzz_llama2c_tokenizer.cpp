// libFuzzer target: a llama2.c tokenizer (tok*.bin). Input: the model's vocab size as 2 bytes
// little-endian (the loader takes it from the model), then the file. A loaded tokenizer then encodes
// and decodes text. A clean fpgallm::Error is the expected outcome for bad input; anything else is
// a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "models/core/Error.h"
#include "models/tokenizer/Tokenizer.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int64_t vocab = data[0] | (data[1] << 8);
  const auto path = fpgallm::fuzz::write_scratch("tok.bin", {reinterpret_cast<const char*>(data) + 2, size - 2});
  try {
    const fpgallm::Llama2cTokenizer tok(path, vocab);
    const auto ids = tok.encode("Once upon a time, \xc3\xa9\xff\x01 a tiny <0x41> dragon.", true);
    (void)tok.decode(ids);
    for (int32_t id = 0; id < tok.vocab_size(); ++id) (void)tok.decode_token(1, id);
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
