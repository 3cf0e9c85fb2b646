#include "studies/Calibration.h"

#include <cmath>

#include "models/core/Error.h"

namespace fpgallm::studies {

namespace {
// Bracket of a time parameter: [0, 1 ms] in ns.
constexpr double kTimeBracketHiNs = 1e6;
// Lower bracket of a fraction (an efficiency of 0 never finishes).
constexpr double kFractionBracketLo = 0.05;
}  // namespace

double fit_parameter(const sim::SocParam& p, sim::SocConfig soc, double target,
                     const std::function<double(const sim::SocConfig&)>& decode_tps, const std::string& what) {
  double last_tps = 0;
  auto g = [&](double v) {  // 1/tokens/s - 1/target: zero at the fit
    p.set(soc, v);
    last_tps = decode_tps(soc);
    return 1.0 / last_tps - 1.0 / target;
  };
  const bool fraction = p.unit == "fraction";
  double a = fraction ? kFractionBracketLo : 0.0, b = fraction ? 1.0 : kTimeBracketHiNs;
  double ga = g(a), gb = g(b);
  if (ga * gb > 0) fail("calibration: {} cannot reach {} tokens/s for {} within [{}, {}]", p.path, target, what, a, b);
  double c = a;
  int side = 0;
  for (int i = 0; i < kFitIterations; ++i) {
    c = (a * gb - b * ga) / (gb - ga);
    const double gc = g(c);
    if (std::abs(last_tps - target) <= kFitTolerance * target) break;
    if (gc * gb > 0) {
      b = c;
      gb = gc;
      if (side == -1) ga /= 2;
      side = -1;
    } else {
      a = c;
      ga = gc;
      if (side == +1) gb /= 2;
      side = +1;
    }
  }
  const double digits = std::pow(10.0, std::floor(std::log10(std::abs(c))) - 2);
  return std::round(c / digits) * digits;
}

}  // namespace fpgallm::studies
