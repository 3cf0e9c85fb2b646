// libFuzzer target: arbitrary bytes as a GLUE WNLI TSV (`fpgallm eval --wnli`), each example then
// formatted as a prompt. A clean fpgallm::Error is the expected outcome for bad input; anything
// else is a bug.
#include <cstddef>
#include <cstdint>

#include "models/core/Error.h"
#include "models/eval/Eval.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fpgallm::fuzz::write_scratch("wnli.tsv", {reinterpret_cast<const char*>(data), size});
  try {
    for (const auto& e : fpgallm::load_wnli_tsv(path)) (void)fpgallm::wnli_prompt(e);
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
