#pragma once
#include <array>
#include <functional>
#include <string>
#include <vector>

#include "sim/soc/SocConfig.h"

namespace fpgallm::studies {

/** One parameter of the sensitivity study: decode tokens/s of each of two designs at -swing / +swing. */
struct TornadoRow {
  std::string path, unit;
  double base_value = 0;
  std::array<double, 2> lo_tps{}, hi_tps{};
  /** Largest relative change of design `d`'s decode rate against `base_tps`. */
  double swing(int d, double base_tps) const;
};

/** The study's rows and the parameters left alone because they are zero in this configuration. */
struct Sensitivity {
  std::vector<TornadoRow> rows;
  std::vector<std::string> not_varied;
};

/**
 * Every platform and software parameter of `designs[1]` (or only `only` when given) moved by
 * +-`swing` alone, the rest as configured, in both designs; `decode_tps(soc, what)` simulates one.
 * A move that makes a config invalid is an error naming the parameter and the design.
 */
Sensitivity sensitivity_study(const std::array<const sim::SocConfig*, 2>& designs,
                              const std::array<std::string, 2>& labels, double swing,
                              const std::vector<std::string>& only,
                              const std::function<double(const sim::SocConfig&, const std::string&)>& decode_tps);

/** A horizontal-bar tornado chart of design `d`'s decode tokens/s (relative to `base_tps`), as SVG. */
std::string tornado_svg(const std::vector<TornadoRow>& rows, int d, double base_tps, const std::string& title,
                        double swing_pct);

}  // namespace fpgallm::studies
