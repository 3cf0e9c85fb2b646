#include "dse/Sweep.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "models/checkpoint/Synthetic.h"
#include "models/llm/Weights.h"
#include "models/core/Error.h"
#include "models/quant/Footprint.h"
#include "models/quant/Quantizer.h"
#include "run/RunSetup.h"
#include "sim/accel/Deployment.h"
#include "sim/soc/Simulation.h"

namespace fpgallm::dse {

namespace fs = std::filesystem;

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Journal::Journal(std::string path) : path_(std::move(path)) {
  if (fs::exists(path_)) {
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      try {
        auto j = nlohmann::json::parse(line);
        if (j.contains("id")) rows_.emplace(j["id"].get<std::string>(), std::move(j));
      } catch (const std::exception&) {
        // A line torn by a kill mid-write: that point simply runs again.
      }
    }
  }
  if (!path_.empty() && fs::path(path_).has_parent_path()) fs::create_directories(fs::path(path_).parent_path());
  f_ = std::fopen(path_.c_str(), "a");
  if (!f_) fail("{}: cannot open the sweep journal for appending", path_);
  // A torn last line has no newline: start ours on a fresh line.
  if (std::ftell(f_) > 0) {
    std::ifstream in(path_, std::ios::binary);
    in.seekg(-1, std::ios::end);
    if (in.get() != '\n') std::fputc('\n', f_);
  }
}

Journal::~Journal() {
  if (f_) std::fclose(f_);
}

void Journal::append(const nlohmann::json& row) {
  const std::string id = row.at("id").get<std::string>();
  if (rows_.count(id)) return;
  const std::string line = row.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), f_) != line.size() || std::fflush(f_) != 0)
    fail("{}: cannot write to the sweep journal", path_);
  rows_.emplace(id, row);
}

namespace {

Workload spec_workload(const SweepSpec& s) { return {s.prompt_len, s.gen}; }

void put_axes(const SweepSpec& spec, const DesignPoint& p, nlohmann::json& row) {
  row["id"] = p.id;
  for (size_t a = 0; a < spec.axes.size() && a < p.values.size(); ++a) {
    // Numbers stay numbers in the JSON/CSV (so tables sort), other values stay text.
    try {
      row[spec.axes[a].name] = scalar_number(YAML::Node(p.values[a]), "");
    } catch (const Error&) {
      row[spec.axes[a].name] = p.values[a];
    }
  }
}

/** estimate_footprint per model shape and quantization (sweeps revisit the same few many times). */
Footprint footprint(const DesignPoint& p) {
  static std::mutex mu;
  static std::map<std::string, Footprint> cache;
  const auto& a = p.soc.accel;
  const ModelConfig& m = p.model;
  const std::string key = fmt::format("{} {} {} {} {} {} {} {} {} {} {} {} {} {}", m.hidden_size, m.intermediate_size,
                                      m.num_layers, m.num_heads, m.num_kv_heads, m.head_dim, m.vocab_size,
                                      m.tie_word_embeddings, m.qkv_bias, a.macro.group_size, a.macro.bits,
                                      a.macro.zero_point, a.offload_lm_head, a.macro.tile_rows * 1000 + a.macro.beat_bytes);
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it == cache.end())
    it = cache.emplace(key, sim::deployed_footprint(a, m)).first;
  return it->second;
}

/** Bytes the model needs in DDR: the packed weights and a KV cache for the workload's positions. */
int64_t ddr_bytes(const DesignPoint& p, int64_t positions) {
  return sim::deployed_ddr_bytes(p.soc.accel, p.model, footprint(p), positions);
}

}  // namespace

PerfFigures analytic_perf(const DesignPoint& p, const Workload& w) {
  sim::SocConfig soc = p.soc;
  return AnalyticModel(soc).evaluate(p.model, w);
}

nlohmann::json evaluate_analytic(const SweepSpec& spec, const DesignPoint& p, const ResourceCosts& costs) {
  nlohmann::json row;
  put_axes(spec, p, row);
  row["evaluator"] = "analytic";
  auto infeasible = [&](const std::string& why) {
    row["feasible"] = false;
    row["reason"] = why;
    return row;
  };
  if (!p.config_error.empty()) return infeasible("config: " + p.config_error);
  const auto& a = p.soc.accel;
  const ResourceEstimate r = estimate_resources(a, p.soc.pl, costs, spec.margins);
  row["luts"] = r.luts;
  row["ffs"] = r.ffs;
  row["dsp48e2"] = r.dsp48e2;
  row["bram36"] = r.bram36;
  row["uram288"] = r.uram288;
  row["max_utilisation"] = r.max_utilisation;
  const Footprint fp = footprint(p);
  row["memory_bytes"] = sim::deployed_model_bytes(a, fp);
  row["group_size"] = a.macro.group_size;
  row["bits"] = a.macro.bits;
  const QuantSetting qs = quant_setting(a);
  row["quant"] = qs.key();
  row["quantized"] = qs.quantized;
  row["zero_point"] = qs.zero_point;
  row["lm_head_quantized"] = qs.lm_head;
  if (!r.feasible) return infeasible(r.reason);
  if (a.n_channels > static_cast<int64_t>(p.soc.axi.ports))
    return infeasible(fmt::format("axi: accel.dma.channels {} > the platform's {} HP ports", a.n_channels, p.soc.axi.ports));
  try {
    const PerfFigures f = analytic_perf(p, spec_workload(spec));
    row["prefill_tps"] = f.prefill_tokens_per_s();
    row["decode_tps"] = f.decode_tokens_per_s();
    row["decode_pl_ddr_busy_pct"] = 100.0 * f.decode_pl_ddr_busy;
    row["figures_from"] = "analytic";
  } catch (const Error& e) {
    return infeasible(e.what());
  }
  // A model larger than the board's DDR keeps its figures (what it would reach) but is infeasible.
  const int64_t need = ddr_bytes(p, spec.prompt_len + spec.gen);
  const auto ddr_cap = static_cast<int64_t>(static_cast<double>(p.soc.ddr.capacity_bytes()) * spec.margins.ddr);
  if (need > ddr_cap)
    return infeasible(fmt::format("ddr: the model needs {:.2f} GB (packed weights + KV cache) > {:.2f} GB ({:.0f}% of {:.2f} GB)",
                                  need / 1e9, ddr_cap / 1e9, 100.0 * spec.margins.ddr,
                                  static_cast<double>(p.soc.ddr.capacity_bytes()) / 1e9));
  row["feasible"] = true;
  row["reason"] = "";
  return row;
}

bool reruns_in_cycle(const SweepSpec& spec, const nlohmann::json& row) {
  return spec.finalists.fidelity == sim::Fidelity::Fast && row.contains("decode_pl_ddr_busy_pct") &&
         row["decode_pl_ddr_busy_pct"].get<double>() >= spec.finalists.cycle_above_ddr_busy_pct;
}

void merge_systemc_row(const SweepSpec& spec, const nlohmann::json& sim_row, nlohmann::json& row) {
  const bool cycle_rerun =
      sim_row.value("systemc_fidelity", "") == "cycle" && spec.finalists.fidelity != sim::Fidelity::Cycle;
  for (auto& [k, v] : sim_row.items()) {
    if (k == "id" || k == "evaluator" || spec.axis_index(k) >= 0) continue;
    // A cycle re-run's figures sit beside the finalist run's: systemc_* -> cycle_*.
    row[cycle_rerun && k.rfind("systemc_", 0) == 0 ? "cycle_" + k.substr(8) : k] = v;
  }
  row["figures_from"] = row.contains("cycle_decode_tps") ? std::string("cycle")
                        : row.contains("systemc_decode_tps") ? row.value("systemc_fidelity", std::string("fast"))
                                                             : std::string("analytic");
}

double row_number(const nlohmann::json& r, const char* k) {
  return r.contains(k) && r[k].is_number() ? r[k].get<double>() : 0.0;
}

Objectives row_objectives(const nlohmann::json& r, bool systemc) {
  Objectives o;
  o.decode_tps = row_number(r, systemc ? "systemc_decode_tps" : "decode_tps");
  o.prefill_tps = row_number(r, systemc ? "systemc_prefill_tps" : "prefill_tps");
  o.memory_bytes = row_number(r, "memory_bytes");
  o.accuracy = row_number(r, "accuracy_top1");
  o.resources = row_number(r, "max_utilisation");
  return o;
}

Objectives ranked_objectives(const nlohmann::json& r, const nlohmann::json& base) {
  Objectives o = row_objectives(r, true);
  const double base_dec = row_number(base, "cycle_decode_tps"), base_pre = row_number(base, "cycle_prefill_tps");
  if (r.contains("cycle_decode_tps") && base_dec > 0 && base_pre > 0) {
    o.decode_tps = row_number(r, "cycle_decode_tps") / base_dec * row_number(base, "systemc_decode_tps");
    o.prefill_tps = row_number(r, "cycle_prefill_tps") / base_pre * row_number(base, "systemc_prefill_tps");
  }
  return o;
}

SystemCOptions systemc_options(const SweepSpec& spec) {
  SystemCOptions o;
  o.fidelity = spec.finalists.fidelity;
  o.timing_only = spec.finalists.timing_only;
  o.prompt_len = spec.finalists.prompt_len;
  o.gen = spec.finalists.gen;
  return o;
}

nlohmann::json evaluate_systemc(const SweepSpec& spec, const DesignPoint& p, const SystemCOptions& o) {
  nlohmann::json row;
  put_axes(spec, p, row);
  row["evaluator"] = "systemc";
  if (!p.config_error.empty()) fail("{}: point '{}' has no valid config: {}", spec.file, p.id, p.config_error);
  sim::SocConfig soc = p.soc;
  soc.set_fidelity(o.fidelity);
  soc.validate();
  const auto t0 = std::chrono::steady_clock::now();
  // As `fpgallm run` prepares a model: shapes only, or deterministic synthetic weights RTN-quantized
  // to the accelerator's layout (the unaccelerated baseline runs the unquantized model). No cache:
  // a finalist's synthetic RTN model takes seconds to make and would only fill the user's cache.
  run::ModelRequest req;
  req.spec = p.id;
  req.synthetic = p.model;
  req.seed = kDefaultSyntheticSeed;
  req.timing_only = o.timing_only;
  req.no_cache = true;
  run::RunSetup setup;
  setup.quant = "rtn";
  for (int64_t i = 0; i < o.prompt_len; ++i)
    setup.prompt_ids.push_back(static_cast<int32_t>((i * 7919 + 1) % p.model.vocab_size));  // fixed, spread-out ids
  run::PreparedRun prepared = run::prepare_run(req, soc, setup);
  sim::SimRunOptions opt;
  opt.prompt = std::move(prepared.prompt);
  opt.decode_steps = o.gen;
  const sim::SimRunResult r = sim::simulate(soc, prepared.weights, opt);
  row["systemc_prefill_tps"] = r.prefill_tokens_per_s();
  row["systemc_decode_tps"] = r.decode_tokens_per_s();
  row["systemc_fidelity"] = sim::to_string(o.fidelity);
  row["systemc_timing_only"] = o.timing_only;
  row["systemc_prompt_len"] = o.prompt_len;
  row["systemc_gen"] = o.gen;
  row["systemc_sim_seconds"] = r.wall_seconds;
  row["systemc_wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The analytic model on the same short workload, for the evaluator cross-check.
  sim::SocConfig fast = p.soc;
  fast.set_fidelity(o.fidelity);
  const PerfFigures f = AnalyticModel(fast).evaluate(p.model, {o.prompt_len, o.gen});
  row["analytic_short_prefill_tps"] = f.prefill_tokens_per_s();
  row["analytic_short_decode_tps"] = f.decode_tokens_per_s();
  return row;
}

std::vector<std::string> csv_columns(const SweepSpec& spec, const std::vector<nlohmann::json>& rows) {
  std::vector<std::string> cols = {"id"};
  for (const auto& a : spec.axes) cols.push_back(a.name);
  for (const char* c : {"feasible", "reason", "score", "pareto", "figures_from", "prefill_tps", "decode_tps",
                        "systemc_prefill_tps", "systemc_decode_tps", "cycle_prefill_tps", "cycle_decode_tps",
                        "decode_pl_ddr_busy_pct", "memory_bytes", "accuracy_top1", "accuracy_kl", "stories_ppl", "quant",
                        "luts", "ffs", "dsp48e2", "bram36", "uram288", "max_utilisation"})
    cols.push_back(c);
  std::set<std::string> have(cols.begin(), cols.end());
  for (const auto& r : rows)
    for (auto it = r.begin(); it != r.end(); ++it)
      if (have.insert(it.key()).second) cols.push_back(it.key());
  return cols;
}

void write_csv(const std::string& path, const std::vector<std::string>& cols, const std::vector<nlohmann::json>& rows) {
  std::ofstream out(path);
  if (!out) fail("{}: cannot write", path);
  auto cell = [](const nlohmann::json& v) -> std::string {
    if (v.is_null()) return "";
    if (v.is_string()) {
      std::string s = v.get<std::string>();
      if (s.find_first_of(",\"\n") == std::string::npos) return s;
      std::string q = "\"";
      for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
      return q + "\"";
    }
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    return v.dump();
  };
  for (size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i];
  out << "\n";
  for (const auto& r : rows) {
    for (size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << (r.contains(cols[i]) ? cell(r[cols[i]]) : "");
    out << "\n";
  }
}

std::string point_accel_yaml(const SweepSpec& spec, const DesignPoint& p, const std::string& name) {
  YAML::Node n = YAML::Clone(p.accel_yaml);
  n["accel"]["name"] = name;
  std::ostringstream s;
  s << "# Written by `fpgallm sweep " << spec.file << "`: the best feasible point (" << p.id << ").\n"
    << "# Base accel: " << spec.accel_file << "; every swept field below was set by the sweep.\n"
    << YAML::Dump(n) << "\n";
  return s.str();
}

}  // namespace fpgallm::dse
