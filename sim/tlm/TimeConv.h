#pragma once
#include <cmath>
#include <cstdint>

#include <systemc>

namespace fpgallm::sim {

/**
 * sc_time <-> double conversions for the hot paths, bit-identical to SystemC's own
 * (`sc_time::to_seconds() * 1e9` and `sc_time(double, SC_PS)`), without the library call and
 * simulation-context lookup each of those makes. Captures the time resolution of the context it is
 * built in (one per module: a module lives in one context). tests/sim/test_sim_context.cpp pins
 * the identity against the library.
 */
class TimeConv {
 public:
  TimeConv() {
    // The resolution is a power of ten femtoseconds; the kernel keeps it as that exact double.
    res_fs_ = std::round(sc_core::sc_get_time_resolution().to_seconds() * kFsPerS);
    ticks_per_ps_ = kFsPerPs / res_fs_;
  }

  /** What `t.to_seconds() * 1e9` gives, with the same operations in the same order. */
  double ns(const sc_core::sc_time& t) const { return static_cast<double>(t.value()) * res_fs_ * 1e-15 * 1e9; }

  /** What `sc_time(ps, SC_PS)` gives (non-negative `ps`): round half up to whole ticks. */
  sc_core::sc_time from_ps(double ps) const {
    if (ps == 0) return sc_core::SC_ZERO_TIME;
    const volatile double tmp = ps * ticks_per_ps_ + 0.5;  // volatile as in the kernel: no excess precision
    return sc_core::sc_time::from_value(static_cast<sc_core::sc_time::value_type>(static_cast<int64_t>(tmp)));
  }

 private:
  static constexpr double kFsPerS = 1e15, kFsPerPs = 1e3;
  double res_fs_ = 0, ticks_per_ps_ = 0;
};

}  // namespace fpgallm::sim
