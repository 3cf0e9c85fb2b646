// libFuzzer target: arbitrary bytes as a packed model file (docs/formats.md), fully loaded
// (header, tensor table, MACRO streams, fp16 tensors). A clean fpgallm::Error is the expected
// outcome for bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "models/core/Error.h"
#include "models/quant/PackedModel.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fpgallm::fuzz::write_scratch("model.fpgallm", {reinterpret_cast<const char*>(data), size});
  try {
    const auto m = fpgallm::load_packed_model(path);
    // A loaded model must be usable: every linear the table lists as MACRO has its stream.
    for (const auto& [name, s] : m.streams) (void)m.stream(name);
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
