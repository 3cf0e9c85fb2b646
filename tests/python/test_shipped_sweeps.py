"""Every shipped sweep spec (configs/sweep/*.yaml) runs end to end as a user runs it, on an empty
output folder and empty caches: the analytic pass, the accuracy measurement of each quantization
setting (stories260K perplexity where the spec asks for it), the SystemC finalists, and a best.yaml
that `fpgallm run` accepts. A spec whose accuracy measurement cannot be made fails before the
analytic pass, naming the field to change."""
import csv
import pathlib
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "configs" / "sweep").glob("*.yaml"))
TIMEOUT_S = 900


def rows(out):
    with open(out / "results.csv") as f:
        return list(csv.DictReader(f))


def test_there_are_shipped_sweeps():
    assert {p.stem for p in SPECS} >= {"gs_pe", "explore_large"}


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_a_shipped_sweep_runs_every_stage_cold(fpgallm_bin, spec, tmp_path):
    out = tmp_path / "out"
    env = {"FPGALLM_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([fpgallm_bin, "sweep", str(spec), "--out", str(out)], capture_output=True, text=True,
                       timeout=TIMEOUT_S, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    doc = yaml.safe_load(spec.read_text())["sweep"]
    acc = doc.get("accuracy", {})
    # Cold: every accuracy setting measured now, none read from a cache.
    line = next(ln for ln in r.stderr.splitlines() if ln.startswith("[accuracy]") and "settings" in ln)
    n = int(line.split()[1])
    assert f"{n} settings ({n} measured now" in line, line
    table = rows(out)
    feasible = [x for x in table if x["feasible"] == "true"]
    assert feasible
    for x in feasible:
        assert 0 < float(x["accuracy_top1"]) <= 1, x["id"]
        if acc.get("stories_model") and x["quant"] != "fp32":
            assert float(x["stories_ppl"]) > 1, x["id"]
    finalists = [x for x in table if x.get("finalist") == "true"]
    assert finalists and all(float(x["systemc_decode_tps"]) > 0 for x in finalists)
    assert not any(x.get("systemc_error") for x in table)
    best = out / "best.yaml"
    run = subprocess.run([fpgallm_bin, "run", "--accel", str(best), "--timing-only", "--fidelity", "fast",
                          "--prompt-len", "4", "--gen", "1"], capture_output=True, text=True, timeout=TIMEOUT_S,
                         env=env)
    assert run.returncode == 0, run.stderr[-2000:]


def awq_spec_with_long_documents(tmp_path):
    """gs_pe with AWQ accuracy on a stories text whose only document is longer than AutoAWQ's 512 tokens."""
    src = ROOT / "configs" / "sweep" / "gs_pe.yaml"
    doc = yaml.safe_load(src.read_text())
    sw = doc["sweep"]
    for k in ("platform", "accel"):
        sw["base"][k] = str((src.parent / sw["base"][k]).resolve())
    sw["resources"]["costs"] = str((src.parent / sw["resources"]["costs"]).resolve())
    acc = sw["accuracy"]
    for k in ("stories_model", "stories_tokenizer"):
        acc[k] = str((src.parent / acc[k]).resolve())
    text = tmp_path / "one_long_story.txt"
    text.write_text(" ".join((ROOT / "configs" / "calib" / "stories260k_eval.txt").read_text().split()))
    acc["stories_text"] = str(text)
    acc["method"] = "awq"
    p = tmp_path / "awq_long.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def test_an_empty_calibration_fails_before_the_analytic_pass_naming_the_field(fpgallm_bin, tmp_path):
    spec = awq_spec_with_long_documents(tmp_path)
    r = subprocess.run([fpgallm_bin, "sweep", str(spec), "--out", str(tmp_path / "out")], capture_output=True,
                       text=True, timeout=TIMEOUT_S)
    assert r.returncode == 2
    assert str(spec) in r.stderr and "sweep.accuracy.eval_seq_len" in r.stderr and "stories_text" in r.stderr
    assert "1 longer samples skipped" in r.stderr
    assert "[analytic]" not in r.stderr  # refused before any point ran


def test_the_stories_calibration_packs_documents_into_eval_seq_len_blocks(fpgallm_bin, tmp_path):
    """AWQ accuracy of gs_pe's stories measurement (documents longer than eval_seq_len, shorter than
    512 tokens) has data: the base point's setting is measured."""
    src = ROOT / "configs" / "sweep" / "gs_pe.yaml"
    doc = yaml.safe_load(src.read_text())
    sw = doc["sweep"]
    for k in ("platform", "accel"):
        sw["base"][k] = str((src.parent / sw["base"][k]).resolve())
    sw["resources"]["costs"] = str((src.parent / sw["resources"]["costs"]).resolve())
    for k in ("stories_model", "stories_tokenizer", "stories_text"):
        sw["accuracy"][k] = str((src.parent / sw["accuracy"][k]).resolve())
    sw["accuracy"]["method"] = "awq"
    sw["axes"] = [{"name": "G", "fields": ["accel.macro.group_size"], "values": [64]}]
    sw["derived"] = {}
    sw["constraints"] = []
    p = tmp_path / "awq.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "out"
    r = subprocess.run([fpgallm_bin, "sweep", str(p), "--out", str(out), "--no-systemc"], capture_output=True,
                       text=True, timeout=TIMEOUT_S)
    assert r.returncode == 0, r.stderr[-3000:]
    (row,) = rows(out)
    assert float(row["stories_ppl"]) > 1
