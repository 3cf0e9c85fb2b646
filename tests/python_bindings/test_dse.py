"""fpgallm.sweep() returns `fpgallm sweep`'s results as a DataFrame; fpgallm.explore() searches a
space too large for the grid with NSGA-II over the same analytic evaluator, beats random sampling
at the same budget (hypervolume of the front) and verifies its finalists in SystemC."""
import pytest
import yaml

import fpgallm
from conftest import ROOT

LARGE = ROOT / "configs" / "sweep" / "explore_large.yaml"
BUDGET = 1000


def spec_without_accuracy(tmp_path, src=LARGE, **overrides):
    """The spec with absolute base paths and no accuracy measurement (keeps the tests quick)."""
    doc = yaml.safe_load(src.read_text())
    sw = doc["sweep"]
    for k in ("platform", "accel"):
        sw["base"][k] = str((src.parent / sw["base"][k]).resolve())
    sw["resources"]["costs"] = str((src.parent / sw["resources"]["costs"]).resolve())
    sw["accuracy"] = {"enabled": False}
    for k, v in overrides.items():
        sw[k] = v
    out = tmp_path / src.name
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    return spec_without_accuracy(tmp_path_factory.mktemp("spec"))


def test_sweep_rows_are_the_analytic_figures_of_each_point(tmp_path):
    small = spec_without_accuracy(tmp_path, axes=[
        {"name": "G", "fields": ["accel.macro.group_size"], "values": [32, 64]},
        {"name": "pe_rows", "fields": ["accel.pe_array.rows", "accel.macro.tile_rows"], "values": [4, 8]}],
        constraints=[], derived={}, finalists={"max": 2, "top_k": 1, "fidelity": "fast", "prompt_len": 4, "gen": 1})
    df = fpgallm.sweep(small, out=tmp_path / "out", jobs=1, progress=False)
    assert len(df) == 4 and {"id", "decode_tps", "score", "pareto"} <= set(df.columns)
    space = fpgallm._fpgallm.dse.Space(str(small), str(tmp_path / "cache"))
    for idx in space.points():
        row = space.evaluate(idx)
        got = df.set_index("id").loc[row["id"]]
        assert got.decode_tps == pytest.approx(row["decode_tps"], rel=1e-6)
        assert got.memory_bytes == pytest.approx(row["memory_bytes"], rel=1e-9)


def test_a_bad_sweep_spec_raises_value_error_naming_the_field(tmp_path):
    bad = spec_without_accuracy(tmp_path, sampling={"mode": "sometimes"})
    with pytest.raises(ValueError, match="mode"):
        fpgallm.explore(bad, budget=4, verify=False, progress=False)
    with pytest.raises(ValueError, match="mode"):
        fpgallm.sweep(bad, out=tmp_path / "o", progress=False)


def test_the_search_space_is_larger_than_the_budget(large, tmp_path):
    space = fpgallm._fpgallm.dse.Space(str(large), str(tmp_path))
    assert space.n_allowed > 40 * BUDGET


def test_nsga2_finds_a_larger_hypervolume_than_random_sampling_at_the_same_budget(large, tmp_path):
    nsga = fpgallm.explore(large, strategy="nsga2", budget=BUDGET, seed=0, verify=False, cache_dir=tmp_path,
                           progress=False)
    rand = fpgallm.explore(large, strategy="random", budget=BUDGET, seed=0, verify=False, cache_dir=tmp_path,
                           progress=False)
    print(f"hypervolume at budget {BUDGET}: nsga2 {nsga.hypervolume:.4f} ({len(nsga.rows)} points, "
          f"{len(nsga.front)} on the front), random {rand.hypervolume:.4f} ({len(rand.rows)} points, "
          f"{len(rand.front)} on the front)")
    assert 0 < rand.hypervolume < nsga.hypervolume
    assert len(nsga.rows) <= BUDGET and nsga.rows.feasible.any()


def test_explore_is_deterministic_for_a_seed(large, tmp_path):
    a = fpgallm.explore(large, budget=40, seed=3, verify=False, cache_dir=tmp_path, progress=False)
    b = fpgallm.explore(large, budget=40, seed=3, verify=False, cache_dir=tmp_path, progress=False)
    assert list(a.rows.id) == list(b.rows.id) and a.hypervolume == b.hypervolume


def test_explore_verifies_the_sweeps_finalists_in_systemc(large, tmp_path):
    """The SystemC rows are the finalists of the sweep's policy (top_k by score, then the front), in
    that order and no more than finalists.max of them."""
    r = fpgallm.explore(large, budget=40, seed=2, verify=True, cache_dir=tmp_path, progress=False)
    space = fpgallm._fpgallm.dse.Space(str(large), str(tmp_path))
    records = [{k: v for k, v in x.items() if v == v} for x in r.rows.to_dict("records")]  # NaN: absent
    rows, finalists = space.rank(records, r.base)
    assert 0 < len(r.verified) <= space.max_finalists
    assert list(r.verified.id) == [rows[i]["id"] for i in finalists]
    assert (r.verified.systemc_decode_tps > 0).all()


def test_explore_runs_as_the_engines_search_strategy_and_writes_the_sweeps_outputs(large, tmp_path, capfd):
    """explore is the sweep engine with Optuna choosing the points: the sweep's outputs in `out`, one
    row per evaluated point in results.csv, and the engine's progress lines naming the sampler."""
    import pandas as pd

    r = fpgallm.explore(large, "nsga2", budget=24, seed=0, verify=False, cache_dir=tmp_path / "acc",
                        out=tmp_path / "out", progress=True)
    assert r.out == str(tmp_path / "out")
    csv = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(csv.id) == list(r.rows.id) and len(csv) <= 24
    assert (tmp_path / "out" / "summary.json").exists() and (tmp_path / "out" / "best.yaml").exists()
    err = capfd.readouterr().err
    assert "NSGA-II (Optuna), budget 24 trials, population 8, seed 0" in err, err


def test_a_search_strategy_written_in_python_drives_the_engine(tmp_path):
    """The engine's SearchStrategy interface from Python: batches asked in turn, each told with its
    rows, the rows in the strategy's order."""
    small = spec_without_accuracy(tmp_path, axes=[
        {"name": "G", "fields": ["accel.macro.group_size"], "values": [32, 64, 128]}], constraints=[], derived={})

    class Backwards(fpgallm._fpgallm.dse.SearchStrategy):
        def __init__(self):
            super().__init__()
            self.todo, self.told = [[[2]], [[1], [0]]], []

        def ask(self):
            return self.todo.pop(0) if self.todo else []

        def tell(self, points, rows):
            self.told.append((points, [row["id"] for row in rows]))

        def describe(self):
            return "backwards"

    o = fpgallm._fpgallm.dse.SweepOptions()
    o.spec_file, o.out, o.systemc = str(small), str(tmp_path / "out"), False
    s = Backwards()
    r = fpgallm._fpgallm.dse.sweep(o, None, s)
    assert [row["id"] for row in r["rows"]] == ["G=128", "G=64", "G=32"]
    assert s.told == [([[2]], ["G=128"]), ([[1], [0]], ["G=64", "G=32"])]


def test_an_unknown_strategy_is_rejected(large):
    with pytest.raises(ValueError, match="strategy must be nsga2 or random"):
        fpgallm.explore(large, strategy="grid", budget=4)


@pytest.mark.long
@pytest.mark.parametrize("budget", [300, 1000, 2000])
def test_hypervolume_table_for_docs(large, tmp_path, budget):
    """The figures of docs/dse.md: NSGA-II vs random sampling, three seeds per budget."""
    for seed in range(3):
        n = fpgallm.explore(large, "nsga2", budget=budget, seed=seed, verify=False, cache_dir=tmp_path, progress=False)
        r = fpgallm.explore(large, "random", budget=budget, seed=seed, verify=False, cache_dir=tmp_path,
                            progress=False)
        print(f"budget {budget} seed {seed}: nsga2 {n.hypervolume:.4f} random {r.hypervolume:.4f}")
        assert n.hypervolume > 0 and r.hypervolume > 0


def test_a_failing_sweep_raises_value_error_naming_the_field_with_progress_on(tmp_path):
    """The sweep runs in this process: the engine's own message, naming the field, not an exit status."""
    bad = spec_without_accuracy(tmp_path, src=ROOT / "configs" / "sweep" / "gs_pe.yaml",
                                finalists={"max": 1, "top_k": 1, "fidelity": "fast", "prompt_len": 0, "gen": 1})
    with pytest.raises(ValueError) as e:
        fpgallm.sweep(bad, out=tmp_path / "o")
    msg = str(e.value)
    assert "prompt_len" in msg and "status" not in msg, msg


def test_sweep_runs_in_process_with_its_progress_on_stderr(tmp_path, capfd, monkeypatch):
    """No `fpgallm sweep` process: with the CLI path broken, the analytic sweep still runs, and its
    stage lines reach sys.stderr."""
    small = spec_without_accuracy(tmp_path, axes=[
        {"name": "G", "fields": ["accel.macro.group_size"], "values": [32, 64]}], constraints=[], derived={})
    monkeypatch.setenv("FPGALLM_CLI", str(tmp_path / "no-such-fpgallm"))
    df = fpgallm.sweep(small, out=tmp_path / "out", systemc=False)
    assert len(df) == 2 and df.feasible.all()
    err = capfd.readouterr().err
    assert "[analytic] 2 points" in err and "sweep " in err, err


def test_explore_picks_finalists_by_the_sweeps_policy(large, tmp_path):
    """explore ranks its rows as the sweep does: every feasible row has a score, the finalists are the
    top_k by score followed by the front, capped at finalists.max."""
    r = fpgallm.explore(large, "random", budget=40, seed=1, verify=False, cache_dir=tmp_path, progress=False)
    feas = r.rows[r.rows.feasible == True]  # noqa: E712 -- pandas column
    assert len(feas) and feas.score.notna().all()
    space = fpgallm._fpgallm.dse.Space(str(large), str(tmp_path))
    records = [{k: v for k, v in x.items() if v == v} for x in r.rows.to_dict("records")]  # NaN: absent
    rows, finalists = space.rank(records, r.base)
    by_score = sorted((i for i, x in enumerate(rows) if x.get("feasible")), key=lambda i: -rows[i]["score"])
    assert finalists[0] == by_score[0]
    assert set(finalists) <= set(by_score) and len(finalists) <= space.max_finalists


def test_explore_of_the_shipped_large_spec_runs_cold_with_accuracy_and_systemc(tmp_path):
    r = fpgallm.explore(LARGE, budget=60, seed=0, verify=True, cache_dir=tmp_path / "acc", progress=False)
    feas = r.rows[r.rows.feasible]
    assert len(feas) and ((feas.accuracy_top1 > 0) & (feas.accuracy_top1 <= 1)).all()
    assert len(r.verified) and (r.verified.systemc_decode_tps > 0).all()
    assert len(list((tmp_path / "acc").glob("*.json"))) >= 1  # measured now, into the empty cache


@pytest.mark.long
def test_explore_of_the_shipped_large_spec_at_the_notebooks_budget(tmp_path):
    r = fpgallm.explore(LARGE, budget=400, seed=0, verify=True, cache_dir=tmp_path / "acc", progress=False)
    assert len(r.front) and len(r.verified)
