#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/quant/QuantLinear.h"
#include "models/tokenizer/Tokenizer.h"
#include "models/llm/Weights.h"

namespace fpgallm {

/** AutoAWQ's n_sample_token: the clip search's loss runs on every max(1, T / 512)-th token. */
constexpr int64_t kDefaultAwqClipSampleTokens = 512;
/** AutoAWQ's calibration defaults: up to 128 samples, concatenated, cut into 512-token blocks. */
constexpr int64_t kDefaultCalibSamples = 128;
constexpr int64_t kDefaultCalibBlockTokens = 512;
/** Blocks of random token ids for models without a tokenizer (synthetic ones): 8 x 512 tokens. */
constexpr int64_t kDefaultRandomCalibBlocks = 8;

/**
 * What and how to quantize. Defaults follow AutoAWQ's AwqQuantizer exactly where the algorithm is
 * concerned (4-bit, zero point, G = 64 here, scale grid 20, clip grid range(int(0.5 * 20)), clip
 * by clamping weights, clip loss on ~512 tokens); docs/quantization.md lists what remains different
 * (fp32 arithmetic instead of fp16, degenerate groups). The extras below are off by default.
 */
struct QuantOptions {
  std::string method = "awq";  ///< awq | rtn
  int bits = 4;                ///< 4; 3 and 8 also work (codes are stored one per byte)
  int64_t group_size = 64;
  bool zero_point = true;  ///< false: symmetric, zero fixed at 2^(bits-1)
  bool quantize_lm_head = false;
  bool search_scale = true;
  bool search_clip = true;
  int scale_grid = 20;      ///< alpha in {0, 1/grid, ..., (grid-1)/grid}
  int clip_grid = 20;       ///< clip ratios 1 - i/grid for i = 0 .. int(max_shrink*grid) - 1 (AutoAWQ)
  double max_shrink = 0.5;  ///< AutoAWQ's max_shrink: bounds the clip ratios (exclusive by default)
  /** Clip loss on every max(1, T / n)-th calibration token (AutoAWQ's n_sample_token); 0: all T. */
  int64_t clip_sample_tokens = kDefaultAwqClipSampleTokens;
  int64_t calib_samples = kDefaultCalibSamples;     ///< samples (documents) read, AutoAWQ's n_samples
  int64_t calib_seq_len = kDefaultCalibBlockTokens;  ///< block length, AutoAWQ's max_seq_len
  /** Scale search on the first whole blocks covering >= this many tokens; 0: all (AutoAWQ). */
  int64_t search_tokens = 0;
  // Extras (not AutoAWQ), off by default:
  bool rtn_candidate = false;            ///< s = 1 (plain RTN) is also a scale candidate
  bool clip_include_max_shrink = false;  ///< also try the ratio 1 - max_shrink (11 ratios at defaults)
  bool clip_codes = false;  ///< clip by shrinking min/max and clamping the codes, not clamping the weights
  std::function<void(int64_t layer, int64_t n_layers, const std::string& what)> progress;

  /** Throws fpgallm::Error naming the bad option. */
  void validate() const;
};

/**
 * Round-to-nearest quantization of w [out, in] per (row, group of group_size inputs):
 * scale = max(max - min, 1e-5) / (2^bits - 1) rounded to fp16, zero = clamp(-round(min / scale)),
 * q = clamp(round(w / scale) + zero); rounding is half-to-even (torch.round). A group_size that
 * does not divide `in` leaves a shorter last group (the zero-padded group of the packed forms).
 * clip_ratio_per_group [out, n_groups] clamps each group's weights to [-r*absmax, r*absmax] first
 * (AutoAWQ's apply_clip; with o.clip_codes only min/max shrink and the codes saturate).
 * zero_point = false: symmetric, scale = absmax / (2^(bits-1) - 1), zero = 2^(bits-1).
 */
QuantLinear quantize_rtn(const float* w, int64_t out, int64_t in, const QuantOptions& o,
                         const float* clip_ratio_per_group = nullptr);

/** w_out[o, i] = (q - zero) * scale in fp32, [out, in]. */
void dequantize(const QuantLinear& q, float* w_out);

/**
 * A quantized copy of `fp`: every decoder linear (and lm_head when asked) gets `quant` and loses
 * its fp32 `weight`. method "awq" searches and folds per-channel scales and per-group clip ratios
 * layer by layer on activations from `calib_sequences` (see docs/quantization.md); "rtn" rounds.
 */
std::shared_ptr<ModelWeights> quantize_model(const ModelWeights& fp, const QuantOptions& o,
                                             const std::vector<std::vector<int32_t>>& calib_sequences);

/**
 * AutoAWQ's get_calib_dataset on tokenized samples: samples longer than `max_sample_len` (or
 * empty) are skipped, the first n_samples kept are concatenated and cut into whole blocks of
 * block_len tokens; the remainder is dropped. AutoAWQ has one length for both (its max_seq_len):
 * `max_sample_len` 0 means block_len. A larger skip threshold packs whole documents into shorter
 * blocks (the sweep's short-context measurements, docs/quantization.md). Throws when not one
 * block results, saying how many samples were skipped as too long.
 */
std::vector<std::vector<int32_t>> make_calibration_blocks(const std::vector<std::vector<int32_t>>& samples,
                                                          int64_t n_samples, int64_t block_len,
                                                          int64_t max_sample_len = 0);

/**
 * make_calibration_blocks over `text`'s blank-line-separated documents, each stripped and encoded
 * (with BOS where the tokenizer adds one, as HF's encode does).
 */
std::vector<std::vector<int32_t>> make_calibration_sequences(const Tokenizer& tok, const std::string& text,
                                                             int64_t n_samples, int64_t seq_len,
                                                             int64_t max_sample_len = 0);

/** One token-id sample per non-empty line of a text file of whitespace-separated ids. */
std::vector<std::vector<int32_t>> read_token_samples(const std::string& path);

/**
 * Encodes `text` as blank-line-separated documents, each with BOS where the tokenizer has one,
 * concatenated into one stream (the form calibration and perplexity read).
 */
std::vector<int32_t> encode_documents(const Tokenizer& tok, const std::string& text);

/** Random token sequences (fixed seed) for models without meaningful text, e.g. synthetic ones. */
std::vector<std::vector<int32_t>> make_random_sequences(int64_t vocab, int64_t n_samples, int64_t seq_len,
                                                        uint64_t seed);

/** Reads a whole text file; throws naming the file when missing or empty. */
std::string read_text_file(const std::string& path);

}  // namespace fpgallm

namespace fpgallm {

/** Per-channel AWQ scales of one decoder layer; an empty vector means "not applied". */
struct AwqLayerScales {
  std::vector<float> qkv;   ///< [hidden]: 1/s into input_layernorm, s into q, k, v columns
  std::vector<float> o;     ///< [q_dim]: 1/s into v_proj rows (only when v out == o in), s into o columns
  std::vector<float> mlp;   ///< [hidden]: 1/s into post_attention_layernorm, s into gate, up columns
  std::vector<float> down;  ///< [intermediate]: 1/s into up_proj rows, s into down columns
};

/**
 * Folds scales into a layer with fp32 weights (an exact identity of the fp model up to rounding).
 * Throws when a scale vector has the wrong size or the o_proj fold does not apply to the shapes.
 */
void apply_awq_scales(LayerWeights& layer, const ModelConfig& c, const AwqLayerScales& s);

/** True when v_proj's outputs feed o_proj's inputs one to one, so o_proj's scales can fold into v. */
bool awq_can_fold_o_into_v(const ModelConfig& c);

/** Outcome of one scale search: best scales, the alpha that gave them (-1: identity, i.e. RTN). */
struct AwqScaleSearch {
  std::vector<float> scales;
  double alpha = -1.0;
  double loss_rtn = 0.0;   ///< block output MSE with plain RTN (scales all 1)
  double loss_best = 0.0;  ///< block output MSE with the chosen scales
};

/**
 * The AWQ scale search for a single linear inspected at its own output: x [n_tokens, in] is the
 * calibration input, w [out, in]. Exposed so the search can be tested on one layer; loss_rtn is
 * always measured here.
 */
AwqScaleSearch awq_search_scale_linear(const float* w, int64_t out, int64_t in, const float* x, int64_t n_tokens,
                                       const QuantOptions& o);

/**
 * Per-(row, group) clip ratio minimising the mean squared error of the group's partial output
 * sum over x [n_tokens, in] (every max(1, n_tokens / clip_sample_tokens)-th token); returns
 * [out, n_groups] ratios in [1 - max_shrink, 1]. Ties keep the larger ratio, as AutoAWQ.
 */
std::vector<float> awq_search_clip(const float* w, int64_t out, int64_t in, const float* x, int64_t n_tokens,
                                   const QuantOptions& o);

}  // namespace fpgallm
