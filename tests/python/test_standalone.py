"""A clone stands alone: shipped data, no silent tokenizer fallback, an installed binary that runs
from anywhere, quantized logits, and progress logs that stay readable when stderr is a file."""
import hashlib
import os
import pathlib
import re
import shutil
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TIMEOUT_S = 120


def cli(fpgallm_bin, *args, cwd=None, env=None):
    return subprocess.run([fpgallm_bin, *map(str, args)], capture_output=True, text=True, timeout=TIMEOUT_S,
                          cwd=cwd, env=env)


def stories_run(fpgallm_bin, data_dir, *extra):
    d = data_dir / "stories260K"
    return cli(fpgallm_bin, "run", "--model", d / "stories260K.bin", "--gen", 2, "--fidelity", "fast", *extra)


def test_shipped_data_matches_its_recorded_checksums(data_dir):
    lines = (data_dir / "SHA256SUMS").read_text().splitlines()
    assert len(lines) >= 9
    for line in lines:
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((data_dir / name).read_bytes()).hexdigest() == digest, name
    for folder in ("qwen2.5-tokenizer", "stories260K"):
        assert (data_dir / folder / "LICENSE").is_file()


def test_no_source_file_reaches_outside_the_repository():
    sibling = "../" + "shared"  # spelled apart so that this file does not match itself
    hits = subprocess.run(["git", "grep", "-l", "-F", "-e", sibling, "--", "*.cpp", "*.h", "*.py", "*.sh",
                           "*CMakeLists.txt", "*.cmake", ".ci/*"], cwd=ROOT, capture_output=True, text=True)
    if hits.returncode == 128:
        pytest.skip("not a git checkout")
    assert hits.stdout.strip() == ""


def test_missing_tokenizer_is_an_error_naming_the_path_and_the_fix(fpgallm_bin, data_dir, tmp_path):
    missing = tmp_path / "no-tokenizer"
    r = stories_run(fpgallm_bin, data_dir, "--tokenizer", missing)
    assert r.returncode == 2, r.stderr
    assert str(missing) in r.stderr and "--tokenizer" in r.stderr and "--byte-prompt" in r.stderr
    assert "== Summary ==" not in r.stdout


def test_tokenizer_larger_than_the_vocabulary_is_an_error(fpgallm_bin, data_dir):
    # The default Qwen tokenizer does not fit stories260K's 512-token vocabulary.
    r = stories_run(fpgallm_bin, data_dir)
    assert r.returncode == 2, r.stderr
    assert "qwen2.5-tokenizer" in r.stderr and "vocabulary is 512" in r.stderr


def test_byte_prompt_uses_the_prompt_bytes_only_when_asked(fpgallm_bin, data_dir):
    r = stories_run(fpgallm_bin, data_dir, "--byte-prompt", "--prompt", "abcdefg")
    assert r.returncode == 0, r.stderr
    assert "Prefill: 7 tokens" in r.stdout


def test_installed_binary_runs_from_any_directory(fpgallm_bin, tmp_path):
    build = pathlib.Path(fpgallm_bin).resolve().parents[1]
    prefix = tmp_path / "prefix"
    inst = subprocess.run(["cmake", "--install", str(build), "--prefix", str(prefix)], capture_output=True,
                          text=True, timeout=TIMEOUT_S)
    assert inst.returncode == 0, inst.stderr
    exe = prefix / "bin" / "fpgallm"
    share = prefix / "share" / "fpgallm"
    assert exe.is_file() and (share / "configs" / "platform" / "kv260.yaml").is_file()
    assert (share / "data" / "qwen2.5-tokenizer" / "vocab.json").is_file()
    env = {k: v for k, v in os.environ.items() if k != "FPGALLM_HOME"}
    d = share / "data" / "stories260K"
    r = cli(str(exe), "run", "--model", d / "stories260K.bin", "--tokenizer", d / "tok512.bin", "--gen", 2,
            "--fidelity", "fast", cwd="/", env=env)
    assert r.returncode == 0, r.stderr
    # The default platform and accelerator come from the installed share folder, not the source tree.
    assert str(share / "configs" / "platform" / "kv260.yaml") in r.stderr
    assert "== Summary ==" in r.stdout
    # The installed quantize finds its default calibration text there too.
    q = cli(str(exe), "quantize", "--model", d / "stories260K.bin", "--method", "awq", "--group-size", 32,
            "--calib-samples", 4, "--out", tmp_path / "s.fpk", cwd="/", env=env)
    assert q.returncode == 0, q.stderr
    assert str(share / "configs" / "calib" / "default.txt") in q.stderr


def test_resource_folder_variable_must_hold_configs_and_data(fpgallm_bin, data_dir, tmp_path):
    env = dict(os.environ, FPGALLM_HOME=str(tmp_path))
    d = data_dir / "stories260K"
    r = cli(fpgallm_bin, "run", "--model", d / "stories260K.bin", "--tokenizer", d / "tok512.bin", env=env)
    assert r.returncode == 2
    assert "FPGALLM_HOME" in r.stderr and str(tmp_path) in r.stderr


def test_resource_folder_variable_points_at_another_copy(fpgallm_bin, data_dir, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(ROOT / "configs", home / "configs")
    (home / "data").mkdir()
    env = dict(os.environ, FPGALLM_HOME=str(home))
    d = data_dir / "stories260K"
    r = cli(fpgallm_bin, "run", "--model", d / "stories260K.bin", "--tokenizer", d / "tok512.bin", "--gen", 1,
            "--fidelity", "fast", env=env)
    assert r.returncode == 0, r.stderr
    assert str(home / "configs" / "accel") in r.stderr or "paper_gs64_pe8x8" in r.stderr
    assert str(home / "configs" / "platform" / "kv260.yaml") in r.stderr


@pytest.fixture(scope="module")
def packed_and_autoawq(fpgallm_bin, data_dir, tmp_path_factory):
    # A project-made HF checkpoint of Qwen2 shapes (AutoAWQ packs 8 output columns per int32).
    tmp = tmp_path_factory.mktemp("quant")
    r = cli(fpgallm_bin, "make-checkpoint", "--preset", "tiny", "--out", tmp / "hf")
    assert r.returncode == 0, r.stderr
    r = cli(fpgallm_bin, "quantize", "--model", tmp / "hf", "--method", "rtn", "--group-size", 16,
            "--out", tmp / "s.fpk", "--autoawq-out", tmp / "awq")
    assert r.returncode == 0, r.stderr
    return tmp / "hf", tmp / "s.fpk", tmp / "awq"


def logits(fpgallm_bin, model, out, *extra):
    r = cli(fpgallm_bin, "logits", "--model", model, "--tokens", "1 303 307 261 378", "--out", out, *extra)
    return r, (np.load(out) if r.returncode == 0 else None)


def test_logits_of_quantized_models_run_on_the_awq_backend(fpgallm_bin, packed_and_autoawq, tmp_path):
    hf, packed, autoawq = packed_and_autoawq
    _, ref = logits(fpgallm_bin, hf, tmp_path / "fp32.npy")
    r1, from_packed = logits(fpgallm_bin, packed, tmp_path / "packed.npy")
    r2, from_autoawq = logits(fpgallm_bin, autoawq, tmp_path / "autoawq.npy")
    assert r1.returncode == 0, r1.stderr
    assert r2.returncode == 0, r2.stderr
    assert from_packed.shape == ref.shape == (1, 384)
    # Same quantized weights through two file formats: the same logits bit for bit.
    assert np.array_equal(from_packed, from_autoawq)
    # 4-bit weights move the logits, but not far from fp32.
    assert not np.array_equal(from_packed, ref)
    assert np.corrcoef(from_packed[0], ref[0])[0, 1] > 0.8


def test_fp32_backend_on_a_quantized_model_is_an_error(fpgallm_bin, packed_and_autoawq, tmp_path):
    _, packed, _ = packed_and_autoawq
    r, _ = logits(fpgallm_bin, packed, tmp_path / "x.npy", "--backend", "fp32")
    assert r.returncode == 2
    assert "quantized" in r.stderr and "--backend awq" in r.stderr


def test_progress_prints_whole_lines_when_stderr_is_not_a_terminal(fpgallm_bin, data_dir):
    d = data_dir / "stories260K"
    r = cli(fpgallm_bin, "run", "--model", d / "stories260K.bin", "--tokenizer", d / "tok512.bin", "--gen", 20,
            "--fidelity", "cycle")
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stderr
    # 20 decode steps x 5 layers of progress updates collapse to a few lines (one every few seconds).
    assert len(r.stderr.splitlines()) < 12, r.stderr
    assert re.search(r"simulated in [0-9.]+ s of host time", r.stderr)


@pytest.mark.long
def test_default_run_encodes_the_prompt_with_the_qwen_tokenizer(fpgallm_bin):
    r = subprocess.run([fpgallm_bin, "run", "--gen", 1, "--fidelity", "fast"], capture_output=True, text=True,
                       timeout=600, cwd="/")
    assert r.returncode == 0, r.stderr
    # "Give me a short introduction to large language models." is 10 Qwen2.5 tokens.
    assert "Prefill: 10 tokens" in r.stdout
