"""fpgallm.emit_hls() writes the same Vitis HLS project as `fpgallm emit-hls`, and refuses an
accelerator the kernel cannot express before writing anything."""
import subprocess

import pytest

import fpgallm
from conftest import PAPER, PLATFORM


def test_python_and_cli_emit_identical_projects(fpgallm_bin, tmp_path):
    files = fpgallm.emit_hls(PAPER, tmp_path / "py", platform=PLATFORM)
    r = subprocess.run([fpgallm_bin, "emit-hls", "--accel", str(PAPER), "--platform", str(PLATFORM), "--out",
                        str(tmp_path / "cli")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert files
    for f in files:
        rel = f.relative_to(tmp_path / "py")
        assert f.read_bytes() == (tmp_path / "cli" / rel).read_bytes(), rel


def test_an_edited_accel_is_emitted_with_its_values(tmp_path):
    a = fpgallm.load_accel(PAPER).replace(**{"accel.pe_array.cols": 16})
    files = fpgallm.emit_hls(a, tmp_path / "p", platform=PLATFORM)
    (config,) = [f for f in files if f.name == "fpgallm_config.h"]
    assert "kPeCols = 16;" in config.read_text() and "kPeRows = 8;" in config.read_text()


def test_an_inexpressible_accel_raises_before_writing(tmp_path):
    a = fpgallm.load_accel(PAPER).replace(**{"accel.macro.beat_bytes": 2})
    with pytest.raises(ValueError):
        fpgallm.emit_hls(a, tmp_path / "x", platform=PLATFORM)
    assert not (tmp_path / "x").exists()
