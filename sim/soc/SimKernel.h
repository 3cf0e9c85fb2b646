#pragma once

namespace fpgallm::sim {

/**
 * Starts a fresh SystemC simulation context. The kernel elaborates once per context, so every
 * simulation run in one process (tests, Python module, sweeps) begins with this.
 */
void new_simulation_context();

}  // namespace fpgallm::sim
