#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "models/quant/PackedModel.h"
#include "models/quant/Quantizer.h"

namespace fpgallm {

/** Seed of the random calibration tokens used for synthetic models without a tokenizer. */
constexpr uint64_t kDefaultRandomCalibSeed = 1234;

/**
 * One "quantize a checkpoint into a packed-model file" job, as `fpgallm quantize` and the Python
 * `fpgallm.quantize()` run it: load, calibrate (AWQ), quantize, MACRO-pack, write.
 */
struct QuantizeJob {
  std::string model;            ///< llama2.c .bin, HF folder or synthetic:<preset>[:seed]
  std::string out;              ///< packed model file to write
  std::string autoawq_out;      ///< also an AutoAWQ GEMM checkpoint folder here (empty: none)
  QuantOptions options;         ///< method, bits, group size, searches, calibration size, progress
  std::string calib_file;       ///< AWQ calibration text (required with a tokenizer)
  std::string calib_tokens;     ///< pre-tokenized calibration, one sample of token ids a line (instead of calib_file)
  std::string tokenizer;        ///< empty: look next to the model (find_model_tokenizer)
  uint64_t calib_seed = kDefaultRandomCalibSeed;  ///< random calibration ids: synthetic models without a tokenizer
  int64_t calib_blocks = kDefaultRandomCalibBlocks;  ///< blocks of random calibration ids (same case)
  int64_t tile_rows = MacroLayout{}.tile_rows;
  int64_t beat_bytes = MacroLayout{}.beat_bytes;
  /** Receives one human-readable line per step (model, calibration source, notes). */
  std::function<void(const std::string&)> log;

  /** The MACRO layout the job packs with; throws naming the option when out of range. */
  MacroLayout layout() const;
};

/** Runs the job and returns the written file's header (read back, no weight data). */
PackedModel run_quantize_job(const QuantizeJob& job);

/** A tokenizer next to the model: a HF folder's vocab.json + merges.txt, or a llama2.c tokenizer .bin; "" if none. */
std::string find_model_tokenizer(const std::string& model);

}  // namespace fpgallm
