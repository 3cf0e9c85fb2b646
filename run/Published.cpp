#include "run/Published.h"

#include <filesystem>

#include "models/core/Error.h"
#include "models/core/YamlConfig.h"

namespace fpgallm::run {

Published load_published(const std::string& file) {
  Published p;
  if (file.empty()) return p;
  if (!std::filesystem::exists(file)) fail("{}: --reference file not found", file);
  YamlMap root = YamlMap::load(file);
  p.source = root.get<std::string>("source", "");
  auto m = root.child("model", true);
  p.hidden = m.require<int64_t>("hidden_size");
  p.layers = m.require<int64_t>("num_hidden_layers");
  p.vocab = m.require<int64_t>("vocab_size");
  m.finish();
  auto b = root.child("baseline", true);
  p.base_mb = b.require<double>("model_mb");
  p.base_tps = b.require<double>("decode_tokens_per_s");
  p.base_acc_pct = b.get<double>("wnli_accuracy_pct", 0);
  b.finish();
  auto a = root.child("accelerated", true);
  p.acc_mb = a.require<double>("model_mb");
  p.acc_tps = a.require<double>("decode_tokens_per_s");
  p.acc_acc_pct = a.get<double>("wnli_accuracy_pct", 0);
  a.finish();
  root.finish();
  p.loaded = true;
  return p;
}

}  // namespace fpgallm::run
