// `fpgallm logits`: runs a model over given token ids and writes the logits as a .npy file, so that
// independent references (tests/python/qwen2_ref.py, other quantization tools) can check the C++ model.
// Quantized models (packed files, AutoAWQ folders) run through the AWQ backend, the arithmetic the
// simulated PE array executes.
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "apps/fpgallm/Command.h"
#include "models/llm/AwqBackend.h"
#include "models/llm/Backend.h"
#include "models/core/Error.h"
#include "models/checkpoint/ModelLoader.h"
#include "models/llm/Qwen2Model.h"

namespace {

using fpgallm::fail;

// .npy format version 1.0 (numpy's NEP 1): magic, 2 version bytes, uint16 header length, header.
constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr size_t kNpyMagicBytes = 6;
constexpr unsigned char kNpyMajor = 1, kNpyMinor = 0;
constexpr size_t kNpyPreambleBytes = kNpyMagicBytes + 2 + 2;  // magic + version + header length
constexpr size_t kNpyAlignBytes = 64;                         // numpy pads the header to this
constexpr size_t kNpyV1MaxHeaderBytes = 65535;                // uint16 header length field

static_assert(std::endian::native == std::endian::little, "the .npy writer emits '<f4' from host floats");

struct LogitsArgs {
  std::string model, tokens, out;
  std::string mode = "prefill";
  std::string backend = "auto";
  bool all = false;
};

/** Parses whitespace- or comma-separated token ids; each must be an integer in [0, vocab). */
std::vector<int32_t> parse_tokens(const std::string& text, int64_t vocab) {
  std::string s = text;
  for (char& ch : s)
    if (ch == ',') ch = ' ';
  std::istringstream in(s);
  std::vector<int32_t> ids;
  std::string word;
  while (in >> word) {
    const size_t index = ids.size();
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(word.c_str(), &end, 10);
    if (end == word.c_str() || *end != '\0' || errno == ERANGE)
      fail("--tokens: entry {} ('{}') is not an integer token id", index, word);
    if (v < 0 || v >= vocab)
      fail("--tokens: entry {} is token id {}, outside the model's vocabulary [0, {})", index, v, vocab);
    ids.push_back(static_cast<int32_t>(v));
  }
  if (ids.empty()) fail("--tokens: no token ids given (expected e.g. \"1 2 3\")");
  return ids;
}

/** Writes a C-order float32 array of shape [rows, cols] as .npy version 1.0. */
void write_npy_f32(const std::string& path, const std::vector<float>& data, int64_t rows, int64_t cols) {
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", rows, cols);
  // Pad with spaces and end with '\n' so that the data starts on a 64-byte boundary.
  const size_t unpadded = kNpyPreambleBytes + header.size() + 1;
  header.append((kNpyAlignBytes - unpadded % kNpyAlignBytes) % kNpyAlignBytes, ' ');
  header.push_back('\n');
  if (header.size() > kNpyV1MaxHeaderBytes) fail("{}: .npy header too long ({} bytes)", path, header.size());

  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) fail("{}: cannot open for writing", path);
  const auto header_len = static_cast<uint16_t>(header.size());
  const unsigned char len_le[2] = {static_cast<unsigned char>(header_len & 0xff),
                                   static_cast<unsigned char>(header_len >> 8)};
  f.write(kNpyMagic, kNpyMagicBytes);
  f.put(static_cast<char>(kNpyMajor));
  f.put(static_cast<char>(kNpyMinor));
  f.write(reinterpret_cast<const char*>(len_le), 2);
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(float)));
  f.close();
  if (!f) fail("{}: write failed", path);
}

void run_logits(const LogitsArgs& a) {
  using namespace fpgallm;
  auto weights = load_model(a.model);
  const int64_t vocab = weights->config.vocab_size;
  const std::vector<int32_t> tokens = parse_tokens(a.tokens, vocab);
  const auto n = static_cast<int64_t>(tokens.size());
  if (n > weights->config.max_context)
    fail("--tokens: {} tokens exceed the model's context of {}", n, weights->config.max_context);

  const std::unique_ptr<Backend> backend = make_host_backend(a.backend, *weights, "--backend");
  Qwen2Model model(weights, *backend);
  std::vector<float> logits;  // [rows, vocab]
  if (a.mode == "prefill") {
    logits = model.forward(tokens, Phase::Prefill, a.all);
  } else {
    // Token by token through the KV cache, as generation does; keep each step's row if asked.
    for (int64_t i = 0; i < n; ++i) {
      std::vector<float> row = model.decode(tokens[static_cast<size_t>(i)]);
      if (a.all || i == n - 1) logits.insert(logits.end(), row.begin(), row.end());
    }
  }
  const int64_t rows = a.all ? n : 1;
  if (static_cast<int64_t>(logits.size()) != rows * vocab)
    fail("logits: model returned {} values, expected {} x {}", logits.size(), rows, vocab);
  write_npy_f32(a.out, logits, rows, vocab);
}

void setup(CLI::App& app) {
  auto a = std::make_shared<LogitsArgs>();
  auto* c = app.add_subcommand("logits", "Run a model (fp32 or quantized) on token ids and save the logits as .npy");
  c->add_option("--model", a->model,
                "llama2.c .bin, HF folder, AutoAWQ folder, packed AWQ file (.fpk) or synthetic:<preset>[:seed]")
      ->required();
  c->add_option("--tokens", a->tokens, "token ids separated by spaces or commas, e.g. \"1 2 3\"")->required();
  c->add_option("--out", a->out, "output .npy file (float32, shape [rows, vocab])")->required();
  c->add_option("--mode", a->mode, "prefill: one forward over all tokens; decode: one token at a time")
      ->check(CLI::IsMember({"prefill", "decode"}));
  c->add_option("--backend", a->backend,
                "auto: awq for quantized models, fp32 otherwise; fp32: reference kernels; awq: AWQ kernels where quantized")
      ->check(CLI::IsMember({"auto", "fp32", "awq"}))
      ->capture_default_str();
  c->add_flag("--all", a->all, "write the logits of every position [n_tokens, vocab] (default: last only, [1, vocab])");
  c->callback([a] { run_logits(*a); });
}

}  // namespace

FPGALLM_REGISTER_COMMAND("logits", setup);
