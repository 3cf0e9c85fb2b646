#pragma once
#include <string>

namespace fpgallm {
class YamlMap;
}

namespace fpgallm::sim {

/**
 * How finely the memory system is timed. `cycle`: every 64-byte DRAM access is scheduled against
 * bank/bus timings and callers block until their data has moved. `fast`: a transaction costs an
 * analytic latency + bytes / effective bandwidth and b_transport only annotates the delay
 * (temporal decoupling), for sweeps.
 */
enum class Fidelity { Cycle, Fast };

/** Parses "cycle" | "fast" from `m[key]` (default cycle); other values are an Error naming the file and field. */
Fidelity parse_fidelity(YamlMap& m, const std::string& key);
/** Parses "cycle" | "fast" given as an option; `what` names the option ("--fidelity") in the error. */
Fidelity parse_fidelity(const std::string& name, const std::string& what);
const char* to_string(Fidelity f);

}  // namespace fpgallm::sim
