"""Independent float64 numpy reference of the Qwen2 decoder (HF transformers semantics) and of the
llama2.c Llama variant, used to check the C++ model's logits.

Written from the model's math, not from the C++ sources:
  x = embed[tokens]
  per layer:  h = rmsnorm(x) * w_in;  q, k, v = h Wq^T + bq, h Wk^T + bk, h Wv^T + bv
              rope(q), rope(k) at absolute positions;  k, v repeated to the query heads (GQA)
              attn = softmax(q k^T / sqrt(head_dim) + causal mask) v;  x += attn Wo^T
              h = rmsnorm(x) * w_post;  x += (silu(h Wg^T) * (h Wu^T)) Wd^T
  logits = rmsnorm(x) * w_final  lm_head^T   (lm_head = embed when tied)
RoPE layouts: HF rotate_half pairs dimension i with i + d/2; llama2.c rotates adjacent pairs
(2i, 2i + 1). Both use the frequency theta^(-2i/d) for pair i.
"""
import json
import pathlib
import struct

import numpy as np

from safetensors_np import read_safetensors

ROTATE_HALF = "rotate_half"
ADJACENT_PAIRS = "adjacent_pairs"

# llama2.c fixes these in run.c; its checkpoint header does not carry them.
LLAMA2C_ROPE_THETA = 10000.0
LLAMA2C_NORM_EPS = 1e-5
LLAMA2C_HEADER_INTS = 7


class RefModel:
    """Config fields plus float64 weight arrays keyed by HF tensor names."""

    def __init__(self, cfg, tensors, rope_layout):
        self.hidden = int(cfg["hidden_size"])
        self.intermediate = int(cfg["intermediate_size"])
        self.n_layers = int(cfg["num_hidden_layers"])
        self.n_heads = int(cfg["num_attention_heads"])
        self.n_kv_heads = int(cfg.get("num_key_value_heads", self.n_heads))
        self.head_dim = int(cfg.get("head_dim") or self.hidden // self.n_heads)
        self.vocab = int(cfg["vocab_size"])
        self.eps = float(cfg.get("rms_norm_eps", 1e-6))
        self.theta = float(cfg.get("rope_theta", 10000.0))
        self.rope_layout = rope_layout
        self.w = {k: np.asarray(v, dtype=np.float64) for k, v in tensors.items()}
        # HF Qwen2Config defaults to untied; the checkpoint's config.json states it explicitly.
        self.tied = bool(cfg.get("tie_word_embeddings", False))
        if not self.tied and "lm_head.weight" not in self.w:
            raise ValueError("untied model without lm_head.weight")

    def lm_head(self):
        return self.w["model.embed_tokens.weight"] if self.tied else self.w["lm_head.weight"]


def load_hf(folder):
    """Reads config.json and model.safetensors (or a sharded index) from a HF folder."""
    folder = pathlib.Path(folder)
    cfg = json.loads((folder / "config.json").read_text())
    index = folder / "model.safetensors.index.json"
    tensors = {}
    if index.exists():
        for shard in sorted(set(json.loads(index.read_text())["weight_map"].values())):
            tensors.update(read_safetensors(folder / shard)[0])
    else:
        tensors = read_safetensors(folder / "model.safetensors")[0]
    return RefModel(cfg, tensors, ROTATE_HALF)


def load_llama2c(path):
    """Reads a llama2.c checkpoint (format in data/README.md) into HF tensor names."""
    blob = pathlib.Path(path).read_bytes()
    dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = struct.unpack_from(
        "<" + "i" * LLAMA2C_HEADER_INTS, blob, 0)
    shared = vocab > 0
    vocab = abs(vocab)
    head = dim // n_heads
    kv_dim = n_kv * head
    floats = np.frombuffer(blob, dtype="<f4", offset=4 * LLAMA2C_HEADER_INTS)
    pos = 0

    def take(*shape):
        nonlocal pos
        n = int(np.prod(shape))
        arr = floats[pos:pos + n].reshape(shape)
        pos += n
        return arr

    t = {"model.embed_tokens.weight": take(vocab, dim)}
    per_layer = [("input_layernorm.weight", (dim,)), ("self_attn.q_proj.weight", (dim, dim)),
                 ("self_attn.k_proj.weight", (kv_dim, dim)), ("self_attn.v_proj.weight", (kv_dim, dim)),
                 ("self_attn.o_proj.weight", (dim, dim)), ("post_attention_layernorm.weight", (dim,)),
                 ("mlp.gate_proj.weight", (hidden, dim)), ("mlp.down_proj.weight", (dim, hidden)),
                 ("mlp.up_proj.weight", (hidden, dim))]
    for suffix, shape in per_layer:  # the file stores each kind for all layers in turn
        for layer in range(n_layers):
            t[f"model.layers.{layer}.{suffix}"] = take(*shape)
    t["model.norm.weight"] = take(dim)
    take(2, seq_len, head // 2)  # legacy RoPE tables, unused
    if not shared:
        t["lm_head.weight"] = take(vocab, dim)
    if pos != floats.size:
        raise ValueError(f"{path}: {floats.size - pos} floats left over after the last tensor")
    cfg = dict(hidden_size=dim, intermediate_size=hidden, num_hidden_layers=n_layers,
               num_attention_heads=n_heads, num_key_value_heads=n_kv, vocab_size=vocab,
               rms_norm_eps=LLAMA2C_NORM_EPS, rope_theta=LLAMA2C_ROPE_THETA, tie_word_embeddings=shared)
    return RefModel(cfg, t, ADJACENT_PAIRS)


def rmsnorm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def rope_angles(positions, head_dim, theta):
    inv_freq = 1.0 / theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    return np.outer(positions.astype(np.float64), inv_freq)  # [seq, head_dim/2]


def apply_rope(x, positions, theta, layout):
    """x: [heads, seq, head_dim]."""
    d = x.shape[-1]
    ang = rope_angles(positions, d, theta)
    if layout == ROTATE_HALF:
        cos = np.cos(np.concatenate([ang, ang], axis=-1))
        sin = np.sin(np.concatenate([ang, ang], axis=-1))
        rotated = np.concatenate([-x[..., d // 2:], x[..., :d // 2]], axis=-1)
        return x * cos + rotated * sin
    if layout == ADJACENT_PAIRS:
        even, odd = x[..., 0::2], x[..., 1::2]
        cos, sin = np.cos(ang), np.sin(ang)
        out = np.empty_like(x)
        out[..., 0::2] = even * cos - odd * sin
        out[..., 1::2] = even * sin + odd * cos
        return out
    raise ValueError(f"unknown rope layout {layout}")


def silu(x):
    return x / (1.0 + np.exp(-x))


def forward(m: RefModel, tokens):
    """Logits [len(tokens), vocab] in float64 for a prompt starting at position 0."""
    tokens = np.asarray(tokens, dtype=np.int64)
    seq = tokens.size
    positions = np.arange(seq)
    w = m.w
    x = w["model.embed_tokens.weight"][tokens]  # [seq, hidden]
    group = m.n_heads // m.n_kv_heads
    causal = np.triu(np.full((seq, seq), -np.inf), k=1)

    def proj(h, name):
        y = h @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    for layer in range(m.n_layers):
        p = f"model.layers.{layer}."
        h = rmsnorm(x, w[p + "input_layernorm.weight"], m.eps)
        q = proj(h, p + "self_attn.q_proj").reshape(seq, m.n_heads, m.head_dim).transpose(1, 0, 2)
        k = proj(h, p + "self_attn.k_proj").reshape(seq, m.n_kv_heads, m.head_dim).transpose(1, 0, 2)
        v = proj(h, p + "self_attn.v_proj").reshape(seq, m.n_kv_heads, m.head_dim).transpose(1, 0, 2)
        q = apply_rope(q, positions, m.theta, m.rope_layout)
        k = apply_rope(k, positions, m.theta, m.rope_layout)
        # repeat_kv: query head j reads kv head j // group.
        k = np.repeat(k, group, axis=0)
        v = np.repeat(v, group, axis=0)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(m.head_dim) + causal
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        probs = scores / scores.sum(axis=-1, keepdims=True)
        attn = (probs @ v).transpose(1, 0, 2).reshape(seq, m.n_heads * m.head_dim)
        x = x + proj(attn, p + "self_attn.o_proj")

        h = rmsnorm(x, w[p + "post_attention_layernorm.weight"], m.eps)
        x = x + proj(silu(proj(h, p + "mlp.gate_proj")) * proj(h, p + "mlp.up_proj"), p + "mlp.down_proj")

    return rmsnorm(x, w["model.norm.weight"], m.eps) @ m.lm_head().T
