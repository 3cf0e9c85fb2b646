"""Every notebook in python/notebooks executes without a cell error (nbclient), on small models
(FPGALLM_NOTEBOOK_QUICK=1, every stage still run); marked long, at full size. Each run starts on
empty caches. Notebooks are committed without outputs."""
import json
import os

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "python" / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 600


def execute(path, quick, cache_dir):
    nb = nbformat.read(path, as_version=4)
    saved = dict(os.environ)
    # The kernel inherits the environment: quick sizes, an empty cache of quantized models (every
    # notebook runs cold), and the notebook's own (inline) plot backend.
    os.environ["FPGALLM_NOTEBOOK_QUICK"] = "1" if quick else "0"
    os.environ["FPGALLM_CACHE_DIR"] = str(cache_dir)
    os.environ.pop("MPLBACKEND", None)
    try:
        NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def test_notebooks_exist():
    assert {p.name[:2] for p in NOTEBOOKS} >= {"01", "03"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_without_errors(path, tmp_path):
    nb = execute(path, quick=True, cache_dir=tmp_path / "cache")  # nbclient raises CellExecutionError on the first failing cell
    figures = sum(1 for c in nb.cells if c.cell_type == "code"
                  for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    assert figures >= 1, f"{path.name} drew no figure"


@pytest.mark.long
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_at_full_size(path, tmp_path):
    execute(path, quick=False, cache_dir=tmp_path / "cache")
