"""`fpgallm validate`: the report's sections on a small model, the published comparison on the
full-size shape, and clean rejections."""
import pathlib
import re
import subprocess
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parents[2]
TINY = ROOT / "configs" / "model" / "tiny.yaml"
SMALL_TIMEOUT_S = 120
FULL_TIMEOUT_S = 900


def validate(fpgallm_bin, *args, timeout=SMALL_TIMEOUT_S):
    return subprocess.run([fpgallm_bin, "validate", "--quiet", *args], capture_output=True, text=True,
                          timeout=timeout)


def rows(md, heading):
    """Table rows (lists of cells) of the first table after `heading`."""
    lines = md.splitlines()
    i = next(k for k, l in enumerate(lines) if l.startswith(heading))
    out, started = [], False
    for l in lines[i + 1:]:
        if l.startswith("|"):
            started = True
            cells = [c.strip() for c in l.strip("|").split("|")]
            if not set(cells[0]) <= set("-:"):
                out.append(cells)
        elif started:
            break
    return out[1:]  # without the header


def test_validate_writes_every_section_and_the_tornado_plots_on_a_small_model(fpgallm_bin, tmp_path):
    out = tmp_path / "v" / "validation.md"
    r = validate(fpgallm_bin, "--model", str(TINY), "--out", str(out), "--prompt-len", "4", "--gen", "2",
                 "--param", "ps.clock_mhz", "--param", "ps.software.profiles.python_pynq.driver_call_ns")
    assert r.returncode == 0, r.stderr
    md = out.read_text()
    for h in ("# Validation", "## Calibration", "## Simulated vs published", "## Where a decode step goes",
              "## Sensitivity", "## DDR roofline"):
        assert h in md, h
    # The published figures belong to Qwen2.5-0.5B: a tiny model gets no published column values.
    assert "simulated figures only" in md
    cal = rows(md, "## Calibration")
    assert [c[0] for c in cal] == ["`ps.software.profiles.python_pynq.gemv_efficiency`",
                                   "`ps.software.profiles.python_pynq.driver_call_ns`"]
    # Two varied parameters, each with both designs' rows.
    tornado = rows(md, "### Tornado: paper")
    assert {c[0] for c in tornado} == {"`ps.clock_mhz`", "`ps.software.profiles.python_pynq.driver_call_ns`"}
    # A larger per-call overhead slows the paper design down; the PS clock speeds it up.
    by = {c[0]: c for c in tornado}
    lo, hi = (float(by["`ps.software.profiles.python_pynq.driver_call_ns`"][k].split()[0]) for k in (2, 3))
    assert hi < lo
    lo, hi = (float(by["`ps.clock_mhz`"][k].split()[0]) for k in (2, 3))
    assert hi > lo
    for name in ("validation_tornado_paper.svg", "validation_tornado_baseline.svg"):
        svg = ET.parse(out.parent / name).getroot()
        assert svg.tag.endswith("svg")
        assert len(svg.findall(".//{http://www.w3.org/2000/svg}rect")) >= 1 + 2 * 2
    # The software rows appear in the paper design's breakdown.
    assert "driver_call  SW" in md and "host_loop    SW" in md


def test_validate_rejects_bad_options_with_a_clear_message(fpgallm_bin, tmp_path):
    out = str(tmp_path / "x.md")
    for args, msg in ((["--gen", "0"], "--gen must be >= 1"), (["--fidelity", "exact"], "--fidelity must be"),
                      (["--swing", "1.5"], "--swing must be in (0, 1)")):
        r = validate(fpgallm_bin, "--model", str(TINY), "--out", out, "--no-sensitivity", *args)
        assert r.returncode != 0
        assert msg in r.stderr, r.stderr


def test_validate_full_size_meets_the_fitted_figures_and_reports_every_prediction(fpgallm_bin, tmp_path):
    out = tmp_path / "validation.md"
    r = validate(fpgallm_bin, "--out", str(out), "--no-sensitivity", timeout=FULL_TIMEOUT_S)
    assert r.returncode == 0, r.stderr
    md = out.read_text()
    figs = {c[0]: c for c in rows(md, "## Simulated vs published")}
    for name, published in (("baseline decode tokens/s", 2.8), ("paper decode tokens/s", 5.1)):
        c = figs[name]
        assert "**fitted** (not a prediction)" == c[4]
        assert abs(float(c[1]) - published) <= 0.1 * published, c
    for name in figs:
        if "size" in name:
            assert figs[name][4] == "predicted"
            assert abs(float(re.sub("[%+]", "", figs[name][3]))) < 1.0, figs[name]
    assert "## Score of formula (1)" in md
