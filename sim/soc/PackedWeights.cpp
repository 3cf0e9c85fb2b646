#include "sim/soc/PackedWeights.h"

#include "models/core/Error.h"

namespace fpgallm::sim {

PackedWeights::PackedWeights(std::shared_ptr<const ModelWeights> weights, const MacroLayout& layout)
    : weights_(std::move(weights)), layout_(layout) {
  if (!weights_) fail("PackedWeights: no model");
  layout_.validate("PackedWeights layout");
  auto pack = [&](const Linear& lin) {
    const QuantLinear* q = lin.quant.get();
    if (!q || streams_.count(q)) return;
    // A linear quantized for another unpacker is left to place_weights, which says why it cannot run.
    if (q->group_size != layout_.group_size || q->bits != layout_.bits || q->has_zero != layout_.zero_point) return;
    const MacroStream& s = streams_.emplace(q, pack_macro(*q, layout_)).first->second;
    bytes_ += static_cast<int64_t>(s.bytes.size());
  };
  for (const auto& L : weights_->layers)
    for (const Linear* lin : {&L.q, &L.k, &L.v, &L.o, &L.gate, &L.up, &L.down}) pack(*lin);
  pack(weights_->lm_head);
}

const MacroStream* PackedWeights::find(const QuantLinear* q) const {
  const auto it = streams_.find(q);
  return it == streams_.end() ? nullptr : &it->second;
}

}  // namespace fpgallm::sim
