// libFuzzer target: arbitrary bytes as a packed model file (docs/formats.md), fully loaded
// (digest, header, tensor table, MACRO streams, fp16 tensors). A clean fpgallm::Error is the expected
// outcome for bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "models/core/Error.h"
#include "models/quant/PackedModel.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fpgallm::fuzz::write_scratch("model.fpgallm", {reinterpret_cast<const char*>(data), size});
  // Checked first as a user loads it (the digest rejects almost every mutation), then without the
  // digest, so the parsers behind it see the mutated bytes too.
  for (const auto check : {fpgallm::DigestCheck::Verify, fpgallm::DigestCheck::Skip}) {
    try {
      const auto m = fpgallm::load_packed_model(path, /*read_data=*/true, check);
      // A loaded model must be usable: every linear the table lists as MACRO has its stream.
      for (const auto& [name, s] : m.streams) (void)m.stream(name);
    } catch (const fpgallm::Error& e) {
      fpgallm::fuzz::note_rejected(e);
    }
  }
  return 0;
}
