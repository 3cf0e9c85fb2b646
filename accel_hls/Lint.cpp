#include "accel_hls/Lint.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "accel_hls/Emitter.h"

namespace fpgallm::hls {

namespace {

/** Pragma arguments Vitis HLS takes as integers: a literal there, never a C++ name. */
const std::set<std::string> kNumericKeys = {"depth",   "factor", "II",  "distance",
                                            "latency", "dim",    "min", "max",
                                            "avg",     "max_read_burst_length", "max_write_burst_length",
                                            "num_read_outstanding", "num_write_outstanding"};
/** Words in a loop bound that are neither variables nor values. */
const std::set<std::string> kNeutralWords = {"static_cast", "int", "uint64_t", "int64_t", "uint32_t", "const", "sizeof"};

bool is_integer(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

/** The text inside the parentheses that open at `open` (balanced), or empty when unbalanced. */
std::string balanced(const std::string& t, size_t open) {
  int depth = 0;
  for (size_t i = open; i < t.size(); ++i) {
    if (t[i] == '(') ++depth;
    if (t[i] == ')' && --depth == 0) return t.substr(open + 1, i - open - 1);
  }
  return {};
}

int line_of(const std::string& t, size_t at) { return 1 + static_cast<int>(std::count(t.begin(), t.begin() + at, '\n')); }

void lint_pragmas(const std::string& file, const std::string& t, std::vector<std::string>& out) {
  for (size_t at = t.find("HLS_PRAGMA("); at != std::string::npos; at = t.find("HLS_PRAGMA(", at + 1)) {
    const size_t bol = t.rfind('\n', at) + 1;
    if (t.compare(bol, 7, "#define") == 0) continue;
    const std::string body = balanced(t, at + std::string("HLS_PRAGMA").size());
    const int line = line_of(t, at);
    if (body.find("{{") != std::string::npos) out.push_back(fmt::format("{}:{}: unfilled insertion point in a pragma: {}", file, line, body));
    // "KEY = VALUE" pairs.
    static const std::regex kv(R"(([A-Za-z_][A-Za-z_0-9]*)\s*=\s*([^\s=]+))");
    std::map<std::string, std::string> args;
    for (auto it = std::sregex_iterator(body.begin(), body.end(), kv); it != std::sregex_iterator(); ++it) {
      const std::string key = (*it)[1], value = (*it)[2];
      args[key] = value;
      if (value.find("::") != std::string::npos)
        out.push_back(fmt::format("{}:{}: pragma argument {} = {} is a C++ name; Vitis HLS takes a literal", file, line,
                                  key, value));
      else if (kNumericKeys.count(key) && !is_integer(value))
        out.push_back(fmt::format("{}:{}: pragma argument {} = {} must be an integer literal", file, line, key, value));
    }
    if (body.rfind("INTERFACE m_axi", 0) == 0 && !args.count("depth"))
      out.push_back(fmt::format("{}:{}: m_axi interface without depth: RTL co-simulation would model one element ({})",
                                file, line, body));
  }
}

void lint_loops(const std::string& file, const std::string& t, std::vector<std::string>& out) {
  // Locals that are compile-time constants: `const int x = <constants>;`, found until no new one appears.
  std::set<std::string> constants;
  static const std::regex decl(R"(const\s+int\s+([A-Za-z_]\w*)\s*=\s*([^;]+);)");
  static const std::regex word(R"([A-Za-z_][A-Za-z_0-9]*(::[A-Za-z_][A-Za-z_0-9]*)*)");
  auto constant_expr = [&](const std::string& e, const std::string& loop_var) {
    for (auto w = std::sregex_iterator(e.begin(), e.end(), word); w != std::sregex_iterator(); ++w) {
      const std::string id = (*w)[0];
      if (id == loop_var || kNeutralWords.count(id) || constants.count(id) || id.rfind("C::", 0) == 0) continue;
      return false;
    }
    return true;
  };
  for (bool grew = true; grew;) {
    grew = false;
    for (auto it = std::sregex_iterator(t.begin(), t.end(), decl); it != std::sregex_iterator(); ++it)
      if (!constants.count((*it)[1]) && constant_expr((*it)[2], "")) grew = constants.insert((*it)[1]).second || grew;
  }
  static const std::regex loop(R"(for\s*\(\s*int\s+([A-Za-z_]\w*)\s*=([^;]*);([^;]*);)");
  for (auto it = std::sregex_iterator(t.begin(), t.end(), loop); it != std::sregex_iterator(); ++it) {
    const std::string var = (*it)[1];
    const std::string bounds = std::string((*it)[2]) + " " + std::string((*it)[3]);
    if (constant_expr(bounds, var)) continue;
    const size_t end = static_cast<size_t>(it->position(0) + it->length(0));
    size_t next = t.find("for (", end);
    if (next == std::string::npos) next = t.size();
    if (t.substr(end, next - end).find("LOOP_TRIPCOUNT") == std::string::npos)
      out.push_back(fmt::format("{}:{}: loop over {} has a bound known only at run time ({}) and no LOOP_TRIPCOUNT",
                                file, line_of(t, static_cast<size_t>(it->position(0))), var, std::string((*it)[3])));
  }
}

void lint_storage(const std::string& file, const std::string& t, std::vector<std::string>& out) {
  static const std::regex local_static(R"(\n[ \t]+static\s+(?!constexpr\b|inline\b)[A-Za-z_][\w:<>, ]*\s+[A-Za-z_]\w*\s*(\[|=|;))");
  for (auto it = std::sregex_iterator(t.begin(), t.end(), local_static); it != std::sregex_iterator(); ++it)
    out.push_back(fmt::format("{}:{}: function-local static storage: every process that calls the function would share it",
                              file, line_of(t, static_cast<size_t>(it->position(0)) + 1)));
  for (size_t at = t.find("if constexpr"); at != std::string::npos; at = t.find("if constexpr", at + 1))
    out.push_back(fmt::format("{}:{}: `if constexpr` is C++17; Vitis HLS takes C/C++11/14", file, line_of(t, at)));
}

/** Streams and arrays of the DATAFLOW region: each stream element has one writer and one reader. */
void lint_dataflow(const std::string& file, const std::string& t, std::vector<std::string>& out) {
  static const std::regex fifo_decl(R"(Fifo<.*>\s+([A-Za-z_]\w*)(\[[^\]]+\])?;)");
  std::map<std::string, bool> streams;  // name -> is an array
  for (auto it = std::sregex_iterator(t.begin(), t.end(), fifo_decl); it != std::sregex_iterator(); ++it)
    streams[(*it)[1]] = (*it)[2].matched;
  if (streams.empty()) return;
  std::map<std::string, std::set<std::string>> users;  // stream element -> processes
  std::map<std::string, int> whole;                    // array stream passed whole -> processes
  std::map<std::string, int> arrays;                   // non-stream arrays reached from processes
  int process = 0;
  static const std::regex ref(R"(([A-Za-z_]\w*)(\[(\d+)\])?)");
  for (size_t at = t.find("FPGALLM_PROCESS("); at != std::string::npos; at = t.find("FPGALLM_PROCESS(", at + 1)) {
    const size_t bol = t.rfind('\n', at) + 1;
    if (t.compare(bol, 7, "#define") == 0) continue;
    const std::string call = balanced(t, at + std::string("FPGALLM_PROCESS").size());
    const size_t args_at = call.find('(');
    if (args_at == std::string::npos) continue;
    const std::string args = call.substr(args_at);
    const std::string id = fmt::format("process {} (line {})", ++process, line_of(t, at));
    for (auto it = std::sregex_iterator(args.begin(), args.end(), ref); it != std::sregex_iterator(); ++it) {
      const std::string name = (*it)[1];
      if (streams.count(name)) {
        if ((*it)[3].matched) users[name + "[" + std::string((*it)[3]) + "]"].insert(id);
        else if (streams[name]) ++whole[name];
        else users[name].insert(id);
      } else if (name == "act") {
        ++arrays[name];
      }
    }
  }
  for (const auto& [name, is_array] : streams) {
    std::vector<std::string> elems;
    for (const auto& [e, who] : users)
      if (e == name || e.rfind(name + "[", 0) == 0) elems.push_back(e);
    for (const auto& e : elems) {
      const size_t n = users[e].size() + (is_array ? static_cast<size_t>(whole[name]) : 0);
      if (n != 2)
        out.push_back(fmt::format("{}: stream {} is used by {} DATAFLOW process(es); a stream needs one writer and one reader",
                                  file, e, n));
    }
    if (elems.empty() && whole[name] != 2 && (is_array ? whole[name] : 0) != 0)
      out.push_back(fmt::format("{}: stream {} is used by {} DATAFLOW process(es)", file, name, whole[name]));
  }
  for (const auto& [name, n] : arrays)
    if (n > 1) out.push_back(fmt::format("{}: array {} is reached from {} DATAFLOW processes", file, name, n));
}

/** The text with comments and string literals blanked (newlines kept, so line numbers hold). */
std::string code_only(const std::string& t) {
  std::string s = t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 2, "//") == 0) {
      for (; i < s.size() && s[i] != '\n'; ++i) s[i] = ' ';
    } else if (s.compare(i, 2, "/*") == 0) {
      for (; i < s.size() && s.compare(i, 2, "*/") != 0; ++i)
        if (s[i] != '\n') s[i] = ' ';
      if (i < s.size()) s[i] = s[i + 1] = ' ';
    } else if (s[i] == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i)
        if (s[i] == '\\') s[i++] = ' ', s[i] = ' ';
        else s[i] = ' ';
    }
  }
  return s;
}

}  // namespace

std::vector<std::string> lint_source(const std::string& file, const std::string& text) {
  std::vector<std::string> out;
  const std::string code = code_only(text);
  lint_pragmas(file, code, out);
  lint_loops(file, code, out);
  lint_storage(file, code, out);
  lint_dataflow(file, code, out);
  return out;
}

std::vector<std::string> lint_project(const Project& p) {
  std::vector<std::string> out;
  for (const char* f : {"fpgallm_top.cpp", "fpgallm_hls.h"}) {
    const ProjectFile* pf = p.find(f);
    if (!pf) {
      out.push_back(fmt::format("{}: missing from the project", f));
      continue;
    }
    for (auto& m : lint_source(f, pf->text)) out.push_back(std::move(m));
  }
  return out;
}

}  // namespace fpgallm::hls
