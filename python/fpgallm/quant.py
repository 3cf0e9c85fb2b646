"""fpgallm.quantize() and packed-model access: MACRO streams as numpy arrays."""
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from . import _fpgallm
from .progress import Bar
from .resources import find_file, resource_path

DEFAULT_CALIB = "configs/calib/default.txt"
# Calibration sizes, search settings and the random-calibration seed as `fpgallm quantize` has them.
QUANT_DEFAULTS = dict(_fpgallm.models.QUANT_DEFAULTS)
DEFAULT_RANDOM_CALIB_SEED = QUANT_DEFAULTS["calib_seed"]


class PackedModel:
    """A packed-model file (docs/formats.md): header, footprint and each linear's MACRO stream.

    ``blocks(name)`` is the raw stream as uint8 [tiles, groups, block_bytes] (read-only, no copy);
    ``unpack(name)`` decodes it to codes [out, in], float16 scales and zeros [out, groups].
    """

    def __init__(self, path):
        self.path = Path(path)
        self._p = _fpgallm.models.load_packed(str(self.path))
        h = self._p.header
        self.config, self.layout, self.quantization = h["config"], h["layout"], h["quantization"]
        self.footprint, self.block_bytes = h["footprint"], h["block_bytes"]
        self.tensors = pd.DataFrame(h["tensors"])

    def stream_names(self):
        """Linears stored as MACRO streams ("model.layers.0.self_attn.q_proj", ...), in file order."""
        return self._p.stream_names()

    def blocks(self, name) -> np.ndarray:
        return self._p.blocks(name)

    def unpack(self, name):
        return self._p.unpack(name)

    def dequantize(self, name) -> np.ndarray:
        """fp32 weights [out, in] = (code - zero) * scale, as the PE array computes them."""
        u = self.unpack(name)
        g = u["group_size"]
        scales = np.repeat(u["scales_fp16"].astype(np.float32), g, axis=1)[:, :u["codes"].shape[1]]
        zeros = np.repeat(u["zeros"].astype(np.float32), g, axis=1)[:, :u["codes"].shape[1]]
        return (u["codes"].astype(np.float32) - zeros) * scales

    def __repr__(self):
        return f"<PackedModel {self.path} G={self.layout['group_size']} {self.layout['bits']}-bit, " \
               f"{len(self.stream_names())} MACRO streams>"


def load_packed(path):
    return PackedModel(find_file(path))


def quantize(model, out, *, method="awq", group_size=64, bits=4, zero_point=True, quantize_lm_head=False,
             search_scale=True, search_clip=True, calib_samples=None, calib_len=None, calib=None, calib_tokens=None,
             calib_blocks=None, calib_seed=DEFAULT_RANDOM_CALIB_SEED, search_tokens=None, clip_sample_tokens=None,
             rtn_candidate=False, clip_include_max_shrink=False, clip_codes=False, tokenizer=None, tile_rows=8,
             beat_bytes=16, autoawq_out=None, progress=True, verbose=False):
    """Quantizes `model` (llama2.c .bin, HF folder or synthetic:<preset>) with AWQ or RTN, packs it into
    MACRO blocks and writes `out` (what `fpgallm quantize` does, option for option); returns the PackedModel.

    AWQ calibrates as AutoAWQ: up to `calib_samples` documents of `calib` text (default: the shipped
    configs/calib/default.txt) through `tokenizer` (default: one found next to the model), concatenated
    and cut into blocks of `calib_len` tokens; or pre-tokenized `calib_tokens` (one sample of token ids
    a line); a synthetic model without a tokenizer uses `calib_blocks` blocks of random ids seeded by
    `calib_seed`. None means the CLI's default (QUANT_DEFAULTS). `autoawq_out` also writes an AutoAWQ
    GEMM checkpoint folder. The GIL is released while quantizing.
    """
    d = QUANT_DEFAULTS

    def pick(value, key):
        return int(d[key] if value is None else value)

    spec = str(model) if str(model).startswith("synthetic:") else str(find_file(model))
    bar = None

    def on_progress(layer, n_layers, what):
        nonlocal bar
        if bar is None:
            bar = Bar(n_layers, f"{method} quantize", progress)
        bar.advance_to(min(layer, n_layers), what)

    log = (lambda line: print(line, file=sys.stderr)) if verbose else None
    try:
        job = _fpgallm.models.QuantizeJob()
        job.model, job.out = spec, str(out)
        job.autoawq_out = str(autoawq_out) if autoawq_out else ""
        job.calib_file = str(find_file(calib)) if calib else str(resource_path(DEFAULT_CALIB))
        job.calib_tokens = str(find_file(calib_tokens)) if calib_tokens else ""
        job.tokenizer = str(find_file(tokenizer)) if tokenizer else ""
        job.calib_seed, job.calib_blocks = int(calib_seed), pick(calib_blocks, "calib_blocks")
        job.tile_rows, job.beat_bytes = int(tile_rows), int(beat_bytes)
        q = job.options
        q.method, q.group_size, q.bits, q.zero_point = method, int(group_size), int(bits), bool(zero_point)
        q.quantize_lm_head, q.search_scale, q.search_clip = bool(quantize_lm_head), bool(search_scale), bool(search_clip)
        q.calib_samples, q.calib_seq_len = pick(calib_samples, "calib_samples"), pick(calib_len, "calib_len")
        q.search_tokens, q.clip_sample_tokens = pick(search_tokens, "search_tokens"), \
            pick(clip_sample_tokens, "clip_sample_tokens")
        q.rtn_candidate, q.clip_include_max_shrink, q.clip_codes = bool(rtn_candidate), bool(clip_include_max_shrink), \
            bool(clip_codes)
        _fpgallm.models.quantize(job, on_progress, log)
    finally:
        if bar is not None:
            bar.close()
    return PackedModel(out)


DEFAULT_EVAL_TEXT = "configs/calib/stories260k_eval.txt"


def _model_arg(model):
    if isinstance(model, PackedModel):
        return str(model.path)
    return str(model) if str(model).startswith("synthetic:") else str(find_file(model))


def perplexity(model, tokenizer, text=DEFAULT_EVAL_TEXT, ctx=0):
    """Perplexity of `model` (checkpoint path, packed file or PackedModel) over `text` in windows of
    `ctx` tokens (0: min(512, the model's context)), as `fpgallm eval ppl`; returns a dict."""
    ppl, nll, n = _fpgallm.models.perplexity(_model_arg(model), str(find_file(tokenizer)), str(find_file(text)),
                                             int(ctx))
    return {"perplexity": ppl, "nll_mean": nll, "tokens": n}


def compare(reference, quantized, tokenizer, text=DEFAULT_EVAL_TEXT, ctx=0):
    """How far `quantized`'s next-token distributions are from the fp32 `reference` over `text`
    (as `fpgallm eval compare`): mean and max KL (nats), top-1 agreement; returns a dict."""
    kl_mean, kl_max, top1, n = _fpgallm.models.compare(_model_arg(reference), _model_arg(quantized),
                                                       str(find_file(tokenizer)), str(find_file(text)), int(ctx))
    return {"kl_mean": kl_mean, "kl_max": kl_max, "top1_agreement": top1, "positions": n}
