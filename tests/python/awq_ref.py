"""Independent numpy implementation of AutoAWQ's quantizer (AwqQuantizer, GEMM, w_bit 4,
zero_point, duo_scaling), written from the algorithm's description to check the C++ quantizer.

Algorithm (AutoAWQ, facts only):
  calibration  samples longer than the block are skipped, the first n_samples are concatenated and
               cut into blocks of block_len tokens; the remainder is dropped
  per layer    inputs of every linear are captured running the layer with its original weights; the
               layer's output (original weights) is the next layer's input
  scale search per group (q,k,v | o when v_proj and o_proj have the same shape | gate,up | down):
               w_mean = mean over rows of |w| / (group max |w| + 1e-6) of the group's linears
               x_mean = mean |x| over all calibration tokens
               for ratio in 0, 1/20, ..., 19/20: s = clamp(x_mean^r / (w_mean^(1-r) + 1e-4), min 1e-4),
               s /= sqrt(max s * min s); weights W s -> pseudo-quantize -> / s; loss = MSE of the
               inspected module's output (self_attn, o_proj, mlp, down_proj) against the original;
               the first ratio with the smallest loss wins. Scales fold into the previous op and
               divide the captured inputs.
  clip search  for v, o, gate, up, down (not q, k): tokens input[::max(1, T // 512)]; per (row, group)
               for i in range(int(0.5 * 20)): c = max|w| * (1 - i/20), w' = clamp(w, -c, c),
               err = mean over tokens of (x·(Q(w') - w))²; the first smallest error wins (strict <);
               the weights are then clamped to [-c, c]
  quantize     scale = max(max - min, 1e-5) / 15, zero = clamp(-round(min / scale), 0, 15),
               q = clamp(round(w / scale) + zero, 0, 15), round half to even
Arithmetic: float32 with the scale rounded to fp16, as the C++ quantizer (AutoAWQ itself runs in the
model's fp16; docs/quantization.md lists this deviation).
"""
import numpy as np

N_GRID = 20
MAX_SHRINK = 0.5
N_SAMPLE_TOKEN = 512
MIN_RANGE = 1e-5
W_MEAN_EPS = 1e-6
SCALE_EPS = 1e-4
F32 = np.float32


def calibration_blocks(samples, n_samples, block_len):
    kept = []
    for s in samples:
        if len(kept) == n_samples:
            break
        if len(s) > block_len or len(s) == 0:
            continue
        kept.append(list(s))
    cat = [t for s in kept for t in s]
    n = len(cat) // block_len
    return [cat[i * block_len:(i + 1) * block_len] for i in range(n)]


def pseudo_quantize(w, group, bits=4):
    """Returns (dequantized w, codes, scales, zeros) with per-(row, group) scales and zeros."""
    rows, cols = w.shape
    g = w.reshape(-1, group).astype(F32)
    max_int = 2 ** bits - 1
    mx, mn = g.max(axis=1, keepdims=True), g.min(axis=1, keepdims=True)
    scales = (np.maximum(mx - mn, F32(MIN_RANGE)) / F32(max_int)).astype(np.float16).astype(F32)
    zeros = np.clip(-np.round(mn / scales), 0, max_int).astype(F32)
    codes = np.clip(np.round(g / scales) + zeros, 0, max_int).astype(F32)
    deq = ((codes - zeros) * scales).astype(F32)
    return (deq.reshape(rows, cols), codes.reshape(rows, cols).astype(np.int64),
            scales.reshape(rows, cols // group), zeros.reshape(rows, cols // group).astype(np.int64))


def rmsnorm(x, w, eps):
    x = x.astype(F32)
    return (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + F32(eps)) * w).astype(F32)


def rope(x, theta):
    """x [seq, heads, d], rotate_half (HF Qwen2), positions 0..seq-1."""
    seq, _, d = x.shape
    inv = 1.0 / theta ** (np.arange(0, d, 2, dtype=np.float64) / d)
    ang = np.outer(np.arange(seq, dtype=np.float64), inv)
    cos = np.cos(np.concatenate([ang, ang], -1))[:, None, :]
    sin = np.sin(np.concatenate([ang, ang], -1))[:, None, :]
    rot = np.concatenate([-x[..., d // 2:], x[..., :d // 2]], -1)
    return (x * cos + rot * sin).astype(F32)


class Layer:
    def __init__(self, w, p, cfg):
        self.cfg = cfg
        self.w = {k[len(p):]: v.astype(F32).copy() for k, v in w.items() if k.startswith(p)}

    def lin(self, x, name, weight=None):
        wt = self.w[name + ".weight"] if weight is None else weight
        y = (x @ wt.T).astype(F32)
        b = self.w.get(name + ".bias")
        return y + b if b is not None else y

    def attention(self, x, blocks, wq=None, wk=None, wv=None):
        """Attention block output (o_proj included) and o_proj's input, per causal block."""
        c = self.cfg
        H, nh, nkv, hd = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        q = self.lin(x, "self_attn.q_proj", wq)
        k = self.lin(x, "self_attn.k_proj", wk)
        v = self.lin(x, "self_attn.v_proj", wv)
        att = np.zeros((x.shape[0], nh * hd), F32)
        for b0, n in blocks:
            qb = rope(q[b0:b0 + n].reshape(n, nh, hd), c["rope_theta"])
            kb = rope(k[b0:b0 + n].reshape(n, nkv, hd), c["rope_theta"])
            vb = v[b0:b0 + n].reshape(n, nkv, hd)
            rep = nh // nkv
            kb, vb = np.repeat(kb, rep, axis=1), np.repeat(vb, rep, axis=1)
            s = np.einsum("qhd,khd->hqk", qb, kb) / np.sqrt(F32(hd))
            s = s + np.triu(np.full((n, n), -np.inf, F32), 1)
            s = np.exp(s - s.max(-1, keepdims=True))
            p = s / s.sum(-1, keepdims=True)
            att[b0:b0 + n] = np.einsum("hqk,khd->qhd", p, vb).reshape(n, nh * hd)
        return self.lin(att, "self_attn.o_proj"), att

    def mlp(self, x, wg=None, wu=None):
        g, u = self.lin(x, "mlp.gate_proj", wg), self.lin(x, "mlp.up_proj", wu)
        act = (g / (1 + np.exp(-g)) * u).astype(F32)
        return self.lin(act, "mlp.down_proj"), act

    def forward(self, x, blocks):
        eps = self.cfg["rms_norm_eps"]
        feats = {}
        feats["qkv"] = rmsnorm(x, self.w["input_layernorm.weight"], eps)
        o, feats["o"] = self.attention(feats["qkv"], blocks)
        x = x + o
        feats["mlp"] = rmsnorm(x, self.w["post_attention_layernorm.weight"], eps)
        d, feats["down"] = self.mlp(feats["mlp"])
        return x + d, feats


def best_scales(weights, x, block, group):
    w = np.concatenate(weights, 0)
    a = np.abs(w).reshape(-1, group)
    w_mean = (a / (a.max(axis=1, keepdims=True) + F32(W_MEAN_EPS))).reshape(w.shape).mean(0).astype(F32)
    x_mean = np.abs(x).astype(np.float64).mean(0).astype(F32)
    ref = block(None)
    best, best_err = None, np.inf
    for i in range(N_GRID):
        r = i / N_GRID
        s = (x_mean ** F32(r) / (w_mean ** F32(1 - r) + F32(SCALE_EPS))).astype(F32)
        s = np.maximum(s, F32(SCALE_EPS))
        s = (s / np.sqrt(s.max() * s.min())).astype(F32)
        s[~np.isfinite(s)] = 1
        wq = [(pseudo_quantize(wk * s, group)[0] / s).astype(F32) for wk in weights]
        err = np.mean((block(wq).astype(np.float64) - ref) ** 2)
        if err < best_err:
            best, best_err = s, err
    return best


def best_clip(w, x, group):
    step = max(1, x.shape[0] // N_SAMPLE_TOKEN)
    xs = x[::step].reshape(x.shape[0] // step + (x.shape[0] % step > 0), -1, group).astype(np.float64)
    rows = w.shape[0]
    wg = w.reshape(rows, -1, group)
    org_max = np.abs(wg).max(-1, keepdims=True)
    org_out = np.einsum("tgk,rgk->trg", xs, wg.astype(np.float64))
    best = org_max.copy()
    min_err = np.full(org_max.shape, 1e9)
    for i in range(int(MAX_SHRINK * N_GRID)):
        mx = (org_max * F32(1 - i / N_GRID)).astype(F32)
        cur = np.clip(wg, -mx, mx)
        q = pseudo_quantize(cur.reshape(rows, -1), group)[0].reshape(wg.shape)
        err = ((np.einsum("tgk,rgk->trg", xs, q.astype(np.float64)) - org_out) ** 2).mean(0)[..., None]
        better = err < min_err
        min_err[better] = err[better]
        best[better] = mx[better]
    return np.clip(wg, -best, best).reshape(w.shape).astype(F32)


def quantize_model(tensors, cfg, blocks_tokens, group):
    """AutoAWQ on an fp32 HF model. Returns {linear name: (codes, scales, zeros)} and the folded
    fp32 tensors (norms, biases) by HF name."""
    c = dict(cfg)
    c.setdefault("head_dim", c["hidden_size"] // c["num_attention_heads"])
    emb = tensors["model.embed_tokens.weight"].astype(F32)
    tokens = np.concatenate([np.asarray(b) for b in blocks_tokens])
    spans = [(i * len(blocks_tokens[0]), len(blocks_tokens[0])) for i in range(len(blocks_tokens))]
    x = emb[tokens]
    out_q, out_t = {}, {}
    for li in range(c["num_hidden_layers"]):
        p = f"model.layers.{li}."
        L = Layer(tensors, p, c)
        x_next, f = L.forward(x, spans)
        W = L.w
        s_qkv = best_scales([W["self_attn.q_proj.weight"], W["self_attn.k_proj.weight"], W["self_attn.v_proj.weight"]],
                            f["qkv"], lambda wq: L.attention(f["qkv"], spans, *(wq or [None] * 3))[0], group)
        s_o = None
        if W["self_attn.v_proj.weight"].shape == W["self_attn.o_proj.weight"].shape:
            s_o = best_scales([W["self_attn.o_proj.weight"]], f["o"],
                              lambda wq: L.lin(f["o"], "self_attn.o_proj", wq[0] if wq else None), group)
        s_mlp = best_scales([W["mlp.gate_proj.weight"], W["mlp.up_proj.weight"]], f["mlp"],
                            lambda wq: L.mlp(f["mlp"], *(wq or [None] * 2))[0], group)
        s_down = best_scales([W["mlp.down_proj.weight"]], f["down"],
                             lambda wq: L.lin(f["down"], "mlp.down_proj", wq[0] if wq else None), group)
        # fold
        W["input_layernorm.weight"] = W["input_layernorm.weight"] / s_qkv
        for n in ("q", "k", "v"):
            W[f"self_attn.{n}_proj.weight"] = W[f"self_attn.{n}_proj.weight"] * s_qkv
        f["qkv"] = f["qkv"] / s_qkv
        if s_o is not None:
            W["self_attn.v_proj.weight"] = W["self_attn.v_proj.weight"] / s_o[:, None]
            if "self_attn.v_proj.bias" in W:
                W["self_attn.v_proj.bias"] = W["self_attn.v_proj.bias"] / s_o
            W["self_attn.o_proj.weight"] = W["self_attn.o_proj.weight"] * s_o
            f["o"] = f["o"] / s_o
        W["post_attention_layernorm.weight"] = W["post_attention_layernorm.weight"] / s_mlp
        W["mlp.gate_proj.weight"] = W["mlp.gate_proj.weight"] * s_mlp
        W["mlp.up_proj.weight"] = W["mlp.up_proj.weight"] * s_mlp
        f["mlp"] = f["mlp"] / s_mlp
        W["mlp.up_proj.weight"] = W["mlp.up_proj.weight"] / s_down[:, None]
        W["mlp.down_proj.weight"] = W["mlp.down_proj.weight"] * s_down
        f["down"] = f["down"] / s_down
        # clip (not q, k), then quantize every linear
        feat_of = {"self_attn.v_proj": "qkv", "self_attn.o_proj": "o", "mlp.gate_proj": "mlp",
                   "mlp.up_proj": "mlp", "mlp.down_proj": "down"}
        for name, feat in feat_of.items():
            W[name + ".weight"] = best_clip(W[name + ".weight"], f[feat], group)
        for name in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                     "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"):
            _, codes, scales, zeros = pseudo_quantize(W[name + ".weight"], group)
            out_q[p + name] = (codes, scales, zeros)
        for k, v in W.items():
            if not k.endswith("proj.weight"):
                out_t[p + k] = v
        x = x_next
    return out_q, out_t
