"""`fpgallm emit-hls` end to end: the paper config and a sweep-style best.yaml become projects whose
g++ C-simulation reproduces the simulator bit for bit; `fpgallm run` accepts the same best.yaml;
inexpressible configs are refused before anything is written."""
import pathlib
import shutil
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAPER = ROOT / "configs" / "accel" / "paper_gs64_pe8x8.yaml"
TIMEOUT_S = 300
CXX = ["g++", "-std=c++14", "-O1", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror", "-pthread"]


def emit(fpgallm_bin, accel, out, *extra):
    return subprocess.run([fpgallm_bin, "emit-hls", "--accel", str(accel), "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=TIMEOUT_S)


def csim(project):
    build = subprocess.run(CXX + ["fpgallm_top.cpp", "fpgallm_tb.cpp", "-o", "fpgallm_tb"], cwd=project,
                           capture_output=True, text=True, timeout=TIMEOUT_S)
    assert build.returncode == 0, build.stderr
    sets = sorted(str(p) for p in (project / "vectors").iterdir())
    return subprocess.run([str(project / "fpgallm_tb"), *sets], capture_output=True, text=True, timeout=TIMEOUT_S)


def best_yaml(tmp_path):
    """What a sweep writes as best.yaml: an accel config (here G=128, 16x8 PE, 2 channels, fixed64)."""
    cfg = yaml.safe_load(PAPER.read_text())
    a = cfg["accel"]
    a["name"] = "sweep_best_g128_pe16x8_ch2"
    a["pe_array"].update(rows=16, cols=8, accum_type="fixed64", accum_frac_bits=20)
    a["macro"].update(tile_rows=16, group_size=128)
    a["dma"]["channels"] = 2
    path = tmp_path / "best.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not found")
def test_paper_config_project_csim_is_bit_identical_to_the_simulator(fpgallm_bin, tmp_path):
    out = tmp_path / "paper"
    r = emit(fpgallm_bin, PAPER, out, "--vectors", "random", "--tokens", "3")
    assert r.returncode == 0, r.stderr
    assert "vectors/random_40x96_t3: [40 x 96] x 3 tokens from the simulated PE array" in r.stdout
    for f in ["fpgallm_config.h", "fpgallm_top.cpp", "run_hls.tcl", "bd_kv260.tcl", "README.md",
              "resource_estimate.json", "driver/fpgallm_regs.h"]:
        assert (out / f).is_file(), f
    res = csim(out)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "tb: PASS (2 of 2 vector sets bit-identical)" in res.stdout  # the set and vectors/cosim


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not found")
def test_sweep_best_yaml_runs_in_the_simulator_and_emits_a_bit_identical_project(fpgallm_bin, data_dir, tmp_path):
    best = best_yaml(tmp_path)
    d = data_dir / "stories260K"
    run = subprocess.run([fpgallm_bin, "run", "--accel", str(best), "--model", str(d / "stories260K.bin"),
                          "--tokenizer", str(d / "tok512.bin"), "--prompt", "Once", "--gen", "2", "--quiet",
                          "--fidelity", "fast"], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    out = tmp_path / "best"
    r = emit(fpgallm_bin, best, out, "--vectors", "random", "--tokens", "5")
    assert r.returncode == 0, r.stderr
    assert "typedef int64_t accum_t;" in (out / "fpgallm_config.h").read_text()
    res = csim(out)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 differ from the simulator" in res.stdout


def test_inexpressible_config_is_refused_naming_the_field_and_nothing_is_written(fpgallm_bin, tmp_path):
    cfg = yaml.safe_load(PAPER.read_text())
    cfg["accel"]["macro"]["beat_bytes"] = 32  # 256-bit: wider than the KV260's 128-bit HP ports
    bad = tmp_path / "wide.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "never"
    r = emit(fpgallm_bin, bad, out)
    assert r.returncode != 0
    assert "accel.macro.beat_bytes = 32" in r.stderr and "wide.yaml" in r.stderr, r.stderr
    assert not out.exists()


def test_board_options_name_the_app_files_and_size_the_dma_buffer_for_the_given_model(fpgallm_bin, tmp_path):
    out = tmp_path / "tiny"
    r = emit(fpgallm_bin, PAPER, out, "--app", "kv-llm", "--dma-model", "synthetic:tiny", "--dma-call-tokens", "8")
    assert r.returncode == 0, r.stderr
    assert "Kria app 'kv-llm'" in r.stdout and "u-dma-buf of 1 MiB for synthetic:tiny" in r.stdout, r.stdout
    dtsi = (out / "overlay" / "kv-llm.dtsi").read_text()
    assert 'firmware-name = "kv-llm.bit.bin";' in dtsi
    assert "size = <0x0 0x00100000>;" in dtsi  # the tiny model and 8 tokens fit in one MiB
    assert "board/kv-llm.bit" in (out / "overlay" / "kv-llm.bif").read_text()
    bad = emit(fpgallm_bin, PAPER, tmp_path / "never", "--app", "a b")
    assert bad.returncode == 2 and "app name 'a b'" in bad.stderr, bad.stderr
    assert not (tmp_path / "never").exists()
