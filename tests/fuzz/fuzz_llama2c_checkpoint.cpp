// libFuzzer target: arbitrary bytes as a llama2.c checkpoint (.bin). A clean fpgallm::Error is the
// expected outcome for bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "models/checkpoint/Llama2c.h"
#include "models/core/Error.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fpgallm::fuzz::write_scratch("model.bin", {reinterpret_cast<const char*>(data), size});
  try {
    (void)fpgallm::load_llama2c(path);
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
