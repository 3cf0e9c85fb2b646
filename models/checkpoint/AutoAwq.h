#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/quant/QuantLinear.h"
#include "models/llm/Weights.h"

namespace fpgallm {

/**
 * AutoAWQ "GEMM" checkpoints (a HF folder): per quantized linear `<name>.qweight` int32
 * [in, out/8], `<name>.qzeros` int32 [in/G, out/8], `<name>.scales` fp16 [in/G, out], and
 * `<name>.bias` fp16; every other tensor fp16; config.json carries
 * quantization_config {"quant_method":"awq","bits":4,"group_size":G,"zero_point":..,"version":"gemm"}.
 * Within an int32, nibble k (bits 4k..4k+3) holds output column 8j + kAutoAwqNibbleOrder[k].
 */
constexpr std::array<int, 8> kAutoAwqNibbleOrder = {0, 2, 4, 6, 1, 3, 5, 7};
constexpr int kAutoAwqBits = 4;
constexpr int64_t kAutoAwqPackFactor = 32 / kAutoAwqBits;  ///< codes per int32
constexpr const char* kAutoAwqVersion = "gemm";

/** Packs codes [rows, cols] (one per byte, < 16) into int32 [rows, cols/8] in AutoAWQ order. */
std::vector<int32_t> autoawq_pack(const uint8_t* codes, int64_t rows, int64_t cols);
/** Inverse of autoawq_pack. */
std::vector<uint8_t> autoawq_unpack(const int32_t* packed, int64_t rows, int64_t cols);

/**
 * Writes a quantized model as an AutoAWQ GEMM folder (config.json + model.safetensors). Every
 * quantized linear must be 4-bit with one common group size dividing its in_features and
 * out_features a multiple of 8; linears without `quant` are written as fp16 `.weight`.
 */
void save_autoawq(const ModelWeights& quantized, const std::string& dir);

/** Reads an AutoAWQ GEMM folder (single file or sharded); errors name the file and tensor. */
std::shared_ptr<ModelWeights> load_autoawq(const std::string& dir);

/** True when `dir` is a folder whose config.json has quantization_config.quant_method "awq". */
bool looks_like_autoawq(const std::string& dir);

}  // namespace fpgallm
