#pragma once
// What an accelerator config implies for the model it deploys, decided once: how the linears are
// quantized (the MACRO's group size, bits, zero point; lm_head when it runs on the PL), the
// footprint of the deployed weights, and how many bytes of them count as "the model".
#include <cstdint>
#include <string>

#include "models/llm/ModelConfig.h"
#include "models/quant/Footprint.h"
#include "models/quant/Quantizer.h"
#include "sim/accel/AccelConfig.h"

namespace fpgallm::sim {

/** Quantizer settings for `a`'s MACRO layout with `method` (rtn | awq); other settings at their defaults. */
QuantOptions deployed_quant_options(const AccelConfig& a, const std::string& method);

/** Footprint of `mc` as `a` deploys it (its MACRO layout, lm_head as offloaded). */
Footprint deployed_footprint(const AccelConfig& a, const ModelConfig& mc);

/** Bytes of the deployed weights: AWQ when the PL streams MACRO blocks, the fp16 model when nothing is offloaded. */
int64_t deployed_model_bytes(const AccelConfig& a, const Footprint& fp);

/** Bytes the deployment occupies in DDR: the packed file as laid out (padding, header) and the KV cache for `positions`. */
int64_t deployed_ddr_bytes(const AccelConfig& a, const ModelConfig& mc, const Footprint& fp, int64_t positions);

}  // namespace fpgallm::sim
