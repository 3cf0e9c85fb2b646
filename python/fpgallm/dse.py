"""Design-space exploration from Python: fpgallm.sweep() (the sweep engine, in this process) and
fpgallm.explore() (Optuna's NSGA-II over the same analytic evaluator, ranked and cut to finalists
by the sweep's own rules, SystemC on the finalists)."""
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from . import _fpgallm, _paths
from .progress import Bar, Lines
from .resources import find_file

# The five objectives the sweep's Pareto front uses (dse/Score.h), with their directions.
OBJECTIVES = {"decode_tps": "max", "prefill_tps": "max", "memory_bytes": "min", "accuracy_top1": "max",
              "max_utilisation": "min"}


def non_dominated(pts):
    """Boolean mask of the rows of `pts` (objectives, all minimised) no other row dominates: the C++
    sweep's dominance test (dse/Score.h), so the sweep, explore and the plots agree."""
    pts = np.asarray(pts, dtype=float)
    if len(pts) == 0:
        return np.zeros(0, dtype=bool)
    return np.array(_fpgallm.dse.non_dominated(pts.tolist()), dtype=bool)


def cli_path():
    """The fpgallm CLI this package was built with (or installed beside): its `sweep-point` simulates
    each finalist in a process of its own (SystemC elaborates once per process)."""
    return os.environ.get("FPGALLM_CLI", _paths.CLI)


def sweep(spec, out=None, jobs=None, systemc=True, progress=True, cache_dir=None, scheduler=None):
    """Runs a sweep spec in this process, as `fpgallm sweep SPEC --out OUT` does (dse/Engine.h), and
    returns its results.csv as a DataFrame (one row per point: axes, analytic figures, resources,
    accuracy, score, pareto, finalist, SystemC figures). A bad spec raises ValueError naming the field."""
    out = Path(out) if out else Path(tempfile.mkdtemp(prefix="fpgallm-sweep-"))
    o = _fpgallm.dse.SweepOptions()
    o.spec_file = str(find_file(spec))
    o.out = str(out)
    o.worker_exe = cli_path()
    o.jobs = int(jobs or 0)
    o.systemc = bool(systemc)
    o.quiet = not progress
    o.cache_dir = str(cache_dir or "")
    o.scheduler = str(scheduler or "")
    _fpgallm.dse.sweep(o, Lines() if progress else None)
    df = pd.read_csv(out / "results.csv")
    df.attrs["out"] = str(out)
    return df


def _objective_vector(row, objectives):
    return [float(row.get(k, 0.0) or 0.0) for k in objectives]


def _normalised(rows, base, objectives):
    """Objective vectors as ratios to the base design, all to be minimised (for hypervolume)."""
    out = []
    for r in rows:
        v = []
        for k, d in objectives.items():
            # Utilisation is already a fraction of the device; the others are ratios to the base design.
            b = 1.0 if k in ABSOLUTE else (float(base.get(k) or 0.0) or 1.0)
            x = float(r.get(k) or 0.0) / b
            v.append(-x if d == "max" else x)
        out.append(v)
    return np.array(out, dtype=float)


ABSOLUTE = {"max_utilisation"}
# Reference point of the hypervolume in base-relative, minimised units: a design counts when it
# beats 0 on the maximised objectives, needs under 4x the base's DDR footprint and fits the device.
HV_REFERENCE = {"decode_tps": 0.0, "prefill_tps": 0.0, "memory_bytes": 4.0, "accuracy_top1": 0.0,
                "max_utilisation": 1.0}


def hypervolume(rows, base, objectives=OBJECTIVES):
    """Hypervolume of the non-dominated feasible rows, objectives as ratios to `base` (HV_REFERENCE)."""
    from optuna._hypervolume import WFG

    feasible = [r for r in rows if r.get("feasible")]
    if not feasible:
        return 0.0
    pts = _normalised(feasible, base, objectives)
    ref = np.array([-HV_REFERENCE[k] if d == "max" else HV_REFERENCE[k] for k, d in objectives.items()])
    pts = pts[np.all(pts < ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    front = pts[non_dominated(pts)]
    return float(WFG().compute(front, ref))


class ExploreResult:
    """Rows of every evaluated point (DataFrame), the Pareto front among them, its hypervolume,
    and the SystemC verification of the finalists."""

    def __init__(self, rows, base, front_ids, verified, strategy, budget, objectives):
        self.rows = pd.DataFrame(rows)
        self.base = base
        self.front = self.rows[self.rows.id.isin(front_ids)].copy() if len(self.rows) else self.rows
        self.verified = pd.DataFrame(verified)
        self.strategy, self.budget = strategy, budget
        self.objectives = objectives
        self.hypervolume = hypervolume(rows, base, objectives)

    def __repr__(self):
        return (f"<ExploreResult {self.strategy}: {len(self.rows)} points evaluated (budget {self.budget}), "
                f"{len(self.front)} on the front, hypervolume {self.hypervolume:.4f}, "
                f"{len(self.verified)} verified in SystemC>")


def explore(spec, strategy="nsga2", budget=200, seed=0, verify=True, population=None, cache_dir=None,
            progress=True):
    """Searches a sweep spec's space beyond the grid: `budget` analytic evaluations chosen by
    Optuna's NSGA-II (strategy "nsga2") or uniformly at random ("random"), maximising decode and
    prefill tokens/s and accuracy while minimising DDR footprint and the largest PL utilisation;
    infeasible points (resources, constraints) are constraint violations. The evaluated points are
    then ranked as the sweep ranks them (score, Pareto front) and its finalists (the spec's top_k by
    score, then the front, capped at finalists.max) simulated in SystemC.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec_path = find_file(spec)
    cache = cache_dir or Path(tempfile.gettempdir()) / "fpgallm-accuracy-cache"
    space = _fpgallm.dse.Space(str(spec_path), str(cache))
    axes = space.axes
    # Accuracy is an objective only when the spec measures it.
    objectives = {k: d for k, d in OBJECTIVES.items() if k != "accuracy_top1" or space.accuracy_enabled}
    base = space.evaluate_base()
    rows, seen = [], {}

    def objective(trial):
        idx = [trial.suggest_categorical(name, list(range(len(values)))) for name, values in axes]
        key = tuple(idx)
        if not space.allowed(idx):
            row = {"id": "constraint", "feasible": False}
        elif key in seen:
            row = seen[key]
        else:
            row = space.evaluate(idx)
            row["index"] = list(idx)
            seen[key] = row
            rows.append(row)
        trial.set_user_attr("feasible", bool(row.get("feasible")))
        if not row.get("feasible"):
            return [0.0 if d == "max" else 1e30 for d in objectives.values()]
        return _objective_vector(row, objectives)

    def violation(trial):
        return [0.0 if trial.user_attrs.get("feasible") else 1.0]

    if strategy == "nsga2":
        sampler = optuna.samplers.NSGAIISampler(seed=seed, population_size=population or max(8, budget // 10),
                                                constraints_func=violation)
    elif strategy == "random":
        sampler = optuna.samplers.RandomSampler(seed=seed)
    else:
        raise ValueError(f"strategy must be nsga2 or random (got {strategy!r})")
    study = optuna.create_study(directions=["maximize" if d == "max" else "minimize" for d in objectives.values()],
                                sampler=sampler)
    bar = Bar(budget, f"explore ({strategy})", progress)
    study.optimize(objective, n_trials=budget, callbacks=[lambda s, t: bar.advance_to(t.number + 1)])
    bar.close()

    # The sweep's ranking and finalist policy (dse/Engine.h): score, Pareto flag, top_k then the front.
    rows, finalist_idx = space.rank(rows, base) if rows else ([], [])
    front = [r for r in rows if r.get("pareto")]
    verified = []
    if verify and finalist_idx:
        vbar = Bar(len(finalist_idx), "SystemC finalists", progress)
        for n, i in enumerate(finalist_idx):
            v = space.verify(rows[i]["index"])
            v["id"] = rows[i]["id"]
            verified.append(v)
            vbar.advance_to(n + 1)
        vbar.close()
    return ExploreResult(rows, base, [r["id"] for r in front], verified, strategy, budget, objectives)
