"""`fpgallm quantize` writes MACRO-packed files that `inspect` and `load_model` read back."""
import re
import shutil
import subprocess

import pytest

SMALL_CALIB = ["--calib-samples", "16"]  # AutoAWQ's 512-token blocks from the first 16 documents
TINY_CALIB = ["--calib-blocks", "2", "--calib-len", "64"]  # random ids; the tiny preset's context is 256


def run(fpgallm_bin, *args):
    return subprocess.run([fpgallm_bin, *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def stories(data_dir):
    d = data_dir / "stories260K"
    return d / "stories260K.bin", d / "tok512.bin"


def test_awq_g32_writes_packed_file_with_progress_and_footprint(fpgallm_bin, stories, tmp_path):
    model, tok = stories
    out = tmp_path / "s.fpk"
    r = run(fpgallm_bin, "quantize", "--model", model, "--tokenizer", tok, "--method", "awq", "--group-size", 32,
            *SMALL_CALIB, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "layer 5/5: scale search" in r.stderr
    assert "layer 1/5: clip search" in r.stderr
    for cls in ["int4 weight codes", "scales (fp16)", "zeros (4-bit)", "embeddings (fp16)", "norms + biases (fp16)",
                "MACRO beat padding", "file header", "fp16 baseline"]:
        assert cls in r.stdout, cls
    # 160-byte blocks for G=32, tile_rows 8: 128 code bytes + 16 scale bytes + 4 zero bytes -> 10 beats.
    assert "160-byte blocks" in r.stdout
    size = out.stat().st_size
    assert f"{size:,}" in r.stdout  # the file total row is the real file size

    # Deterministic: the same command writes the same bytes.
    again = tmp_path / "again.fpk"
    r2 = run(fpgallm_bin, "quantize", "--model", model, "--tokenizer", tok, "--method", "awq", "--group-size", 32,
             *SMALL_CALIB, "--out", again)
    assert r2.returncode == 0, r2.stderr
    assert out.read_bytes() == again.read_bytes()

    i = run(fpgallm_bin, "inspect", out)
    assert i.returncode == 0, i.stderr
    assert "footprint by tensor class" in i.stdout
    assert "model.layers.4.mlp.down_proj.weight" in i.stdout and "MACRO" in i.stdout
    assert '"method":"awq"' in i.stdout
    assert re.search(r"digest xxh3_64:[0-9a-f]{16} \(verified\)", i.stdout)
    # One flipped data bit: inspect refuses the file, naming it and the reason.
    bad = bytearray(out.read_bytes())
    bad[len(bad) // 2] ^= 0x01
    out.write_bytes(bytes(bad))
    i = run(fpgallm_bin, "inspect", out)
    assert i.returncode == 2 and str(out) in i.stderr and "digest mismatch" in i.stderr


def test_rtn_g64_pads_the_last_group_and_needs_no_tokenizer(fpgallm_bin, stories, tmp_path):
    model, _ = stories
    out = tmp_path / "rtn.fpk"
    r = run(fpgallm_bin, "quantize", "--model", model, "--method", "rtn", "--group-size", 64, "--out", out)
    assert r.returncode == 0, r.stderr
    i = run(fpgallm_bin, "inspect", out)
    assert i.returncode == 0, i.stderr
    # down_proj [64, 172]: 8 tiles x ceil(172/64) = 3 groups of 288-byte blocks.
    line = next(l for l in i.stdout.splitlines() if l.startswith("model.layers.0.mlp.down_proj.weight"))
    assert line.split()[-1] == str(8 * 3 * 288)


def test_awq_finds_the_llama2c_tokenizer_next_to_the_model(fpgallm_bin, stories, tmp_path):
    model, _ = stories
    r = run(fpgallm_bin, "quantize", "--model", model, "--group-size", 32, *SMALL_CALIB, "--out", tmp_path / "a.fpk")
    assert r.returncode == 0, r.stderr
    assert "tok512.bin" in r.stderr


def test_awq_without_any_tokenizer_is_a_clear_error(fpgallm_bin, stories, tmp_path):
    model, _ = stories
    lonely = tmp_path / "alone" / "model.bin"
    lonely.parent.mkdir()
    shutil.copy(model, lonely)
    r = run(fpgallm_bin, "quantize", "--model", lonely, "--group-size", 32, "--out", tmp_path / "x.fpk")
    assert r.returncode == 2
    assert "--tokenizer" in r.stderr and str(lonely) in r.stderr


def test_synthetic_model_without_tokenizer_calibrates_on_seeded_random_tokens(fpgallm_bin, tmp_path):
    r = run(fpgallm_bin, "quantize", "--model", "synthetic:tiny", "--group-size", 32, *TINY_CALIB,
            "--tile-rows", 4, "--beat-bytes", 32, "--out", tmp_path / "t.fpk")
    assert r.returncode == 0, r.stderr
    assert "random token ids (seed" in r.stderr
    i = run(fpgallm_bin, "inspect", tmp_path / "t.fpk")
    assert '"tile_rows":4' in i.stdout and '"beat_bytes":32' in i.stdout


def test_bad_layout_fails_before_quantizing(fpgallm_bin, stories, tmp_path):
    model, tok = stories
    r = run(fpgallm_bin, "quantize", "--model", model, "--tokenizer", tok, "--beat-bytes", 24, "--out",
            tmp_path / "x.fpk")
    assert r.returncode == 2
    assert "beat_bytes must be a power of two" in r.stderr
    assert "layer" not in r.stderr


def test_inspect_reports_a_truncated_packed_file(fpgallm_bin, stories, tmp_path):
    model, _ = stories
    out = tmp_path / "t.fpk"
    assert run(fpgallm_bin, "quantize", "--model", model, "--method", "rtn", "--out", out).returncode == 0
    data = out.read_bytes()
    out.write_bytes(data[: len(data) - 100])
    r = run(fpgallm_bin, "inspect", out)
    assert r.returncode == 2
    assert "truncated" in r.stderr and str(out) in r.stderr


def test_out_in_a_new_folder_is_created_and_an_unwritable_out_fails_before_quantizing(fpgallm_bin, stories, tmp_path):
    model, tok = stories
    out = tmp_path / "results" / "nested" / "s.fpk"
    r = run(fpgallm_bin, "quantize", "--model", model, "--tokenizer", tok, "--method", "rtn", "--out", out)
    assert r.returncode == 0, r.stderr
    assert out.is_file()
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    r = run(fpgallm_bin, "quantize", "--model", model, "--tokenizer", tok, "--method", "awq", "--out",
            blocker / "s.fpk")
    assert r.returncode == 2
    assert "--out" in r.stderr and "cannot create the folder" in r.stderr
    assert "scale search" not in r.stderr  # refused before the slow part
