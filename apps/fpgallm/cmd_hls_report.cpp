#include <memory>

#include <fmt/core.h>

#include "accel_hls/Report.h"
#include "apps/fpgallm/Command.h"

namespace {

void setup(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto* c = app.add_subcommand(
      "hls-report",
      "compare a synthesized emit-hls project's Vitis HLS report (loop II/depth/latency, resources) with its own "
      "estimates; exit 1 when a figure differs by more than 10%");
  c->add_option("dir", *dir, "the emit-hls project folder after `vitis_hls -f run_hls.tcl`")->required();
  c->callback([dir] {
    const fpgallm::hls::HlsComparison cmp = fpgallm::hls::compare_hls_report(*dir);
    fmt::print("{}", fpgallm::hls::format_comparison(cmp));
    // Flagged differences are a result, not an error: exit 1 without an error line (CLI11 prints
    // nothing for a RuntimeError).
    if (cmp.flagged() > 0) throw CLI::RuntimeError(1);
  });
}

}  // namespace

FPGALLM_REGISTER_COMMAND("hls-report", setup);
