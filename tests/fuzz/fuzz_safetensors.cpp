// libFuzzer target: arbitrary bytes as a safetensors file. A clean fpgallm::Error is the expected
// outcome for bad input; any other exception, crash, leak or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>

#include "models/core/Error.h"
#include "models/checkpoint/Safetensors.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto f = fpgallm::SafetensorsFile::from_buffer(data, size, "fuzz.safetensors");
    // A validated header must make every tensor readable within the buffer.
    for (const auto& t : f.header().tensors) {
      const auto raw = f.raw(t.name);
      volatile uint8_t sink = 0;
      if (raw.nbytes) sink = sink ^ raw.data[0] ^ raw.data[raw.nbytes - 1];
      if (t.dtype == fpgallm::DType::F32 || t.dtype == fpgallm::DType::F16 || t.dtype == fpgallm::DType::BF16)
        (void)f.to_f32(t.name);
    }
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
