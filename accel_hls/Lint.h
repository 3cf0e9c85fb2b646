#pragma once
#include <string>
#include <vector>

namespace fpgallm::hls {

struct Project;

/**
 * What Vitis HLS (UG1399) or RTL co-simulation would reject or get wrong in the emitted kernel
 * sources (fpgallm_top.cpp, fpgallm_hls.h), each problem one line naming the file and what:
 * - a pragma argument that must be a number (depth, factor, II, distance, latency, dim, min, max,
 *   burst lengths, outstanding) and is not an integer literal (e.g. a C++ name `C::kX`);
 * - an `INTERFACE m_axi` without a literal `depth` (co-simulation would model one element);
 * - a loop whose bound is not a compile-time constant without a `LOOP_TRIPCOUNT` (csynth reports "?");
 * - function-local `static` storage (shared by every process that calls the function);
 * - `if constexpr` (C++17; Vitis HLS takes C/C++11/14);
 * - in the DATAFLOW region, a stream not written by exactly one process and read by exactly one,
 *   or an array reached from more than one process.
 * Empty when the project is clean; the emitter refuses to write a project that is not.
 */
std::vector<std::string> lint_project(const Project& p);

/** The same checks on one source text (exposed so tests can plant violations). */
std::vector<std::string> lint_source(const std::string& file, const std::string& text);

}  // namespace fpgallm::hls
