"""fpgallm: simulate FPGA LLM accelerators (Qwen2.5 + AWQ on a KV260) from Python.

    import fpgallm
    r = fpgallm.run("configs/platform/kv260.yaml", "configs/accel/paper_gs64_pe8x8.yaml",
                    "synthetic:qwen2.5-0.5b", prompt_len=64, gen=8, fidelity="fast")
    r.tokens_per_s, r.breakdown, r.stats, r.logits, r.trace_path

Configs load, edit and validate with load_platform / load_accel / load_model_config (ValueError
names the bad field); quantize() writes packed models whose MACRO streams load_packed() exposes as
numpy arrays; fpgallm.plot draws breakdowns, rooflines, Pareto fronts and resource bars.
"""
from . import _fpgallm, plot
from .config import Config, check_soc, load_accel, load_model_config, load_platform, read_yaml
from .quant import PackedModel, compare, load_packed, perplexity, quantize
from .resources import resource_path, resource_root
from .run import RunResult, run

if hasattr(_fpgallm, "dse"):
    from .dse import ExploreResult, explore, hypervolume, sweep
if hasattr(_fpgallm, "accel_hls"):
    from .hls import emit_hls
if hasattr(_fpgallm, "studies"):
    from .studies import validate

__all__ = [
    "Config", "PackedModel", "RunResult", "check_soc", "compare", "load_accel", "load_model_config", "load_packed",
    "load_platform", "perplexity", "plot", "quantize", "read_yaml", "resource_path", "resource_root", "run",
] + (["ExploreResult", "explore", "hypervolume", "sweep"] if hasattr(_fpgallm, "dse") else []) \
  + (["emit_hls"] if hasattr(_fpgallm, "accel_hls") else []) \
  + (["validate"] if hasattr(_fpgallm, "studies") else [])
