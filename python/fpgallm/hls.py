"""fpgallm.emit_hls(): the Vitis HLS project of a platform + accelerator, as `fpgallm emit-hls` writes it."""
from pathlib import Path

from . import _fpgallm
from .config import load_accel, load_platform
from .resources import resource_path


def emit_hls(accel="configs/accel/paper_gs64_pe8x8.yaml", out="build/hls", platform="configs/platform/kv260.yaml"):
    """Writes the HLS project (kernel, testbench, run_hls.tcl, KV260 block design, A53 driver,
    resource estimate) of `accel` (path, dict or Config) into `out`; returns the written paths.
    A config the kernel cannot express raises ValueError naming the field, before anything is written."""
    p, a = load_platform(platform), load_accel(accel)
    files = _fpgallm.accel_hls.emit_hls(p.data, p.source, a.data, a.source, str(out),
                                        str(resource_path("configs/dse/resource_costs.yaml")))
    return [Path(out) / f for f in files]
