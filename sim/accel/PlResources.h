#pragma once
#include <cstdint>
#include <string>

#include "models/core/YamlConfig.h"

namespace fpgallm::sim {

/** Usable data bytes of one BRAM36 (36 Kbit incl. parity: 32 Kbit = 4 KiB of data), UG573. */
constexpr int64_t kBram36DataBytes = 4096;
/** Usable data bytes of one URAM288 (4K x 72 bit incl. ECC: 4K x 64 bit = 32 KiB), UG573. */
constexpr int64_t kUram288DataBytes = 32768;

/**
 * Programmable-logic resources of the device (the `pl:` section of a platform YAML). The
 * accelerator config is checked against these (AccelConfig::check_against_resources).
 */
struct PlResources {
  std::string device = "xck26";
  int64_t luts = 117120;
  int64_t ffs = 234240;
  int64_t dsp48e2 = 1248;
  int64_t bram36 = 144;
  int64_t uram288 = 64;
  // Build targets of `fpgallm emit-hls` (optional: only the emitter needs them).
  std::string part;           ///< Vivado part, e.g. xck26-sfvc784-2LV-c
  std::string board_part;     ///< Vivado board part whose PS preset the block design applies
  uint64_t ctrl_base_addr = 0;  ///< where the PS sees the kernel's s_axilite registers (M_AXI_HPM0_FPD)
  std::string file;  ///< the YAML it came from, for error messages

  int64_t on_chip_bytes() const { return bram36 * kBram36DataBytes + uram288 * kUram288DataBytes; }
};

/** Reads `pl:` (a child map of the platform YAML); resource counts required, each must be > 0;
 *  part, board_part and ctrl_base_addr optional. */
PlResources parse_pl_resources(YamlMap& pl);

}  // namespace fpgallm::sim
