#include "models/ModelLoader.h"

#include <filesystem>

#include "models/Error.h"
#include "models/Llama2c.h"

namespace fpgallm {

std::shared_ptr<ModelWeights> load_model(const std::string& spec) {
  if (looks_like_llama2c(spec)) return load_llama2c(spec);
  if (!std::filesystem::exists(spec)) fail("{}: no such model file or folder", spec);
  fail("{}: not a recognised model (expected a llama2.c .bin, a HF folder or synthetic:<preset>)", spec);
}

}  // namespace fpgallm
