"""fpgallm.run(): one prefill + decode on the simulated KV260, as `fpgallm run` does it."""
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from . import _fpgallm
from .config import Config, load_accel, load_model_config, load_platform
from .progress import Bar
from .resources import find_file, resource_path

# The CLI's defaults (apps/fpgallm/cmd_run.cpp), so the same call gives the same run.
DEFAULT_PROMPT = "Give me a short introduction to large language models."
DEFAULT_MODEL = "synthetic:qwen2.5-0.5b"
DEFAULT_RESOURCE_COSTS = "configs/dse/resource_costs.yaml"  # the explorer's LUT/FF/DSP/BRAM/URAM model
DEFAULT_DECODE_STEPS = 8
DEFAULT_TOKENIZER = "data/qwen2.5-tokenizer"
DEFAULT_CALIB = "configs/calib/default.txt"
BYTES_PER_MIB = 1024.0 * 1024.0
BYTES_PER_MB = 1e6


class RunResult:
    """Figures of one simulated run.

    tokens_per_s / prefill_tokens_per_s, footprint (bytes by tensor class) and model_bytes,
    breakdown (DataFrame: op, layer, phase, unit, calls, time_ms, bytes, bandwidth_gbps, macs),
    stats (the statistics tree as nested dicts, equal to the CLI's stats.json), logits (numpy
    [1 + decode steps, vocab]: the prefill's last row, then each decode step), generated and
    prompt token ids, trace_path (Chrome trace JSON, or None).
    """

    def __init__(self, raw, out_dir):
        self._raw = raw
        self.stats = raw["stats"]
        self.logits = raw["logits"]
        self.prompt = list(raw["prompt"])
        self.generated = list(raw["generated"])
        self.footprint = raw["footprint"]
        self.model_bytes = raw["model_bytes"]
        self.model_config = raw["model_config"]
        self.soc = raw["soc"]
        self.wall_seconds = raw["wall_seconds"]
        self.out_dir = Path(out_dir) if out_dir else None
        self.trace_path = self.out_dir / "trace.json" if out_dir else None
        self.breakdown = _breakdown_frame(raw["ledger"])

    # Headline figures --------------------------------------------------------------------------
    @property
    def tokens_per_s(self):
        """Decode tokens per second of simulated time."""
        return self._raw["decode_tokens_per_s"]

    decode_tokens_per_s = tokens_per_s

    @property
    def prefill_tokens_per_s(self):
        return self._raw["prefill_tokens_per_s"]

    @property
    def prefill_ms(self):
        return self._raw["prefill_ns"] / 1e6

    @property
    def decode_ms_per_token(self):
        n = self._raw["decode_tokens"]
        return self._raw["decode_ns"] / 1e6 / n if n else 0.0

    @property
    def model_mib(self):
        return self.model_bytes / BYTES_PER_MIB

    def stat(self, dotted):
        """A statistic's value by dotted path in the tree ("ddr.row_hit_rate"); KeyError when absent."""
        node = self.stats
        parts = dotted.split(".")
        for p in parts[:-1]:
            node = node[p]
        return node[parts[-1]]["value"]

    def by_op(self, phase):
        """The CLI's breakdown table for one phase: ops summed over layers, in issue order."""
        df = self.breakdown[self.breakdown.phase == phase]
        g = df.groupby(["op", "unit"], sort=False, observed=True)[["calls", "time_ms", "bytes", "macs"]].sum()
        g = g[g.calls > 0].copy()
        g["share_pct"] = 100.0 * g.time_ms / g.time_ms.sum() if len(g) else []
        g["bandwidth_gbps"] = np.where(g.time_ms > 0, g.bytes / (g.time_ms * 1e6), 0.0)
        return g.reset_index()

    def summary(self):
        """The headline figures as a one-row-per-figure Series."""
        return pd.Series({
            "prefill tokens/s": self.prefill_tokens_per_s,
            "prefill time (ms)": self.prefill_ms,
            "decode tokens/s": self.tokens_per_s,
            "decode time per token (ms)": self.decode_ms_per_token,
            "model footprint (MiB)": self.model_mib,
            "model footprint (MB)": self.model_bytes / BYTES_PER_MB,
            "DDR row-hit rate (%)": self.stat("ddr.row_hit_rate"),
            "PE utilisation (%)": self.stat("accel.pe_array.utilisation"),
        })

    def __repr__(self):
        a = self.soc["accel"]
        return (f"<RunResult {a['name']} PE {a['pe_rows']}x{a['pe_cols']} {a['fidelity']}: "
                f"prefill {self.prefill_tokens_per_s:.2f} tok/s, decode {self.tokens_per_s:.2f} tok/s, "
                f"model {self.model_mib:.2f} MiB>")


def _breakdown_frame(ledger):
    df = pd.DataFrame(ledger)
    # Categories keep the order ops are issued in (the ledger's order), as the CLI's table does.
    df["op"] = pd.Categorical(df["op"], categories=list(dict.fromkeys(ledger["op"])), ordered=True)
    df["time_ms"] = df["time_ns"] / 1e6
    df["bandwidth_gbps"] = np.where(df["time_ns"] > 0, df["bytes"] / df["time_ns"].where(df["time_ns"] > 0, 1), 0.0)
    return df[["op", "layer", "phase", "unit", "calls", "time_ms", "bytes", "bandwidth_gbps", "macs", "time_ns"]]


def _progress_callback(enabled):
    """Callback for the C++ run: one bar over quantization (layers), one over the simulation
    ((1 + decode steps) x layers); the C++ side calls it with the GIL held."""
    bars = {}

    def cb(stage, step, n_steps, layer, n_layers):
        if stage == "quantize":
            bars.setdefault(stage, Bar(n_layers, "quantize", enabled)).advance_to(layer)
            return
        if "quantize" in bars:
            bars.pop("quantize").close()
        bar = bars.setdefault("simulate", Bar((1 + n_steps) * n_layers, "simulate", enabled))
        done = layer if stage == "prefill" else (1 + step) * n_layers + layer
        where = "prefill" if stage == "prefill" else f"decode {step + 1}/{n_steps}"
        bar.advance_to(done, f"{where} layer {layer}/{n_layers}")

    def close():
        for b in bars.values():
            b.close()

    return cb, close


def run(platform="configs/platform/kv260.yaml", accel="configs/accel/paper_gs64_pe8x8.yaml", model=DEFAULT_MODEL,
        *, prompt=DEFAULT_PROMPT, prompt_len=0, gen=DEFAULT_DECODE_STEPS, fidelity=None, quant="rtn",
        tokenizer=None, byte_prompt=False, seed=0, out=None, trace=False, timing_only=False, progress=True,
        cache_dir=None, no_cache=False):
    """Simulates prefill + `gen` decode steps of `model` on `platform` + `accel`.

    platform/accel: YAML paths, dicts or Config objects. model: "synthetic:<preset>[:seed]", a
    checkpoint path (llama2.c .bin, HF folder, packed .fpk) or a model Config (synthetic weights
    of that shape, `seed`). fidelity: None (the accel config's), "cycle" or "fast". out: folder
    for stats.json, stats.csv and trace.json (as `fpgallm run --out`); trace=True without out
    records into a temporary folder. timing_only: no weights, only placement, traffic and timing
    (same times and stats as the full run, no logits; any model size). progress: True (a tqdm bar), False, or a callable
    progress(stage, step, n_steps, layer, n_layers). cache_dir / no_cache: the cache of quantized
    models, as `fpgallm run --cache-dir / --no-cache` (default $FPGALLM_CACHE_DIR, else
    $XDG_CACHE_HOME/fpgallm or ~/.cache/fpgallm). The GIL is released while simulating; Ctrl-C
    stops the run at the next layer (KeyboardInterrupt). Bad input raises ValueError naming the field.
    """
    p, a = load_platform(platform), load_accel(accel)
    model_cfg = None
    model_spec = ""
    if isinstance(model, Config):
        model_cfg = load_model_config(model)
    elif isinstance(model, dict):
        model_cfg = load_model_config(model)
    elif isinstance(model, (str, Path)):
        model_spec = str(model) if str(model).startswith("synthetic:") else str(find_file(model))
    else:
        raise ValueError(f"model must be a spec string, a path or a model Config (got {type(model).__name__})")
    if out is None and trace:
        out = tempfile.mkdtemp(prefix="fpgallm-run-")
    tok = str(find_file(tokenizer)) if tokenizer else str(resource_path(DEFAULT_TOKENIZER))
    if callable(progress):
        cb, close = progress, (lambda: None)
    else:
        cb, close = _progress_callback(bool(progress))
    o = _fpgallm.sim.RunOptions()
    o.platform, o.platform_source, o.accel, o.accel_source = p.data, p.source, a.data, a.source
    o.model = model_spec
    if model_cfg:
        o.model_config, o.model_source = model_cfg.fields, model_cfg.source
    o.seed = int(seed)
    o.prompt, o.tokenizer, o.byte_prompt, o.prompt_len = prompt, tok, bool(byte_prompt), int(prompt_len)
    o.gen, o.quant, o.calib_file = int(gen), quant, str(resource_path(DEFAULT_CALIB))
    o.fidelity = fidelity or ""
    o.out_dir, o.trace, o.timing_only = str(out) if out else "", bool(trace), bool(timing_only)
    o.cache_dir, o.no_cache = str(cache_dir) if cache_dir else "", bool(no_cache)
    o.progress = cb if progress else None
    o.resource_costs = str(resource_path(DEFAULT_RESOURCE_COSTS))
    try:
        raw = _fpgallm.sim.run(o)
    finally:
        close()
    return RunResult(raw, out)
