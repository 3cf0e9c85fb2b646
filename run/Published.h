#pragma once
#include <cstdint>
#include <string>

#include "models/llm/ModelConfig.h"

namespace fpgallm::run {

/** Published figures of a deployment paper (a YAML in configs/reference/). */
struct Published {
  bool loaded = false;
  std::string source;
  double base_mb = 0, base_tps = 0, base_acc_pct = 0;
  double acc_mb = 0, acc_tps = 0, acc_acc_pct = 0;
  int64_t hidden = 0, layers = 0, vocab = 0;
  /** The figures were measured on this model shape only. */
  bool applies_to(const ModelConfig& c) const {
    return loaded && c.hidden_size == hidden && c.num_layers == layers && c.vocab_size == vocab;
  }
};

/** Reads a reference YAML; an empty path gives an unloaded record, a missing file is an error. */
Published load_published(const std::string& file);

}  // namespace fpgallm::run
