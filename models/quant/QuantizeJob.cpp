#include "models/quant/QuantizeJob.h"

#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "models/checkpoint/AutoAwq.h"
#include "models/checkpoint/ModelLoader.h"
#include "models/core/Error.h"
#include "models/core/OutputFile.h"
#include "models/tokenizer/Tokenizer.h"

namespace fpgallm {

namespace fs = std::filesystem;

namespace {
constexpr std::string_view kSyntheticPrefix = "synthetic:";
}

std::string find_model_tokenizer(const std::string& model) {
  std::error_code ec;
  const fs::path p(model);
  const fs::path dir = fs::is_directory(p, ec) ? p : p.parent_path();
  if (dir.empty() || !fs::is_directory(dir, ec)) return {};
  if (fs::is_regular_file(dir / "vocab.json", ec) && fs::is_regular_file(dir / "merges.txt", ec)) return dir.string();
  if (fs::is_regular_file(dir / "tokenizer.bin", ec)) return (dir / "tokenizer.bin").string();
  // llama2.c releases ship tok<vocab>.bin beside the model (stories260K: tok512.bin).
  std::vector<fs::path> toks;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.starts_with("tok") && e.path().extension() == ".bin" && e.path() != p)
      toks.push_back(e.path());
  }
  if (toks.size() == 1) return toks.front().string();
  return {};
}

MacroLayout QuantizeJob::layout() const {
  MacroLayout l;
  l.tile_rows = tile_rows;
  l.beat_bytes = beat_bytes;
  l.group_size = options.group_size;
  l.bits = options.bits;
  l.zero_point = options.zero_point;
  l.validate("tile_rows/beat_bytes/group_size/bits");
  return l;
}

PackedModel run_quantize_job(const QuantizeJob& job) {
  auto log = [&](const std::string& line) {
    if (job.log) job.log(line);
  };
  const QuantOptions& o = job.options;
  o.validate();
  const MacroLayout layout = job.layout();  // before the slow part
  prepare_output_file(job.out, "--out");
  if (!job.autoawq_out.empty()) prepare_output_file((fs::path(job.autoawq_out) / "config.json").string(), "--autoawq-out");

  auto fp = load_model(job.model);
  const ModelConfig& c = fp->config;
  for (const auto& l : fp->layers)
    if (l.q.quant) fail("{}: already quantized; quantize an fp checkpoint", job.model);
  log(fmt::format("model {}: {} layers, hidden {}, {} parameters; {} G={} {}-bit{}", job.model, c.num_layers,
                  c.hidden_size, c.num_parameters(), o.method, o.group_size, o.bits, o.zero_point ? "" : " symmetric"));

  nlohmann::json record = {{"method", o.method},
                           {"source_model", job.model},
                           {"search_scale", o.search_scale},
                           {"search_clip", o.search_clip},
                           {"search_tokens", o.search_tokens},
                           {"clip_sample_tokens", o.clip_sample_tokens},
                           {"rtn_candidate", o.rtn_candidate},
                           {"clip_include_max_shrink", o.clip_include_max_shrink},
                           {"clip_codes", o.clip_codes}};
  std::vector<std::vector<int32_t>> calib;
  if (o.method == "awq") {
    const std::string tok_path = job.tokenizer.empty() ? find_model_tokenizer(job.model) : job.tokenizer;
    record["calib_samples"] = o.calib_samples;
    record["calib_seq_len"] = o.calib_seq_len;
    if (!job.calib_tokens.empty()) {
      calib = make_calibration_blocks(read_token_samples(job.calib_tokens), o.calib_samples, o.calib_seq_len);
      record["calib_tokens_file"] = job.calib_tokens;
      log(fmt::format("calibration: {} blocks x {} tokens from the token-id samples of {}", calib.size(),
                      o.calib_seq_len, job.calib_tokens));
    } else if (!tok_path.empty()) {
      auto tok = load_tokenizer(tok_path, c.vocab_size);
      if (tok->vocab_size() > c.vocab_size)
        fail("{}: tokenizer has {} tokens but the model's vocabulary is {}", tok_path, tok->vocab_size(), c.vocab_size);
      calib = make_calibration_sequences(*tok, read_text_file(job.calib_file), o.calib_samples, o.calib_seq_len);
      record["calib_file"] = job.calib_file;
      record["tokenizer"] = tok_path;
      log(fmt::format("calibration: {} blocks x {} tokens from up to {} documents of {} (tokenizer {})", calib.size(),
                      o.calib_seq_len, o.calib_samples, job.calib_file, tok_path));
    } else if (job.model.starts_with(kSyntheticPrefix)) {
      if (job.calib_blocks <= 0) fail("calib_blocks must be > 0 (got {})", job.calib_blocks);
      calib = make_random_sequences(c.vocab_size, job.calib_blocks, o.calib_seq_len, job.calib_seed);
      record["calib_random_seed"] = job.calib_seed;
      record["calib_random_blocks"] = job.calib_blocks;
      log(fmt::format("calibration: {} blocks x {} random token ids (seed {}; synthetic model without a tokenizer)",
                      job.calib_blocks, o.calib_seq_len, job.calib_seed));
    } else {
      fail("{}: no tokenizer found next to the model (vocab.json + merges.txt, tokenizer.bin or tok*.bin); give "
           "a tokenizer (--tokenizer PATH / tokenizer=) for AWQ calibration", job.model);
    }
  }

  auto q = quantize_model(*fp, o, calib);
  fp.reset();  // the fp32 weights are no longer needed while packing
  save_packed_model(*q, layout, job.out, record);
  if (!job.autoawq_out.empty()) save_autoawq(*q, job.autoawq_out);
  return load_packed_model(job.out, /*read_data=*/false);
}

}  // namespace fpgallm
