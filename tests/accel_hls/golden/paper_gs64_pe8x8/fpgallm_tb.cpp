// C-simulation testbench of the fpgallm kernel (copied unchanged by `fpgallm emit-hls`).
// Reads vector sets written by `fpgallm emit-hls --vectors` (the simulator's MACRO blocks,
// activations, bias and PE-array outputs), runs fpgallm_linear on a flat memory standing in for
// DDR and compares every output bit for bit. Usage: fpgallm_tb [VECTOR_DIR...] (default: vectors).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fpgallm_top.h"

namespace {

using C = fpgallm_config;
using beat_t = fpgallm_hls::Beat<C::kBeatBytes>;
// Regions start on the AXI 4 KiB boundary, as the PS driver places them.
constexpr uint64_t kRegionAlign = 4096;

bool read_file(const std::string& path, std::vector<uint8_t>& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

uint64_t align_up(uint64_t a) { return (a + kRegionAlign - 1) / kRegionAlign * kRegionAlign; }

struct JobFile {
  uint32_t in_features = 0, out_features = 0, n_tokens = 0, bias = 0;
};

bool read_job(const std::string& path, JobFile& j) {
  std::ifstream f(path);
  if (!f) return false;
  std::string key;
  uint64_t v = 0;
  while (f >> key) {
    if (key[0] == '#') {
      std::getline(f, key);
      continue;
    }
    if (!(f >> v)) return false;
    if (key == "in_features") j.in_features = static_cast<uint32_t>(v);
    else if (key == "out_features") j.out_features = static_cast<uint32_t>(v);
    else if (key == "n_tokens") j.n_tokens = static_cast<uint32_t>(v);
    else if (key == "bias") j.bias = static_cast<uint32_t>(v);
  }
  return j.in_features && j.out_features && j.n_tokens;
}

/** Runs one vector set; returns the number of mismatching outputs (or -1 on a setup error). */
long run_set(const std::string& dir) {
  JobFile jf;
  if (!read_job(dir + "/job.txt", jf)) {
    std::fprintf(stderr, "tb: %s/job.txt missing or incomplete\n", dir.c_str());
    return -1;
  }
  std::vector<uint8_t> weights, act, bias, expected;
  if (!read_file(dir + "/weights.bin", weights) || !read_file(dir + "/act.bin", act) ||
      !read_file(dir + "/expected.bin", expected) || (jf.bias && !read_file(dir + "/bias.bin", bias))) {
    std::fprintf(stderr, "tb: cannot read the .bin files of %s\n", dir.c_str());
    return -1;
  }
  const uint64_t out_bytes = uint64_t{jf.n_tokens} * jf.out_features * C::kFloatBytes;
  if (act.size() != uint64_t{jf.n_tokens} * jf.in_features * C::kFloatBytes || expected.size() != out_bytes ||
      (jf.bias && bias.size() != uint64_t{jf.out_features} * C::kFloatBytes)) {
    std::fprintf(stderr, "tb: %s: file sizes do not match job.txt\n", dir.c_str());
    return -1;
  }
  const uint64_t w_off = 0;
  const uint64_t b_off = jf.bias ? align_up(weights.size()) : 0;
  const uint64_t a_off = align_up((jf.bias ? b_off + bias.size() : weights.size()));
  const uint64_t o_off = align_up(a_off + act.size());
  std::vector<beat_t> mem((o_off + out_bytes) / C::kBeatBytes + 1);
  uint8_t* base = reinterpret_cast<uint8_t*>(mem.data());
  std::memcpy(base + w_off, weights.data(), weights.size());
  if (jf.bias) std::memcpy(base + b_off, bias.data(), bias.size());
  std::memcpy(base + a_off, act.data(), act.size());
  const int status = fpgallm_linear(mem.data(), mem.data(), mem.data(), mem.data(), w_off, a_off, o_off, b_off, jf.in_features, jf.out_features,
                                    jf.n_tokens);
  if (status != fpgallm_hls::kOk) {
    std::fprintf(stderr, "tb: %s: kernel returned status %d\n", dir.c_str(), status);
    return -1;
  }
  long bad = 0;
  const uint64_t n = out_bytes / C::kFloatBytes;
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t got, want;
    std::memcpy(&got, base + o_off + i * C::kFloatBytes, sizeof got);
    std::memcpy(&want, expected.data() + i * C::kFloatBytes, sizeof want);
    if (got != want && bad++ < 5)
      std::fprintf(stderr, "tb: %s: token %llu row %llu: got 0x%08x, simulator 0x%08x\n", dir.c_str(),
                   static_cast<unsigned long long>(i / jf.out_features),
                   static_cast<unsigned long long>(i % jf.out_features), got, want);
  }
  std::printf("tb: %s: [%u x %u] x %u tokens%s: %llu outputs, %ld differ from the simulator\n", dir.c_str(),
              jf.out_features, jf.in_features, jf.n_tokens, jf.bias ? " + bias" : "",
              static_cast<unsigned long long>(n), bad);
  return bad;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> dirs;
  for (int i = 1; i < argc; ++i) dirs.push_back(argv[i]);
  if (dirs.empty()) dirs.push_back("vectors");
  int failed = 0;
  for (const auto& d : dirs) failed += run_set(d) != 0;
  std::printf("tb: %s (%d of %zu vector sets bit-identical)\n", failed ? "FAIL" : "PASS",
              static_cast<int>(dirs.size()) - failed, dirs.size());
  return failed ? 1 : 0;
}
