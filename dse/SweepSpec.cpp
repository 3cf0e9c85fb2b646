#include "dse/SweepSpec.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>
#include <set>

#include <fmt/format.h>

#include "models/core/Error.h"
#include "models/core/YamlConfig.h"

namespace fpgallm::dse {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSyntheticPrefix = "synthetic:";
/** A grid larger than this is refused (sample it with `sampling: random` instead). */
constexpr double kMaxGridPoints = 5e6;
/** Points a linear/log range may generate. */
constexpr int64_t kMaxRangeValues = 100000;

YAML::Node number_node(double v);

std::string resolve(const std::string& base_file, const std::string& p) {
  if (p.starts_with(kSyntheticPrefix) || fs::path(p).is_absolute()) return p;
  return (fs::path(base_file).parent_path() / p).lexically_normal().string();
}

YAML::Node load_yaml(const std::string& file, const std::string& what, const std::string& spec_file) {
  if (!fs::exists(file)) fail("{}: {} '{}' not found", spec_file, what, file);
  try {
    return read_yaml_file(file, "YAML file");
  } catch (const Error& e) {
    fail("{}: {}: {}", spec_file, what, e.what());
  }
}

std::vector<std::string> split_path(const std::string& p) {
  std::vector<std::string> out;
  size_t b = 0;
  for (size_t i = 0; i <= p.size(); ++i)
    if (i == p.size() || p[i] == '.') {
      out.push_back(p.substr(b, i - b));
      b = i + 1;
    }
  return out;
}

/** Sets root[k0][k1]... = v, creating mappings on the way; a value where a section belongs is an Error. */
void set_path(YAML::Node root, const std::vector<std::string>& keys, const YAML::Node& v, const std::string& spec_file) {
  YAML::Node cur = root;
  std::string at;
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    at += (at.empty() ? "" : ".") + keys[i];
    if (!cur.IsMap() && !cur.IsNull())
      fail("{}: cannot set field '{}': the base config holds a value, not a section, above '{}'", spec_file,
           fmt::join(keys, "."), at);
    YAML::Node next = cur[keys[i]];
    if (!next || next.IsNull()) {
      cur[keys[i]] = YAML::Node(YAML::NodeType::Map);
      next = cur[keys[i]];
    }
    cur.reset(next);
  }
  if (!cur.IsMap() && !cur.IsNull())
    fail("{}: cannot set field '{}': the base config holds a value, not a section, at '{}'", spec_file,
         fmt::join(keys, "."), at.empty() ? std::string("the top level") : at);
  cur[keys.back()] = YAML::Clone(v);
}

std::vector<YAML::Node> range_values(YamlMap& r, bool log) {
  const double from = r.require<double>("from"), to = r.require<double>("to");
  if (!std::isfinite(from)) r.error("from", fmt::format("must be a finite number (got {})", from));
  if (!std::isfinite(to)) r.error("to", fmt::format("must be a finite number (got {})", to));
  std::vector<YAML::Node> out;
  // Integral values stay integers, so "accel.pe_array.rows" parses them as such.
  auto push = [&](double v) { out.push_back(number_node(v)); };
  if (!log) {
    const double step = r.get<double>("step", 1.0);
    if (!(step > 0)) r.error("step", fmt::format("must be > 0 (got {})", step));
    if (to < from) r.error("to", fmt::format("must be >= from ({} < {})", to, from));
    // In double first: a huge span or step must be an error, not an out-of-range integer conversion.
    const double nd = std::floor((to - from) / step + 1e-9) + 1;
    if (!(nd <= static_cast<double>(kMaxRangeValues)))
      r.error("step", fmt::format("gives {:g} values (at most {})", nd, kMaxRangeValues));
    const auto n = static_cast<int64_t>(nd);
    for (int64_t i = 0; i < n; ++i) push(from + step * static_cast<double>(i));
  } else {
    const double factor = r.get<double>("factor", 2.0);
    if (!(factor > 1)) r.error("factor", fmt::format("must be > 1 (got {})", factor));
    if (!(from > 0)) r.error("from", fmt::format("must be > 0 for a log range (got {})", from));
    if (to < from) r.error("to", fmt::format("must be >= from ({} < {})", to, from));
    for (double v = from; v <= to * (1 + 1e-9) && static_cast<int64_t>(out.size()) < kMaxRangeValues; v *= factor)
      push(v);
  }
  r.finish();
  return out;
}

std::string scalar_text(const YAML::Node& v) { return v.IsScalar() ? v.Scalar() : YAML::Dump(v); }

/** A node that must be one string (a field path, an expression): anything else names `where`. */
std::string scalar_string(const YAML::Node& v, const std::string& where, const char* what) {
  if (!v.IsScalar()) fail("{}: must be {} (got '{}')", where, what, YAML::Dump(v));
  return v.Scalar();
}

/** The axis a name in an expression refers to (by axis name or by one of its fields), -1 if none. */
int axis_of(const SweepSpec& spec, const std::string& n) {
  int a = spec.axis_index(n);
  for (size_t k = 0; a < 0 && k < spec.axes.size(); ++k)
    if (std::find(spec.axes[k].fields.begin(), spec.axes[k].fields.end(), n) != spec.axes[k].fields.end())
      a = static_cast<int>(k);
  return a;
}

double eval_at(const SweepSpec& spec, const Expr& e, const PointIndex& p) {
  return e.eval([&](const std::string& n) {
    const int a = axis_of(spec, n);
    return scalar_number(spec.axes[static_cast<size_t>(a)].values[static_cast<size_t>(p[static_cast<size_t>(a)])], spec.file);
  });
}

YAML::Node number_node(double v) {
  if (std::abs(v - std::round(v)) < 1e-9) return YAML::Node(static_cast<int64_t>(std::llround(v)));
  return YAML::Node(v);
}

void apply_field(const std::string& f, const YAML::Node& v, YAML::Node& platform, YAML::Node& accel,
                 std::vector<std::pair<std::vector<std::string>, YAML::Node>>& model_fields, const std::string& spec_file);

struct Patched {
  YAML::Node platform, accel, model;
  std::string model_name;
};

/** The model YAML node of a model spec, or a null node for synthetic presets. */
YAML::Node model_node(const std::string& model, const std::string& where) {
  if (model.starts_with(kSyntheticPrefix)) return YAML::Node();
  YAML::Node root = load_yaml(model, "model", where);
  if (root.IsMap() && root["model"] && root.size() == 1) root = root["model"];
  return root;
}

void apply_field(const std::string& f, const YAML::Node& v, YAML::Node& platform, YAML::Node& accel,
                 std::vector<std::pair<std::vector<std::string>, YAML::Node>>& model_fields, const std::string& spec_file) {
  auto keys = split_path(f);
  if (keys[0] == "platform") {
    keys.erase(keys.begin());
    set_path(platform, keys, v, spec_file);
  } else if (keys[0] == "accel") {
    set_path(accel, keys, v, spec_file);
  } else {  // model.<field>
    keys.erase(keys.begin());
    model_fields.emplace_back(keys, v);
  }
}

Patched patch(const SweepSpec& spec, const PointIndex* p) {
  Patched out{YAML::Clone(spec.platform_root), YAML::Clone(spec.accel_root), YAML::Node(), spec.model};
  std::vector<std::pair<std::vector<std::string>, YAML::Node>> model_fields;
  if (p)
    for (size_t a = 0; a < spec.axes.size(); ++a) {
      const Axis& ax = spec.axes[a];
      const YAML::Node& v = ax.values[static_cast<size_t>((*p)[a])];
      for (const auto& f : ax.fields) {
        if (f == "model") out.model_name = resolve(spec.file, v.as<std::string>());
        else apply_field(f, v, out.platform, out.accel, model_fields, spec.file);
      }
    }
  if (p)
    for (const auto& [f, e] : spec.derived) apply_field(f, number_node(eval_at(spec, e, *p)), out.platform, out.accel, model_fields, spec.file);
  if (!model_fields.empty()) {
    out.model = YAML::Clone(model_node(out.model_name, spec.file));
    if (!out.model.IsMap())
      fail("{}: model.<field> axes need a model YAML as sweep.base.model (got '{}')", spec.file, out.model_name);
    for (auto& [k, v] : model_fields) set_path(out.model, k, v, spec.file);
  }
  return out;
}

DesignPoint build(const SweepSpec& spec, const PointIndex* p) {
  DesignPoint d;
  if (p) {
    d.id = point_id(spec, *p);
    for (size_t a = 0; a < spec.axes.size(); ++a) d.values.push_back(scalar_text(spec.axes[a].values[(*p)[a]]));
  } else {
    d.id = "base";
  }
  Patched pt = patch(spec, p);
  d.model_name = pt.model_name;
  d.accel_yaml = pt.accel;
  try {
    d.model = pt.model.IsMap() ? model_config_from_yaml(pt.model, pt.model_name) : resolve_model_config(pt.model_name, spec.file);
    YamlMap plat(pt.platform, "", spec.platform_file);
    YamlMap acc(pt.accel, "", spec.accel_file);
    d.soc = sim::parse_soc_config(plat, acc);
  } catch (const Error& e) {
    d.config_error = e.what();
  }
  return d;
}

}  // namespace

int SweepSpec::axis_index(const std::string& n) const {
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i].name == n) return static_cast<int>(i);
  return -1;
}

double scalar_number(const YAML::Node& v, const std::string& where) {
  if (!v.IsScalar()) fail("{}: expected a number, got '{}'", where, YAML::Dump(v));
  const std::string& s = v.Scalar();
  if (s == "true") return 1.0;
  if (s == "false") return 0.0;
  try {
    size_t used = 0;
    const double d = std::stod(s, &used);
    if (used == s.size()) return d;
  } catch (const std::exception&) {
  }
  fail("{}: '{}' is not a number", where, s);
}

ModelConfig resolve_model_config(const std::string& model, const std::string& where) {
  if (model.starts_with(kSyntheticPrefix)) {
    std::string rest = model.substr(kSyntheticPrefix.size());
    if (auto c = rest.find(':'); c != std::string::npos) rest = rest.substr(0, c);
    return model_config_preset(rest);
  }
  YAML::Node n = model_node(model, where);
  return model_config_from_yaml(n, model);
}

namespace {
void check_names(const SweepSpec& s, const Expr& e, const std::string& where) {
  for (const auto& n : e.names()) {
    const int a = axis_of(s, n);
    if (a < 0) fail("{}: '{}' in '{}' is neither an axis name nor a swept field", where, n, e.text());
    for (const auto& v : s.axes[static_cast<size_t>(a)].values)
      scalar_number(v, fmt::format("{} (axis '{}')", where, s.axes[static_cast<size_t>(a)].name));
  }
}
}  // namespace

namespace {

void parse_base(YamlMap& sw, SweepSpec& s) {
  YamlMap base = sw.child("base", true);
  s.platform_file = resolve(s.file, base.require<std::string>("platform"));
  s.accel_file = resolve(s.file, base.require<std::string>("accel"));
  s.model = resolve(s.file, base.require<std::string>("model"));
  base.finish();
  s.platform_root = load_yaml(s.platform_file, "sweep.base.platform", s.file);
  s.accel_root = load_yaml(s.accel_file, "sweep.base.accel", s.file);

  YamlMap wl = sw.child("workload");
  s.prompt_len = wl.get<int64_t>("prompt_len", s.prompt_len);
  s.gen = wl.get<int64_t>("gen", s.gen);
  wl.check_positive("prompt_len", s.prompt_len);
  wl.check_positive("gen", s.gen);
  wl.finish();

  YamlMap smp = sw.child("sampling");
  const auto mode = smp.get<std::string>("mode", "grid");
  if (mode != "grid" && mode != "random") smp.error("mode", fmt::format("must be grid or random (got '{}')", mode));
  s.random = mode == "random";
  s.samples = smp.get<int64_t>("samples", 0);
  s.seed = smp.get<uint64_t>("seed", 0);
  if (s.random) smp.check_positive("samples", s.samples);
  smp.finish();
}

/** The config fields an axis sets: one path or a list, each platform.<...>, accel.<...>, model.<...> or model. */
void parse_axis_fields(YamlMap& a, Axis& ax, std::set<std::string>& seen_fields) {
  const YAML::Node fnode = a.node()["fields"] ? a.node()["fields"] : a.node()["field"];
  a.opt<YAML::Node>("fields");
  a.opt<YAML::Node>("field");
  if (!fnode) a.error("field", "is required (a config field path such as accel.pe_array.rows)");
  const std::string fwhere = fmt::format("{}: {}.fields", a.file(), a.path());
  if (fnode.IsScalar()) ax.fields.push_back(fnode.Scalar());
  else if (fnode.IsSequence())
    for (const auto& f : fnode) ax.fields.push_back(scalar_string(f, fwhere, "a list of config field paths"));
  else a.error("fields", "must be a config field path or a list of them");
  if (ax.fields.empty()) a.error("fields", "must name at least one field");
  for (const auto& f : ax.fields) {
    const auto keys = split_path(f);
    const bool ok =
        f == "model" || (keys.size() >= 2 && (keys[0] == "platform" || keys[0] == "accel" || keys[0] == "model") &&
                         std::none_of(keys.begin(), keys.end(), [](const auto& k) { return k.empty(); }));
    if (!ok)
      a.error("field",
              fmt::format("'{}' is not a config field path (platform.<...>, accel.<...>, model.<...> or model)", f));
    if (!seen_fields.insert(f).second) a.error("field", fmt::format("'{}' is swept by two axes", f));
  }
}

/** The values of an axis: a list, a range or a log range, distinct and non-empty. */
void parse_axis_values(YamlMap& a, Axis& ax) {
  const int given = (a.has("values") ? 1 : 0) + (a.has("range") ? 1 : 0) + (a.has("log_range") ? 1 : 0);
  if (given != 1) a.error("values", "give exactly one of values, range or log_range");
  if (a.has("values")) {
    const YAML::Node v = a.node()["values"];
    a.opt<YAML::Node>("values");
    if (!v.IsSequence()) a.error("values", "must be a list");
    for (const auto& x : v) {
      if (!x.IsScalar()) a.error("values", fmt::format("entries must be scalars (got '{}')", YAML::Dump(x)));
      ax.values.push_back(YAML::Clone(x));
    }
  } else {
    const bool log = a.has("log_range");
    YamlMap r = a.child(log ? "log_range" : "range", true);
    ax.values = range_values(r, log);
  }
  if (ax.values.empty()) a.error("values", "is empty: an axis needs at least one value");
  std::set<std::string> uniq;
  for (const auto& v : ax.values)
    if (!uniq.insert(scalar_text(v)).second) a.error("values", fmt::format("lists '{}' twice", scalar_text(v)));
}

void parse_axes(YamlMap& sw, SweepSpec& s, std::set<std::string>& seen_fields) {
  const YAML::Node axes = sw.node()["axes"];
  sw.opt<YAML::Node>("axes");
  if (!axes || !axes.IsSequence() || axes.size() == 0) sw.error("axes", "must be a non-empty list of axes");
  for (size_t i = 0; i < axes.size(); ++i) {
    YamlMap a(axes[i], fmt::format("sweep.axes[{}]", i), s.file);
    Axis ax;
    ax.where = a.path();
    parse_axis_fields(a, ax, seen_fields);
    ax.name = a.get<std::string>("name", ax.fields[0]);
    parse_axis_values(a, ax);
    if (s.axis_index(ax.name) >= 0) a.error("name", fmt::format("'{}' names two axes", ax.name));
    a.finish();
    s.axes.push_back(std::move(ax));
  }
}

/** Constraints and derived fields: every name must be an axis (by name or field) and every value numeric. */
void parse_expressions(YamlMap& sw, SweepSpec& s, const std::set<std::string>& seen_fields) {
  const std::string& file = s.file;
  const YAML::Node cons = sw.node()["constraints"];
  sw.opt<YAML::Node>("constraints");
  if (cons) {
    if (!cons.IsSequence()) sw.error("constraints", "must be a list of expressions");
    for (size_t i = 0; i < cons.size(); ++i) {
      const std::string where = fmt::format("{}: sweep.constraints[{}]", file, i);
      Expr e = Expr::parse(scalar_string(cons[i], where, "an expression"), where);
      check_names(s, e, where);
      s.constraints.push_back(std::move(e));
    }
  }
  const YAML::Node der = sw.node()["derived"];
  sw.opt<YAML::Node>("derived");
  if (der) {
    if (!der.IsMap()) sw.error("derived", "must map config fields to expressions over the axes");
    for (const auto& kv : der) {
      const std::string f = scalar_string(kv.first, fmt::format("{}: sweep.derived", file), "keyed by config field paths");
      const std::string where = fmt::format("{}: sweep.derived.{}", file, f);
      const auto keys = split_path(f);
      if (keys.size() < 2 || (keys[0] != "platform" && keys[0] != "accel" && keys[0] != "model"))
        fail("{}: '{}' is not a config field path (platform.<...>, accel.<...> or model.<...>)", where, f);
      if (seen_fields.count(f)) fail("{}: '{}' is also swept by an axis", where, f);
      Expr e = Expr::parse(scalar_string(kv.second, where, "an expression"), where);
      check_names(s, e, where);
      s.derived.emplace_back(f, std::move(e));
    }
  }

}

void parse_resources(YamlMap& sw, SweepSpec& s) {
  const std::string& file = s.file;
  YamlMap res = sw.child("resources");
  YamlMap mg = res.child("margin");
  auto frac = [&](const char* k, double def) {
    const double v = mg.get<double>(k, def);
    if (!(v > 0 && v <= 1)) mg.error(k, fmt::format("must be in (0, 1] (got {})", v));
    return v;
  };
  s.margins.luts = frac("luts", s.margins.luts);
  s.margins.ffs = frac("ffs", s.margins.ffs);
  s.margins.dsp48e2 = frac("dsp48e2", s.margins.dsp48e2);
  s.margins.bram36 = frac("bram36", s.margins.bram36);
  s.margins.uram288 = frac("uram288", s.margins.uram288);
  s.margins.ddr = frac("ddr", s.margins.ddr);
  mg.finish();
  s.costs_file = resolve(file, res.get<std::string>("costs", "../dse/resource_costs.yaml"));
  if (!fs::exists(s.costs_file)) res.error("costs", fmt::format("file '{}' not found", s.costs_file));
  res.finish();

}

void parse_accuracy(YamlMap& sw, SweepSpec& s) {
  const std::string& file = s.file;
  YamlMap acc = sw.child("accuracy");
  s.accuracy.enabled = acc.get<bool>("enabled", true);
  s.accuracy.method = acc.get<std::string>("method", "rtn");
  if (s.accuracy.method != "rtn" && s.accuracy.method != "awq")
    acc.error("method", fmt::format("must be rtn or awq (got '{}')", s.accuracy.method));
  auto path_or_empty = [&](const char* k) {
    const auto v = acc.get<std::string>(k, "");
    return v.empty() ? v : resolve(file, v);
  };
  s.accuracy.model = path_or_empty("model");
  if (!s.accuracy.model.empty()) resolve_model_config(s.accuracy.model, file);
  s.accuracy.stories_model = path_or_empty("stories_model");
  s.accuracy.stories_tokenizer = path_or_empty("stories_tokenizer");
  s.accuracy.stories_text = path_or_empty("stories_text");
  s.accuracy.eval_samples = acc.get<int64_t>("eval_samples", s.accuracy.eval_samples);
  s.accuracy.eval_seq_len = acc.get<int64_t>("eval_seq_len", s.accuracy.eval_seq_len);
  acc.check_positive("eval_samples", s.accuracy.eval_samples);
  acc.check_positive("eval_seq_len", s.accuracy.eval_seq_len);
  for (const auto& [key, p] : {std::pair{"stories_model", &s.accuracy.stories_model},
                                {"stories_tokenizer", &s.accuracy.stories_tokenizer},
                                {"stories_text", &s.accuracy.stories_text}})
    if (!p->empty() && !fs::exists(*p)) acc.error(key, fmt::format("file '{}' not found", *p));
  acc.finish();

}

void parse_finalists_and_score(YamlMap& sw, SweepSpec& s) {
  YamlMap fin = sw.child("finalists");
  s.finalists.top_k = fin.get<int64_t>("top_k", s.finalists.top_k);
  s.finalists.pareto = fin.get<bool>("pareto", s.finalists.pareto);
  s.finalists.max_finalists = fin.get<int64_t>("max", s.finalists.max_finalists);
  s.finalists.fidelity = sim::parse_fidelity(fin, "fidelity");
  s.finalists.timing_only = fin.get<bool>("timing_only", false);
  s.finalists.prompt_len = fin.get<int64_t>("prompt_len", s.finalists.prompt_len);
  s.finalists.gen = fin.get<int64_t>("gen", s.finalists.gen);
  s.finalists.cycle_above_ddr_busy_pct = fin.get<double>("cycle_above_ddr_busy_pct", s.finalists.cycle_above_ddr_busy_pct);
  if (!(s.finalists.cycle_above_ddr_busy_pct >= 0))
    fin.error("cycle_above_ddr_busy_pct", "must be a percentage >= 0 (above 100: never re-run in cycle fidelity)");
  if (s.finalists.top_k < 0) fin.error("top_k", "must be >= 0");
  if (s.finalists.max_finalists < 0) fin.error("max", "must be >= 0");
  fin.check_positive("prompt_len", s.finalists.prompt_len);
  if (s.finalists.gen < 1) fin.error("gen", "must be >= 1 (decode tokens/s needs a decode step)");
  fin.finish();

  YamlMap sc = sw.child("score");
  s.weights.accuracy = sc.get<double>("accuracy", s.weights.accuracy);
  s.weights.memory = sc.get<double>("memory", s.weights.memory);
  s.weights.prefill = sc.get<double>("prefill", s.weights.prefill);
  s.weights.decode = sc.get<double>("decode", s.weights.decode);
  for (const char* k : {"accuracy", "memory", "prefill", "decode"})
    if (sc.get<double>(k, 0.0) < 0) sc.error(k, "must be >= 0");
  sc.finish();
}

/**
 * Every value of every axis must be accepted by the config parsers on its own (so a typo in a
 * field path or a value a parser rejects stops the sweep before anything runs).
 */
void check_axis_values(const SweepSpec& s) {
  for (size_t a = 0; a < s.axes.size(); ++a) {
    for (size_t v = 0; v < s.axes[a].values.size(); ++v) {
      // Patch only this axis: the other fields keep the base config.
      // (Copy-construct: assigning a YAML::Node rebinds the node it refers to, shared with `s`.)
      SweepSpec one = s;
      one.axes.clear();
      one.axes.push_back(s.axes[a]);
      one.derived.clear();  // they read other axes
      PointIndex q{static_cast<int32_t>(v)};
      DesignPoint dp = build(one, &q);
      if (!dp.config_error.empty()) {
        const auto& ax = s.axes[a];
        const std::string val = scalar_text(ax.values[v]);
        // An unknown key is an error in the spec itself; value errors too when the value is alone.
        fail("{}: {} (axis '{}', fields {}) value '{}' is rejected: {}", s.file, ax.where, ax.name,
             fmt::format("{}", fmt::join(ax.fields, ", ")), val, dp.config_error);
      }
    }
  }
}

}  // namespace

SweepSpec load_sweep_spec(const std::string& file) {
  SweepSpec s;
  s.file = file;
  YamlMap root = YamlMap::load(file);
  YamlMap sw = root.child("sweep", true);
  s.name = sw.get<std::string>("name", fs::path(file).stem().string());
  parse_base(sw, s);
  std::set<std::string> seen_fields;
  parse_axes(sw, s, seen_fields);
  parse_expressions(sw, s, seen_fields);
  parse_resources(sw, s);
  parse_accuracy(sw, s);
  parse_finalists_and_score(sw, s);
  sw.finish();
  root.finish();
  check_axis_values(s);
  if (enumerate_points(s).empty())
    fail("{}: sweep.constraints leave no point to evaluate (the axes and constraints contradict)", file);
  return s;
}

std::string point_id(const SweepSpec& spec, const PointIndex& p) {
  std::string id;
  for (size_t a = 0; a < spec.axes.size(); ++a) {
    if (a) id += ' ';
    id += spec.axes[a].name + "=" + scalar_text(spec.axes[a].values[static_cast<size_t>(p[a])]);
  }
  return id;
}

std::vector<PointIndex> enumerate_points(const SweepSpec& spec) {
  double total = 1;
  for (const auto& a : spec.axes) total *= static_cast<double>(a.values.size());
  auto decode = [&](uint64_t flat) {
    PointIndex p(spec.axes.size());
    for (size_t a = spec.axes.size(); a-- > 0;) {
      const auto n = spec.axes[a].values.size();
      p[a] = static_cast<int32_t>(flat % n);
      flat /= n;
    }
    return p;
  };
  std::vector<uint64_t> flats;
  if (spec.random) {
    if (total > 1e15) fail("{}: the grid has {:.3g} points, too many to sample from", spec.file, total);
    const auto n = static_cast<uint64_t>(total);
    std::mt19937_64 rng(spec.seed);
    std::set<uint64_t> chosen;
    const auto want = std::min<uint64_t>(static_cast<uint64_t>(spec.samples), n);
    while (chosen.size() < want) chosen.insert(rng() % n);
    flats.assign(chosen.begin(), chosen.end());
  } else {
    if (total > kMaxGridPoints)
      fail("{}: the full grid has {:.3g} points (at most {:.0g}); use sampling: {{mode: random, samples: N}}",
           spec.file, total, kMaxGridPoints);
    flats.resize(static_cast<size_t>(total));
    std::iota(flats.begin(), flats.end(), uint64_t{0});
  }
  std::vector<PointIndex> out;
  for (uint64_t f : flats) {
    PointIndex p = decode(f);
    bool ok = true;
    for (const auto& c : spec.constraints)
      if (eval_at(spec, c, p) == 0.0) {
        ok = false;
        break;
      }
    if (ok) out.push_back(std::move(p));
  }
  return out;
}

DesignPoint make_point(const SweepSpec& spec, const PointIndex& p) { return build(spec, &p); }
DesignPoint make_base_point(const SweepSpec& spec) { return build(spec, nullptr); }

}  // namespace fpgallm::dse
