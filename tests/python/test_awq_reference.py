"""The C++ AWQ quantizer against an independent numpy implementation of AutoAWQ's search
(awq_ref.py) on a small synthetic Qwen2 model: same calibration blocks, same scales, clips and codes."""
import json
import pathlib
import subprocess

import numpy as np
import pytest

import awq_ref
from safetensors_np import read_safetensors

GROUP = 16          # divides the tiny preset's hidden 64 and intermediate 176
BLOCK = 128         # calibration block (the tiny preset's context is 256)
N_SAMPLES = 24      # samples read; the longer-than-a-block ones among them are skipped
NIBBLE_ORDER = (0, 2, 4, 6, 1, 3, 5, 7)  # AutoAWQ GEMM: nibble k of an int32 holds column 8j + order[k]


def run(fpgallm_bin, *args):
    r = subprocess.run([fpgallm_bin, *map(str, args)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return r


def read_raw_safetensors(path):
    """name -> (dtype, shape, raw bytes), for the int32 tensors the float reader does not convert."""
    blob = pathlib.Path(path).read_bytes()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    data = blob[8 + n:]
    return {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in header.items()}


def unpack_gemm(raw, shape):
    """AutoAWQ GEMM int32 [rows, cols/8] -> codes [rows, cols]."""
    packed = np.frombuffer(raw, dtype="<i4").reshape(shape).view(np.uint32)
    rows, words = packed.shape
    out = np.zeros((rows, words * 8), np.int64)
    for k, col in enumerate(NIBBLE_ORDER):
        out[:, col::8] = (packed >> (4 * k)) & 0xF
    return out


@pytest.fixture(scope="module")
def quantized(fpgallm_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("awqref")
    fp_dir, q_dir = tmp / "fp", tmp / "awq"
    run(fpgallm_bin, "make-checkpoint", "--preset", "tiny", "--dtype", "f32", "--out", fp_dir)
    cfg = json.loads((fp_dir / "config.json").read_text())
    # Samples of varied lengths, some longer than a block (AutoAWQ skips those).
    rng = np.random.default_rng(7)
    samples = [rng.integers(0, cfg["vocab_size"], size=int(n)).tolist()
               for n in rng.integers(20, 180, size=N_SAMPLES + 6)]
    calib = tmp / "calib.txt"
    calib.write_text("\n".join(" ".join(map(str, s)) for s in samples) + "\n")
    run(fpgallm_bin, "quantize", "--model", fp_dir, "--calib-tokens", calib, "--calib-samples", N_SAMPLES,
        "--calib-len", BLOCK, "--group-size", GROUP, "--out", tmp / "awq.fpk", "--autoawq-out", q_dir)
    fp = {}
    for f in sorted(fp_dir.glob("*.safetensors")):
        fp.update(read_safetensors(f)[0])
    raw = {}
    for f in sorted(q_dir.glob("*.safetensors")):
        raw.update(read_raw_safetensors(f))
    blocks = awq_ref.calibration_blocks(samples, N_SAMPLES, BLOCK)
    ref_q, ref_t = awq_ref.quantize_model(fp, cfg, blocks, GROUP)
    return cfg, raw, ref_q, ref_t, blocks


def test_calibration_follows_autoawq_concatenate_and_split(quantized):
    _, _, _, _, blocks = quantized
    assert len(blocks) >= 8 and all(len(b) == BLOCK for b in blocks)


def test_codes_scales_and_zeros_match_the_numpy_autoawq(quantized):
    cfg, raw, ref_q, _, _ = quantized
    total = same_codes = same_scales = same_zeros = n_groups = 0
    for name, (codes, scales, zeros) in ref_q.items():
        _, qshape, qraw = raw[name + ".qweight"]
        got_codes = unpack_gemm(qraw, qshape).T  # [out, in]
        _, zshape, zraw = raw[name + ".qzeros"]
        got_zeros = unpack_gemm(zraw, zshape).T
        sdtype, sshape, sraw = raw[name + ".scales"]
        assert sdtype == "F16"
        got_scales = np.frombuffer(sraw, dtype="<f2").reshape(sshape).astype(np.float32).T
        assert got_codes.shape == codes.shape, name
        total += codes.size
        n_groups += scales.size
        same_codes += int((got_codes == codes).sum())
        same_scales += int((got_scales == scales).sum())
        same_zeros += int((got_zeros == zeros).sum())
    # fp32 sums in different orders can flip a rare near-tie of the clip search or a rounding
    # boundary; anything systematic (grid, clamping, sub-sampling, folding) changes far more.
    assert same_codes / total > 0.998, f"{total - same_codes} of {total} codes differ"
    assert same_scales / n_groups > 0.995, f"{n_groups - same_scales} of {n_groups} scales differ"
    assert same_zeros / n_groups > 0.995, f"{n_groups - same_zeros} of {n_groups} zeros differ"


def test_folded_norms_match_the_numpy_autoawq(quantized):
    _, raw, _, ref_t, _ = quantized
    for name, ref in ref_t.items():
        if not name.endswith("layernorm.weight"):
            continue
        dtype, shape, data = raw[name]
        got = np.frombuffer(data, dtype="<f2" if dtype == "F16" else "<f4").reshape(shape).astype(np.float32)
        np.testing.assert_allclose(got, ref, rtol=2e-3, atol=1e-6, err_msg=name)
