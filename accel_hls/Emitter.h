#pragma once
#include <map>
#include <string>
#include <vector>

#include "dse/Resources.h"
#include "sim/accel/KernelRegisters.h"
#include "sim/soc/SocConfig.h"

namespace fpgallm::hls {

/** One file of an emitted project: path relative to the project folder, and its bytes. */
struct ProjectFile {
  std::string path;
  std::string text;
};

/** A rendered Vitis HLS project, not yet on disk (so a rejected config writes nothing). */
struct Project {
  std::vector<ProjectFile> files;
  const ProjectFile* find(const std::string& path) const;
};

/** Bytes of an fp32 activation/output word. */
constexpr int64_t kHlsFloatBytes = 4;
/** The narrowest m_axi data width the kernel supports: one fp32 per beat. */
constexpr int64_t kMinKernelBeatBytes = kHlsFloatBytes;
/** The kernel's s_axilite register map lives in sim/accel/KernelRegisters.h, shared with the PS
 *  cost model that charges the driver's accesses to it. */
using sim::register_layout;
using sim::RegisterLayout;

/**
 * Throws fpgallm::Error naming the config field (and file) when the kernel cannot express
 * `soc`: AXI width not a power of two of at least 32 bits or wider than the HP port, tile rows
 * and beat that do not tile each other, buffers too small for the kernel or beyond the part's
 * BRAM/URAM, number types other than the kernel's, a platform without a part to build for or
 * without the `emitted_driver` software profile (the driver's mapping and completion come from it).
 */
void check_expressible(const sim::SocConfig& soc);

/**
 * Renders the whole project (deterministic: same config, same bytes). Steps, in order:
 * config header, top function, testbench, run_hls.tcl, block design, driver, README, resource
 * estimate. Calls check_expressible first. The resource estimate is the explorer's
 * (dse::estimate_resources with `costs`, configs/dse/resource_costs.yaml), so the generated
 * design reports the LUT/FF/DSP/BRAM/URAM figures its sweep point was judged on.
 */
Project render_project(const sim::SocConfig& soc, const dse::ResourceCosts& costs);

/** Writes every file under `dir` (created if needed); throws naming the file on an I/O error. */
void write_project(const Project& p, const std::string& dir);

/**
 * Fills the named insertion points `{{NAME}}` of template `name` (accel_hls/templates/). Every
 * point must be given and every given value used: a mismatch is an Error, never a silent gap.
 */
std::string fill_template(const std::string& name, const std::map<std::string, std::string>& values);

/** The raw text of template `name`, compiled into the library. */
const std::string& template_text(const std::string& name);

}  // namespace fpgallm::hls
