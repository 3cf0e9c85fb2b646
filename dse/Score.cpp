#include "dse/Score.h"

#include <algorithm>
#include <array>

#include "models/core/Error.h"

namespace fpgallm::dse {

std::vector<double> score(const std::vector<Objectives>& c, const Objectives& base, const ScoreWeights& w) {
  if (base.decode_tps <= 0 || base.prefill_tps <= 0 || base.memory_bytes <= 0 || base.accuracy <= 0)
    fail("score: the baseline needs positive decode/prefill tokens/s, memory and accuracy");
  struct Ratios {
    double acc, mem, pre, dec;
  };
  std::vector<Ratios> r;
  Ratios mx{0, 0, 0, 0};
  for (const auto& o : c) {
    Ratios x{o.accuracy / base.accuracy, o.memory_bytes > 0 ? base.memory_bytes / o.memory_bytes : 0,
             o.prefill_tps / base.prefill_tps, o.decode_tps / base.decode_tps};
    mx = {std::max(mx.acc, x.acc), std::max(mx.mem, x.mem), std::max(mx.pre, x.pre), std::max(mx.dec, x.dec)};
    r.push_back(x);
  }
  auto part = [](double v, double m) { return m > 0 ? v / m : 0.0; };
  std::vector<double> s;
  for (const auto& x : r)
    s.push_back(w.accuracy * part(x.acc, mx.acc) + w.memory * part(x.mem, mx.mem) + w.prefill * part(x.pre, mx.pre) +
                w.decode * part(x.dec, mx.dec));
  return s;
}

namespace {

/** a <= b everywhere and a < b somewhere, over any two equally long ranges of minimised objectives. */
template <typename Range>
bool dominates_in(const Range& a, const Range& b) {
  bool better = false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (!(a[k] <= b[k])) return false;
    better = better || a[k] < b[k];
  }
  return better;
}

/** The five objectives as minimised values: higher-is-better ones negated. */
std::array<double, 5> minimised(const Objectives& o) {
  return {-o.decode_tps, -o.prefill_tps, o.memory_bytes, -o.accuracy, o.resources};
}

}  // namespace

bool dominates_minimised(const std::vector<double>& a, const std::vector<double>& b) { return dominates_in(a, b); }

// No allocation: pareto_front calls this for every pair it compares.
bool dominates(const Objectives& a, const Objectives& b) { return dominates_in(minimised(a), minimised(b)); }

std::vector<bool> non_dominated(const std::vector<std::vector<double>>& points) {
  std::vector<bool> keep(points.size(), true);
  for (size_t i = 0; i < points.size(); ++i)
    for (size_t j = 0; j < points.size() && keep[i]; ++j)
      if (j != i && dominates_minimised(points[j], points[i])) keep[i] = false;
  return keep;
}

std::vector<size_t> pareto_front(const std::vector<Objectives>& c) {
  // Sorted by decode rate (best first), a point can only be dominated by one before it or tied with it.
  std::vector<size_t> order(c.size());
  for (size_t i = 0; i < c.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return c[a].decode_tps > c[b].decode_tps; });
  std::vector<size_t> front;
  for (size_t i : order) {
    bool dominated = false;
    for (size_t j : order) {
      if (c[j].decode_tps < c[i].decode_tps) break;
      if (j != i && dominates(c[j], c[i])) {
        dominated = true;
        break;
      }
    }
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end());
  return front;
}

}  // namespace fpgallm::dse
