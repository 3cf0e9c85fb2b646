#pragma once
#include <functional>

#include "sim/soc/SocConfig.h"
#include "sim/soc/SocParams.h"

namespace fpgallm::studies {

/** Regula falsi steps of a fit (a handful are needed). */
constexpr int kFitIterations = 20;
/** Relative: a fit stops once the figure is met this closely. */
constexpr double kFitTolerance = 1e-3;

/**
 * The value of parameter `p` of `soc` at which `decode_tps(soc)` meets `target_tps`: regula falsi
 * (Illinois variant) on 1/tokens/s, which is close to linear in a per-call time (and in
 * 1/efficiency), so a few simulations suffice. Brackets follow the parameter's nature: a fraction
 * lies in (0, 1], a time in [0, 1 ms]. Rounded to three significant digits (the fit is no more
 * precise than the published figure). `what` names the design in the error when no bracket holds.
 */
double fit_parameter(const sim::SocParam& p, sim::SocConfig soc, double target_tps,
                     const std::function<double(const sim::SocConfig&)>& decode_tps, const std::string& what);

}  // namespace fpgallm::studies
