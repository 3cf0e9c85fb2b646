"""fpgallm.validate(): the validation study of `fpgallm validate`, run in-process."""
import subprocess

import pytest

import fpgallm


def test_validate_gives_the_report_the_cli_writes(tmp_path, fpgallm_bin):
    r = fpgallm.validate(sensitivity=False, out=str(tmp_path / "v.md"))
    cli = subprocess.run([fpgallm_bin, "validate", "--no-sensitivity", "--quiet", "--out", str(tmp_path / "v.md")],
                         capture_output=True, text=True, timeout=600)
    assert cli.returncode == 0, cli.stderr
    written = (tmp_path / "v.md").read_text()

    def body(md):  # the first paragraph names the host time, which differs run to run
        return [ln for ln in md.splitlines() if "s of host time" not in ln]

    assert body(r["markdown"]) == body(written)
    assert r["svgs"] == [] and r["refits"] == []
    assert r["paper_decode_tps"] == pytest.approx(5.1, rel=0.01)  # fitted to the published figure
    assert r["simulations"] == 2


def test_validate_names_a_bad_option():
    with pytest.raises(ValueError, match="--swing must be in"):
        fpgallm.validate(swing=1.5)
