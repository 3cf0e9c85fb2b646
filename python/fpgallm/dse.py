"""Design-space exploration from Python: fpgallm.sweep() (the sweep engine, in this process) and
fpgallm.explore() (the same engine, its points chosen by Optuna's NSGA-II as the engine's search
strategy: ranked and cut to finalists by the sweep's own rules, SystemC on the finalists)."""
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from . import _fpgallm, _paths
from .progress import Lines
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


class _OptunaStrategy(_fpgallm.dse.SearchStrategy):
    """Optuna's sampler behind the engine's search-strategy interface (dse/Engine.h): each ask() is
    one batch of new points (an NSGA-II generation), each tell() reports their rows to the study.
    Trials that land on a point the spec's constraints forbid, or on one already asked, are settled
    without the engine, so `budget` counts Optuna trials as before."""

    def __init__(self, space, study, objectives, budget, batch, what):
        super().__init__()
        self.axes = space.axes
        self.space, self.study, self.objectives = space, study, objectives
        self.budget, self.batch, self.what = budget, batch, what
        self.trials = 0
        self.rows = {}     # point -> its row, once told
        self.pending = {}  # point -> the trials waiting for its row

    def _settle(self, trial, row):
        feasible = bool(row and row.get("feasible"))
        trial.set_user_attr("feasible", feasible)
        values = _objective_vector(row, self.objectives) if feasible else \
            [0.0 if d == "max" else 1e30 for d in self.objectives.values()]
        self.study.tell(trial, values)

    def ask(self):
        batch = []
        while self.trials < self.budget and len(batch) < self.batch:
            trial = self.study.ask()
            self.trials += 1
            point = tuple(trial.suggest_categorical(name, list(range(len(values)))) for name, values in self.axes)
            if not self.space.allowed(list(point)):
                self._settle(trial, None)
            elif point in self.rows:
                self._settle(trial, self.rows[point])
            elif point in self.pending:
                self.pending[point].append(trial)
            else:
                self.pending[point] = [trial]
                batch.append(list(point))
        return batch

    def tell(self, points, rows):
        for point, row in zip(points, rows):
            point = tuple(point)
            self.rows[point] = row
            for trial in self.pending.pop(point):
                self._settle(trial, row)

    def describe(self):
        return self.what


def explore(spec, strategy="nsga2", budget=200, seed=0, verify=True, population=None, cache_dir=None,
            progress=True, out=None, jobs=None):
    """Searches a sweep spec's space beyond the grid: `budget` analytic evaluations chosen by
    Optuna's NSGA-II (strategy "nsga2") or uniformly at random ("random"), maximising decode and
    prefill tokens/s and accuracy while minimising DDR footprint and the largest PL utilisation;
    infeasible points (resources, constraints) are constraint violations. The search runs as the
    sweep engine's search strategy (dse/Engine.h), so the evaluated points are ranked as the sweep
    ranks them (score, Pareto front), its finalists (the spec's top_k by score, then the front,
    capped at finalists.max) simulated in SystemC when `verify`, and the outputs written to `out`
    (a new temporary folder when None) as `fpgallm sweep` writes them.
    """
    import optuna

    if strategy not in ("nsga2", "random"):
        raise ValueError(f"strategy must be nsga2 or random (got {strategy!r})")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec_path = find_file(spec)
    cache = cache_dir or Path(tempfile.gettempdir()) / "fpgallm-accuracy-cache"
    space = _fpgallm.dse.Space(str(spec_path), str(cache))
    # Accuracy is an objective only when the spec measures it.
    objectives = {k: d for k, d in OBJECTIVES.items() if k != "accuracy_top1" or space.accuracy_enabled}

    def violation(trial):
        return [0.0 if trial.user_attrs.get("feasible") else 1.0]

    if strategy == "nsga2":
        population = population or max(8, budget // 10)
        sampler = optuna.samplers.NSGAIISampler(seed=seed, population_size=population, constraints_func=violation)
        batch, what = population, f"NSGA-II (Optuna), budget {budget} trials, population {population}, seed {seed}"
    else:
        sampler = optuna.samplers.RandomSampler(seed=seed)
        batch, what = budget, f"random sampling (Optuna), budget {budget} trials, seed {seed}"
    study = optuna.create_study(directions=["maximize" if d == "max" else "minimize" for d in objectives.values()],
                                sampler=sampler)
    out = Path(out) if out else Path(tempfile.mkdtemp(prefix="fpgallm-explore-"))
    o = _fpgallm.dse.SweepOptions()
    o.spec_file = str(spec_path)
    o.out = str(out)
    o.cache_dir = str(cache)
    o.worker_exe = cli_path()
    o.jobs = int(jobs or 0)
    o.systemc = bool(verify)
    o.quiet = not progress
    # Progress: the engine's lines (the analytic pass batch by batch, accuracy, the finalists).
    r = _fpgallm.dse.sweep(o, Lines() if progress else None, _OptunaStrategy(space, study, objectives, budget, batch,
                                                                               what))
    rows = r["rows"]
    front = [row["id"] for row in rows if row.get("pareto")]
    verified = [rows[i] for i in r["finalist_rows"]] if verify else []
    result = ExploreResult(rows, r["base"], front, verified, strategy, budget, objectives)
    result.out = str(out)
    return result
