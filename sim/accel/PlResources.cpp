#include "sim/accel/PlResources.h"

namespace fpgallm::sim {

PlResources parse_pl_resources(YamlMap& pl) {
  PlResources r;
  r.file = pl.file();
  r.device = pl.require<std::string>("device");
  auto count = [&](const char* key) {
    const auto v = pl.require<int64_t>(key);
    pl.check_positive(key, v);
    return v;
  };
  r.luts = count("luts");
  r.ffs = count("ffs");
  r.dsp48e2 = count("dsp48e2");
  r.bram36 = count("bram36");
  r.uram288 = count("uram288");
  r.part = pl.get<std::string>("part", "");
  r.board_part = pl.get<std::string>("board_part", "");
  r.ctrl_base_addr = pl.get<uint64_t>("ctrl_base_addr", 0);
  pl.finish();
  return r;
}

}  // namespace fpgallm::sim
