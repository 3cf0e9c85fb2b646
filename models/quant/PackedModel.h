#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/llm/Backend.h"
#include "models/quant/Footprint.h"
#include "models/quant/Macro.h"
#include "models/llm/Weights.h"

namespace fpgallm {

/**
 * Packed-model file (docs/formats.md): 16-byte magic, u32 format version, u32 reserved (0),
 * u64 JSON header length, the UTF-8 JSON header, zero padding to kPackedAlignBytes, then the data
 * section. Every tensor starts at a multiple of kPackedAlignBytes from the data section's start.
 * Quantized linears are MACRO streams; every other tensor (embeddings, norms, biases, unquantized
 * linears) is fp16, rounded to nearest even from fp32.
 */
constexpr char kPackedMagic[16] = {'F', 'P', 'G', 'A', 'L', 'L', 'M', '\0', 'P', 'A', 'C', 'K', 'E', 'D', '\0', '\0'};
constexpr int64_t kPackedMagicBytes = 16;
/** Version 2 added the file digest (version 1 files carry none and are refused). */
constexpr uint32_t kPackedFormatVersion = 2;
/** magic + version + reserved + header length. */
constexpr int64_t kPackedPrefixBytes = kPackedMagicBytes + 4 + 4 + 8;
/** Cache-line / DDR-burst friendly alignment of the data section and of every tensor in it. */
constexpr int64_t kPackedAlignBytes = 64;
/** Largest JSON header accepted; a bigger length field means a corrupt file. */
constexpr int64_t kPackedMaxHeaderBytes = 64ll << 20;

/** One entry of the file's tensor table. */
struct PackedTensor {
  std::string name;             ///< HF name: "model.layers.0.self_attn.q_proj.weight", "model.norm.weight"
  std::string dtype;            ///< "MACRO" (a MacroStream) or "F16"
  std::vector<int64_t> shape;   ///< [out, in] for linears
  int64_t offset = 0;           ///< bytes from the start of the data section
  int64_t bytes = 0;
};

/** A packed model as later issues use it: functional weights plus the raw streams the DDR holds. */
struct PackedModel {
  std::string path;
  ModelConfig config;
  /** Quantized linears carry `quant` and no fp32 weight; fp16 tensors are widened to fp32. */
  std::shared_ptr<ModelWeights> weights;
  MacroLayout layout;
  nlohmann::json quantization;        ///< the header's record of how the weights were quantized
  std::string digest;                 ///< the header's "xxh3_64:<hex>" (checked when the data is read)
  std::vector<PackedTensor> tensors;  ///< in file order
  int64_t data_offset = 0;            ///< file offset of the data section (DDR images start here)
  std::map<std::string, MacroStream> streams;  ///< by linear name ("model.layers.0.mlp.up_proj", "lm_head")
  Footprint footprint;

  /** The MACRO stream of a linear by name; throws naming the linear when it is not quantized. */
  const MacroStream& stream(const std::string& linear_name) const;
  /** The MACRO stream of a linear op (QProj..DownProj with its layer, or LmHead). */
  const MacroStream& stream(OpKind op, int64_t layer) const;
};

/**
 * Writes a quantized model: a MACRO stream per linear that has `quant`, fp16 for everything else
 * (a tied, unquantized lm_head is the embedding table and is stored once). `quantization` is an
 * optional JSON object (method, options) recorded in the header next to the derived fields.
 * Throws when a QuantLinear does not match `layout` or an fp16 value would overflow.
 */
void save_packed_model(const ModelWeights& quantized, const MacroLayout& layout, const std::string& path,
                       const nlohmann::json& quantization = nlohmann::json::object());

/**
 * The header's `digest`: XXH3-64 of the whole file read with this field's 16 hex digits as '0'
 * (docs/formats.md). Written last when saving; checked before any tensor is read when loading.
 */
constexpr const char* kPackedDigestPrefix = "xxh3_64:";
constexpr int64_t kPackedDigestHexDigits = 16;

/** Whether a load checks the file digest. Only fuzzing turns it off, to reach the parsers behind it. */
enum class DigestCheck { Verify, Skip };

/**
 * Reads and fully validates a packed file; errors name the file and the tensor or field. With
 * `read_data` the whole file's digest is checked first (a mismatch is an error naming the file:
 * the data changed since it was written). `read_data` false stops after the header and tensor
 * table (for `inspect`): weights stay null and streams empty, while layout, tensors and footprint
 * are filled, and the digest is not read.
 */
PackedModel load_packed_model(const std::string& path, bool read_data = true, DigestCheck digest = DigestCheck::Verify);

/** Checks a packed file's digest alone (after its prefix and header parse); throws on a mismatch. */
void verify_packed_digest(const std::string& path);

/** True when the file starts with the packed-model magic. */
bool looks_like_packed_model(const std::string& path);

/**
 * Rounds every tensor the packed file stores in fp16 (embeddings, norms, biases, fp32 linear
 * weights) to fp16 and back in place, so an in-memory quantized model computes exactly what its
 * packed file computes after loading. Throws naming the tensor if a value overflows fp16.
 */
void round_unquantized_to_fp16(ModelWeights& w);

/** Name of a linear op's weights ("model.layers.3.self_attn.q_proj", "lm_head"). */
std::string linear_name_of(OpKind op, int64_t layer);

// Shared by the saver, the loader and estimate_footprint so the three agree by construction.
namespace packed_detail {

/** Tensor table (offsets assigned, aligned) for a config; `linear_is_macro(name)` picks the form. */
std::vector<PackedTensor> plan_tensors(const ModelConfig& c, const MacroLayout& layout,
                                       const std::function<bool(const std::string& linear)>& linear_is_macro);

/** The JSON header for a table. */
nlohmann::json make_header(const ModelConfig& c, const MacroLayout& layout, const std::vector<PackedTensor>& table,
                           const nlohmann::json& quantization);

/** File offset of the data section for a serialised header of `header_json_bytes`. */
int64_t data_offset_for(int64_t header_json_bytes);

/**
 * Writes the digest of a whole packed file held in memory into its header (tests and tools that
 * edit a file on purpose re-seal it so the loader's later checks see the edit).
 */
void seal_packed_image(std::string& image, const std::string& where);

/** Footprint of a tensor table by class. */
Footprint footprint_of(const ModelConfig& c, const MacroLayout& layout, const std::vector<PackedTensor>& table,
                       int64_t data_offset, int64_t file_bytes);

}  // namespace packed_detail

}  // namespace fpgallm
