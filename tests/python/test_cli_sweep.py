"""`fpgallm sweep` end to end on the tiny model: rows, Pareto set and a best.yaml that `fpgallm run`
accepts; resuming after SIGKILL without losing or repeating a point; clear errors for bad specs;
and the same finalists on a real Dask cluster (scheduler + two workers on 127.0.0.1), one worker
killed mid-sweep."""
import csv
import json
import os
import pathlib
import signal
import socket
import subprocess
import time

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
TIMEOUT_S = 300
# Fields that legitimately differ between two runs of the same point (host time).
HOST_TIME = {"systemc_sim_seconds", "systemc_wall_seconds"}


def write_spec(tmp_path, finalists=3, gen=2, name="tiny_sweep"):
    spec = {"sweep": {
        "name": name,
        "base": {"platform": str(ROOT / "configs/platform/kv260.yaml"),
                 "accel": str(ROOT / "configs/accel/paper_gs64_pe8x8.yaml"),
                 "model": "synthetic:tiny"},
        "workload": {"prompt_len": 8, "gen": 4},
        "axes": [
            {"name": "G", "fields": ["accel.macro.group_size"], "values": [32, 64]},
            {"name": "pe_rows", "fields": ["accel.pe_array.rows", "accel.macro.tile_rows"], "values": [4, 8, 16]},
            {"name": "channels", "fields": ["accel.dma.channels"], "range": {"from": 1, "to": 4, "step": 3}},
            {"name": "lm_head_on_pl", "fields": ["accel.offload.lm_head"], "values": [False, True]},
        ],
        "derived": {"accel.unpacker.codes_per_cycle": "pe_rows * 8"},
        "resources": {"costs": str(ROOT / "configs/dse/resource_costs.yaml")},
        "accuracy": {"model": "synthetic:tiny", "eval_samples": 2, "eval_seq_len": 16},
        "finalists": {"top_k": finalists, "pareto": False, "max": finalists, "fidelity": "fast",
                      "prompt_len": 4, "gen": gen},
    }}
    p = tmp_path / f"{name}.yaml"
    p.write_text(yaml.safe_dump(spec))
    return p


def sweep(fpgallm_bin, spec, out, *extra, check=True):
    r = subprocess.run([fpgallm_bin, "sweep", str(spec), "--out", str(out), "--jobs", "2", "--quiet", *extra],
                       capture_output=True, text=True, timeout=TIMEOUT_S)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def journal(path):
    """Rows of a sweep journal; a line torn by a kill is skipped, as the sweep itself does."""
    rows = []
    for line in pathlib.Path(path).read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            pass
    return rows


def strip_host_time(rows):
    return {r["id"]: {k: v for k, v in r.items() if k not in HOST_TIME} for r in rows}


def test_sweep_writes_every_row_the_pareto_set_and_a_best_yaml_that_run_accepts(fpgallm_bin, tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    r = sweep(fpgallm_bin, spec, out)
    assert "best:" in r.stdout
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * 3 * 2 * 2
    for col in ("id", "G", "pe_rows", "channels", "lm_head_on_pl", "feasible", "reason", "score", "pareto",
                "decode_tps", "prefill_tps", "memory_bytes", "accuracy_top1", "dsp48e2", "bram36", "luts"):
        assert col in rows[0], col
    # The 16-row array with 8 columns needs 16*8*5 + 16*5 = 720 DSPs: fits; every row says why it does not otherwise.
    for row in rows:
        assert (row["feasible"] == "true") == (row["reason"] == ""), row
    pareto = json.loads((out / "pareto.json").read_text())
    assert pareto and all(p["pareto"] for p in pareto)
    finalists = [r for r in json.loads((out / "results.json").read_text()) if r.get("finalist")]
    assert len(finalists) == 3 and all(r["systemc_decode_tps"] > 0 for r in finalists)
    run = subprocess.run([fpgallm_bin, "run", "--accel", str(out / "best.yaml"), "--model", "synthetic:tiny",
                          "--byte-prompt", "--prompt", "hi", "--gen", "1", "--fidelity", "fast", "--quiet"],
                         capture_output=True, text=True, timeout=TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    assert "decode tokens/s" in run.stdout


def test_ddr_bound_finalists_rerun_in_cycle_fidelity_and_best_is_ranked_on_cycle_figures(fpgallm_bin, tmp_path):
    # A threshold of 0 % makes every finalist "DDR-bound": each runs again in cycle fidelity.
    spec = write_spec(tmp_path, finalists=2, name="cycle_rerun")
    d = yaml.safe_load(spec.read_text())
    d["sweep"]["finalists"]["cycle_above_ddr_busy_pct"] = 0
    spec.write_text(yaml.safe_dump(d))
    out = tmp_path / "out"
    r = sweep(fpgallm_bin, spec, out)
    ids = [row["id"] for row in journal(out / "systemc.jsonl")]
    assert "base@cycle" in ids and sum(i.endswith("@cycle") for i in ids) == 3, ids
    rows = json.loads((out / "results.json").read_text())
    finalists = [row for row in rows if row.get("finalist")]
    assert len(finalists) == 2
    for row in finalists:
        assert row["figures_from"] == "cycle", row
        assert row["cycle_decode_tps"] > 0 and row["systemc_decode_tps"] > 0
    # Rows the sweep did not re-run say where their figures came from too.
    assert {row["figures_from"] for row in rows if not row.get("finalist")} <= {"analytic", "fast"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["best_figures_from"] == "cycle" and summary["cycle_reruns"] == 2
    assert "ranked on cycle figures" in r.stdout
    with open(out / "results.csv") as f:
        assert "figures_from" in next(csv.reader(f))
    # Off (> 100 %): nothing re-runs.
    d["sweep"]["finalists"]["cycle_above_ddr_busy_pct"] = 101
    spec.write_text(yaml.safe_dump(d))
    out2 = tmp_path / "out2"
    sweep(fpgallm_bin, spec, out2)
    assert not any(row["id"].endswith("@cycle") for row in journal(out2 / "systemc.jsonl"))
    # A negative threshold is an error naming the field.
    d["sweep"]["finalists"]["cycle_above_ddr_busy_pct"] = -5
    spec.write_text(yaml.safe_dump(d))
    bad = sweep(fpgallm_bin, spec, tmp_path / "out3", check=False)
    assert bad.returncode == 2 and "cycle_above_ddr_busy_pct" in bad.stderr and spec.name in bad.stderr, bad.stderr


def test_a_killed_sweep_resumes_without_losing_or_repeating_a_point(fpgallm_bin, tmp_path):
    spec = write_spec(tmp_path, finalists=6)
    ref = tmp_path / "ref"
    sweep(fpgallm_bin, spec, ref)
    out = tmp_path / "out"
    p = subprocess.Popen([fpgallm_bin, "sweep", str(spec), "--out", str(out), "--jobs", "1", "--quiet"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    sc = out / "systemc.jsonl"
    deadline = time.time() + TIMEOUT_S
    while time.time() < deadline and p.poll() is None and not (sc.exists() and len(journal(sc)) >= 2):
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)  # the sweep and the point it is simulating
    p.wait()
    killed_rows = len(journal(sc)) if sc.exists() else 0
    # A torn line (killed mid-write) is ignored on reload.
    with open(sc, "a") as f:
        f.write('{"id": "G=32 pe_rows=4 chan')
    sweep(fpgallm_bin, spec, out)
    rows = journal(sc)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == 7  # six finalists + the base, once each
    assert killed_rows <= 7
    assert strip_host_time(rows) == strip_host_time(journal(ref / "systemc.jsonl"))
    assert strip_host_time(journal(out / "analytic.jsonl")) == strip_host_time(journal(ref / "analytic.jsonl"))


def test_a_rerun_against_a_changed_spec_is_refused_instead_of_mixing_rows(fpgallm_bin, tmp_path):
    spec = write_spec(tmp_path, finalists=1)
    out = tmp_path / "out"
    sweep(fpgallm_bin, spec, out, "--no-systemc")
    d = yaml.safe_load(spec.read_text())
    d["sweep"]["workload"]["gen"] = 5
    spec.write_text(yaml.safe_dump(d))
    r = sweep(fpgallm_bin, spec, out, "--no-systemc", check=False)
    assert r.returncode == 2 and "different inputs" in r.stderr, r.stderr


def test_a_bad_spec_is_an_error_naming_the_file_and_the_field(fpgallm_bin, tmp_path):
    spec = write_spec(tmp_path)
    d = yaml.safe_load(spec.read_text())
    d["sweep"]["axes"][1]["fields"] = ["accel.pe_array.rowz"]
    spec.write_text(yaml.safe_dump(d))
    r = sweep(fpgallm_bin, spec, tmp_path / "out", check=False)
    assert r.returncode == 2
    assert str(spec) in r.stderr and "rowz" in r.stderr and "sweep.axes[1]" in r.stderr
    assert not (tmp_path / "out" / "analytic.jsonl").exists()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A dask-scheduler and two single-threaded dask-workers on 127.0.0.1, always torn down."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        pytest.skip("python3-distributed is not installed (scripts/setup.sh installs it)")
    port = free_port()
    addr = f"tcp://127.0.0.1:{port}"
    procs = []
    log = open(tmp_path / "dask.log", "w")

    def start(*args):
        p = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True, cwd=tmp_path)
        procs.append(p)
        return p

    try:
        start("dask-scheduler", "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0",
              "--no-show")
        workers = [start("dask-worker", addr, "--nthreads", "1", "--nworkers", "1", "--no-nanny",
                         "--dashboard-address", ":0", "--local-directory", str(tmp_path / f"w{i}"))
                   for i in range(2)]
        # Wait until both workers registered.
        from distributed import Client
        deadline = time.time() + 60
        with Client(addr, timeout=30) as c:
            while len(c.scheduler_info()["workers"]) < 2:
                if time.time() > deadline:
                    pytest.fail("dask workers did not register: " + (tmp_path / "dask.log").read_text()[-2000:])
                time.sleep(0.2)
        yield addr, workers
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        log.close()


def test_dask_cluster_gives_the_local_rows_and_survives_a_worker_killed_mid_sweep(fpgallm_bin, tmp_path, dask_cluster):
    addr, workers = dask_cluster
    spec = write_spec(tmp_path, finalists=8, gen=6)
    local = tmp_path / "local"
    sweep(fpgallm_bin, spec, local)
    out = tmp_path / "dask"
    p = subprocess.Popen([fpgallm_bin, "sweep", str(spec), "--out", str(out), "--scheduler", addr, "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sc = out / "systemc.jsonl"
    deadline = time.time() + TIMEOUT_S
    while time.time() < deadline and p.poll() is None and not (sc.exists() and len(journal(sc)) >= 1):
        time.sleep(0.05)
    os.killpg(workers[0].pid, signal.SIGKILL)  # its running point goes to the other worker
    stdout, stderr = p.communicate(timeout=TIMEOUT_S)
    assert p.returncode == 0, stderr
    rows = journal(sc)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == 9  # eight finalists + the base, none lost, none twice
    assert strip_host_time(rows) == strip_host_time(journal(local / "systemc.jsonl"))
    a = json.loads((out / "results.json").read_text())
    b = json.loads((local / "results.json").read_text())
    assert [{k: v for k, v in r.items() if k not in HOST_TIME} for r in a] == \
           [{k: v for k, v in r.items() if k not in HOST_TIME} for r in b]


def test_an_edited_accuracy_cache_entry_is_discarded_and_measured_again(fpgallm_bin, tmp_path):
    spec = write_spec(tmp_path, finalists=1)
    cache = tmp_path / "acc"
    first = sweep(fpgallm_bin, spec, tmp_path / "a", "--no-systemc", "--cache-dir", str(cache))
    entries = sorted(cache.glob("*.json"))
    assert entries
    entry = json.loads(entries[0].read_text())
    entry["top1"] = 0.999  # a plausible figure, but not the measured one
    entries[0].write_text(json.dumps(entry))
    r = subprocess.run([fpgallm_bin, "sweep", str(spec), "--out", str(tmp_path / "b"), "--no-systemc",
                        "--cache-dir", str(cache)], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if "discarded" in ln]
    assert len(lines) == 1 and entries[0].name in lines[0] and "measuring again" in lines[0], r.stderr
    assert (tmp_path / "a" / "results.csv").read_text() == (tmp_path / "b" / "results.csv").read_text()
    assert first.returncode == 0
