#include "studies/Sensitivity.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "models/core/Error.h"
#include "sim/soc/SocParams.h"

namespace fpgallm::studies {

namespace {
// Chart geometry, pixels.
constexpr int kRowH = 22, kLabelW = 380, kPlotW = 420, kTop = 50, kMargin = 20;
constexpr double kMinExtent = 0.01;  // the x axis spans at least +-1%
}  // namespace

double TornadoRow::swing(int d, double base_tps) const {
  return base_tps > 0 ? std::max(std::abs(lo_tps[d] - base_tps), std::abs(hi_tps[d] - base_tps)) / base_tps : 0;
}

Sensitivity sensitivity_study(const std::array<const sim::SocConfig*, 2>& designs,
                              const std::array<std::string, 2>& labels, double swing,
                              const std::vector<std::string>& only,
                              const std::function<double(const sim::SocConfig&, const std::string&)>& decode_tps) {
  Sensitivity out;
  for (const auto& p : sim::platform_parameters(*designs[1])) {
    if (!only.empty() && std::find(only.begin(), only.end(), p.path) == only.end()) continue;
    TornadoRow r{p.path, p.unit, p.get(*designs[1]), {}, {}};
    if (r.base_value == 0) {
      out.not_varied.push_back(p.path);
      continue;
    }
    for (size_t d = 0; d < 2; ++d) {
      for (int k = 0; k < 2; ++k) {
        sim::SocConfig soc = *designs[d];
        const double f = k == 0 ? 1 - swing : 1 + swing;
        p.set(soc, r.base_value * f);
        try {
          soc.validate();
          (k == 0 ? r.lo_tps : r.hi_tps)[d] = decode_tps(soc, fmt::format("{} x{:.2f} ({})", p.path, f, labels[d]));
        } catch (const Error& e) {
          fail("sensitivity: {} x{:.2f} makes the {} config invalid: {}", p.path, f, labels[d], e.what());
        }
      }
    }
    out.rows.push_back(r);
  }
  return out;
}

std::string tornado_svg(const std::vector<TornadoRow>& rows, int d, double base_tps, const std::string& title,
                        double swing_pct) {
  const int h = kTop + static_cast<int>(rows.size()) * kRowH + 40;
  const int w = kLabelW + kPlotW + 2 * kMargin;
  double extent = kMinExtent;
  for (const auto& r : rows)
    extent = std::max({extent, std::abs(r.lo_tps[d] / base_tps - 1), std::abs(r.hi_tps[d] / base_tps - 1)});
  const double cx = kMargin + kLabelW + kPlotW / 2.0;
  auto x_of = [&](double rel) { return cx + rel / extent * (kPlotW / 2.0 - 10); };
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>\n"
      "<text x=\"{}\" y=\"38\">decode tokens/s change when each parameter moves -{:.0f}% (blue) / +{:.0f}% (orange); "
      "base {:.3f} tokens/s</text>\n",
      w, h, kMargin, title, kMargin, swing_pct, swing_pct, base_tps);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const double y = kTop + static_cast<double>(i) * kRowH;
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", kMargin + kLabelW - 6, y + 15,
                     r.path);
    for (int k = 0; k < 2; ++k) {
      const double rel = (k == 0 ? r.lo_tps[d] : r.hi_tps[d]) / base_tps - 1;
      const double x0 = std::min(cx, x_of(rel)), x1 = std::max(cx, x_of(rel));
      s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\" opacity=\"0.8\"/>\n",
                       x0, y + 3 + k * 8, std::max(0.5, x1 - x0), 8, k == 0 ? "#1f77b4" : "#ff7f0e");
    }
  }
  const double y_axis = kTop + static_cast<double>(rows.size()) * kRowH + 5;
  s += fmt::format("<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"black\"/>\n", cx, kTop, cx,
                   y_axis);
  for (double t : {-extent, -extent / 2, extent / 2, extent})
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:+.1f}%</text>\n", x_of(t), y_axis + 15,
                     100 * t);
  s += "</svg>\n";
  return s;
}

}  // namespace fpgallm::studies
