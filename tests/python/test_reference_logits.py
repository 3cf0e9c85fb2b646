"""The C++ fp32 model's logits against the independent numpy reference in qwen2_ref.py.

Covers q/k/v bias on and off, rotate-half RoPE (Qwen2 checkpoints) and adjacent-pair RoPE
(stories260K), GQA, tied and untied heads, prefill vs token-by-token decode.
"""
import json
import struct
import subprocess

import numpy as np
import pytest

import qwen2_ref
from safetensors_np import SafetensorsError, read_safetensors, write_safetensors

REL_TOL = 1e-4          # C++ fp32 vs float64 reference, per row: max|a-b| / max|b|
PREFILL_DECODE_TOL = 1e-5  # same fp32 arithmetic, only the batching differs
CLI_TIMEOUT_S = 60
# 12 tokens spread over the tiny vocabulary (384), including 0 and the last id.
TINY_PROMPT = [5, 17, 300, 42, 0, 383, 128, 7, 7, 250, 99, 1]
# A BOS-led stories260K prompt (vocab 512).
STORIES_PROMPT = [1, 365, 169, 260, 181, 31, 400, 22, 7, 199, 34, 87]

VARIANTS = {
    "tied_bias": [],
    "untied_bias": ["--untied"],
    "tied_nobias": ["--no-bias"],
}


def run_cli(fpgallm_bin, *args, check=True):
    out = subprocess.run([fpgallm_bin, *map(str, args)], capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
    if check and out.returncode != 0:
        pytest.fail(f"fpgallm {' '.join(map(str, args))} failed ({out.returncode}): {out.stderr}")
    return out


def cli_logits(fpgallm_bin, model, tokens, out, mode):
    run_cli(fpgallm_bin, "logits", "--model", model, "--tokens", " ".join(map(str, tokens)),
            "--out", out, "--mode", mode, "--all")
    a = np.load(out)
    assert a.dtype == np.float32
    return a.astype(np.float64)


def row_rel_err(a, b):
    """Largest per-row error relative to the row's largest reference magnitude."""
    return float(np.max(np.abs(a - b).max(axis=1) / np.abs(b).max(axis=1)))


def assert_matches(cpp, ref, tol, what):
    assert cpp.shape == ref.shape, f"{what}: shape {cpp.shape} vs {ref.shape}"
    err = row_rel_err(cpp, ref)
    print(f"{what}: max row relative error {err:.3e}")
    assert err <= tol, f"{what}: relative error {err:.3e} > {tol}"
    np.testing.assert_array_equal(cpp.argmax(axis=1), ref.argmax(axis=1), err_msg=f"{what}: argmax differs")


def make_tiny(fpgallm_bin, out_dir, seed, extra, dtype="f32"):
    run_cli(fpgallm_bin, "make-checkpoint", "--preset", "tiny", "--seed", seed, "--out", out_dir,
            "--dtype", dtype, *extra)
    return out_dir


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_tiny_qwen2_logits_match_reference(fpgallm_bin, tmp_path, variant):
    seed = 11 + sorted(VARIANTS).index(variant)
    ckpt = make_tiny(fpgallm_bin, tmp_path / "ckpt", seed, VARIANTS[variant])
    ref_model = qwen2_ref.load_hf(ckpt)
    # The checkpoint really is the variant it claims to be.
    names = read_safetensors(ckpt / "model.safetensors")[0].keys()
    assert ("lm_head.weight" in names) == (variant == "untied_bias")
    assert ("model.layers.0.self_attn.q_proj.bias" in names) == (variant != "tied_nobias")
    assert ref_model.tied == (variant != "untied_bias")

    ref = qwen2_ref.forward(ref_model, TINY_PROMPT)
    prefill = cli_logits(fpgallm_bin, ckpt, TINY_PROMPT, tmp_path / "prefill.npy", "prefill")
    decode = cli_logits(fpgallm_bin, ckpt, TINY_PROMPT, tmp_path / "decode.npy", "decode")
    assert_matches(prefill, ref, REL_TOL, f"{variant} prefill vs reference")
    assert_matches(decode, ref, REL_TOL, f"{variant} decode vs reference")
    assert_matches(decode, prefill, PREFILL_DECODE_TOL, f"{variant} decode vs prefill")


def test_bf16_checkpoint_logits_match_reference(fpgallm_bin, tmp_path):
    # bf16 storage (the default) goes through both readers' BF16 -> f32 paths.
    ckpt = make_tiny(fpgallm_bin, tmp_path / "ckpt", 5, [], dtype="bf16")
    header_len = int.from_bytes((ckpt / "model.safetensors").read_bytes()[:8], "little")
    header = json.loads((ckpt / "model.safetensors").read_bytes()[8:8 + header_len])
    assert {v["dtype"] for k, v in header.items() if k != "__metadata__"} == {"BF16"}
    ref = qwen2_ref.forward(qwen2_ref.load_hf(ckpt), TINY_PROMPT)
    cpp = cli_logits(fpgallm_bin, ckpt, TINY_PROMPT, tmp_path / "prefill.npy", "prefill")
    assert_matches(cpp, ref, REL_TOL, "bf16 prefill vs reference")


def test_tiny_preset_exercises_grouped_query_attention(fpgallm_bin, tmp_path):
    ckpt = make_tiny(fpgallm_bin, tmp_path / "ckpt", 3, [])
    cfg = json.loads((ckpt / "config.json").read_text())
    heads, kv_heads = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    assert kv_heads < heads and heads % kv_heads == 0
    m = qwen2_ref.load_hf(ckpt)
    assert m.n_heads // m.n_kv_heads > 1
    assert read_safetensors(ckpt / "model.safetensors")[0]["model.layers.0.self_attn.k_proj.weight"].shape == (
        kv_heads * m.head_dim, cfg["hidden_size"])


def test_stories260k_logits_match_adjacent_pair_reference(fpgallm_bin, data_dir, tmp_path):
    path = data_dir / "stories260K" / "stories260K.bin"
    ref_model = qwen2_ref.load_llama2c(path)
    assert ref_model.rope_layout == qwen2_ref.ADJACENT_PAIRS
    assert ref_model.n_kv_heads < ref_model.n_heads  # stories260K has GQA too (8 / 4)
    ref = qwen2_ref.forward(ref_model, STORIES_PROMPT)
    prefill = cli_logits(fpgallm_bin, path, STORIES_PROMPT, tmp_path / "prefill.npy", "prefill")
    decode = cli_logits(fpgallm_bin, path, STORIES_PROMPT, tmp_path / "decode.npy", "decode")
    assert_matches(prefill, ref, REL_TOL, "stories260K prefill vs reference")
    assert_matches(decode, ref, REL_TOL, "stories260K decode vs reference")


def test_reference_itself_reproduces_the_stories260k_golden_text(data_dir):
    # Validates the reference against an external fact, not against our C++: greedy decoding from
    # BOS must begin with the text llama2.c's run.c prints (shared/data/README.md).
    golden_start = b"Once upon a time, there was a little girl named Lily. She loved to play outside"
    folder = data_dir / "stories260K"
    model = qwen2_ref.load_llama2c(folder / "stories260K.bin")
    blob = (folder / "tok512.bin").read_bytes()
    offset, pieces = 4, []  # int32 max_token_length, then (float32 score, int32 length, bytes) per token
    for _ in range(model.vocab):
        _, length = struct.unpack_from("<fi", blob, offset)
        pieces.append(blob[offset + 8:offset + 8 + length])
        offset += 8 + length
    tokens = [1]
    while len(tokens) < 40:
        tokens.append(int(qwen2_ref.forward(model, tokens)[-1].argmax()))
    text = b"".join(pieces[t] for t in tokens[1:]).lstrip(b" ")  # llama2.c drops the space after BOS
    assert text.startswith(golden_start), text


def test_reference_rope_layouts_differ_only_by_a_permutation():
    # Adjacent pairs (2i, 2i+1) become rotate-half pairs (i, i + d/2) after de-interleaving.
    rng = np.random.default_rng(0)
    d, positions = 16, np.arange(5)
    x = rng.standard_normal((3, positions.size, d))
    perm = np.concatenate([np.arange(0, d, 2), np.arange(1, d, 2)])
    adjacent = qwen2_ref.apply_rope(x, positions, 1e4, qwen2_ref.ADJACENT_PAIRS)
    half = qwen2_ref.apply_rope(x[..., perm], positions, 1e4, qwen2_ref.ROTATE_HALF)
    np.testing.assert_allclose(adjacent[..., perm], half, rtol=0, atol=1e-12)
    # Position 0 is the identity; rotations keep norms.
    np.testing.assert_allclose(adjacent[:, 0], x[:, 0], atol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(adjacent, axis=-1), np.linalg.norm(x, axis=-1), rtol=1e-12)


def test_safetensors_reader_converts_f32_f16_bf16(tmp_path):
    values = np.array([[1.0, -2.5, 0.15625], [65504.0, -0.0, 3.0e-5]], dtype=np.float32)
    path = tmp_path / "t.safetensors"
    write_safetensors(path, {"a": values, "b": values, "c": values}, {"a": "F32", "b": "F16", "c": "BF16"})
    t, _ = read_safetensors(path)
    np.testing.assert_array_equal(t["a"], values)
    np.testing.assert_array_equal(t["b"], values.astype(np.float16).astype(np.float32))
    # bf16 keeps 8 significant bits: relative error at most 2^-9 with round-to-nearest.
    np.testing.assert_allclose(t["c"], values, rtol=2.0 ** -9)
    assert t["c"][0, 1] == -2.5 and t["c"].dtype == np.float32
    # A header claiming more bytes than the file holds is rejected.
    blob = bytearray(path.read_bytes())
    (tmp_path / "short.safetensors").write_bytes(bytes(blob[:-2]))
    with pytest.raises(SafetensorsError):
        read_safetensors(tmp_path / "short.safetensors")


def test_logits_cli_writes_aligned_npy_with_last_row_by_default(fpgallm_bin, data_dir, tmp_path):
    path = data_dir / "stories260K" / "stories260K.bin"
    out = tmp_path / "last.npy"
    run_cli(fpgallm_bin, "logits", "--model", path, "--tokens", "1 365 169", "--out", out)
    blob = out.read_bytes()
    assert blob[:8] == b"\x93NUMPY\x01\x00"
    assert (10 + int.from_bytes(blob[8:10], "little")) % 64 == 0
    last = np.load(out)
    full = cli_logits(fpgallm_bin, path, [1, 365, 169], tmp_path / "all.npy", "prefill")
    assert last.shape == (1, 512)
    np.testing.assert_array_equal(last[0], full[-1].astype(np.float32))


@pytest.mark.parametrize("tokens,needle", [("1 two 3", "('two') is not an integer"),
                                           ("1 512", "outside the model's vocabulary"),
                                           ("1 -4", "outside the model's vocabulary"),
                                           ("  ", "no token ids")])
def test_logits_cli_rejects_bad_token_ids(fpgallm_bin, data_dir, tmp_path, tokens, needle):
    out = run_cli(fpgallm_bin, "logits", "--model", data_dir / "stories260K" / "stories260K.bin",
                  "--tokens", tokens, "--out", tmp_path / "x.npy", check=False)
    assert out.returncode == 2
    assert needle in out.stderr
    assert not (tmp_path / "x.npy").exists()
