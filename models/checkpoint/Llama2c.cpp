#include "models/checkpoint/Llama2c.h"

#include <filesystem>
#include <fstream>

#include "models/core/Error.h"

namespace fpgallm {

namespace {
constexpr double kLlama2cRopeTheta = 10000.0;  // fixed in llama2.c run.c
constexpr double kLlama2cNormEps = 1e-5;       // fixed in llama2.c run.c
}  // namespace

bool looks_like_llama2c(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  return std::filesystem::path(path).extension() == ".bin";
}

std::shared_ptr<ModelWeights> load_llama2c(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("{}: cannot open llama2.c checkpoint", path);
  int32_t hdr[7];
  if (!f.read(reinterpret_cast<char*>(hdr), sizeof(hdr))) fail("{}: truncated llama2.c header (28 bytes)", path);
  const int64_t file_size = static_cast<int64_t>(std::filesystem::file_size(path));

  auto w = std::make_shared<ModelWeights>();
  ModelConfig& c = w->config;
  c.name = "llama";
  c.hidden_size = hdr[0];
  c.intermediate_size = hdr[1];
  c.num_layers = hdr[2];
  c.num_heads = hdr[3];
  c.num_kv_heads = hdr[4];
  c.tie_word_embeddings = hdr[5] > 0;
  c.vocab_size = hdr[5] < 0 ? -static_cast<int64_t>(hdr[5]) : hdr[5];
  c.max_context = hdr[6];
  c.head_dim = c.num_heads > 0 ? c.hidden_size / c.num_heads : 0;
  c.rope_theta = kLlama2cRopeTheta;
  c.rms_norm_eps = kLlama2cNormEps;
  c.rope_layout = RopeLayout::AdjacentPairs;
  c.qkv_bias = false;
  c.bos_token_id = 1;
  c.eos_token_id = 2;
  c.validate(path);

  const int64_t D = c.hidden_size, F = c.intermediate_size, L = c.num_layers, V = c.vocab_size;
  const int64_t KV = c.kv_dim();
  const int64_t half = c.head_dim / 2;
  const int64_t S = c.max_context;
  const auto bytes_for = [&](auto zero) {
    using T = decltype(zero);
    return T(28) + T(4) * (T(V) * T(D) + T(L) * T(D) + T(L) * T(D) * T(D) + T(2) * T(L) * T(KV) * T(D) +
                           T(L) * T(D) * T(D) + T(L) * T(D) + T(3) * T(L) * T(F) * T(D) + T(D) +
                           T(2) * T(S) * T(half) + (c.tie_word_embeddings ? T(0) : T(V) * T(D)));
  };
  // A corrupt header's dims can overflow the exact int64 sum: check the size in floating point first.
  const long double approx = bytes_for(0.0L);
  const int64_t expect = approx > static_cast<long double>(file_size) ? -1 : bytes_for(int64_t{0});
  if (file_size != expect)
    fail("{}: file is {} bytes but its header (dim {}, hidden {}, layers {}, heads {}/{}, vocab {}, seq {}) implies {:.0f}",
         path, file_size, D, F, L, c.num_heads, c.num_kv_heads, V, S, static_cast<double>(approx));

  auto read = [&](std::vector<int64_t> shape, const char* what) {
    Tensor t(std::move(shape));
    if (!f.read(reinterpret_cast<char*>(t.ptr()), static_cast<std::streamsize>(t.numel() * 4)))
      fail("{}: truncated while reading {}", path, what);
    return t;
  };
  w->embed = std::make_shared<Tensor>(read({V, D}, "token_embedding"));
  w->layers.resize(static_cast<size_t>(L));
  auto per_layer = [&](auto&& fn) { for (auto& layer : w->layers) fn(layer); };
  auto make_linear = [&](int64_t out, int64_t in, const char* what) {
    Linear lin;
    lin.in_features = in;
    lin.out_features = out;
    lin.weight = std::make_shared<Tensor>(read({out, in}, what));
    return lin;
  };
  per_layer([&](LayerWeights& x) { x.attn_norm = read({D}, "rms_att"); });
  per_layer([&](LayerWeights& x) { x.q = make_linear(D, D, "wq"); });
  per_layer([&](LayerWeights& x) { x.k = make_linear(KV, D, "wk"); });
  per_layer([&](LayerWeights& x) { x.v = make_linear(KV, D, "wv"); });
  per_layer([&](LayerWeights& x) { x.o = make_linear(D, D, "wo"); });
  per_layer([&](LayerWeights& x) { x.mlp_norm = read({D}, "rms_ffn"); });
  per_layer([&](LayerWeights& x) { x.gate = make_linear(F, D, "w1"); });
  per_layer([&](LayerWeights& x) { x.down = make_linear(D, F, "w2"); });
  per_layer([&](LayerWeights& x) { x.up = make_linear(F, D, "w3"); });
  w->final_norm = read({D}, "rms_final");
  f.seekg(2 * c.max_context * half * 4, std::ios::cur);  // legacy RoPE tables
  w->lm_head.in_features = D;
  w->lm_head.out_features = V;
  w->lm_head.weight = c.tie_word_embeddings ? w->embed : std::make_shared<Tensor>(read({V, D}, "wcls"));
  w->validate(path);
  return w;
}

}  // namespace fpgallm
