// The PS driver exactly as every emitted project ships it (accel_hls/templates/), compiled into the
// test binary so tests can run Driver::place/linear against fake register blocks.
#include "accel_hls/templates/fpgallm_driver.cpp"
