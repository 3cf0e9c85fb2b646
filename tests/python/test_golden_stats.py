"""Golden end-to-end regression (style rule 10): stories260K, RTN G=64, a 5-token prompt and 3 decode
steps through `fpgallm run` in both fidelities; the stats tree must match tests/golden/ stat for stat.

The simulation is deterministic, so the tolerances only absorb floating-point summation order:
counts, bytes and enums must match exactly, everything else (times, rates, percentages, cycles that
come from time) to a relative 1e-9. A change here means the simulated schedule changed: regenerate the
golden files deliberately, as tests/golden/README.md describes, and say why in the commit."""
import json
import math
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLDEN_DIR = ROOT / "tests" / "golden"
EXACT_UNITS = {"count", "bytes", "enum"}
REL_TOL = 1e-9
ABS_TOL = 1e-12  # for stats whose golden value is 0
MAX_REPORTED = 40


def golden_command(fpgallm_bin, data_dir, fidelity, out):
    """The one command the golden files come from (tests/golden/README.md repeats it)."""
    d = data_dir / "stories260K"
    return [fpgallm_bin, "run",
            "--platform", str(ROOT / "configs" / "platform" / "kv260.yaml"),
            "--accel", str(ROOT / "configs" / "accel" / "paper_gs64_pe8x8.yaml"),
            "--model", str(d / "stories260K.bin"), "--tokenizer", str(d / "tok512.bin"),
            "--quant", "rtn", "--prompt", "Once upon a time", "--gen", "3",
            "--fidelity", fidelity, "--quiet", "--out", str(out)]


def leaves(node, prefix=""):
    out = {}
    for k, v in node.items():
        if isinstance(v, dict) and "value" in v and not isinstance(v["value"], dict):
            out[prefix + k] = v
        else:
            out.update(leaves(v, prefix + k + "."))
    return out


def differences(golden, actual):
    """Human-readable list of every stat that differs beyond its tolerance."""
    g, a = leaves(golden), leaves(actual)
    diffs = [f"missing stat {p}" for p in sorted(set(g) - set(a))]
    diffs += [f"new stat {p}" for p in sorted(set(a) - set(g))]
    for p in sorted(set(g) & set(a)):
        gs, st = g[p], a[p]
        if gs.get("unit") != st.get("unit") or gs.get("desc") != st.get("desc"):
            diffs.append(f"{p}: unit/desc {gs.get('unit')!r}/{gs.get('desc')!r} -> {st.get('unit')!r}/{st.get('desc')!r}")
            continue
        gv, av = gs["value"], st["value"]
        if gs["unit"] in EXACT_UNITS:
            ok = gv == av
        else:
            ok = math.isclose(gv, av, rel_tol=REL_TOL, abs_tol=ABS_TOL)
        if not ok:
            rel = abs(av - gv) / abs(gv) if gv else float("inf")
            diffs.append(f"{p} [{gs['unit']}]: golden {gv!r}, now {av!r} (rel {rel:.3g})")
    return diffs


def test_differences_catches_changes_beyond_tolerance():
    golden = {"ddr": {"requests": {"unit": "count", "value": 10.0}, "busy": {"unit": "ns", "value": 100.0}}}
    same = json.loads(json.dumps(golden))
    assert differences(golden, same) == []
    near = json.loads(json.dumps(golden))
    near["ddr"]["busy"]["value"] = 100.0 * (1 + 1e-12)
    assert differences(golden, near) == []
    off_time = json.loads(json.dumps(golden))
    off_time["ddr"]["busy"]["value"] = 100.0 * (1 + 1e-7)
    assert len(differences(golden, off_time)) == 1
    off_count = json.loads(json.dumps(golden))
    off_count["ddr"]["requests"]["value"] = 11.0
    assert len(differences(golden, off_count)) == 1
    renamed = {"ddr": {"requests": golden["ddr"]["requests"], "busy_ns": golden["ddr"]["busy"]}}
    assert len(differences(golden, renamed)) == 2


@pytest.mark.parametrize("fidelity", ["cycle", "fast"])
def test_stories260k_rtn_g64_stats_match_golden(fpgallm_bin, data_dir, tmp_path, fidelity):
    golden_file = GOLDEN_DIR / f"stories260k_rtn_g64_{fidelity}.json"
    assert golden_file.exists(), f"{golden_file} missing: see tests/golden/README.md"
    r = subprocess.run(golden_command(fpgallm_bin, data_dir, fidelity, tmp_path),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    golden = json.loads(golden_file.read_text())
    actual = json.loads((tmp_path / "stats.json").read_text())
    diffs = differences(golden, actual)
    shown = "\n  ".join(diffs[:MAX_REPORTED])
    more = f"\n  ... and {len(diffs) - MAX_REPORTED} more" if len(diffs) > MAX_REPORTED else ""
    assert not diffs, (f"{len(diffs)} stats differ from {golden_file.name} "
                       f"(regenerate only for a deliberate change, tests/golden/README.md):\n  {shown}{more}")
