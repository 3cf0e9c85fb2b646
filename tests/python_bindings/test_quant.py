"""fpgallm.quantize() writes the same packed file as `fpgallm quantize`, and a packed model's
MACRO streams are readable as numpy arrays that decode to the quantized weights."""
import subprocess

import numpy as np
import pytest

import fpgallm
from conftest import STORIES, STORIES_TOK

GROUP = 32


@pytest.fixture(scope="module")
def packed_path(tmp_path_factory):
    out = tmp_path_factory.mktemp("q") / "s.fpk"
    fpgallm.quantize(STORIES, out, method="rtn", group_size=GROUP, progress=False)
    return out


def test_python_and_cli_quantize_write_identical_files(packed_path, fpgallm_bin, tmp_path):
    cli = tmp_path / "cli.fpk"
    r = subprocess.run([fpgallm_bin, "quantize", "--model", str(STORIES), "--method", "rtn", "--group-size",
                        str(GROUP), "--out", str(cli)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert cli.read_bytes() == packed_path.read_bytes()


def test_awq_quantize_calibrates_with_the_tokenizer_next_to_the_model(tmp_path):
    p = fpgallm.quantize(STORIES, tmp_path / "a.fpk", method="awq", group_size=GROUP, calib_samples=16,
                         progress=False)  # AutoAWQ's 512-token blocks from the first 16 documents
    assert p.quantization["method"] == "awq"
    assert p.quantization["tokenizer"] == str(STORIES_TOK)


def test_macro_blocks_are_a_readonly_numpy_view_of_the_stream(packed_path):
    p = fpgallm.load_packed(packed_path)
    names = p.stream_names()
    assert names[0] == "model.layers.0.self_attn.q_proj" and len(names) == 5 * 7
    b = p.blocks("model.layers.0.mlp.down_proj")
    out_f, in_f = p.tensors.set_index("name").loc["model.layers.0.mlp.down_proj.weight", "shape"]
    tiles, groups = -(-out_f // p.layout["tile_rows"]), -(-in_f // GROUP)
    assert b.dtype == np.uint8 and b.shape == (tiles, groups, p.block_bytes)
    assert not b.flags.writeable
    with pytest.raises(ValueError):
        b[0, 0, 0] = 1


def test_unpacked_codes_scales_and_zeros_decode_the_block_bytes(packed_path):
    p = fpgallm.load_packed(packed_path)
    name = "model.layers.1.self_attn.k_proj"
    u = p.unpack(name)
    codes, scales, zeros = u["codes"], u["scales_fp16"], u["zeros"]
    assert codes.max() < 16 and zeros.max() < 16 and scales.dtype == np.float16
    # First block: codes LSB-first, two per byte, then tile_rows fp16 scales (docs/formats.md).
    blk = p.blocks(name)[0, 0]
    rows = p.layout["tile_rows"]
    first = np.stack([blk[: rows * GROUP // 2] & 0xF, blk[: rows * GROUP // 2] >> 4], axis=1).reshape(rows, GROUP)
    assert np.array_equal(first, codes[:rows, :GROUP])
    block_scales = blk[rows * GROUP // 2: rows * GROUP // 2 + 2 * rows].view(np.float16)
    assert np.array_equal(block_scales, scales[:rows, 0])
    w = p.dequantize(name)
    assert w.shape == codes.shape and np.isfinite(w).all() and np.abs(w).max() > 0


def test_bad_quantize_options_and_files_raise_value_error(tmp_path):
    with pytest.raises(ValueError, match="beat_bytes"):
        fpgallm.quantize(STORIES, tmp_path / "x.fpk", method="rtn", beat_bytes=24, progress=False)
    with pytest.raises(ValueError, match="method"):
        fpgallm.quantize(STORIES, tmp_path / "x.fpk", method="gptq", progress=False)
    junk = tmp_path / "junk.fpk"
    junk.write_bytes(b"not a packed model")
    with pytest.raises(ValueError, match="junk.fpk"):
        fpgallm.load_packed(junk)


def test_asking_for_a_linear_that_is_not_there_names_it(packed_path):
    with pytest.raises(ValueError, match="not_a_linear"):
        fpgallm.load_packed(packed_path).blocks("not_a_linear")


def test_a_packed_model_runs_on_an_accelerator_built_for_its_layout(packed_path):
    accel = fpgallm.load_accel().replace(**{"accel.macro.group_size": GROUP})
    r = fpgallm.run(fpgallm.load_platform(), accel, packed_path, tokenizer=STORIES_TOK, prompt="Once", gen=1,
                    fidelity="fast", progress=False)
    assert r.tokens_per_s > 0
